// SPDX-License-Identifier: MIT
// Weighted, always-legal kernel command sequences; see generator.h.
#include "emmi/properties/generator.h"

#include <rapidcheck/state.h>

#include "emmi/properties/command_specs.h"

namespace emmi::properties {

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
  const CommandSpec* spec = find_spec(c.kind);
  if (spec == nullptr || c.kernel >= m.world.kernel_page_sizes.size()) return false;
  // Temporary objects exist only with the default-pager role; their
  // commands' `object` indexes them (the precondition checks it).
  const bool temporary = spec->scope == GenScope::kernel ||
                         spec->scope == GenScope::temporary_page ||
                         spec->scope == GenScope::temporary;
  // Copy commands name a copy of the case (the precondition checks it).
  const bool copy = spec->scope == GenScope::copy_page || spec->scope == GenScope::copy;
  if (copy) {
    if (!m.world.copies()) return false;
  } else if (temporary ? !m.world.default_pager : c.object >= m.world.objects) {
    return false;
  }
  return spec->precondition(m, c);
}

void apply(CaseModel& m, const Command& c) {
  if (const CommandSpec* spec = find_spec(c.kind)) spec->apply(m, c);
}

std::vector<Weighted> enabled_commands(const CaseModel& m) {
  std::vector<Weighted> out;
  Offers offer(m, out);
  auto offer_all = [&](GenScope scope, const GenSite& site) {
    for (const CommandSpec& spec : command_specs())
      if (spec.scope == scope) spec.generate(site, offer);
  };
  const auto kernels = static_cast<std::uint8_t>(m.world.kernel_page_sizes.size());
  for (std::uint8_t o = 0; o < m.world.objects; ++o) {
    offer_all(GenScope::object, GenSite{m, o});
    for (std::uint8_t k = 0; k < kernels; ++k) {
      GenSite site{m, o, k, static_cast<std::uint16_t>(m.world.pages(k))};
      offer_all(GenScope::mapping, site);
      const PairState& pair = m.pair(o, k);
      for (std::uint16_t pg = 0; pg < site.pages; ++pg) {
        site.page = pg;
        site.locality = pair.touched.count(pg) ? 6 : 1;
        offer_all(GenScope::page, site);
      }
    }
  }
  // Copies (World::copies): page commands, then whole-copy commands.
  for (std::size_t c = 0; c < m.copies.size(); ++c) {
    const CopyState& copy = m.copies[c];
    GenSite site{m, static_cast<std::uint8_t>(c), copy.kernel, copy.pages};
    for (std::uint16_t pg = 0; pg < site.pages; ++pg) {
      site.page = pg;
      site.locality = copy.touched.count(pg) ? 6 : 1;
      offer_all(GenScope::copy_page, site);
    }
    offer_all(GenScope::copy, GenSite{m, static_cast<std::uint8_t>(c), copy.kernel, copy.pages});
  }
  if (!m.world.default_pager) return out;
  for (std::uint8_t k = 0; k < kernels; ++k) offer_all(GenScope::kernel, GenSite{m, 0, k});
  for (std::size_t t = 0; t < m.temporaries.size(); ++t) {
    const TemporaryState& temp = m.temporaries[t];
    GenSite site{m, static_cast<std::uint8_t>(t), temp.kernel,
                 static_cast<std::uint16_t>(m.world.pages(temp.kernel))};
    for (std::uint16_t pg = 0; pg < site.pages; ++pg) {
      site.page = pg;
      site.locality = temp.touched.count(pg) ? 6 : 1;
      offer_all(GenScope::temporary_page, site);
    }
  }
  // Whole-object commands of temporary objects come after every page
  // command, so that the page commands are offered as they were before.
  for (std::size_t t = 0; t < m.temporaries.size(); ++t)
    offer_all(GenScope::temporary,
              GenSite{m, static_cast<std::uint8_t>(t), m.temporaries[t].kernel});
  return out;
}

namespace {

struct NoSut {};

struct KernelCommand final : rc::state::Command<CaseModel, NoSut> {
  properties::Command command;
  explicit KernelCommand(properties::Command c) : command(c) {}
  void checkPreconditions(const CaseModel& m) const override { RC_PRE(enabled(m, command)); }
  void apply(CaseModel& m) const override { properties::apply(m, command); }
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

}  // namespace emmi::properties
