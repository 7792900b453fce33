// SPDX-License-Identifier: MIT
// Weighted, always-legal kernel command sequences; see generator.h.
#include "emmi/engine/generator.h"

#include <rapidcheck/state.h>

namespace emmi::engine {

CaseModel::CaseModel(World w) : world(std::move(w)) {
  pairs.resize(std::size_t(world.objects) * world.kernel_page_sizes.size());
}

PairState& CaseModel::pair(std::size_t object, std::size_t kernel) {
  return pairs.at(object * world.kernel_page_sizes.size() + kernel);
}
const PairState& CaseModel::pair(std::size_t object, std::size_t kernel) const {
  return pairs.at(object * world.kernel_page_sizes.size() + kernel);
}

bool enabled(const CaseModel& m, const Command& c) {
  const std::size_t kernels = m.world.kernel_page_sizes.size();
  if (c.kernel >= kernels || c.object >= m.world.objects) return false;
  if (c.kind == CommandKind::stray) return true;
  const PairState& p = m.pair(c.object, c.kernel);
  const bool page_ok = c.page < m.world.pages(c.kernel);
  switch (c.kind) {
    case CommandKind::map: return !p.mapped;
    case CommandKind::unmap:
    case CommandKind::unmap_then_remap: return p.mapped;
    case CommandKind::fault: return p.mapped && page_ok && !p.resident.count(c.page);
    case CommandKind::evict:
    case CommandKind::evict_then_unmap:
    case CommandKind::evict_then_refault:
    case CommandKind::write_page: return p.mapped && page_ok && p.resident.count(c.page);
    case CommandKind::stray: return true;
    case CommandKind::map_while_unmap:
      return p.mapped && c.other_kernel < kernels && c.other_kernel != c.kernel &&
             !m.pair(c.object, c.other_kernel).mapped;
  }
  return false;
}

void apply(CaseModel& m, const Command& c) {
  if (c.kind == CommandKind::stray) return;
  PairState& p = m.pair(c.object, c.kernel);
  switch (c.kind) {
    case CommandKind::map: p.mapped = true; p.resident.clear(); break;
    case CommandKind::unmap:
    case CommandKind::evict_then_unmap: p.mapped = false; p.resident.clear(); break;
    case CommandKind::unmap_then_remap: p.resident.clear(); break;
    case CommandKind::fault: p.resident.insert(c.page); p.touched.insert(c.page); break;
    case CommandKind::evict: p.resident.erase(c.page); p.touched.insert(c.page); break;
    case CommandKind::evict_then_refault:
    case CommandKind::write_page: p.touched.insert(c.page); break;
    case CommandKind::stray: break;
    case CommandKind::map_while_unmap:
      p.mapped = false;
      p.resident.clear();
      m.pair(c.object, c.other_kernel).mapped = true;
      m.pair(c.object, c.other_kernel).resident.clear();
      break;
  }
}

std::vector<Weighted> enabled_commands(const CaseModel& m) {
  std::vector<Weighted> out;
  const auto kernels = static_cast<std::uint8_t>(m.world.kernel_page_sizes.size());
  auto offer = [&](std::uint32_t weight, Command c) {
    if (enabled(m, c)) out.push_back({weight, c});
  };
  for (std::uint8_t o = 0; o < m.world.objects; ++o) {
    offer(std::max<std::uint32_t>(1, 2 * m.world.pages(0)), {CommandKind::stray, 0, o});
    for (std::uint8_t k = 0; k < kernels; ++k) {
      // Whole-mapping commands weigh as much as a page command per page, so
      // the mix between them does not depend on how many pages an object has.
      const auto pages = static_cast<std::uint16_t>(m.world.pages(k));
      offer(6u * pages, {CommandKind::map, k, o});
      offer(1u * pages, {CommandKind::unmap, k, o});
      offer(1u * pages, {CommandKind::unmap_then_remap, k, o});
      for (std::uint8_t other = 0; other < kernels; ++other)
        offer(1u * pages, {CommandKind::map_while_unmap, k, o, other});
      const PairState& pair = m.pair(o, k);
      for (std::uint16_t pg = 0; pg < pages; ++pg) {
        // Locality: a page the case already used is more likely to be used
        // again, so that return/re-fault chains on one page (where lost
        // writes show) are common.
        const std::uint32_t x = pair.touched.count(pg) ? 6 : 1;
        offer(2 * x, {CommandKind::fault, k, o, 0, pg, false, false});
        offer(2 * x, {CommandKind::fault, k, o, 0, pg, true, false});
        offer(3 * x, {CommandKind::evict, k, o, 0, pg, false, true});
        offer(1 * x, {CommandKind::evict, k, o, 0, pg, false, false});
        offer(2 * x, {CommandKind::evict_then_refault, k, o, 0, pg, false, true});
        offer(1 * x, {CommandKind::evict_then_unmap, k, o, 0, pg, false, true});
        offer(2 * x, {CommandKind::write_page, k, o, 0, pg, false, false});
      }
    }
  }
  return out;
}

namespace {

struct NoSut {};

struct KernelCommand final : rc::state::Command<CaseModel, NoSut> {
  engine::Command command;
  explicit KernelCommand(engine::Command c) : command(c) {}
  void checkPreconditions(const CaseModel& m) const override { RC_PRE(enabled(m, command)); }
  void apply(CaseModel& m) const override { engine::apply(m, command); }
  void run(const CaseModel&, NoSut&) const override {}
  void show(std::ostream& os) const override { os << describe(command); }
};

}  // namespace

rc::Gen<std::vector<Command>> gen_case(const World& world) {
  using Base = KernelCommand::CommandType;
  auto commands = rc::state::gen::commands(
      [world] { return CaseModel(world); },
      [](const CaseModel& m) {
        std::vector<std::pair<std::uint32_t, std::shared_ptr<const Base>>> choices;
        for (const Weighted& w : enabled_commands(m))
          choices.emplace_back(w.weight, std::make_shared<const KernelCommand>(w.command));
        return weighted_choice(std::move(choices));
      });
  return rc::gen::map(std::move(commands), [](const auto& cmds) {
    std::vector<Command> out;
    out.reserve(cmds.size());
    for (const auto& c : cmds) out.push_back(static_cast<const KernelCommand&>(*c).command);
    return out;
  });
}

}  // namespace emmi::engine
