// SPDX-License-Identifier: MIT
// The report records the pager binary's SHA-256: check the digest against the
// standard's test vectors (FIPS 180-4 examples) and a file.
#include "sha256.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using emmi::engine::sha256_file;
using emmi::engine::sha256_hex;

TEST(Sha256, StandardVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileDigestEqualsDigestOfItsBytes) {
  std::string path = ::testing::TempDir() + "sha256_test.bin";
  std::string bytes(100000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_EQ(sha256_file(path), sha256_hex(bytes));
  std::remove(path.c_str());
  EXPECT_THROW(sha256_file(path), std::runtime_error);
}
