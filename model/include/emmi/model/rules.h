// SPDX-License-Identifier: MIT
// The one table of rule IDs the model can emit, each with the party whose
// duty it is and the paraphrase of what the model checks for it. Checks (in
// the model, the engine and the liveness mapping) name rules only through the
// constants generated from this table, so checked_rules() cannot miss an
// emitted ID. The catalogue test cross-checks the list against
// properties/catalogue/rules.json, so a verdict never names a rule the
// catalogue does not know, and a rule marked "model" is really checked here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace emmi::model {

// Whose duty a rule the model checks is.
//   pager   only the pager under test can break it: its verdicts judge the pager.
//   kernel  a duty of the kernel: only the suite's own simulated kernel can
//           break it, so its checks are self-checks of the suite, never
//           verdicts on the pager.
//   both    the model checks a part for each side (PS1: the kernel's request
//           sizes and the pager's call sizes; SQ6: the kernel's numbering, and
//           the engine charges a pager that jams on a rejected seqno).
enum class Binds : std::uint8_t { pager, kernel, both };

std::string_view to_string(Binds b);

struct RuleInfo {
  std::string_view id;
  Binds binds;
  std::string_view what;
};

#define EMMI_MODEL_RULES(X)                                                                        \
  /* init */                                                                                       \
  X(IN1, kernel, "kernel: init first, and at most one live init per (object, kernel)")             \
  X(IN2, pager, "pager: after init, accept data_request/data_unlock/data_return (no error)")       \
  X(IN3, kernel, "kernel: init gives the pager send rights to the control and name ports")         \
  X(IN4, kernel, "kernel: init keeps the control receive right in the kernel")                     \
  X(IN5, pager, "pager: offsets of data calls are multiples of that kernel's page size")           \
  X(IN7, kernel, "kernel: EMMI messages for object o go to the port the pager offered for o")      \
  X(IN8, kernel, "kernel: each init has a control port distinct from every live pair's")           \
  X(IN9, pager, "pager: after an init error return, never use that control port")                  \
  X(MK1, kernel, "kernel: each init has its own name port")                                        \
  X(MK2, kernel, "kernel: each request carries the control port of the kernel that sent it")       \
  X(MK4, pager, "pager: sizes use the page size of the kernel the call goes to")                   \
  X(PS1, both, "sizes of kernel requests are multiples of the kernel's page size")                 \
  X(PS2, kernel, "kernel: a kernel uses its own page size, not another kernel's")                  \
  /* terminate */                                                                                  \
  X(TM3, kernel, "kernel: terminate moves the current control and name receive rights")            \
  X(TM4, pager, "pager: after terminate, destroy the control port's receive right")                \
  X(TM5, pager, "pager: after terminate, release the name port's receive right")                   \
  X(TM6, pager, "pager: an object re-initialised after terminate is made ready again")             \
  X(TM8, both, "no EMMI traffic on a pair after terminate, except a new init")                     \
  X(V6, pager, "pager: after terminate, release every send reference to control and name")         \
  /* seqnos */                                                                                     \
  X(SQ1, kernel, "kernel: object-port messages carry the port's next seqno")                       \
  X(SQ2, kernel, "kernel: messages on other ports (reply ports) carry that port's next seqno")     \
  X(SQ5, kernel, "kernel: a new or moved receive right starts at seqno 0")                         \
  X(SQ6, both, "kernel: every dequeue uses exactly one seqno; pager: no jam on a rejected one")    \
  X(SQ7, pager, "pager: effects of one object's messages do not cross seqno order")                \
  /* reference release */                                                                          \
  X(V1, pager, "pager: init's rights are released once (by mach_msg_server on error)")             \
  X(V2, pager, "pager: after MIG_DESTROY_REQUEST, do not release the request's rights again")      \
  X(V3, pager, "pager: after another error return, do not release the request's rights again")     \
  X(V4, pager, "pager: out-of-line memory is freed once (by mach_msg_server on error)")            \
  X(PR6, pager, "pager: a reply port is one of its own receive rights")                            \
  X(PR8, pager,                                                                                    \
    "pager: out-of-line memory it receives (data_return, data_initialize) is released")            \
  /* the demux (demux.cpp) */                                                                      \
  X(G5, pager, "pager: the demux returns TRUE for its interface, FALSE for a foreign message")     \
  X(SQ4, pager, "pager: the SEQNOS demux refuses and routes messages as the plain one does")       \
  X(V5, pager, "pager: a notification it asked for reaches a handler, not MIG_BAD_ID")             \
  /* data path */                                                                                  \
  X(DR1, kernel, "kernel: data_request/data_unlock lie inside the mapped object")                  \
  X(DR3, pager, "pager: every data_request is answered by quiescence")                             \
  X(DR4, pager, "pager: data_error only answers an outstanding request")                           \
  X(DR5, pager, "pager: data_unavailable only answers an outstanding request")                     \
  X(DR8, pager, "pager: answers and control calls go to the asking kernel's control port")         \
  X(SU1, pager, "pager: data_supply only for requested pages")                                     \
  X(SU2, pager, "pager: data_supply never overwrites a resident page")                             \
  X(SU4, pager, "pager: data_supply size is a multiple of the kernel's page size")                 \
  X(SU12, pager, "pager: data_supply goes to a control port the kernel gave in init")              \
  X(UN4, pager, "pager: data_unavailable size is a multiple of the kernel's page size")            \
  X(UN1, pager,                                                                                    \
    "pager: data_unavailable only where it cannot provide the data (not for known contents)")      \
  X(UN3, pager,                                                                                    \
    "pager: data_unavailable zero-fills a user object's page; never for non-zero data")            \
  X(ER5, pager, "pager: data_error size is a multiple of the kernel's page size")                  \
  X(RT1, kernel, "kernel: data_return only for pages the kernel holds")                            \
  X(RT2, pager, "pager: data_return's out-of-line memory is released")                             \
  X(RT4, pager, "pager: a supply carries the contents the kernel last returned")                   \
  X(ER2, pager, "pager: the request retrying a fault failed by data_error is answered")            \
  X(SU7, kernel, "kernel: a precious page is returned, never dropped silently")                    \
  X(SC4, pager, "pager: pages a supply did not reach (KERN_MEMORY_PRESENT) are answered again")    \
  X(SU9, pager, "pager: a supply's data is page aligned in the pager's space")                     \
  X(SU10, pager, "pager: pages supplied with deallocate TRUE are not touched afterwards")          \
  X(SU11, pager, "pager: may name a reply port for supply_completed (counted when used)")          \
  /* readiness */                                                                                  \
  X(RD1, both, "pager makes an initialised object ready; kernel requests only after ready")        \
  X(RD3, pager, "pager: answers an init by ready (allow) or memory_object_destroy (refuse)")       \
  /* page locks (locks.h) */                                                                       \
  X(SU6, pager, "pager: a supply's lock_value lists forbidden accesses within VM_PROT_ALL")        \
  X(UL1, kernel, "kernel: data_unlock asks only about pages the kernel caches")                    \
  X(UL2, pager, "pager: a data_unlock is answered by a lock_request by quiescence")                \
  X(UL3, kernel, "kernel: data_unlock asks for an access the page's lock forbids")                 \
  X(UL4, pager, "pager: an unlock is refused by flushing first, not by data_error alone")          \
  X(UL5, pager, "pager: may fail the request after a refused unlock (counted when used)")          \
  X(UL6, kernel, "kernel: data_unlock length is whole pages of the kernel's page size")            \
  X(LK1, pager, "pager: lock_request size is a multiple of the kernel's page size")                \
  X(LK4, pager, "pager: lock_request's lock_value is within VM_PROT_ALL or VM_PROT_NO_CHANGE")     \
  X(LK5, kernel, "kernel: an accepted lock_request with a reply port gets lock_completed")         \
  X(LK6, pager, "pager: may pass MACH_PORT_NULL for no lock_completed (counted when used)")        \
  X(LK9, kernel, "kernel: lock_completed echoes the request's offset and size")                    \
  /* write access across kernels (coherence.h) */                                                  \
  X(SU3, pager, "pager: no writable data again before the kernel's modifications are back")        \
  X(MK3, pager, "pager: write goes to one kernel after the others' modifications are back")        \
  /* the pager's own actions (pager_actions.h) */                                                  \
  X(LK2, pager, "pager: its sync returns the range (lock_request with should_return)")             \
  X(LK3, pager, "pager: its flush flushes the range (lock_request with should_flush)")             \
  X(LK8, pager, "pager: its sync/flush waits for lock_completed, the only sign of completion")     \
  X(CA3, pager, "pager: turning caching off, it asks for and awaits change_completed")             \
  X(CP1, pager, "pager: the copy strategy of an initialised object never changes")                 \
  X(CP6, pager, "pager: an ordinary pager does not ask for MEMORY_OBJECT_COPY_SYMMETRIC")          \
  X(CP3, pager, "pager: a COPY_CALL copy reads as the original's range did at memory_object_copy") \
  X(DS3, pager, "pager: destroy comes after a flush of every page the kernel holds")               \
  X(RT5, pager, "pager: its store keeps the latest contents the kernel returned")                  \
  X(CP4, pager, "pager: a COPY_DELAY object's data never changes behind the kernels' back")        \
  X(LK11, kernel, "kernel: a lock_request with RETURN_DIRTY returns only dirty pages")             \
  X(CA4, kernel,                                                                                   \
    "kernel: an accepted change_attributes naming a reply port gets change_completed")             \
  /* default pager (default_pager.cpp) */                                                          \
  X(CR1, kernel, "kernel: create goes only to the default memory manager's port")                  \
  X(CR2, pager, "default pager: a never-written page of a created object is not supplied")         \
  X(CR6, kernel, "kernel: create carries the object's receive right, control and name sends")      \
  X(DI1, kernel, "kernel: data_initialize only on temporary objects the kernel created")           \
  X(DI2, pager, "default pager: data_initialize of a page it holds is ignored")                    \
  X(DI3, pager, "default pager: otherwise data_initialize keeps the data like data_return")        \
  X(UN2, pager, "default pager: a never-written page is answered with data_unavailable")           \
  X(SQ3, both, "kernel: create carries the manager port's next seqno; pager: count each one")      \
  X(G6, pager, "default pager: create/data_initialize served by the default demux, others too")    \
  X(CR10, pager, "default pager: default_pager_object_create returns a new object it serves")      \
  /* OSF dialect (osf.cpp) */                                                                      \
  X(SY2, pager, "pager: a completed synchronize's preceding data_returns are applied")             \
  X(SY3, pager, "pager: synchronize_completed names the offset and length of a synchronize")       \
  X(SY4, kernel, "kernel: outstanding synchronize requests never overlap")                         \
  X(SY5, pager, "pager: every synchronize is answered by quiescence")                              \
  X(SY6, pager, "pager: a SYNCHRONOUS synchronize completes with its data on backing storage")     \
  X(SY8, pager, "pager: a synchronize completes with its data queued or stored")                   \
  X(SY10, kernel, "kernel: synchronize never carries both SYNCHRONOUS and ASYNCHRONOUS")           \
  X(CA1, pager, "pager: change_attributes names a flavour the interface defines")                  \
  X(CA2, pager, "pager: change_attributes' count is the size of its flavour's structure")          \
  X(CA5, kernel, "kernel: change_completed echoes the flavour of the change (pager_actions.cpp)")  \
  X(CA6, both, "get_attributes: the caller's maximum in, a reply within it of the flavour's size")

namespace rule {
#define EMMI_MODEL_RULE_CONSTANT(id, binds, what) inline constexpr std::string_view id = #id;
EMMI_MODEL_RULES(EMMI_MODEL_RULE_CONSTANT)
#undef EMMI_MODEL_RULE_CONSTANT
}  // namespace rule

// Every rule ID the model can emit, in table order.
std::span<const std::string_view> checked_rules();
// The table itself.
std::span<const RuleInfo> rule_table();
// The entry of `id` (exact spelling), or nullptr for a rule the model does not check.
const RuleInfo* find_rule(std::string_view id);
// True when the model checks a duty of the pager under `id` (binds pager or both).
bool binds_pager(std::string_view id);

}  // namespace emmi::model
