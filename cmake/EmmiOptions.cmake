# Project-wide compiler settings: strict warnings everywhere, and one
# sanitizer option so ASan+UBSan and TSan builds are a preset away.
add_compile_options(-Wall -Wextra -Werror)

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

# Label for CTest so sanitizer runs can skip tests that fork pagers on purpose
# or that are too slow under instrumentation (ctest -LE not-under-sanitizer).
function(emmi_add_gtest target)
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 ${ARGN})
endfunction()
