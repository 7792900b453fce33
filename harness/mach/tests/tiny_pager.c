/* SPDX-License-Identifier: MIT */
/* A tiny pager for the end-to-end test of the simulated kernel: written only
 * against the GNU Mach API and the MIG-generated SEQNOS memory_object server,
 * exported through the emmi-cts entry ABI. It serves every object from one
 * thread on a port set, records what each request looked like on arrival
 * (id, size, seqno) and what its handlers were given, supplies pages filled
 * with a recognisable pattern, and releases every right at terminate. */
#include <mach.h>
#include <pthread.h>
#include <string.h>

#include <emmi/mig/seqnos_memory_object_S.h>
#include <emmi/pager_abi.h>

/* MIG's server header declares the handlers, not the demux function (Hurd
 * code declares it itself, as here). */
extern boolean_t seqnos_memory_object_server (mach_msg_header_t *in,
                                              mach_msg_header_t *out);

#define MAX_LOG 256
#define MAX_OBJECTS 8

struct tiny_record
{
  mach_msg_id_t id;
  mach_msg_size_t size;
  mach_port_seqno_t header_seqno;  /* msgh_seqno as received */
  mach_port_seqno_t handler_seqno; /* the seqno argument the stub passed */
  mach_port_t port;
  vm_size_t page_size; /* init only */
};

static struct tiny_record log_[MAX_LOG];
static unsigned log_count;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static mach_port_t objects_[MAX_OBJECTS];
static unsigned object_count;
static mach_port_t set_;
static pthread_t server_;

/* Exported for the test (looked up with dlsym). */
__attribute__ ((visibility ("default"))) unsigned
tiny_pager_log (struct tiny_record *out, unsigned max)
{
  pthread_mutex_lock (&log_lock);
  unsigned n = log_count < max ? log_count : max;
  memcpy (out, log_, n * sizeof *out);
  pthread_mutex_unlock (&log_lock);
  return n;
}

static struct tiny_record *
current_record (void)
{
  /* Only the server thread writes the log; the last entry is the request
   * being handled. */
  return log_count > 0 ? &log_[log_count - 1] : NULL;
}

static boolean_t
demux (mach_msg_header_t *in, mach_msg_header_t *out)
{
  pthread_mutex_lock (&log_lock);
  if (log_count < MAX_LOG)
    {
      struct tiny_record *r = &log_[log_count++];
      memset (r, 0, sizeof *r);
      r->id = in->msgh_id;
      r->size = in->msgh_size;
      r->header_seqno = in->msgh_seqno;
      r->port = in->msgh_local_port;
    }
  pthread_mutex_unlock (&log_lock);
  return seqnos_memory_object_server (in, out);
}

static void
note_handler (mach_port_seqno_t seqno)
{
  pthread_mutex_lock (&log_lock);
  struct tiny_record *r = current_record ();
  if (r != NULL)
    r->handler_seqno = seqno;
  pthread_mutex_unlock (&log_lock);
}

kern_return_t
seqnos_memory_object_init (mach_port_t object, mach_port_seqno_t seqno,
                           mach_port_t control, mach_port_t name, vm_size_t page_size)
{
  (void) object;
  (void) name;
  note_handler (seqno);
  pthread_mutex_lock (&log_lock);
  struct tiny_record *r = current_record ();
  if (r != NULL)
    r->page_size = page_size;
  pthread_mutex_unlock (&log_lock);
  return memory_object_ready (control, TRUE, MEMORY_OBJECT_COPY_DELAY);
}

kern_return_t
seqnos_memory_object_terminate (mach_port_t object, mach_port_seqno_t seqno,
                                mach_port_t control, mach_port_t name)
{
  (void) object;
  note_handler (seqno);
  /* The receive rights arrived with terminate; the send rights from init
   * and every request share their names: one destroy releases all. */
  mach_port_destroy (mach_task_self (), control);
  mach_port_destroy (mach_task_self (), name);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_copy (mach_port_t old_object, mach_port_seqno_t seqno,
                           mach_port_t old_control, vm_offset_t offset, vm_size_t length,
                           mach_port_t new_object)
{
  (void) old_object;
  (void) old_control;
  (void) offset;
  (void) length;
  (void) new_object;
  note_handler (seqno);
  return KERN_FAILURE;
}

kern_return_t
seqnos_memory_object_data_request (mach_port_t object, mach_port_seqno_t seqno,
                                   mach_port_t control, vm_offset_t offset,
                                   vm_size_t length, vm_prot_t access)
{
  (void) object;
  (void) access;
  note_handler (seqno);
  vm_address_t page = 0;
  if (vm_allocate (mach_task_self (), &page, length, TRUE) != KERN_SUCCESS)
    return KERN_FAILURE;
  /* Each 4 KiB block holds its object offset + 1 as repeated 64-bit words
   * (the suite's stamp pattern). */
  for (vm_size_t b = 0; b < length; b += 4096)
    {
      unsigned long long *w = (unsigned long long *) (page + b);
      for (unsigned i = 0; i < 4096 / sizeof *w; ++i)
        w[i] = offset + b + 1;
    }
  kern_return_t kr = memory_object_data_supply (control, offset, page, length, TRUE,
                                                VM_PROT_NONE, FALSE, MACH_PORT_NULL);
  mach_port_deallocate (mach_task_self (), control);
  return kr;
}

kern_return_t
seqnos_memory_object_data_unlock (mach_port_t object, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_size_t length, vm_prot_t access)
{
  (void) object;
  (void) offset;
  (void) length;
  (void) access;
  note_handler (seqno);
  mach_port_deallocate (mach_task_self (), control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_lock_completed (mach_port_t object, mach_port_seqno_t seqno,
                                     mach_port_t control, vm_offset_t offset,
                                     vm_size_t length)
{
  (void) object;
  (void) offset;
  (void) length;
  note_handler (seqno);
  mach_port_deallocate (mach_task_self (), control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_supply_completed (mach_port_t object, mach_port_seqno_t seqno,
                                       mach_port_t control, vm_offset_t offset,
                                       vm_size_t length, kern_return_t result,
                                       vm_offset_t error_offset)
{
  (void) object;
  (void) offset;
  (void) length;
  (void) result;
  (void) error_offset;
  note_handler (seqno);
  mach_port_deallocate (mach_task_self (), control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_data_return (mach_port_t object, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_offset_t data, mach_msg_type_number_t data_count,
                                  boolean_t dirty, boolean_t kernel_copy)
{
  (void) object;
  (void) offset;
  (void) dirty;
  (void) kernel_copy;
  note_handler (seqno);
  vm_deallocate (mach_task_self (), data, data_count);
  mach_port_deallocate (mach_task_self (), control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_change_completed (mach_port_t object, mach_port_seqno_t seqno,
                                       boolean_t may_cache,
                                       memory_object_copy_strategy_t strategy)
{
  (void) object;
  (void) may_cache;
  (void) strategy;
  note_handler (seqno);
  return KERN_SUCCESS;
}

static void *
serve (void *arg)
{
  (void) arg;
  mach_msg_server (demux, 0, set_);
  return NULL;
}

static kern_return_t
start (const struct emmi_pager_config *cfg, struct emmi_pager_object *objects)
{
  if (cfg->object_count > MAX_OBJECTS)
    return KERN_RESOURCE_SHORTAGE;
  kern_return_t kr
      = mach_port_allocate (mach_task_self (), MACH_PORT_RIGHT_PORT_SET, &set_);
  if (kr != KERN_SUCCESS)
    return kr;
  for (unsigned i = 0; i < cfg->object_count; ++i)
    {
      kr = mach_port_allocate (mach_task_self (), MACH_PORT_RIGHT_RECEIVE, &objects_[i]);
      if (kr != KERN_SUCCESS)
        return kr;
      kr = mach_port_move_member (mach_task_self (), objects_[i], set_);
      if (kr != KERN_SUCCESS)
        return kr;
      objects[i].port = objects_[i];
      objects[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
    }
  object_count = cfg->object_count;
  return pthread_create (&server_, NULL, serve, NULL) == 0 ? KERN_SUCCESS : KERN_FAILURE;
}

static void
stop (void)
{
  /* The server's receive returns MACH_RCV_PORT_DIED once the set is gone. */
  mach_port_destroy (mach_task_self (), set_);
  pthread_join (server_, NULL);
  for (unsigned i = 0; i < object_count; ++i)
    mach_port_destroy (mach_task_self (), objects_[i]);
}

static const struct emmi_pager pager = { .abi_version = EMMI_PAGER_ABI_VERSION,
                                         .name = "tiny-seqnos",
                                         .start = start,
                                         .stop = stop };

const struct emmi_pager *
emmi_pager_entry (void)
{
  return &pager;
}
/* It serves through seqnos_memory_object_server (pager_abi.h, dialects). */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH_SEQNOS;
