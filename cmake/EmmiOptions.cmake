# SPDX-License-Identifier: MIT
# Project-wide compiler settings: strict warnings everywhere, and one
# sanitizer option so ASan+UBSan and TSan builds are a preset away.
add_compile_options(-Wall -Wextra)
# Warnings fail the build in development and CI (every preset sets it ON).
# OFF by default, so that a packager's newer compiler, with warnings this
# tree has never met, builds the package instead of refusing to.
option(EMMI_WERROR "Treat compiler warnings as errors (-Werror)" OFF)
if(EMMI_WERROR)
  add_compile_options(-Werror)
endif()

set(EMMI_SANITIZER "" CACHE STRING
    "Sanitizers to build with: empty, 'address,undefined' or 'thread'")
set_property(CACHE EMMI_SANITIZER PROPERTY STRINGS "" "address,undefined" "thread")
option(EMMI_BUILD_BENCHMARKS "Build the Google Benchmark programs in bench/" ON)
option(EMMI_BUILD_FUZZERS "Build libFuzzer targets (needs clang)" OFF)

if(EMMI_SANITIZER)
  if(EMMI_SANITIZER MATCHES "thread" AND EMMI_SANITIZER MATCHES "address")
    message(FATAL_ERROR "EMMI_SANITIZER: thread and address cannot be combined")
  endif()
  add_compile_options(-fsanitize=${EMMI_SANITIZER} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${EMMI_SANITIZER})
  if(EMMI_SANITIZER MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()

# RapidCheck's seed for the tests CTest runs. Fixed by default so that a CI
# run is repeatable: a property that fails, fails again on the next run of
# the same commit. Set it empty for a new random seed on every run (what a
# bug hunt wants); RC_PARAMS given to a test binary by hand still wins when
# the binary is run outside CTest.
set(EMMI_RAPIDCHECK_SEED "20261127" CACHE STRING
    "RapidCheck seed for the CTest runs of property tests; empty: random")

# Label for CTest so sanitizer runs can skip tests that fork pagers on purpose
# or that are too slow under instrumentation (ctest -LE not-under-sanitizer).
function(emmi_add_gtest target)
  set(args ${ARGN})
  if(NOT EMMI_RAPIDCHECK_SEED STREQUAL "")
    # PROPERTIES is the last keyword wherever it is given.
    if(NOT "PROPERTIES" IN_LIST args)
      list(APPEND args PROPERTIES)
    endif()
    list(APPEND args ENVIRONMENT "RC_PARAMS=seed=${EMMI_RAPIDCHECK_SEED}")
  endif()
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 ${args})
endfunction()
