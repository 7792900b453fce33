// SPDX-License-Identifier: MIT
// libFuzzer target: the engine's record decoder on arbitrary bytes, as a case
// record, as a batch of unit results, and as the serializability oracle's
// question (a history) and answer. Success: no crash, no exception, no
// sanitizer report; and whatever decodes encodes back to the same value
// (decoding the re-encoding gives it again).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "case_record.h"

namespace {

// Decodes `bytes`, and if that succeeds checks the round trip; a refusal
// always says why.
template <typename Decode, typename Encode>
void round_trip(std::string_view bytes, Decode decode, Encode encode) {
  if (auto value = decode(bytes)) {
    auto again = decode(encode(*value.value));
    if (!again || !(*again.value == *value.value)) std::abort();
  } else if (value.error.empty()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace emmi::engine;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  round_trip(bytes, decode_record, encode_record);
  round_trip(bytes, decode_units, encode_units);
  round_trip(bytes, decode_history, encode_history);
  round_trip(bytes, decode_answer, encode_answer);
  return 0;
}
