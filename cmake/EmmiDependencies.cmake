# SPDX-License-Identifier: MIT
# Every third-party dependency comes from a Debian package (see .ci/bootstrap).
# Nothing is downloaded at configure, build or test time.
find_package(rapidcheck CONFIG REQUIRED)   # librapidcheck-dev
find_package(GTest CONFIG REQUIRED)        # libgtest-dev, libgmock-dev
find_package(Z3 4.8 REQUIRED)              # libz3-dev (cmake/FindZ3.cmake)
find_package(nlohmann_json 3.10 CONFIG REQUIRED) # nlohmann-json3-dev
find_package(CLI11 CONFIG REQUIRED)        # libcli11-dev
find_package(fmt CONFIG REQUIRED)          # libfmt-dev
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto) # libssl-dev (libcrypto: SHA-256)
find_package(Threads REQUIRED)
if(EMMI_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)  # libbenchmark-dev
endif()

# GNU Mach headers and MIG (gnumach-dev, mig-x86-64-gnu), used by harness/.
set(EMMI_GNUMACH_INCLUDE_DIR "/usr/include/x86_64-linux-gnu" CACHE PATH
    "Directory holding GNU Mach's mach/ headers and .defs (gnumach-dev)")
if(NOT EXISTS "${EMMI_GNUMACH_INCLUDE_DIR}/mach/memory_object.defs")
  message(FATAL_ERROR "GNU Mach headers not found in ${EMMI_GNUMACH_INCLUDE_DIR}"
          " (expected mach/memory_object.defs): install gnumach-dev")
endif()
find_program(EMMI_MIG NAMES x86_64-gnu-mig REQUIRED)  # mig-x86-64-gnu
