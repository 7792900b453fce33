// SPDX-License-Identifier: MIT
// The command table: one entry per kind, a replay-token decoder that accepts
// exactly the kinds the table holds, and the tokens and generated cases of
// before the table still the same.
#include "command_specs.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

using namespace emmi::engine;

namespace {

constexpr auto kKinds = static_cast<std::size_t>(CommandKind::kind_count);

// A case of one command of every kind, encoded before the command table
// existed (the kinds, their fields and the token layout must not move).
constexpr std::string_view kEveryKindToken =
    "emmi2:782riWdFIwEABQkAAAEAAAAAAAEBAAADAAECAQAAAwACBQABAAIAAgQAAQAsAQAGAAECAAAABwIBAAAAAAgAAQAAAA"
    "ADAQAAAAAA";

// What the generator drew for rc::Random(i) at size 40 before the table
// existed, in a world of a 4 KiB and a 16 KiB kernel and two objects.
World pinned_world() { return World{{4096, 16384}, 2, 65536}; }
CaseSpec pinned_case(int i) {
  return CaseSpec{gen_case(pinned_world())(rc::Random(i), 40).value(), std::uint64_t(i) * 7919,
                  i % 2 ? emmi::mach::Strategy::pct : emmi::mach::Strategy::random_walk,
                  static_cast<std::uint8_t>(i % 4)};
}

// Records the kernel actions a command is made of.
class ActionLog final : public KernelActions {
 public:
  std::vector<std::string> log;
  void map(std::size_t k, std::size_t o) override { log.push_back(fmt("map", k, o)); }
  void unmap(std::size_t k, std::size_t o) override { log.push_back(fmt("unmap", k, o)); }
  void fault(std::size_t k, std::size_t o, std::uint16_t page, bool write) override {
    log.push_back(fmt("fault", k, o) + " p" + std::to_string(page) + (write ? " w" : " r"));
  }
  void evict(std::size_t k, std::size_t o, std::uint16_t page, bool dirty) override {
    log.push_back(fmt("evict", k, o) + " p" + std::to_string(page) + (dirty ? " dirty" : " clean"));
  }
  void stray(std::size_t o) override { log.push_back("stray o" + std::to_string(o)); }

 private:
  static std::string fmt(const char* what, std::size_t k, std::size_t o) {
    return std::string(what) + " k" + std::to_string(k) + " o" + std::to_string(o);
  }
};

std::vector<std::string> run(const Command& c) {
  ActionLog log;
  find_spec(c.kind)->run(c, log);
  return log.log;
}

}  // namespace

TEST(CommandSpec, EveryKindHasExactlyOneSpec) {
  ASSERT_EQ(command_specs().size(), kKinds);
  std::set<std::string_view> names;
  for (std::size_t k = 0; k < kKinds; ++k) {
    const auto kind = static_cast<CommandKind>(k);
    std::size_t entries = 0;
    for (const CommandSpec& s : command_specs()) entries += s.kind == kind;
    EXPECT_EQ(entries, 1u) << "kind " << k;
    const CommandSpec* spec = find_spec(kind);
    ASSERT_NE(spec, nullptr) << "kind " << k;
    EXPECT_EQ(spec->kind, kind);
    EXPECT_FALSE(spec->name.empty());
    EXPECT_TRUE(names.insert(spec->name).second) << spec->name << " named twice";
    EXPECT_EQ(to_string(kind), spec->name);
  }
  EXPECT_EQ(find_spec(CommandKind::kind_count), nullptr);
  EXPECT_EQ(to_string(CommandKind::kind_count), "?");
}

TEST(CommandSpec, DecoderAcceptsExactlyTheKindsOfTheTable) {
  CaseSpec spec{{{CommandKind::map, 1, 0}}, 42};
  spec.commands[0].kind = static_cast<CommandKind>(command_specs().size() - 1);
  EXPECT_TRUE(decode_replay_token(encode_replay_token(spec)));
  spec.commands[0].kind = static_cast<CommandKind>(command_specs().size());
  EXPECT_FALSE(decode_replay_token(encode_replay_token(spec)));
  spec.commands[0].kind = static_cast<CommandKind>(0xff);
  EXPECT_FALSE(decode_replay_token(encode_replay_token(spec)));
}

TEST(CommandSpec, TokensOfBeforeTheTableDecodeToTheSameCase) {
  auto spec = decode_replay_token(kEveryKindToken);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->schedule_seed, 0x0123456789abcdefull);
  EXPECT_EQ(spec->strategy, emmi::mach::Strategy::random_walk);
  EXPECT_EQ(spec->pct_depth, 5);
  std::vector<std::string> shown;
  for (const Command& c : spec->commands) shown.push_back(describe(c));
  const std::vector<std::string> expected{
      "map k1 o0",
      "fault k1 o0 page 3 write",
      "evict k1 o0 page 3 dirty",
      "evict+refault k0 o1 page 2 dirty",
      "evict+unmap k0 o1 page 300 clean",
      "unmap k0 o1 + map k2 o1",
      "unmap+remap k2 o1",
      "stray-message o1",
      "unmap k1 o0",
  };
  EXPECT_EQ(shown, expected);
  EXPECT_EQ(encode_replay_token(*spec), kEveryKindToken);
}

TEST(CommandSpec, GeneratedCasesAreThoseOfBeforeTheTable) {
  EXPECT_EQ(encode_replay_token(pinned_case(0)),
            "emmi2:AAAAAAAAAAAAAAcAAAAAAAAAAAgAAQAAAAAAAQAAAAAAAwAAAAAAAAAAAAAAAAABAAAADwAAAQAAAAMAAQ");
  EXPECT_EQ(encode_replay_token(pinned_case(2)),
            "emmi2:3j0AAAAAAAAAAgoAAAAAAAAAAAABAAAAAAABAAAABgAAAQAAAAAAAAgAAQAAAAAAAAEAAAAABQAAAAAAAgMAAA"
            "AAAAAHAAEAAAAAAQABAAQAAA");
  // The first 300 cases, as one FNV-1a hash of their tokens: the order the
  // generator offers commands in and their weights decide every draw.
  std::uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < 300; ++i)
    for (char c : encode_replay_token(pinned_case(i))) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
  EXPECT_EQ(h, 0x5e147dd4b0d39ab7ull);
}

TEST(CommandSpec, BurstsRunTheirActionsInOrder) {
  using V = std::vector<std::string>;
  EXPECT_EQ(run({CommandKind::map, 1, 0}), V{"map k1 o0"});
  EXPECT_EQ(run({CommandKind::unmap, 1, 0}), V{"unmap k1 o0"});
  EXPECT_EQ(run({CommandKind::fault, 1, 0, 0, 3, true}), V{"fault k1 o0 p3 w"});
  EXPECT_EQ(run({CommandKind::evict, 1, 0, 0, 3, false, true}), V{"evict k1 o0 p3 dirty"});
  EXPECT_EQ(run({CommandKind::evict_then_unmap, 0, 1, 0, 2}), (V{"evict k0 o1 p2 clean", "unmap k0 o1"}));
  EXPECT_EQ(run({CommandKind::evict_then_refault, 0, 1, 0, 2, false, true}),
            (V{"evict k0 o1 p2 dirty", "fault k0 o1 p2 r"}));
  EXPECT_EQ(run({CommandKind::map_while_unmap, 0, 1, 2}), (V{"unmap k0 o1", "map k2 o1"}));
  EXPECT_EQ(run({CommandKind::unmap_then_remap, 2, 1}), (V{"unmap k2 o1", "map k2 o1"}));
  EXPECT_EQ(run({CommandKind::stray, 0, 1}), V{"stray o1"});
}

TEST(CommandSpec, GeneratedCommandsAreLegalAndAppliedByTheirSpec) {
  // Every offered command satisfies its spec's precondition, and a map makes
  // the mapping's page commands available.
  CaseModel m(pinned_world());
  for (const Weighted& w : enabled_commands(m)) EXPECT_TRUE(find_spec(w.command.kind)->precondition(m, w.command));
  find_spec(CommandKind::map)->apply(m, {CommandKind::map, 1, 1});
  std::set<CommandKind> kinds;
  for (const Weighted& w : enabled_commands(m)) kinds.insert(w.command.kind);
  EXPECT_TRUE(kinds.count(CommandKind::fault));
  EXPECT_TRUE(kinds.count(CommandKind::unmap));
  EXPECT_FALSE(kinds.count(CommandKind::evict));  // nothing held yet
}
