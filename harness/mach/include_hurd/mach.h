/* SPDX-License-Identifier: MIT */
/* <mach.h> as glibc for GNU/Hurd provides it, for pager code that runs on
 * emmi-cts's simulated GNU Mach kernel. Types, constants and message layouts
 * are GNU Mach's own (gnumach-dev); the RPC prototypes come from headers MIG
 * generates at build time from mach.defs, mach_port.defs and mach_host.defs.
 *
 * It includes what glibc's does (mach_types, mach_init, mach_traps and the
 * three MIG interfaces) and declares the same functions. Like glibc's, it
 * does NOT include <mach/mig_support.h>: Hurd code defines helpers of that
 * header's names for itself (libpager's demuxer.c has a static
 * mig_reply_setup), which a prototype here would contradict. GNU Mach's
 * <mach/message.h>, <mach/mig_errors.h> and <mach/notify.h> (types and
 * constants only) come along, as existing pager code expects.
 *
 * C++ code: include <mach.h> before any GNU Mach header, because GNU Mach's
 * headers declare mach_msg without a C linkage block and this one adds it. */
#ifndef _MACH_H
#define _MACH_H 1

#ifdef __cplusplus
extern "C" {
#endif

#include <mach/mach_traps.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/notify.h>
#include <mach_init.h>
/* A pager of the OSF dialect (EMMI_PAGER_DIALECT_OSF, set by the
 * emmi_pager_api_osf target) gets memory_object_change_attributes and
 * memory_object_get_attributes from <emmi/osf/osf_memory_object_control.h>
 * with the manual pages' flavoured arguments; GNU Mach's prototypes of
 * those two names are kept out of its way. */
#ifdef EMMI_PAGER_DIALECT_OSF
#define memory_object_change_attributes emmi_gnumach_memory_object_change_attributes
#define memory_object_get_attributes emmi_gnumach_memory_object_get_attributes
#endif
#include <mach/mach_interface.h>
#ifdef EMMI_PAGER_DIALECT_OSF
#undef memory_object_change_attributes
#undef memory_object_get_attributes
#endif
#include <mach/mach_host.h>
#include <mach/mach_port.h>

/* Receive requests on RCV_NAME (a receive right or port set), hand each to
 * DEMUX and send its reply. A reply code other than KERN_SUCCESS or
 * MIG_NO_REPLY destroys the request, releasing the rights and memory it
 * carried. MAX_SIZE 0 means "two pages, with MACH_RCV_LARGE". Returns only
 * on a receive error (for example MACH_RCV_TIMED_OUT, MACH_RCV_PORT_DIED). */
extern mach_msg_return_t mach_msg_server_timeout(boolean_t (*demux)(mach_msg_header_t *request,
                                                                    mach_msg_header_t *reply),
                                                 mach_msg_size_t max_size, mach_port_t rcv_name,
                                                 mach_msg_option_t option,
                                                 mach_msg_timeout_t timeout);
extern mach_msg_return_t mach_msg_server(boolean_t (*demux)(mach_msg_header_t *request,
                                                            mach_msg_header_t *reply),
                                         mach_msg_size_t max_size, mach_port_t rcv_name);
extern mach_msg_return_t __mach_msg_server_timeout(boolean_t (*demux)(mach_msg_header_t *request,
                                                                      mach_msg_header_t *reply),
                                                   mach_msg_size_t max_size, mach_port_t rcv_name,
                                                   mach_msg_option_t option,
                                                   mach_msg_timeout_t timeout);
extern mach_msg_return_t __mach_msg_server(boolean_t (*demux)(mach_msg_header_t *request,
                                                              mach_msg_header_t *reply),
                                           mach_msg_size_t max_size, mach_port_t rcv_name);

/* Release every port right and out-of-line region a received message holds
 * (the destination right excepted: receiving consumed it). */
extern void mach_msg_destroy(mach_msg_header_t *msg);
extern void __mach_msg_destroy(mach_msg_header_t *msg);

/* mach_msg with only MACH_SEND_MSG / only MACH_RCV_MSG, sizes from the
 * header. */
extern mach_msg_return_t mach_msg_send(mach_msg_header_t *msg);
extern mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_H */
