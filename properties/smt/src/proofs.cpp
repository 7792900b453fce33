// SPDX-License-Identifier: MIT
// The proofs. Each function sets up a context and the encoding, states the
// invariant (and the auxiliary conjuncts that make it inductive) in the
// protocol's terms, and calls prove(). Conjuncts quantify over the bounded
// world by enumeration, so every query stays quantifier-free (QF_BV).
#include "emmi/smt/proofs.h"

#include <algorithm>
#include <array>
#include <functional>

namespace emmi::smt {
namespace {

using StateFn = std::function<z3::expr(unsigned)>;

z3::expr all(z3::context& c, unsigned n, const StateFn& f) {
  z3::expr_vector v(c);
  for (unsigned i = 0; i < n; ++i) v.push_back(f(i));
  return z3::mk_and(v);
}
z3::expr some(z3::context& c, unsigned n, const StateFn& f) {
  z3::expr_vector v(c);
  for (unsigned i = 0; i < n; ++i) v.push_back(f(i));
  return z3::mk_or(v);
}

// Shorthands over one encoding.
class Terms {
 public:
  explicit Terms(const Encoding& enc) : enc_(enc), c_(enc.ctx()), b_(enc.bounds()) {}

  z3::context& ctx() const { return c_; }
  const Bounds& b() const { return b_; }
  z3::expr bv(std::uint64_t v, unsigned w) const { return c_.bv_val(v, w); }
  z3::expr is(const z3::expr& t, unsigned code) const { return enc_.is(t, code); }
  z3::expr life(const State& s, unsigned p, Life l) const { return is(s(F::lc, p), unsigned(l)); }
  z3::expr live(const State& s, unsigned p) const {
    return life(s, p, Life::initialised) || life(s, p, Life::ready);
  }
  z3::expr slot(const z3::expr& t, unsigned s) const {
    return t == bv(s, enc_.layout().name_bits());
  }
  z3::expr pair_is(const z3::expr& t, unsigned p) const {
    return t == bv(p, enc_.layout().pair_bits());
  }
  z3::expr held(const State& s, unsigned n) const { return enc_.held(s, n); }

  // Message at position i of pair p's in-flight queue, and whether there is one.
  z3::expr kind_at(const State& s, unsigned p, unsigned i) const {
    return enc_.queued_kind(s, p, i);
  }
  z3::expr present(const State& s, unsigned p, unsigned i) const {
    return z3::ult(bv(i, enc_.layout().qlen_bits()), s(F::qlen, p));
  }
  z3::expr boundary(const z3::expr& k) const {  // init or terminate
    return is(k, unsigned(Msg::init)) || is(k, unsigned(Msg::terminate));
  }
  // Messages sent only to a ready pair (OSF: synchronize too).
  z3::expr request(const z3::expr& k) const {
    const z3::expr r = is(k, unsigned(Msg::data_request)) || is(k, unsigned(Msg::data_unlock)) ||
                       is(k, unsigned(Msg::data_return));
    return osf() ? r || is(k, unsigned(Msg::synchronize)) : r;
  }
  bool osf() const { return b_.osf_kernels != 0; }
  // a && b, or b when a is literally true (a GNU Mach-only world keeps its formulas).
  static z3::expr guard(const z3::expr& a, const z3::expr& b) { return a.is_true() ? b : a && b; }
  // The pair a thread's message is about carried a name port with its init
  // or terminate (not an OSF kernel's).
  z3::expr named_thread(const State& s, unsigned th) const {
    return enc_.named_pair_at(s(F::tpair, th));
  }
  const Encoding& enc() const { return enc_; }
  z3::expr nothing_in_flight_but_requests(const State& s, unsigned p) const {
    return all(c_, b_.queue_depth,
               [&](unsigned i) { return !(present(s, p, i) && boundary(kind_at(s, p, i))); });
  }

  // The pair's messages in flight read as a protocol word: starting from the
  // pager's view (live or not), an init comes only when not live, everything
  // else only when live, and the word ends in the kernel's view.
  z3::expr protocol_word(const State& s, unsigned p) const {
    z3::expr_vector v(c_);
    z3::expr now_live = s(F::plive, p);
    for (unsigned i = 0; i < b_.queue_depth; ++i) {
      const z3::expr k = kind_at(s, p, i), here = present(s, p, i);
      v.push_back(z3::implies(!here, is(k, unsigned(Msg::none))));
      v.push_back(
          z3::implies(here, z3::uge(k, bv(unsigned(Msg::init), kMsgBits)) &&
                                z3::ule(k, bv(unsigned(osf() ? Msg::synchronize : Msg::data_return),
                                              kMsgBits))));
      v.push_back(z3::implies(here && is(k, unsigned(Msg::init)), !now_live));
      v.push_back(z3::implies(here && !is(k, unsigned(Msg::init)), now_live));
      now_live = z3::ite(here && is(k, unsigned(Msg::init)), c_.bool_val(true),
                         z3::ite(here && is(k, unsigned(Msg::terminate)), c_.bool_val(false),
                                 now_live));
    }
    v.push_back(now_live == live(s, p));
    v.push_back(z3::implies(s(F::plive, p), s(F::named, p)));
    v.push_back(z3::ule(s(F::qlen, p), bv(b_.queue_depth, enc_.layout().qlen_bits())));
    return z3::mk_and(v);
  }

  // The event is a dequeue, from pair p's object port, of a message of kind m.
  z3::expr dequeued(const Event& e, unsigned p, Msg m) const {
    return is(e.kind, unsigned(Ev::dequeued)) && slot(e.port, p / b_.kernels) &&
           is(e.ker, p % b_.kernels) && is(e.msg, unsigned(m));
  }
  z3::expr sent(const Event& e, unsigned p, Msg m) const {
    return is(e.kind, unsigned(Ev::kernel_sent)) && is(e.obj, p / b_.kernels) &&
           is(e.ker, p % b_.kernels) && is(e.msg, unsigned(m));
  }
  // Field f of the name slot a term designates.
  z3::expr at(const State& s, F f, const z3::expr& slot_term) const {
    return enc_.at_name(s, f, slot_term);
  }

 private:
  const Encoding& enc_;
  z3::context& c_;
  const Bounds& b_;
};

constexpr std::string_view kSeqnoRules[] = {"SQ1", "SQ5", "SQ6"};
constexpr std::string_view kOrderRules[] = {"IN1", "TM8"};
constexpr std::string_view kUrefRules[] = {"V1"};
constexpr std::string_view kTerminateRules[] = {"TM4", "TM5", "V6"};
constexpr std::string_view kReadyRules[] = {"RD1"};

std::vector<std::string_view> list(std::span<const std::string_view> rules) {
  return {rules.begin(), rules.end()};
}

// The auxiliary conjunct most proofs need: what is in flight for each pair
// is consistent with the pager's and the kernel's view of its lifecycle.
void add_protocol_word(Induction& ind, const Terms& t) {
  ind.auxiliary(
      "the pair's messages in flight form a protocol word from the pager's view to the kernel's",
      [&t](const State& s) {
        return all(t.ctx(), t.b().pairs(), [&](unsigned p) { return t.protocol_word(s, p); });
      });
}

// Names the pager learnt for a live incarnation are two distinct names of
// the task, not object ports.
void add_live_names(Induction& ind, const Encoding& enc, const Terms& t) {
  ind.auxiliary(
      "live incarnations' controls and names are distinct names of the task that denote them",
      [&enc, &t](const State& s) {
        const Bounds& b = t.b();
        const unsigned nb = enc.layout().name_bits();
        return all(t.ctx(), b.pairs(), [&](unsigned p) {
          auto valid = [&](F f) {
            return z3::uge(s(f, p), t.bv(b.objects, nb)) && enc.below(s(f, p), b.names);
          };
          const z3::expr pair = t.bv(p, enc.layout().pair_bits());
          auto denotes = [&](F f, Role r) {
            return t.is(enc.at_name(s, F::role, s(f, p)), unsigned(r)) &&
                   enc.at_name(s, F::owner, s(f, p)) == pair;
          };
          // OSF: no name port; the pair's name slot repeats the control.
          const z3::expr own = enc.named_pair(p) ? valid(F::ctl) && valid(F::nam) &&
                                                       s(F::ctl, p) != s(F::nam, p) &&
                                                       denotes(F::ctl, Role::control) &&
                                                       denotes(F::nam, Role::name)
                                                 : valid(F::ctl) && s(F::nam, p) == s(F::ctl, p) &&
                                                       denotes(F::ctl, Role::control);
          // ... and no other live incarnation uses them.
          const z3::expr apart = all(t.ctx(), p, [&](unsigned q) {
            return z3::implies(s(F::plive, q),
                               s(F::ctl, p) != s(F::ctl, q) && s(F::ctl, p) != s(F::nam, q) &&
                                   s(F::nam, p) != s(F::ctl, q) && s(F::nam, p) != s(F::nam, q));
          });
          return z3::implies(s(F::plive, p), own && apart);
        });
      });
}

}  // namespace

// --- (a) seqnos ------------------------------------------------------------------

ProofResult prove_seqnos(const ProofOptions& options) {
  z3::context c;
  Encoding enc(c, options.bounds, options.variant);
  Terms t(enc);
  const Bounds& b = enc.bounds();
  const unsigned names = b.names;
  Induction ind(enc, "seqnos per receive right are gap-free and increasing", list(kSeqnoRules));
  ind.bounded_incarnation(options.bounded_incarnation);

  ind.invariant("the model's counter is the kernel's seqno for every receive right the pager holds",
                [&](const State& s) {
                  return all(c, names, [&](unsigned n) {
                    return z3::implies(s(F::recv, n), s(F::ctr, n) == s(F::kctr, n));
                  });
                });
  ind.invariant("a receive right with no dequeue since it entered the task is at 0 (SQ5)",
                [&](const State& s) {
                  return all(c, names, [&](unsigned n) {
                    return z3::implies(s(F::recv, n) && !s(F::has_last, n), t.is(s(F::ctr, n), 0));
                  });
                });
  ind.invariant("the counter is the last dequeued seqno plus one (gap-free, SQ6)",
                [&](const State& s) {
                  return all(c, names, [&](unsigned n) {
                    return z3::implies(s(F::recv, n) && s(F::has_last, n),
                                       s(F::ctr, n) == s(F::last, n) + t.bv(1, kSeqnoBits));
                  });
                });
  ind.invariant("the counter is above the last dequeued seqno (increasing; no 32-bit wrap)",
                [&](const State& s) {
                  return all(c, names, [&](unsigned n) {
                    return z3::implies(s(F::recv, n) && s(F::has_last, n),
                                       z3::ult(s(F::last, n), s(F::ctr, n)));
                  });
                });
  // Needed because GNU Mach does not reset the seqno of the control and name
  // ports when terminate moves them out of the kernel: they arrive at 0 only
  // because nothing was ever dequeued from them while the kernel held them.
  ind.auxiliary("the live incarnation's control and name ports are kernel-held and have seqno 0",
                [&](const State& s) {
                  return all(c, b.pairs(), [&](unsigned p) {
                    return all(c, names, [&](unsigned n) {
                      const z3::expr current = s(F::plive, p) && s(F::named, p) &&
                                               (t.slot(s(F::ctl, p), n) || t.slot(s(F::nam, p), n));
                      return z3::implies(current, !s(F::recv, n) && t.is(s(F::kctr, n), 0));
                    });
                  });
                });
  add_protocol_word(ind, t);

  add_live_names(ind, enc, t);

  ind.obligation("a dequeue carries the model's expected seqno: no SQ1/SQ2/SQ5/SQ6 verdict",
                 [&](const State&, const Event&, const Step& st) {
                   return !st.verdicts.any(c, "SQ1") && !st.verdicts.any(c, "SQ2") &&
                          !st.verdicts.any(c, "SQ5") && !st.verdicts.any(c, "SQ6");
                 });
  ind.obligation(
      "the first dequeue after a right enters is 0, each next one is the previous plus one",
      [&](const State& pre, const Event& e, const Step&) {
        const z3::expr deq = t.is(e.kind, unsigned(Ev::dequeued));
        return all(c, names, [&](unsigned n) {
          const z3::expr here = deq && t.slot(e.port, n);
          return z3::implies(here, z3::ite(pre(F::has_last, n),
                                           e.seqno == pre(F::last, n) + t.bv(1, kSeqnoBits),
                                           t.is(e.seqno, 0)));
        });
      });
  ind.obligation("each dequeued seqno is above the previous one on that right",
                 [&](const State& pre, const Event& e, const Step&) {
                   const z3::expr deq = t.is(e.kind, unsigned(Ev::dequeued));
                   return all(c, names, [&](unsigned n) {
                     return z3::implies(deq && t.slot(e.port, n) && pre(F::has_last, n),
                                        z3::ugt(e.seqno, pre(F::last, n)));
                   });
                 });
  return ind.prove(options.rlimit);
}

// --- (b) init / terminate order -------------------------------------------------

ProofResult prove_init_terminate_order(const ProofOptions& options) {
  z3::context c;
  Encoding enc(c, options.bounds, options.variant);
  Terms t(enc);
  const Bounds& b = enc.bounds();
  Induction ind(enc, "one live init per (object, kernel); terminate precedes the next init",
                list(kOrderRules));

  ind.invariant("the lifecycle is one of its five states", [&](const State& s) {
    return all(c, b.pairs(), [&](unsigned p) {
      return z3::ule(s(F::lc, p), t.bv(unsigned(Life::terminated), kLifeBits));
    });
  });
  ind.invariant("at most one live init per pair, and one exactly while initialised or ready",
                [&](const State& s) {
                  return all(c, b.pairs(), [&](unsigned p) {
                    return z3::ule(s(F::linit, p), t.bv(1, 2)) &&
                           (t.is(s(F::linit, p), 1) == t.live(s, p));
                  });
                });
  add_protocol_word(ind, t);

  ind.obligation(
      "the kernel sends no second init and nothing after terminate but an init (no IN1/TM8 "
      "verdict)",
      [&](const State&, const Event&, const Step& st) {
        return !st.verdicts.any(c, "IN1", "kernel") && !st.verdicts.any(c, "TM8", "kernel");
      });
  ind.obligation("the pager receives an init only after the previous incarnation's terminate",
                 [&](const State& pre, const Event& e, const Step&) {
                   return all(c, b.pairs(), [&](unsigned p) {
                     return z3::implies(t.dequeued(e, p, Msg::init), !pre(F::plive, p));
                   });
                 });
  ind.obligation("the pager receives terminate and requests only inside a live incarnation",
                 [&](const State& pre, const Event& e, const Step&) {
                   return all(c, b.pairs(), [&](unsigned p) {
                     z3::expr inside = t.dequeued(e, p, Msg::terminate) ||
                                       t.dequeued(e, p, Msg::data_request) ||
                                       t.dequeued(e, p, Msg::data_unlock) ||
                                       t.dequeued(e, p, Msg::data_return);
                     if (t.osf()) inside = inside || t.dequeued(e, p, Msg::synchronize);
                     return z3::implies(inside, pre(F::plive, p));
                   });
                 });
  return ind.prove(options.rlimit);
}

// --- (c) user references ----------------------------------------------------------

ProofResult prove_urefs_never_negative(const ProofOptions& options) {
  z3::context c;
  Encoding enc(c, options.bounds, options.variant);
  Terms t(enc);
  const Bounds& b = enc.bounds();
  Induction ind(enc, "no user-reference count goes below zero (conforming pager)",
                list(kUrefRules));
  ind.pager_conforms();

  // The references an unfinished init or request carried belong to
  // mach_msg_server until the handler succeeds; the pager's count (send and
  // dead-name references, 17 bits so the sum cannot wrap) must cover them.
  const unsigned w = kUrefBits + 1;
  auto carries_control = [&](const State& s, unsigned th) {
    const z3::expr k = s(F::tkind, th);
    return t.is(k, unsigned(Msg::init)) || t.request(k);
  };
  auto borrowed = [&](const State& s, unsigned n) {
    z3::expr sum = t.bv(0, w);
    for (unsigned th = 0; th < b.threads; ++th) {
      const z3::expr lent = s(F::busy, th) && !s(F::committed, th);
      sum = sum +
            z3::ite(lent && carries_control(s, th) && t.slot(s(F::tc, th), n), t.bv(1, w),
                    t.bv(0, w)) +
            z3::ite(Terms::guard(t.named_thread(s, th),
                                 lent && t.is(s(F::tkind, th), unsigned(Msg::init)) &&
                                     t.slot(s(F::tn, th), n)),
                    t.bv(1, w), t.bv(0, w));
    }
    return sum;
  };
  ind.invariant("every name holds at least the send references unfinished messages carried to it",
                [&](const State& s) {
                  return all(c, b.names, [&](unsigned n) {
                    return z3::uge(z3::zext(s(F::snd, n), 1) + z3::zext(s(F::dead, n), 1),
                                   borrowed(s, n));
                  });
                });
  ind.auxiliary(
      "an unfinished message carried rights under names of the task, two distinct ones for init",
      [&](const State& s) {
        const unsigned nb = enc.layout().name_bits();
        return all(c, b.threads, [&](unsigned th) {
          auto valid = [&](F f) {
            return z3::uge(s(f, th), t.bv(b.objects, nb)) && enc.below(s(f, th), b.names);
          };
          const z3::expr busy = s(F::busy, th);
          return z3::implies(busy && carries_control(s, th), valid(F::tc)) &&
                 z3::implies(Terms::guard(t.named_thread(s, th),
                                          busy && t.is(s(F::tkind, th), unsigned(Msg::init))),
                             valid(F::tn) && s(F::tc, th) != s(F::tn, th));
        });
      });
  add_protocol_word(ind, t);
  add_live_names(ind, enc, t);
  ind.auxiliary("a name's send and dead-name references fit Mach's one 16-bit count",
                [&](const State& s) {
                  return all(c, b.names, [&](unsigned n) {
                    return z3::ule(z3::zext(s(F::snd, n), 1) + z3::zext(s(F::dead, n), 1),
                                   t.bv(kUrefsMax, w));
                  });
                });
  // Send references under an object port's name are whatever start() left
  // (ObjectOffered's disposition); no event of the vocabulary changes them.
  ind.auxiliary("object ports carry no dead-name references in the pager task",
                [&](const State& s) {
                  return all(c, b.objects, [&](unsigned n) { return t.is(s(F::dead, n), 0); });
                });

  ind.obligation("no release of a reference the pager does not hold: no V1/V3 verdict",
                 [&](const State&, const Event&, const Step& st) {
                   return !st.verdicts.any(c, "V1") && !st.verdicts.any(c, "V3");
                 });
  return ind.prove(options.rlimit);
}

// --- (d) rights after terminate -----------------------------------------------------

ProofResult prove_terminate_releases_rights(const ProofOptions& options) {
  z3::context c;
  Encoding enc(c, options.bounds, options.variant);
  Terms t(enc);
  const Bounds& b = enc.bounds();
  Induction ind(enc,
                "after handling terminate the pager holds no right to that control and name "
                "(conforming pager)",
                list(kTerminateRules));
  ind.pager_conforms();

  // A held name that denotes some pair's control (or name) port is the live
  // incarnation's, or belongs to a terminate a thread is still handling.
  auto accounted = [&](const State& s, unsigned n, Role role, F pair_field, F thread_field) {
    return all(c, b.pairs(), [&](unsigned p) {
      const z3::expr denotes = t.held(s, n) && t.is(s(F::role, n), unsigned(role)) &&
                               t.pair_is(s(F::owner, n), p);
      const z3::expr live = s(F::plive, p) && s(F::named, p) && t.slot(s(pair_field, p), n);
      const z3::expr handling = some(c, b.threads, [&](unsigned th) {
        return s(F::busy, th) && t.is(s(F::tkind, th), unsigned(Msg::terminate)) &&
               t.pair_is(s(F::tpair, th), p) && t.slot(s(thread_field, th), n);
      });
      return z3::implies(denotes, live || handling);
    });
  };
  ind.invariant("no right to a control port of an incarnation whose terminate was handled",
                [&](const State& s) {
                  return all(c, b.names, [&](unsigned n) {
                    return accounted(s, n, Role::control, F::ctl, F::tc);
                  });
                });
  ind.invariant("no right to a name port of an incarnation whose terminate was handled",
                [&](const State& s) {
                  return all(c, b.names, [&](unsigned n) {
                    return accounted(s, n, Role::name, F::nam, F::tn);
                  });
                });
  add_protocol_word(ind, t);
  ind.auxiliary(
      "a terminate being handled carried two distinct names of the task (OSF: the control's alone)",
      [&](const State& s) {
        return all(c, b.threads, [&](unsigned th) {
          const z3::expr term = s(F::busy, th) && t.is(s(F::tkind, th), unsigned(Msg::terminate));
          const z3::expr control = enc.below(s(F::tc, th), b.names) &&
                                   z3::uge(s(F::tc, th), t.bv(b.objects, enc.layout().name_bits()));
          const z3::expr both = s(F::tc, th) != s(F::tn, th) && control &&
                                enc.below(s(F::tn, th), b.names) &&
                                z3::uge(s(F::tn, th), t.bv(b.objects, enc.layout().name_bits()));
          const z3::expr named = t.named_thread(s, th);
          return named.is_true() ? z3::implies(term, both)
                                 : z3::implies(term, z3::ite(named, both, control));
        });
      });
  if (t.osf())
    ind.auxiliary("no name denotes a name port of an OSF pair", [&](const State& s) {
      return all(c, b.names, [&](unsigned n) {
        return all(c, b.pairs(), [&](unsigned p) {
          return enc.named_pair(p)
                     ? c.bool_val(true)
                     : !(t.is(s(F::role, n), unsigned(Role::name)) && t.pair_is(s(F::owner, n), p));
        });
      });
    });
  add_live_names(ind, enc, t);
  ind.auxiliary("object ports denote no control or name port", [&](const State& s) {
    return all(c, b.objects,
               [&](unsigned n) { return t.is(s(F::role, n), unsigned(Role::other)); });
  });

  ind.obligation("a terminate handler returns only when the control and name rights are gone",
                 [&](const State& pre, const Event& e, const Step& st) {
                   const z3::expr ret = t.is(e.kind, unsigned(Ev::handler_returned));
                   return all(c, b.threads, [&](unsigned th) {
                     const z3::expr mine = ret &&
                                           e.thread == t.bv(th, enc.layout().thread_bits()) &&
                                           pre(F::busy, th) &&
                                           t.is(pre(F::tkind, th), unsigned(Msg::terminate));
                     const z3::expr gone = !enc.held_at(st.post, pre(F::tc, th)) &&
                                           z3::implies(t.named_thread(pre, th),
                                                       !enc.held_at(st.post, pre(F::tn, th)));
                     return z3::implies(mine, gone);
                   });
                 });
  return ind.prove(options.rlimit);
}

// --- (e) readiness ---------------------------------------------------------------------

ProofResult prove_no_request_before_ready(const ProofOptions& options) {
  z3::context c;
  Encoding enc(c, options.bounds, options.variant);
  Terms t(enc);
  const Bounds& b = enc.bounds();
  Induction ind(enc, "no data_request before the pager made that incarnation ready",
                list(kReadyRules));

  ind.invariant("a ready pair is the pager's current incarnation, made ready by the pager",
                [&](const State& s) {
                  return all(c, b.pairs(), [&](unsigned p) {
                    return z3::implies(t.life(s, p, Life::ready),
                                       s(F::plive, p) && s(F::pready, p) &&
                                           t.nothing_in_flight_but_requests(s, p));
                  });
                });
  // (Resident pages need not: GNU Mach accepts an unsolicited supply before
  // ready, and the model records it; SU1 judges it.)
  ind.invariant("outstanding requests belong to a ready pair", [&](const State& s) {
    return all(c, b.pairs(), [&](unsigned p) {
      return all(c, b.pages, [&](unsigned pg) {
        return z3::implies(s(F::req, p, pg), t.life(s, p, Life::ready));
      });
    });
  });
  ind.invariant(
      "requests in flight precede any init or terminate, and the pager made their incarnation "
      "ready",
      [&](const State& s) {
        return all(c, b.pairs(), [&](unsigned p) {
          return all(c, b.queue_depth, [&](unsigned i) {
            const z3::expr before = all(c, i, [&](unsigned j) {
              return !(t.present(s, p, j) && t.boundary(t.kind_at(s, p, j)));
            });
            return z3::implies(t.present(s, p, i) && t.request(t.kind_at(s, p, i)),
                               before && s(F::plive, p) && s(F::pready, p));
          });
        });
      });

  add_protocol_word(ind, t);

  ind.obligation(
      "the kernel sends data_request/data_unlock only to an incarnation the pager made ready",
      [&](const State& pre, const Event& e, const Step& st) {
        const z3::expr made_ready = all(c, b.pairs(), [&](unsigned p) {
          const z3::expr req = t.sent(e, p, Msg::data_request) || t.sent(e, p, Msg::data_unlock);
          return z3::implies(req, pre(F::plive, p) && pre(F::pready, p));
        });
        return made_ready && !st.verdicts.any(c, "RD1", "kernel");
      });
  ind.obligation("a data_request reaches the pager only for an incarnation it made ready",
                 [&](const State& pre, const Event& e, const Step&) {
                   return all(c, b.pairs(), [&](unsigned p) {
                     const z3::expr req = t.dequeued(e, p, Msg::data_request) ||
                                          t.dequeued(e, p, Msg::data_unlock);
                     return z3::implies(req, pre(F::plive, p) && pre(F::pready, p));
                   });
                 });
  return ind.prove(options.rlimit);
}

// --- the list ---------------------------------------------------------------------------

namespace {
constexpr ProofEntry kProofs[] = {
    {"seqnos", kSeqnoRules, &prove_seqnos},
    {"init_terminate_order", kOrderRules, &prove_init_terminate_order},
    {"urefs_never_negative", kUrefRules, &prove_urefs_never_negative},
    {"terminate_releases_rights", kTerminateRules, &prove_terminate_releases_rights},
    {"no_request_before_ready", kReadyRules, &prove_no_request_before_ready},
};
// The union of the rules the proofs above name (kept in step by a test).
constexpr std::array<std::string_view, 10> kProvedRules = {"IN1", "RD1", "SQ1", "SQ5", "SQ6",
                                                           "TM4", "TM5", "TM8", "V1",  "V6"};
}  // namespace

std::span<const ProofEntry> proofs() { return kProofs; }
std::span<const std::string_view> proved_rules() { return kProvedRules; }

}  // namespace emmi::smt
