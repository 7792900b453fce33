// SPDX-License-Identifier: MIT
// The command table: one entry per kind, each run as its kernel actions, and
// the generator offering every entry exactly where its world allows it. (The
// replay tokens of the table's kinds and the pinned generated cases:
// harness/engine/tests/replay_token_test.cpp.)
#include "emmi/properties/command_specs.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "emmi/model/types.h"

using namespace emmi::properties;

namespace {

constexpr auto kKinds = static_cast<std::size_t>(CommandKind::kind_count);

// What the generator drew for rc::Random(i) at size 40 before the table
// existed, in a world of a 4 KiB and a 16 KiB kernel and two objects.
World pinned_world() { return World{{4096, 16384}, 2, 65536}; }
std::vector<Command> pinned_commands(int i) {
  return gen_case(pinned_world())(rc::Random(i), 40).value();
}

// Records the kernel actions a command is made of.
class ActionLog final : public KernelActions {
 public:
  std::vector<std::string> log;
  void map(std::size_t k, std::size_t o) override { log.push_back(fmt("map", k, o)); }
  void unmap(std::size_t k, std::size_t o) override { log.push_back(fmt("unmap", k, o)); }
  void collect(std::size_t k, std::size_t o) override { log.push_back(fmt("collect", k, o)); }
  void fault(std::size_t k, std::size_t o, std::uint16_t page, bool write) override {
    log.push_back(fmt("fault", k, o) + " p" + std::to_string(page) + (write ? " w" : " r"));
  }
  void evict(std::size_t k, std::size_t o, std::uint16_t page, bool dirty) override {
    log.push_back(fmt("evict", k, o) + " p" + std::to_string(page) + (dirty ? " dirty" : " clean"));
  }
  void stray(std::size_t o) override { log.push_back("stray o" + std::to_string(o)); }
  void write(std::size_t k, std::size_t o, std::uint16_t page) override {
    log.push_back(fmt("write", k, o) + " p" + std::to_string(page));
  }
  void retry(std::size_t k, std::size_t o, std::uint16_t page) override {
    log.push_back(fmt("retry", k, o) + " p" + std::to_string(page));
  }
  void create_temporary(std::size_t k) override { log.push_back("create k" + std::to_string(k)); }
  void temporary_fault(std::size_t t, std::uint16_t page, bool write) override {
    log.push_back("fault t" + std::to_string(t) + " p" + std::to_string(page) +
                  (write ? " w" : " r"));
  }
  void temporary_page_out(std::size_t t, std::uint16_t page, bool dirty, bool initialize) override {
    log.push_back("page-out t" + std::to_string(t) + " p" + std::to_string(page) +
                  (dirty ? " dirty" : " clean") + (initialize ? " initialize" : ""));
  }
  void temporary_terminate(std::size_t t) override {
    log.push_back("terminate t" + std::to_string(t));
  }
  void manager_stray() override { log.push_back("stray manager"); }
  void default_pager_call(std::uint16_t call) override {
    log.push_back("default_pager call " + std::to_string(call));
  }
  void synchronize(std::size_t k, std::size_t o, std::uint16_t page, std::int32_t flags) override {
    log.push_back(fmt("synchronize", k, o) + " p" + std::to_string(page) + " flags " +
                  std::to_string(flags));
  }
  void synchronize_object(std::size_t k, std::size_t o, std::int32_t flags) override {
    log.push_back(fmt("synchronize", k, o) + " whole flags " + std::to_string(flags));
  }

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

TEST(CommandSpec, BurstsRunTheirActionsInOrder) {
  using V = std::vector<std::string>;
  EXPECT_EQ(run({CommandKind::map, 1, 0}), V{"map k1 o0"});
  EXPECT_EQ(run({CommandKind::unmap, 1, 0}), V{"unmap k1 o0"});
  EXPECT_EQ(run({CommandKind::fault, 1, 0, 0, 3, true}), V{"fault k1 o0 p3 w"});
  EXPECT_EQ(run({CommandKind::evict, 1, 0, 0, 3, false, true}), V{"evict k1 o0 p3 dirty"});
  EXPECT_EQ(run({CommandKind::evict_then_unmap, 0, 1, 0, 2}),
            (V{"evict k0 o1 p2 clean", "unmap k0 o1"}));
  EXPECT_EQ(run({CommandKind::evict_then_refault, 0, 1, 0, 2, false, true}),
            (V{"evict k0 o1 p2 dirty", "fault k0 o1 p2 r"}));
  EXPECT_EQ(run({CommandKind::map_while_unmap, 0, 1, 2}), (V{"unmap k0 o1", "map k2 o1"}));
  EXPECT_EQ(run({CommandKind::unmap_then_remap, 2, 1}), (V{"unmap k2 o1", "map k2 o1"}));
  EXPECT_EQ(run({CommandKind::stray, 0, 1}), V{"stray o1"});
  EXPECT_EQ(run({CommandKind::retry_fault, 1, 0, 0, 3}), V{"retry k1 o0 p3"});
  EXPECT_EQ(run({CommandKind::create_temporary, 2, 0}), V{"create k2"});
  EXPECT_EQ(run({CommandKind::temporary_fault, 2, 1, 0, 4, true}), V{"fault t1 p4 w"});
  EXPECT_EQ(run({CommandKind::temporary_page_out, 2, 1, 0, 4, false, true}),
            V{"page-out t1 p4 dirty"});
  EXPECT_EQ(run({CommandKind::temporary_reinitialize, 2, 1, 0, 4, false, true}),
            V{"page-out t1 p4 dirty initialize"});
  EXPECT_EQ(run({CommandKind::temporary_page_out_then_refault, 2, 1, 0, 4, false, true}),
            (V{"page-out t1 p4 dirty", "fault t1 p4 r"}));
  EXPECT_EQ(run({CommandKind::temporary_terminate, 0, 1}), V{"terminate t1"});
  EXPECT_EQ(run({CommandKind::manager_stray, 0, 0}), V{"stray manager"});
  EXPECT_EQ(run({CommandKind::default_pager_call, 0, 0, 0, 1}), V{"default_pager call 1"});
  // synchronize: `dirty` SYNCHRONOUS, else ASYNCHRONOUS; `write` INVALIDATE.
  EXPECT_EQ(run({CommandKind::synchronize, 1, 0, 0, 2, true, true}),
            V{"synchronize k1 o0 p2 flags " +
              std::to_string(emmi::model::kSyncSynchronous | emmi::model::kSyncInvalidate)});
  EXPECT_EQ(run({CommandKind::synchronize, 1, 0, 0, 2, false, false}),
            V{"synchronize k1 o0 p2 flags " + std::to_string(emmi::model::kSyncAsynchronous)});
  EXPECT_EQ(run({CommandKind::synchronize_object, 1, 0, 0, 0, false, true}),
            V{"synchronize k1 o0 whole flags " + std::to_string(emmi::model::kSyncSynchronous)});
}

// A terminated temporary object takes no more commands; the manager-port
// commands wait for the first create (the model learns the port from it).
TEST(CommandSpec, TerminatedTemporaryObjectsTakeNoCommands) {
  World w = pinned_world();
  w.objects = 0;
  w.default_pager = true;
  CaseModel m(w);
  EXPECT_FALSE(enabled(m, {CommandKind::manager_stray, 0, 0}));
  EXPECT_FALSE(enabled(m, {CommandKind::default_pager_call, 0, 0, 0, 1}));
  apply(m, {CommandKind::create_temporary, 1, 0});
  EXPECT_TRUE(enabled(m, {CommandKind::manager_stray, 0, 0}));
  EXPECT_TRUE(enabled(m, {CommandKind::default_pager_call, 0, 0, 0, 1}));
  EXPECT_FALSE(enabled(m, {CommandKind::default_pager_call, 0, 0, 0, 5}));
  const Command terminate{CommandKind::temporary_terminate, 1, 0};
  ASSERT_TRUE(enabled(m, terminate));
  EXPECT_EQ(describe(terminate), "terminate-temporary k1 t0");
  apply(m, terminate);
  EXPECT_FALSE(enabled(m, terminate));
  EXPECT_FALSE(enabled(m, {CommandKind::temporary_fault, 1, 0, 0, 0}));
  EXPECT_EQ(describe({CommandKind::default_pager_call, 0, 0, 0, 0}), "default-pager_object_create");
}

namespace {
bool temporary_kind(CommandKind k) {
  return k == CommandKind::create_temporary || k == CommandKind::temporary_fault ||
         k == CommandKind::temporary_page_out || k == CommandKind::temporary_reinitialize ||
         k == CommandKind::temporary_page_out_then_refault ||
         k == CommandKind::temporary_terminate || k == CommandKind::manager_stray ||
         k == CommandKind::default_pager_call;
}
std::set<CommandKind> offered(const CaseModel& m) {
  std::set<CommandKind> kinds;
  for (const Weighted& w : enabled_commands(m)) {
    EXPECT_TRUE(enabled(m, w.command)) << describe(w.command);
    kinds.insert(w.command.kind);
  }
  return kinds;
}
}  // namespace

// An ordinary pager's world never offers a default-pager command, and
// refuses one (a replay token naming one against an ordinary pager).
TEST(CommandSpec, TemporaryObjectsOnlyInADefaultPagerWorld) {
  for (int i = 0; i < 50; ++i)
    for (const Command& c : pinned_commands(i)) EXPECT_FALSE(temporary_kind(c.kind)) << describe(c);
  CaseModel ordinary(pinned_world());
  EXPECT_FALSE(enabled(ordinary, {CommandKind::create_temporary, 0, 0}));
  for (CommandKind k : offered(ordinary)) EXPECT_FALSE(temporary_kind(k));
}

// synchronize is the OSF kernels' vm_msync: offered and accepted only in an
// OSF world (a GNU Mach kernel has no such message), on a mapped page; the
// GNU Mach world's generated cases never hold one.
TEST(CommandSpec, SynchronizeOnlyInAnOsfWorld) {
  const Command sync{CommandKind::synchronize, 1, 1, 0, 2, true, true};
  CaseModel gnu(pinned_world());
  apply(gnu, {CommandKind::map, 1, 1});
  EXPECT_FALSE(enabled(gnu, sync));
  EXPECT_FALSE(offered(gnu).count(CommandKind::synchronize));
  for (int i = 0; i < 50; ++i)
    for (const Command& c : pinned_commands(i))
      EXPECT_NE(c.kind, CommandKind::synchronize) << describe(c);

  World w = pinned_world();
  w.osf = true;
  CaseModel osf(w);
  EXPECT_FALSE(enabled(osf, sync));  // not mapped yet
  apply(osf, {CommandKind::map, 1, 1});
  ASSERT_TRUE(enabled(osf, sync));
  EXPECT_TRUE(offered(osf).count(CommandKind::synchronize));
  EXPECT_EQ(describe(sync), "synchronize k1 o1 page 2 sync invalidate");
  EXPECT_FALSE(
      enabled(osf, {CommandKind::synchronize, 1, 1, 0, 4, true, false}));  // 4 pages of 16 KiB

  // The whole object's vm_msync likewise: a mapping of an OSF world only.
  const Command whole{CommandKind::synchronize_object, 1, 1, 0, 0, false, true};
  EXPECT_FALSE(enabled(gnu, whole));
  EXPECT_FALSE(offered(gnu).count(CommandKind::synchronize_object));
  EXPECT_TRUE(enabled(osf, whole));
  EXPECT_TRUE(offered(osf).count(CommandKind::synchronize_object));
  EXPECT_EQ(describe(whole), "synchronize-object k1 o1 sync");
}

// A default pager without objects of its own: first only create; then the
// page commands of the created object, in the kernel's order of things (a
// page is faulted before it is paged out, and paged out once before a
// data_initialize can be repeated on it).
TEST(CommandSpec, DefaultPagerWorldCreatesThenPagesTemporaryObjects) {
  World w = pinned_world();
  w.objects = 0;
  w.default_pager = true;
  CaseModel m(w);
  EXPECT_EQ(offered(m), std::set<CommandKind>{CommandKind::create_temporary});
  EXPECT_FALSE(enabled(m, {CommandKind::create_temporary, 1, 1}));  // t1 before t0
  const Command create{CommandKind::create_temporary, 1, 0};
  ASSERT_TRUE(enabled(m, create));
  apply(m, create);
  EXPECT_EQ(describe(create), "create-temporary k1 t0");
  std::set<CommandKind> kinds = offered(m);
  EXPECT_TRUE(kinds.count(CommandKind::temporary_fault));
  EXPECT_FALSE(kinds.count(CommandKind::temporary_page_out));
  // t0 belongs to kernel 1 (16 KiB: 4 pages) only.
  EXPECT_FALSE(enabled(m, {CommandKind::temporary_fault, 0, 0, 0, 0}));
  EXPECT_FALSE(enabled(m, {CommandKind::temporary_fault, 1, 0, 0, 4}));
  const Command fault{CommandKind::temporary_fault, 1, 0, 0, 3};
  ASSERT_TRUE(enabled(m, fault));
  apply(m, fault);
  EXPECT_FALSE(enabled(m, fault));
  const Command reinit{CommandKind::temporary_reinitialize, 1, 0, 0, 3, false, true};
  EXPECT_FALSE(enabled(m, reinit));
  const Command out{CommandKind::temporary_page_out, 1, 0, 0, 3, false, true};
  ASSERT_TRUE(enabled(m, out));
  apply(m, out);
  EXPECT_FALSE(enabled(m, out));
  apply(m, fault);
  EXPECT_TRUE(enabled(m, reinit));
  EXPECT_EQ(describe(reinit), "reinitialize k1 t0 page 3 dirty");
  // At most kMaxTemporaries objects.
  for (std::uint8_t t = 1; t < CaseModel::kMaxTemporaries; ++t)
    apply(m, {CommandKind::create_temporary, 0, t});
  EXPECT_FALSE(offered(m).count(CommandKind::create_temporary));
}

// Generated cases of a default pager's world are legal kernel sequences and
// reach every default-pager command.
TEST(CommandSpec, DefaultPagerCasesUseEveryTemporaryCommand) {
  World w = pinned_world();
  w.objects = 0;
  w.default_pager = true;
  std::set<CommandKind> seen;
  for (int i = 0; i < 100; ++i) {
    CaseModel m(w);
    for (const Command& c : gen_case(w)(rc::Random(i), 40).value()) {
      EXPECT_TRUE(temporary_kind(c.kind)) << describe(c);
      EXPECT_TRUE(enabled(m, c)) << describe(c);
      apply(m, c);
      seen.insert(c.kind);
    }
  }
  for (CommandKind k :
       {CommandKind::create_temporary, CommandKind::temporary_fault,
        CommandKind::temporary_page_out, CommandKind::temporary_reinitialize,
        CommandKind::temporary_page_out_then_refault, CommandKind::temporary_terminate,
        CommandKind::manager_stray, CommandKind::default_pager_call})
    EXPECT_TRUE(seen.count(k)) << to_string(k);
}

TEST(CommandSpec, GeneratedCommandsAreLegalAndAppliedByTheirSpec) {
  // Every offered command satisfies its spec's precondition, and a map makes
  // the mapping's page commands available.
  CaseModel m(pinned_world());
  for (const Weighted& w : enabled_commands(m))
    EXPECT_TRUE(find_spec(w.command.kind)->precondition(m, w.command));
  find_spec(CommandKind::map)->apply(m, {CommandKind::map, 1, 1});
  std::set<CommandKind> kinds;
  for (const Weighted& w : enabled_commands(m)) kinds.insert(w.command.kind);
  EXPECT_TRUE(kinds.count(CommandKind::fault));
  EXPECT_TRUE(kinds.count(CommandKind::unmap));
  EXPECT_FALSE(kinds.count(CommandKind::evict));  // nothing held yet
}
