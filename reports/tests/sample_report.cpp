// SPDX-License-Identifier: MIT
// Fixed result data; see sample_report.h.
#include "sample_report.h"

namespace emmi::reports::testing {

std::vector<TraceEvent> sample_trace() {
  // A kernel k0 init, two data_requests dequeued by different threads, the
  // second handled first: the supply answers the later request before the
  // earlier one although their seqnos say otherwise (SQ7).
  return {
      {0, "kernel k0", "pager t0", "memory_object_init", 0, "object:send control:send", ""},
      {1, "pager t0", "kernel k0", "memory_object_ready", std::nullopt, "control:send", ""},
      {2, "kernel k1", "pager t1", "memory_object_init", 1, "object:send control:send",
       "second kernel, own control port (IN8)"},
      {3, "pager t1", "kernel k1", "memory_object_ready", std::nullopt, "control:send", ""},
      {4, "kernel k0", "pager t1", "memory_object_data_request", 2, "control:send",
       "offset 0x0, 1 page, VM_PROT_READ"},
      {5, "kernel k0", "pager t2", "memory_object_data_request", 3, "control:send",
       "offset 0x0, 1 page, VM_PROT_WRITE"},
      {6, "pager t2", "kernel k0", "memory_object_data_supply", std::nullopt, "control:send",
       "answers seqno 3 before seqno 2 was handled"},
      {7, "pager t1", "pager t1", "handler_return", std::nullopt, "", "KERN_SUCCESS"},
      {8, "pager t1", "kernel k0", "memory_object_data_supply", std::nullopt, "control:send",
       "SQ7 violated: effects of seqno 2 after seqno 3"},
  };
}

RunReport sample_report() {
  RunReport r;
  r.suite = {"emmi-cts", "0.1.0"};
  r.pager = {"build/reference_impl/mutants/libemmi_mutant_seqno_reorder.so",
             "3f7a2c9d8e1b4a6f5c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170615243",
             "mutant-seqno-reorder"};
  r.dialect = "gnumach-seqnos";
  r.platform = "gnumach";
  r.profile = "standard";
  r.seed = 1234567890123ULL;
  r.parameters = {{"kernels", "2"},
                  {"objects", "2"},
                  {"pager_threads", "3"},
                  {"max_commands", "40"},
                  {"timeout_s", "10"}};
  r.machine = {"ci-runner-07", "Linux 6.1.0-18-amd64 x86_64", 2};
  r.conformance_mode = false;
  r.started_at = "2024-05-01T12:00:00Z";
  r.duration_s = 42.375;
  r.cases_run = 500;

  Counterexample sq7;
  sq7.commands = {"attach_kernel(k0, page_size=4096)",
                  "attach_kernel(k1, page_size=4096)",
                  "map(k0, object=0)",
                  "map(k1, object=0)",
                  "fault(k0, object=0, offset=0x0, access=READ)",
                  "fault(k0, object=0, offset=0x0, access=WRITE)"};
  sq7.seed = 1234567890123ULL;
  sq7.reproduce = "BAABAAAAAAAEAAAAAAAAAAAAQAAAAAAgAAAAAAAAAQAAAACAAAAAAA";
  sq7.replay_command =
      "emmi-cts run --pager build/reference_impl/mutants/libemmi_mutant_seqno_reorder.so "
      "--dialect gnumach-seqnos --profile standard --seed 1234567890123 --replay "
      "SQ7:BAABAAAAAAAEAAAAAAAAAAAAQAAAAAAgAAAAAAAAAQAAAACAAAAAAA";
  sq7.trace = sample_trace();

  Counterexample in9;
  in9.commands = {"attach_kernel(k0, page_size=4096)", "map(k0, object=1, init_reply=fail)"};
  in9.seed = 1234567890123ULL;
  in9.reproduce = "BAABAAAAAAAEAAAAAAAAAAAAQAAAAAAg";
  in9.replay_command =
      "emmi-cts run --pager build/reference_impl/mutants/libemmi_mutant_seqno_reorder.so "
      "--dialect gnumach-seqnos --profile standard --seed 1234567890123 --replay "
      "IN9:BAABAAAAAAAEAAAAAAAAAAAAQAAAAAAg";
  in9.trace = {
      {0, "kernel k0", "pager t0", "memory_object_init", 0, "object:send control:send",
       "handler returns KERN_INVALID_ARGUMENT"},
      {1, "pager t0", "kernel k0", "mach_port_deallocate", std::nullopt, "control:send",
       "pager released the control right mach_msg_server already released"},
  };

  Counterexample tm4;
  tm4.commands = {"attach_kernel(k0, page_size=4096)", "map(k0, object=0)", "unmap(k0, object=0)"};
  tm4.seed = 1234567890123ULL;
  tm4.reproduce = "BAABAAAAAAAEAAAAAAAAAAAAQA";
  tm4.replay_command =
      "emmi-cts run --pager build/reference_impl/mutants/libemmi_mutant_seqno_reorder.so "
      "--replay TM4:BAABAAAAAAAEAAAAAAAAAAAAQA";
  tm4.trace = {
      {0, "kernel k0", "pager t0", "memory_object_init", 0, "object:send control:send", ""},
      {1, "pager t0", "kernel k0", "memory_object_ready", std::nullopt, "control:send", ""},
      {2, "kernel k0", "pager t1", "memory_object_terminate", 1, "object:receive control:receive",
       ""},
      {3, "pager t1", "", "SIGSEGV", std::nullopt, "", "pager process died in terminate"},
  };

  r.rules = {
      {"IN2", "init", "After init the pager is ready to receive other requests", "MUST",
       Verdict::pass, 812, "", std::nullopt, std::nullopt},
      {"IN5", "init", "Data calls use whole pages of that kernel's page size", "MUST",
       Verdict::pass, 812, "", std::nullopt, std::nullopt},
      {"IN9", "init", "On an init error the pager neither keeps nor releases the control right",
       "MUST", Verdict::fail, 37,
       "pager deallocated control port 0x1f07 after init returned KERN_INVALID_ARGUMENT "
       "(urefs would go negative)",
       std::nullopt, in9},
      {"TM4", "terminate", "On terminate the pager drains and destroys the control port", "SHOULD",
       Verdict::crash, 120, "pager crashed (SIGSEGV) while handling terminate", std::nullopt, tm4},
      {"TM6", "terminate", "The pager cleans up per-kernel state on terminate", "SHOULD",
       Verdict::waived, 120, "re-init after terminate returned stale page 0x2000",
       Waiver{"known bug #41 in the object cache; fix scheduled", "2099-12-31"}, std::nullopt},
      {"DR3", "data_request", "The pager answers data_request covering the requested range", "MUST",
       Verdict::pass, 2403, "", std::nullopt, std::nullopt},
      {"DR5", "data_request", "The pager may answer data_unavailable", "MAY",
       Verdict::not_applicable, 0, "the pager never chose data_unavailable in this run",
       std::nullopt, std::nullopt},
      {"SU1", "data_supply", "The pager supplies only data the kernel requested", "MUST",
       Verdict::timeout, 14, "data_request seqno 17 on object 1 unanswered 10 s after quiescence",
       std::nullopt, std::nullopt},
      {"SU10", "data_supply", "With deallocate TRUE the pages leave the pager's space", "MUST",
       Verdict::resource_exhausted, 3, "pager exceeded RLIMIT_AS (512 MiB) during data_supply",
       std::nullopt, std::nullopt},
      {"SQ6", "seqno", "Every dequeue uses one seqno, whether or not the pager reads it", "MUST",
       Verdict::pass, 1620, "", std::nullopt, std::nullopt},
      {"SQ7", "seqno", "A multi-threaded pager restores message order from seqnos", "MUST",
       Verdict::fail, 1620,
       "data_supply for seqno 2 took effect after seqno 3 on object port 0x1e03", std::nullopt,
       sq7},
      {"PR7", "rights", "mach_port_deallocate drops exactly one user reference", "MUST",
       Verdict::unresolved, 2, "simulated kernel lost track of port 0x2a11 (suite bug)",
       std::nullopt, std::nullopt},
      {"PR8", "rights", "Out-of-line memory received is vm_deallocated", "MUST", Verdict::pass, 640,
       "", std::nullopt, std::nullopt},
      // A SHOULD rule broken: an advisory finding, the run does not fail for it.
      {"V6", "rights", "After terminate the pager releases its control and name references",
       "SHOULD", Verdict::fail, 120, "the pager still holds 1 send reference to control 0x1f07",
       std::nullopt, std::nullopt},
      // Duties of the kernel, after the pager's rules: self-checks of the
      // suite, kept (IN3, SQ5) and broken by the suite's own kernel (RT1).
      {"IN3", "init", "init gives the pager a send right to the control port", "MUST",
       Verdict::pass, 812, "self-check: the suite's simulated kernel kept this duty", std::nullopt,
       std::nullopt, Party::kernel},
      {"SQ5", "seqno", "Seqnos start at zero and reset when the receive right moves", "MUST",
       Verdict::pass, 1620, "", std::nullopt, std::nullopt, Party::kernel},
      {"RT1", "data_return", "The kernel returns only pages it holds", "MUST", Verdict::unresolved,
       55,
       "suite bug: the simulated kernel returned page 0x3000 it does "
       "not hold",
       std::nullopt, std::nullopt, Party::kernel},
  };
  return r;
}

RunReport conformant_report() {
  RunReport r = sample_report();
  r.pager = {"build/reference_impl/libemmi_refpager.so",
             "0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "emmi-refpager"};
  for (RuleResult& rule : r.rules) {
    rule.counterexample.reset();
    rule.waiver.reset();
    if (rule.verdict != Verdict::not_applicable) {
      rule.verdict = Verdict::pass;
      rule.message.clear();
    }
  }
  return r;
}

}  // namespace emmi::reports::testing
