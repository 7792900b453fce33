// SPDX-License-Identifier: MIT
// The body of a case's child; see child_main.h.
#include "child_main.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "case_record.h"
#include "emmi/mach/kernel.h"
#include "emmi/mach/kernel_driver.h"
#include "emmi/mach/scheduler.h"
#include "emmi/mach/stamp.h"
#include "emmi/mach/withdrawn.h"
#include "emmi/pager_abi.h"
#include "kernel_actions.h"
#include "recorder.h"
#include "schedule.h"

namespace emmi::engine {

namespace {

// Appends to a fixed buffer without allocating (a fault handler's text).
struct NoteText {
  char* at;
  char* end;
  NoteText& put(std::string_view s) {
    for (char c : s) {
      if (at + 1 >= end) break;
      *at++ = c;
    }
    *at = 0;
    return *this;
  }
  NoteText& hex(std::uint64_t v) {
    char digits[19] = "0x";
    int n = 0;
    char rev[16];
    do {
      rev[n++] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    } while (v != 0);
    for (int i = 0; i < n; ++i) digits[2 + i] = rev[n - 1 - i];
    digits[2 + n] = 0;
    return put(digits);
  }
  NoteText& dec(std::int64_t v) {
    char digits[21];
    char* first = digits + sizeof digits;
    // In unsigned arithmetic, so the most negative value has a magnitude.
    std::uint64_t m = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    do {
      *--first = static_cast<char>('0' + m % 10);
      m /= 10;
    } while (m != 0);
    if (v < 0) *--first = '-';
    return put(std::string_view(first, static_cast<std::size_t>(digits + sizeof digits - first)));
  }
};

// The fault handler's describer (isolation.h): an address of pages a
// message of the pager's took out of its space (SU10 for a supply's data;
// emmi/mach/withdrawn.h). Async-signal-safe.
bool describe_withdrawn(std::uint64_t address, FaultNote& note) noexcept {
  mach::WithdrawnPages w;
  if (!mach::withdrawn_pages_at(static_cast<std::uintptr_t>(address), &w)) return false;
  describe_withdrawn_pages(w, address, note);
  return true;
}

}  // namespace

void describe_withdrawn_pages(const mach::WithdrawnPages& w, std::uint64_t address,
                              FaultNote& note) noexcept {
  std::memcpy(note.rule, w.rule, std::min(sizeof note.rule, sizeof w.rule));
  // Offsets, not addresses: addresses vary from run to run, and a replay
  // must give the same explanation.
  NoteText t{note.text, note.text + sizeof note.text};
  t.put("byte ").hex(address - w.start).put(" of the ").hex(w.end - w.start);
  t.put(" bytes of pages it had sent with deallocate TRUE in ");
  // A control call by the model's name of it (a switch over string
  // literals), any other message by its id.
  if (w.has_offset)
    t.put(model::to_string(w.call))
        .put(" (offset ")
        .hex(w.offset)
        .put(" size ")
        .hex(w.size)
        .put(")");
  else
    t.put("message id ").dec(w.msg_id);
  t.put(", which left its address space with the message");
}

int child_main(RecordWriter& out, const PagerLibrary& lib, const Profile& profile,
               const CaseSpec& spec, const CaseOptions& options) {
  // A default pager without the ordinary role offers no objects of its own.
  const World world = world_for(lib, profile.world);
  shorten_timer_slack();
  // A touch of pages a message took away faults: the crash names it (SU10).
  set_fault_describer(&describe_withdrawn);
  mach::Kernel kernel;
  Recorder recorder(out, model::WorldConfig{world.object_slots(), world.object_size,
                                            readings_of(world.platform)});
  kernel.set_observer(&recorder);
  mach::KernelDriver driver(kernel);
  // From here the pager's threads run one at a time under the case's
  // schedule; this thread is the suite's command thread.
  mach::ControlledScheduling sched(kernel, schedule_options(profile, spec));
  recorder.set_scheduler(&sched);
  bool stopping = false;
  sched.on_stall([&](const std::string& why) {
    if (stopping)
      recorder.after_stop(why);
    else
      recorder.stuck(why);
    recorder.write_coverage();
    out.write(encode_record(record::Done{}));
    std::_Exit(0);
  });
  // Once the case runs free it may never end: the parent learns now that
  // it is uncontrolled, so a case killed at its time limit is unresolved.
  sched.on_run_free([&] { out.write(encode_record(schedule_record(sched))); });

  std::vector<model::KernelId> kernels;
  for (auto page_size : world.kernel_page_sizes)
    kernels.push_back(
        driver.attach(page_size, world.osf ? model::Dialect::osf : model::Dialect::gnumach));

  // The default-pager role: the pager's task gets the host-priv port from
  // get_privileged_ports, as a default pager booting does (pager_abi.h).
  if (lib.default_role()) kernel.set_pager_privileged(true);
  std::vector<emmi_pager_object> offered(world.objects);
  emmi_pager_config config{};
  // A pager built for an older version of the entry ABI is spoken to in
  // its own version.
  config.abi_version = std::min<std::uint32_t>(lib.pager->abi_version, EMMI_PAGER_ABI_VERSION);
  config.dialect = world.osf ? EMMI_DIALECT_OSF : EMMI_DIALECT_GNUMACH;
  config.object_count = world.objects;
  config.object_size = world.object_size;
  config.options = options.pager_options.empty() ? nullptr : options.pager_options.c_str();
  kern_return_t kr;
  {
    mach::Kernel::ExternalPagerCall as_pager(kernel);
    mach::ControlledScheduling::PagerCode pager_code(sched);
    kr = lib.pager->start(&config, offered.data());
  }
  if (kr != KERN_SUCCESS) {
    out.write(encode_record(record::SetupFailed{fmt::format("pager start() returned 0x{:x}", kr)}));
    return 0;
  }
  if (lib.default_role() && !kernel.has_default_manager()) {
    out.write(encode_record(record::SetupFailed{fmt::format(
        "the pager declares the default-pager role ({} has EMMI_PAGER_ROLE_DEFAULT), but its "
        "start() registered no default memory manager: it must call "
        "vm_set_default_memory_manager with the host-priv port from get_privileged_ports and a "
        "receive right it serves (emmi/pager_abi.h)",
        EMMI_PAGER_ROLES_SYMBOL)}));
    return 0;
  }
  std::vector<model::ObjectId> objects;
  for (std::uint32_t i = 0; i < world.objects; ++i) {
    auto id = driver.adopt(offered[i].port, offered[i].disposition, world.object_size);
    if (id == 0) {
      out.write(encode_record(record::SetupFailed{
          fmt::format("pager start() offered object {} as name 0x{:x} with disposition {}, from "
                      "which no send right can be taken",
                      i, offered[i].port, offered[i].disposition)}));
      return 0;
    }
    objects.push_back(id);
  }

  auto settled = [&](const std::string& after) { return settle(sched, recorder, profile, after); };
  SimulatedKernelActions cases(kernel, driver, world, kernels, objects);

  // The pager's own actions (entry ABI version 2): called like start(), as
  // pager code on this thread, the model told when each begins and ends;
  // after a sync or flush the store is read at once (it must already hold
  // what the kernel returned, RT5).
  // One of the pager's store reads, as pager code: the stamps of the range's
  // 4 KiB blocks, or nothing when the read failed.
  auto read_blocks_with = [&](emmi_pager_read_backing_store_fn read, model::ObjectId object,
                              std::uint64_t offset,
                              std::uint64_t length) -> std::optional<std::vector<model::Stamp>> {
    std::vector<std::uint8_t> bytes(length, 0);
    kern_return_t r;
    {
      mach::Kernel::ExternalPagerCall as_pager(kernel);
      mach::ControlledScheduling::PagerCode pager_code(sched);
      r = read(object, offset, bytes.data(), length);
    }
    if (r != KERN_SUCCESS) return std::nullopt;
    return mach::read_blocks(bytes.data(), bytes.size());
  };
  auto read_store = [&](model::ObjectId object, std::uint64_t offset, std::uint64_t length,
                        bool after_action) {
    if ((world.pager_actions & kPagerReadStore) == 0 || length == 0) return;
    if (auto stamps = read_blocks_with(lib.pager->read_store, object, offset, length))
      recorder.store_read(object, offset, *stamps, after_action);
  };
  // The instant a pager thread sent an accepted synchronize_completed, every
  // other thread standing still (emmi_pager_read_backing_store,
  // emmi/pager_abi.h): what the synchronize covered must be queued or
  // stored (SY8, read_store) and, if it was SYNCHRONOUS, on backing storage
  // (SY6). A read that had to wait for a pager thread saw a later instant:
  // not judged.
  if (world.osf && (world.pager_actions & kPagerReadBackingStore) != 0) {
    sched.on_snapshot([&] {
      const auto due = recorder.store_due_at_completion();
      if (!due || due->length == 0) return;
      std::optional<std::vector<model::Stamp>> supply, backing;
      const bool want_supply = (world.pager_actions & kPagerReadStore) != 0;
      if (want_supply)
        supply = read_blocks_with(lib.pager->read_store, due->object, due->offset, due->length);
      if (due->synchronous && sched.snapshot_intact())
        backing = read_blocks_with(lib.read_backing_store, due->object, due->offset, due->length);
      const bool intact = sched.snapshot_intact();
      // A look that waited is no judgement, but the report says it happened.
      model::StoreViews waited;
      waited.supply = want_supply && !intact;
      waited.backing = due->synchronous && !intact;
      recorder.store_at_completion(intact && supply ? &*supply : nullptr,
                                   intact && backing ? &*backing : nullptr, waited);
    });
  }
  cases.set_pager_action_hook([&](const model::PagerAction& a) {
    const emmi_pager& p = *lib.pager;
    using K = model::PagerActionKind;
    const std::uint32_t need = a.kind == K::sync                ? kPagerSync
                               : a.kind == K::flush             ? kPagerFlush
                               : a.kind == K::change_attributes ? kPagerChangeAttributes
                                                                : kPagerShutdown;
    if ((world.pager_actions & need) == 0) return;
    recorder.action_begun(a);
    kern_return_t r = KERN_FAILURE;
    {
      mach::Kernel::ExternalPagerCall as_pager(kernel);
      mach::ControlledScheduling::PagerCode pager_code(sched);
      switch (a.kind) {
        case K::sync: r = p.sync(a.object, a.offset, a.length); break;
        case K::flush: r = p.flush(a.object, a.offset, a.length); break;
        case K::change_attributes:
          r = p.change_attributes(a.object, a.may_cache ? 1 : 0, a.copy_strategy);
          break;
        case K::shutdown: r = p.shutdown(a.object); break;
      }
    }
    recorder.action_ended(r);
    if (r == KERN_SUCCESS && (a.kind == K::sync || a.kind == K::flush))
      read_store(a.object, a.offset, a.length, true);
  });
  bool progressing = settled("after start()");
  for (std::size_t i = 0; progressing && i < spec.commands.size(); ++i) {
    out.write(encode_record(record::CommandBegun{i}));
    cases.execute(spec.commands[i]);
    progressing = settled(fmt::format("after command {} ({})", i + 1, describe(spec.commands[i])));
    if (!progressing) break;
    cases.collect_answers([&](const model::DefaultPagerAnswer& a) { recorder.answered(a); });
    out.write(encode_record(record::CommandCompleted{i}));
  }
  // What the pager made its objects ready with: the probe case's answer.
  std::uint64_t copy_call_objects = 0;
  for (model::KernelId k : kernels)
    for (model::ObjectId o : objects)
      if (auto a = driver.attributes(k, o); a && a->copy_strategy == MEMORY_OBJECT_COPY_CALL)
        ++copy_call_objects;
  if (progressing) {
    // The mapping client goes away: it lets go of its send right to every
    // object. A pager that asked for no-senders on an object no kernel maps
    // any more gets the notification now, while it is still judged (V5; the
    // notification takes a seqno like any message, SQ6).
    driver.release_objects();
    progressing = settled("after the mapping client let go of the objects");
  }
  if (progressing) {
    cases.collect_answers([&](const model::DefaultPagerAnswer& a) { recorder.answered(a); }, true);
    // The store at quiescence: every block holds what the kernel last
    // returned for it (RT5).
    for (std::uint32_t i = 0; i < world.objects; ++i) read_store(i, 0, world.object_size, false);
    recorder.finish(options, spec.schedule_seed, sched.threads());
    // The pager stops serving, as at the end of its life; only then is
    // what it still holds a leak.
    stopping = true;
    recorder.stopping();
    if (lib.pager->stop != nullptr) {
      mach::Kernel::ExternalPagerCall as_pager(kernel);
      mach::ControlledScheduling::PagerCode pager_code(sched);
      lib.pager->stop();
    }
    const mach::Settled after_stop = sched.settle(profile.quiescence_bound);
    if (after_stop == mach::Settled::busy)
      recorder.after_stop(
          fmt::format("the case ran uncontrolled ({}) and the pager's threads did "
                      "not settle within {} ms after it",
                      sched.uncontrolled_reason(), profile.quiescence_bound.count()));
    else if (after_stop == mach::Settled::unobservable)
      recorder.after_stop(sched.foreign_threads());
    else
      recorder.after_stop();
  }
  recorder.write_coverage();
  out.write(encode_record(schedule_record(sched)));
  out.write(encode_record(record::Done{copy_call_objects}));
  // Pager threads outlive the case (parked, or running if it went
  // uncontrolled): nothing they do may reach the recorder from here on.
  kernel.set_observer(nullptr);
  recorder.set_scheduler(nullptr);
  return 0;
}

}  // namespace emmi::engine
