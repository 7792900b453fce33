# SPDX-License-Identifier: MIT
# emmi_cts_add_conformance_test: a CTest test that runs the installed emmi-cts
# on a pager the project builds. Part of the EmmiCts package; it adds no build
# step, only the test (the pager target is built by the project's own build).
#
#   emmi_cts_add_conformance_test(NAME <test name> PAGER <target or .so path>
#     [PROFILE quick|standard|exhaustive] [WAIVERS <file>] [PAGER_OPTIONS <text>]
#     [SEED <n>] [DIALECT auto|gnumach|gnumach-seqnos|osf] [PLATFORM gnumach|manual|osf]
#     [TIMEOUT <seconds per case>] [FORMATS json,junit,md,html] [CONFORMANCE])
#
# PLATFORM is the target the pager is judged for (emmi-cts README,
# "Platforms"): gnumach, manual or osf; by default the dialect's own (osf for
# an OSF pager, gnumach otherwise). DIALECT defaults to auto:
# what the pager declares in emmi_pager_dialects, plain gnumach when it
# declares nothing (README, "Dialects").
#
# Reports go to <current binary dir>/emmi-<name>/. The test passes when
# emmi-cts exits 0 (conformant); 1 (not conformant), 2 (bad input) and 3
# (internal error) fail it.
include_guard(GLOBAL)

function(emmi_cts_add_conformance_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "CONFORMANCE"
    "NAME;PAGER;PROFILE;WAIVERS;PAGER_OPTIONS;SEED;DIALECT;PLATFORM;TIMEOUT;FORMATS" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "emmi_cts_add_conformance_test: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  foreach(required NAME PAGER)
    if(NOT arg_${required})
      message(FATAL_ERROR "emmi_cts_add_conformance_test: ${required} is required")
    endif()
  endforeach()
  if(NOT TARGET EmmiCts::emmi-cts)
    message(FATAL_ERROR "emmi_cts_add_conformance_test: EmmiCts::emmi-cts is missing (find_package(EmmiCts) first)")
  endif()

  if(TARGET ${arg_PAGER})
    set(pager "$<TARGET_FILE:${arg_PAGER}>")
  else()
    get_filename_component(pager "${arg_PAGER}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  set(report_dir "${CMAKE_CURRENT_BINARY_DIR}/emmi-${arg_NAME}")
  set(command $<TARGET_FILE:EmmiCts::emmi-cts> run --quiet --pager "${pager}"
              --report-dir "${report_dir}")

  if(arg_CONFORMANCE)
    # Conformance mode locks profile, seed and limits and refuses waivers: say
    # so at configure time rather than as a failing test.
    foreach(locked PROFILE WAIVERS SEED TIMEOUT)
      if(DEFINED arg_${locked})
        message(FATAL_ERROR "emmi_cts_add_conformance_test(${arg_NAME}): CONFORMANCE fixes ${locked}; drop it")
      endif()
    endforeach()
    list(APPEND command --conformance)
  endif()
  if(DEFINED arg_PROFILE)
    if(NOT arg_PROFILE MATCHES "^(quick|standard|exhaustive)$")
      message(FATAL_ERROR "emmi_cts_add_conformance_test(${arg_NAME}): PROFILE '${arg_PROFILE}': expected quick, standard or exhaustive")
    endif()
    list(APPEND command --profile ${arg_PROFILE})
  endif()
  if(DEFINED arg_WAIVERS)
    get_filename_component(waivers "${arg_WAIVERS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND command --waivers "${waivers}")
  endif()
  if(DEFINED arg_PAGER_OPTIONS)
    list(APPEND command --pager-options "${arg_PAGER_OPTIONS}")
  endif()
  if(DEFINED arg_SEED)
    list(APPEND command --seed ${arg_SEED})
  endif()
  if(DEFINED arg_DIALECT)
    list(APPEND command --dialect ${arg_DIALECT})
  endif()
  if(DEFINED arg_PLATFORM)
    if(NOT arg_PLATFORM MATCHES "^(gnumach|manual|osf)$")
      message(FATAL_ERROR "emmi_cts_add_conformance_test(${arg_NAME}): PLATFORM '${arg_PLATFORM}': expected gnumach, manual or osf")
    endif()
    list(APPEND command --platform ${arg_PLATFORM})
  endif()
  if(DEFINED arg_TIMEOUT)
    list(APPEND command --timeout ${arg_TIMEOUT})
  endif()
  if(DEFINED arg_FORMATS)
    list(APPEND command --format ${arg_FORMATS})
  endif()

  add_test(NAME ${arg_NAME} COMMAND ${command})
  set_tests_properties(${arg_NAME} PROPERTIES LABELS emmi-conformance)
endfunction()
