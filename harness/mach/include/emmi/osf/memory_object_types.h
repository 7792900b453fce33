/* SPDX-License-Identifier: MIT */
/* C types and constants of the OSF MK memory-object interface that GNU
 * Mach's headers lack, written by emmi-cts from the manual pages
 * (spec/xnu-osfmk-man/: MO_change_attributes.html, MO_get_attributes.html,
 * memory_object_attr_info.html, memory_object_perf_info.html). The MIG
 * stubs generated from harness/mach/defs/osf/ include this header; the
 * numeric values are emmi-cts's choices, recorded in
 * harness/mach/defs/osf/README.md.
 */
#ifndef EMMI_OSF_MEMORY_OBJECT_TYPES_H
#define EMMI_OSF_MEMORY_OBJECT_TYPES_H

#include <mach/boolean.h>
#include <mach/machine/vm_types.h>
#include <mach/memory_object.h>
#include <mach/vm_sync.h>

/* Which attribute structure a change_attributes / get_attributes /
 * change_completed talks about (the pages' "flavor"). */
typedef int memory_object_flavor_t;
/* The attribute buffer, counted in ints ("natural-sized units"). */
typedef int *memory_object_info_t;
typedef int memory_object_info_data_t[32];

#define MEMORY_OBJECT_PERFORMANCE_INFO 11
#define MEMORY_OBJECT_ATTRIBUTES_INFO 14
#define MEMORY_OBJECT_BEHAVIOR_INFO 15

/* memory_object_perf_info.html */
struct memory_object_perf_info {
  vm_offset_t cluster_size;
  boolean_t may_cache_object;
};
typedef struct memory_object_perf_info *memory_object_perf_info_t;

/* memory_object_attr_info.html */
struct memory_object_attr_info {
  memory_object_copy_strategy_t copy_strategy;
  vm_offset_t cluster_size;
  boolean_t may_cache;
  boolean_t temporary;
};
typedef struct memory_object_attr_info *memory_object_attr_info_t;

/* MO_change_attributes.html names memory_object_behavior_info without a
 * page of its own; its fields are the ones that page lists ("the copy
 * strategy and sync invalidate flag") and the object's temporariness. */
struct memory_object_behavior_info {
  memory_object_copy_strategy_t copy_strategy;
  boolean_t temporary;
  boolean_t invalidate;
};
typedef struct memory_object_behavior_info *memory_object_behavior_info_t;

/* Counts in ints, as attributes_count carries them. */
#define MEMORY_OBJECT_PERF_INFO_COUNT \
  ((unsigned int)(sizeof(struct memory_object_perf_info) / sizeof(int)))
#define MEMORY_OBJECT_ATTR_INFO_COUNT \
  ((unsigned int)(sizeof(struct memory_object_attr_info) / sizeof(int)))
#define MEMORY_OBJECT_BEHAVIOR_INFO_COUNT \
  ((unsigned int)(sizeof(struct memory_object_behavior_info) / sizeof(int)))

#endif /* EMMI_OSF_MEMORY_OBJECT_TYPES_H */
