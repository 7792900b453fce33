// SPDX-License-Identifier: MIT
// SQ7 histories in the engine's record codec: the child hands its history to
// the parent, and the parent to the Z3 helper, as a HistoryCheck record. The
// histories are drawn by the serializability tests' generator
// (properties/serializability/tests/random_history.h).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "case_record.h"
#include "emmi/properties/serializability.h"
#include "random_history.h"

using namespace emmi;
using namespace emmi::engine;
using namespace emmi::properties;
using model::MessageKind;

// The child hands its history to the parent, and the parent to the Z3
// helper, in the engine's record codec (case_record.h): nothing is lost.
RC_GTEST_PROP(Serializability, EncodedHistoriesDecodeToThemselves, ()) {
  History h = random_history();
  h.messages.front().kind = *rc::gen::element(MessageKind::init, MessageKind::terminate,
                                              MessageKind::data_return, MessageKind::other);
  h.messages.front().port = *rc::gen::arbitrary<model::PortName>();
  auto back = decode_history(encode_history(h));
  RC_ASSERT(back.error == "");
  RC_ASSERT(*back.value == h);
  auto check = decode_record(encode_record(record::HistoryCheck{false, 3, h}));
  RC_ASSERT(check.error == "");
  RC_ASSERT(std::get<record::HistoryCheck>(*check.value).history == h);
}

TEST(Serializability, BytesThatAreNotAnEncodedHistoryAreRefused) {
  EXPECT_TRUE(decode_history(encode_history({})));  // the empty history
  History one;
  one.messages.push_back({0x100, 1, MessageKind::data_request, 4});
  one.effects.push_back({0, resource_of_block(0, 0), 5, false});
  const std::string good = encode_history(one);
  ASSERT_TRUE(decode_history(good));
  History missing = one;  // the effect names a message that is not there
  missing.effects.front().message = 1;
  History kind = one;
  kind.messages.front().kind = static_cast<MessageKind>(static_cast<int>(model::kLastMessageKind) +
                                                        1);
  History orphan;  // an effect without messages
  orphan.effects.push_back({0, 0, 0, false});
  std::string shared = good;  // the shared flag (the last byte) is 0 or 1
  shared.back() = 2;
  for (const std::string& bad :
       {std::string(), std::string("garbage"), std::string("|"),
        std::string("1 2 3 4;|"),  // the old text form
        good.substr(0, good.size() - 1), good + "x", encode_history(missing), encode_history(kind),
        encode_history(orphan), shared, encode_record(record::Done{})}) {
    auto back = decode_history(bad);
    EXPECT_FALSE(back) << printable(bad);
    EXPECT_NE(back.error, "") << printable(bad);
  }
}
