// SPDX-License-Identifier: MIT
// SHA-256 of the pager binary, for the conformance record. The digest itself
// is OpenSSL's libcrypto (Debian: libssl-dev), through its EVP interface: a
// compliance hash comes from a vetted, maintained implementation, not from
// this project.
#include "sha256.h"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace emmi::engine {

namespace {

// One running digest; every libcrypto failure is the suite's own fault
// (out of memory, a broken libcrypto), never the input's.
class Digest {
 public:
  Digest() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("libcrypto: cannot start a SHA-256 digest");
  }

  void update(const char* bytes, std::size_t n) {
    if (EVP_DigestUpdate(ctx_.get(), bytes, n) != 1)
      throw std::runtime_error("libcrypto: SHA-256 update failed");
  }

  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md.data(), &len) != 1)
      throw std::runtime_error("libcrypto: SHA-256 final failed");
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * len);
    for (unsigned int i = 0; i < len; ++i) {
      out.push_back(kDigits[md[i] >> 4]);
      out.push_back(kDigits[md[i] & 15]);
    }
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  Digest d;
  d.update(bytes.data(), bytes.size());
  return d.hex();
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  Digest d;
  std::array<char, 65536> buf{};
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0)
    d.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw std::runtime_error("error reading '" + path + "'");
  return d.hex();
}

}  // namespace emmi::engine
