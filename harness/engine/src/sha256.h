// SPDX-License-Identifier: MIT
// SHA-256 of a file, for the report's record of exactly which pager binary was
// judged (FIPS 180-4), computed by OpenSSL's libcrypto.
#pragma once

#include <string>

namespace emmi::engine {

// Lower-case hex digest of the file's bytes; throws std::runtime_error naming
// the file if it cannot be read.
std::string sha256_file(const std::string& path);
std::string sha256_hex(const std::string& bytes);

}  // namespace emmi::engine
