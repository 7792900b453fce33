# SPDX-License-Identifier: MIT
# Runs COMMAND (a ;-list) and fails unless it exits with EXPECTED and, when
# given, its standard output matches the regular expression MATCH.
# Usage: cmake -DCOMMAND=... -DEXPECTED=2 [-DMATCH=regex] -P expect_exit.cmake
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL EXPECTED)
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECTED}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED MATCH AND NOT out MATCHES "${MATCH}")
  message(FATAL_ERROR "stdout does not match '${MATCH}':\n${out}")
endif()
