# SPDX-License-Identifier: MIT
# Script mode (cmake -P): writes INPUT (rules.json) into OUTPUT as a C++ raw
# string, so an installed emmi-cts carries its catalogue and needs no source
# tree. Run by a custom command that depends on rules.json.
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "embed_catalogue.cmake: pass -DINPUT=<json> -DOUTPUT=<cpp>")
endif()
file(READ "${INPUT}" json)
set(delimiter "emmi_rules_json")
string(FIND "${json}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter ')${delimiter}\"'")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by embed_catalogue.cmake; do not edit.\n"
  "#include \"emmi/catalogue/catalogue.h\"\n\n"
  "namespace emmi::catalogue {\n\n"
  "std::string_view builtin_json() {\n"
  "  static constexpr char text[] = R\"${delimiter}(${json})${delimiter}\";\n"
  "  return {text, sizeof text - 1};\n"
  "}\n\n"
  "}  // namespace emmi::catalogue\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
