// SPDX-License-Identifier: MIT
// The inductive proofs of the model's invariants, one function per proof,
// and the list `emmi-cts prove` runs. Each proof names the rule IDs of
// emmi-rules.md it establishes; proved_rules() is their union, which the
// catalogue test cross-checks against the rules marked "SMT proof".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "emmi/smt/encoding.h"
#include "emmi/smt/prove.h"

namespace emmi::smt {

struct ProofOptions {
  Bounds bounds{};
  Variant variant{};  // a deliberately broken transition, for tests
  // Resource limit of each Z3 check (deterministic, unlike a timeout). The
  // proofs use well under a tenth of it on the default bounds.
  std::uint64_t rlimit = 200'000'000;
  // The wrap-around assumption of the seqno proof (see prove_seqnos).
  bool bounded_incarnation = true;
};

// SQ1 SQ5 SQ6: per receive right, dequeued seqnos are 0, 1, 2, ... from the
// moment the right enters the pager task: each equals the model's counter,
// the counter moves by exactly one, and restarts at 0 when a receive right
// moves in. Strictly increasing needs fewer than 2^32 - 1 dequeues per
// incarnation of the right (options.bounded_incarnation); without it the
// 32-bit counter wraps and the proof fails at 0xffffffff.
ProofResult prove_seqnos(const ProofOptions& options = {});

// IN1 TM8: at most one live init per (object, kernel); the kernel sends
// nothing but a new init after terminate; the pager receives an init only
// after the previous incarnation's terminate, and every other message of the
// pair inside a live incarnation.
ProofResult prove_init_terminate_order(const ProofOptions& options = {});

// V1: with a conforming pager no user-reference count goes below zero: no
// release of a reference the pager does not hold, whether by the pager or by
// mach_msg_server destroying a failed request.
ProofResult prove_urefs_never_negative(const ProofOptions& options = {});

// TM4 TM5 V6: once a conforming pager has finished handling terminate it
// holds no right (receive or send) to that incarnation's control and name.
ProofResult prove_terminate_releases_rights(const ProofOptions& options = {});

// RD1: no data_request (or data_unlock) is sent for an incarnation before the
// pager made that incarnation ready, and none reaches the pager otherwise.
ProofResult prove_no_request_before_ready(const ProofOptions& options = {});

struct ProofEntry {
  std::string_view id;                      // stable name, e.g. "seqnos" (test and CLI name)
  std::span<const std::string_view> rules;  // what the proof establishes
  ProofResult (*run)(const ProofOptions&);
};

std::span<const ProofEntry> proofs();

// Every rule ID some proof establishes, sorted, without duplicates.
std::span<const std::string_view> proved_rules();

}  // namespace emmi::smt
