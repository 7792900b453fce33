// The one table of rule IDs the model can emit, each with the paraphrase of
// what the model checks for it. Checks name rules only through the constants
// generated from this table, so checked_rules() cannot miss an emitted ID.
#pragma once

#include <string_view>

// X(id, what the model checks). Order: the families of emmi-rules.md.
#define EMMI_MODEL_RULES(X)                                                                   \
  /* init */                                                                                  \
  X(IN1, "kernel: init first, and at most one live init per (object, kernel)")               \
  X(IN2, "pager: after init, accept data_request/data_unlock/data_return (no error return)") \
  X(IN3, "kernel: init gives the pager send rights to the control and name ports")           \
  X(IN4, "kernel: init keeps the control receive right in the kernel")                       \
  X(IN5, "pager: offsets of data calls are multiples of that kernel's page size")            \
  X(IN7, "kernel: EMMI messages for object o go to the port the pager offered for o")        \
  X(IN8, "kernel: each init has a control port distinct from every live pair's")             \
  X(IN9, "pager: after an init error return, never use that control port")                   \
  X(MK1, "kernel: each init has its own name port")                                           \
  X(MK2, "kernel: each request carries the control port of the kernel that sent it")         \
  X(MK4, "pager: sizes use the page size of the kernel the call goes to")                     \
  X(PS1, "sizes of requests and lock_request are multiples of the kernel's page size")       \
  X(PS2, "kernel: a kernel uses its own page size, not another kernel's")                    \
  /* terminate */                                                                             \
  X(TM3, "kernel: terminate moves the current control and name receive rights")              \
  X(TM4, "pager: after terminate, destroy the control port's receive right")                 \
  X(TM5, "pager: after terminate, release the name port's receive right")                    \
  X(TM6, "pager: an object re-initialised after terminate is made ready again")              \
  X(TM8, "no EMMI traffic on a pair after terminate, except a new init")                     \
  X(V6, "pager: after terminate, release every send reference to control and name")          \
  /* seqnos */                                                                                \
  X(SQ1, "kernel: object-port messages carry the port's next seqno")                         \
  X(SQ2, "kernel: messages on other ports (reply ports) carry that port's next seqno")       \
  X(SQ5, "kernel: a new or moved receive right starts at seqno 0")                            \
  X(SQ6, "kernel: every dequeue uses exactly one seqno, none skipped")                       \
  X(SQ7, "pager: effects of one object's messages do not cross seqno order")                \
  /* reference release */                                                                     \
  X(V1, "pager: init's rights are released once (by mach_msg_server on error)")              \
  X(V2, "pager: after MIG_DESTROY_REQUEST, do not release the request's rights again")       \
  X(V3, "pager: after another error return, do not release the request's rights again")     \
  X(V4, "pager: out-of-line memory is freed once (by mach_msg_server on error)")             \
  X(PR8, "pager: out-of-line memory other than data_return's is released")                   \
  /* data path */                                                                             \
  X(DR1, "kernel: data_request/data_unlock lie inside the mapped object")                    \
  X(DR3, "pager: every data_request is answered by quiescence")                              \
  X(DR4, "pager: data_error only answers an outstanding request")                            \
  X(DR5, "pager: data_unavailable only answers an outstanding request")                      \
  X(DR8, "pager: answers and control calls go to the asking kernel's control port")          \
  X(SU1, "pager: data_supply only for requested pages")                                      \
  X(SU2, "pager: data_supply never overwrites a resident page")                              \
  X(SU4, "pager: data_supply size is a multiple of the kernel's page size")                  \
  X(SU12, "pager: data_supply goes to a control port the kernel gave in init")               \
  X(UN4, "pager: data_unavailable size is a multiple of the kernel's page size")             \
  X(ER5, "pager: data_error size is a multiple of the kernel's page size")                   \
  X(RT1, "kernel: data_return only for pages the kernel holds")                              \
  X(RT2, "pager: data_return's out-of-line memory is released")                              \
  X(RT4, "pager: a supply carries the contents the kernel last returned")                    \
  /* readiness */                                                                             \
  X(RD1, "pager makes an initialised object ready; kernel requests only after ready")

namespace emmi::model::rule {
#define EMMI_MODEL_RULE_CONSTANT(id, what) inline constexpr std::string_view id = #id;
EMMI_MODEL_RULES(EMMI_MODEL_RULE_CONSTANT)
#undef EMMI_MODEL_RULE_CONSTANT
}  // namespace emmi::model::rule
