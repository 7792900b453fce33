// SPDX-License-Identifier: MIT
// libFuzzer target: the engine's record decoder on arbitrary bytes, as a case
// record and as a batch of unit results. Success: no crash, no exception, no
// sanitizer report; and whatever decodes encodes back to the same value
// (decoding the re-encoding gives it again).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "case_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto rec = emmi::engine::decode_record(bytes)) {
    auto again = emmi::engine::decode_record(emmi::engine::encode_record(*rec.value));
    if (!again || !(*again.value == *rec.value)) std::abort();
  } else if (rec.error.empty()) {
    std::abort();  // a refusal always says why
  }
  if (auto units = emmi::engine::decode_units(bytes)) {
    auto again = emmi::engine::decode_units(emmi::engine::encode_units(*units.value));
    if (!again || !(*again.value == *units.value)) std::abort();
  }
  return 0;
}
