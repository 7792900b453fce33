// SPDX-License-Identifier: MIT
// A conforming EMMI pager written in C++20 with the standard library's
// threads: a receiving std::jthread queues a copy of each message for its
// object and counts it on a std::counting_semaphore; two worker std::jthreads
// take the semaphore, pick an object no other worker is serving, and drain
// its queue in order. stop() asks the workers to stop and releases one
// token each so that they see it.
//
// What makes it a different design for the suite: libstdc++ blocks a
// semaphore's acquire in a futex system call of its own (std::atomic wait),
// not in the pthread calls a C pager uses. A suite
// that only knows pthread_cond_wait and pthread_mutex_lock cannot tell
// such a worker is idle, or wake it.
//
// Per-object order: one worker serves an object at a time and takes its
// messages in arrival order, which is the object's seqno order (§2), so the
// plain stubs suffice (SQ7). Rule IDs are those of emmi-rules.md; section
// numbers those of gnumach-kernel.md. Store semantics follow
// reference_pager.c.
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

extern "C" {
#include <mach.h>
#include <mach/memory_object.h>
#include <mach/mig_errors.h>

#include <emmi/mig/memory_object_S.h>
#include <emmi/mig/notify_S.h>

boolean_t memory_object_server(mach_msg_header_t* request, mach_msg_header_t* reply);
boolean_t notify_server(mach_msg_header_t* request, mach_msg_header_t* reply);
}
#include "emmi/pager_abi.h"

namespace {

constexpr vm_size_t kStoreBlock = 4096;
constexpr vm_size_t kMaxPageSize = 16384;
constexpr int kWorkers = 2;

struct KernelBinding {
  mach_port_t control;  // one send uref, released at terminate
  mach_port_t name;     // one send uref, released at terminate
  vm_size_t page_size;
};

struct Message {
  std::unique_ptr<unsigned char[]> bytes;
  mach_msg_header_t* header() { return reinterpret_cast<mach_msg_header_t*>(bytes.get()); }
};

struct PagerObject {
  mach_port_t port = MACH_PORT_NULL;
  vm_address_t store = 0;
  vm_size_t size = 0;
  std::vector<bool> returned;  // per kStoreBlock: a kernel gave data back
  std::vector<KernelBinding> kernels;
  // Guarded by Pager::lock:
  std::deque<Message> queue;
  bool busy = false;  // a worker is draining the queue
};

struct Pager {
  mach_port_t port_set = MACH_PORT_NULL;
  std::vector<PagerObject> objects;
  std::mutex lock;
  std::counting_semaphore<> work{0};  // one release per queued message
  std::jthread receiver;
  std::vector<std::jthread> workers;
};

Pager* pager = nullptr;

PagerObject* object_for_port(mach_port_t port) {
  for (auto& o : pager->objects)
    if (o.port == port) return &o;
  return nullptr;
}

KernelBinding* binding_for(PagerObject& obj, mach_port_t control) {
  for (auto& k : obj.kernels)
    if (k.control == control) return &k;
  return nullptr;
}

bool range_valid(const PagerObject& obj, const KernelBinding& k, vm_offset_t offset,
                 vm_size_t length) {
  return length != 0 && offset % k.page_size == 0 && length % k.page_size == 0 &&
         offset <= obj.size && length <= obj.size - offset;
}

bool holds_data(const PagerObject& obj, vm_offset_t offset, vm_size_t length) {
  for (vm_offset_t b = offset; b < offset + length; b += kStoreBlock)
    if (obj.returned[b / kStoreBlock]) return true;
  return false;
}

// Serves one message as mach_msg_server would after its demux: refused
// requests are destroyed with what they carry (G5, V3); a wanted reply is sent.
void serve(mach_msg_header_t* request) {
  mig_reply_header_t reply;
  std::memset(&reply, 0, sizeof reply);
  const bool known = memory_object_server(request, &reply.Head) ||
                     notify_server(request, &reply.Head);
  if (!known || (reply.RetCode != KERN_SUCCESS && reply.RetCode != MIG_NO_REPLY)) {
    request->msgh_remote_port = MACH_PORT_NULL;
    mach_msg_destroy(request);
  }
  if (MACH_PORT_VALID(reply.Head.msgh_remote_port) && reply.RetCode != MIG_NO_REPLY)
    mach_msg(&reply.Head, MACH_SEND_MSG, reply.Head.msgh_size, 0, MACH_PORT_NULL,
             MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

// Takes an object with queued work no other worker serves and drains its
// queue, one message at a time, in order. Returns false when it found none.
bool drain_one_object() {
  PagerObject* obj = nullptr;
  {
    std::lock_guard guard(pager->lock);
    for (auto& o : pager->objects)
      if (!o.busy && !o.queue.empty()) {
        obj = &o;
        obj->busy = true;
        break;
      }
  }
  if (obj == nullptr) return false;
  for (;;) {
    Message m;
    {
      std::lock_guard guard(pager->lock);
      if (obj->queue.empty()) {
        obj->busy = false;
        return true;
      }
      m = std::move(obj->queue.front());
      obj->queue.pop_front();
    }
    serve(m.header());
  }
}

void worker(std::stop_token stop) {
  for (;;) {
    // A token per queued message (and one per worker at stop); a worker
    // that finds the message's object busy leaves it to the worker
    // draining that object.
    pager->work.acquire();
    if (stop.stop_requested()) break;
    drain_one_object();
  }
  while (drain_one_object()) {
  }
}

extern "C" boolean_t receive_demux(mach_msg_header_t* request, mach_msg_header_t* reply) {
  auto* out = reinterpret_cast<mig_reply_header_t*>(reply);
  PagerObject* obj = object_for_port(request->msgh_local_port);
  if (obj == nullptr) return memory_object_server(request, reply) || notify_server(request, reply);
  Message m{std::make_unique<unsigned char[]>(request->msgh_size)};
  std::memcpy(m.bytes.get(), request, request->msgh_size);
  {
    std::lock_guard guard(pager->lock);
    obj->queue.push_back(std::move(m));
  }
  pager->work.release();
  // Taken care of: mach_msg_server neither replies nor destroys it.
  out->Head.msgh_bits = 0;
  out->Head.msgh_size = sizeof *out;
  out->Head.msgh_remote_port = MACH_PORT_NULL;
  out->Head.msgh_local_port = MACH_PORT_NULL;
  out->Head.msgh_id = request->msgh_id + 100;
  out->RetCode = MIG_NO_REPLY;
  return TRUE;
}

void release_bindings(PagerObject& obj) {
  for (auto& k : obj.kernels) {
    mach_port_deallocate(mach_task_self(), k.control);
    mach_port_deallocate(mach_task_self(), k.name);
  }
  obj.kernels.clear();
}

void cxx_stop() {
  if (pager == nullptr) return;
  // mach_msg_server returns once the port set is gone; then the workers are
  // asked to stop, drain what is left and end (jthread joins on reset).
  mach_port_mod_refs(mach_task_self(), pager->port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  if (pager->receiver.joinable()) pager->receiver.join();
  for (auto& w : pager->workers) w.request_stop();
  pager->work.release(kWorkers);  // one token each, to see the request
  pager->workers.clear();
  for (auto& obj : pager->objects) {
    release_bindings(obj);
    for (auto& m : obj.queue) {
      m.header()->msgh_remote_port = MACH_PORT_NULL;
      mach_msg_destroy(m.header());
    }
    if (obj.port != MACH_PORT_NULL)
      mach_port_mod_refs(mach_task_self(), obj.port, MACH_PORT_RIGHT_RECEIVE, -1);
    if (obj.store != 0) vm_deallocate(mach_task_self(), obj.store, obj.size);
  }
  delete pager;
  pager = nullptr;
}

kern_return_t cxx_start(const emmi_pager_config* config, emmi_pager_object* out) {
  if (config->abi_version != EMMI_PAGER_ABI_VERSION || config->dialect != EMMI_DIALECT_GNUMACH)
    return KERN_INVALID_ARGUMENT;
  if (config->object_count == 0 || config->object_size == 0 ||
      config->object_size % kStoreBlock != 0)
    return KERN_INVALID_ARGUMENT;
  if (config->options != nullptr && config->options[0] != '\0') return KERN_INVALID_ARGUMENT;
  if (pager != nullptr) return KERN_FAILURE;
  pager = new Pager;
  mach_port_t task = mach_task_self();
  kern_return_t kr = mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &pager->port_set);
  if (kr != KERN_SUCCESS) {
    delete pager;
    pager = nullptr;
    return kr;
  }
  pager->objects = std::vector<PagerObject>(config->object_count);
  for (std::size_t i = 0; i < pager->objects.size(); ++i) {
    PagerObject& obj = pager->objects[i];
    obj.size = config->object_size;
    obj.returned.assign(obj.size / kStoreBlock, false);
    if ((kr = vm_allocate(task, &obj.store, obj.size, TRUE)) != KERN_SUCCESS ||
        (kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &obj.port)) != KERN_SUCCESS ||
        (kr = mach_port_move_member(task, obj.port, pager->port_set)) != KERN_SUCCESS) {
      cxx_stop();
      return kr;
    }
    out[i].port = obj.port;
    out[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
  }
  for (int i = 0; i < kWorkers; ++i) pager->workers.emplace_back(worker);
  // max_size 0: MACH_RCV_LARGE, nothing is dequeued and dropped (§2).
  pager->receiver = std::jthread([] { mach_msg_server(receive_demux, 0, pager->port_set); });
  return KERN_SUCCESS;
}

const emmi_pager cxx_pager = {
    .abi_version = EMMI_PAGER_ABI_VERSION,
    .name = "cxx-semaphore",
    .start = cxx_start,
    .stop = cxx_stop,
    // The pager's own actions of entry ABI version 2: none.
    .sync = nullptr,
    .flush = nullptr,
    .change_attributes = nullptr,
    .shutdown = nullptr,
    .read_store = nullptr,
};

}  // namespace

// --- The memory_object interface (plain stubs; run on a worker) ------------------

extern "C" {

kern_return_t memory_object_init(mach_port_t object_port, mach_port_t control, mach_port_t name,
                                 vm_size_t page_size) {
  PagerObject* obj = object_for_port(object_port);
  if (obj == nullptr) return KERN_ABORTED;
  // One kernel per object: two kernels writing the same page would need the
  // pager to recall one's copy before the other writes (MK3, as
  // reference_pager.c does); this pager supplies every page writable, so a
  // second kernel's init is refused too.
  if (page_size == 0 || page_size % kStoreBlock != 0 || page_size > kMaxPageSize ||
      obj->size % page_size != 0 || !obj->kernels.empty()) {
    // RD3: refused by destroy; the error return releases the rights (IN9, V1).
    memory_object_destroy(control, KERN_INVALID_ARGUMENT);
    return KERN_INVALID_ARGUMENT;
  }
  obj->kernels.push_back({control, name, page_size});
  memory_object_ready(control, FALSE, MEMORY_OBJECT_COPY_DELAY);  // RD1
  return KERN_SUCCESS;
}

kern_return_t memory_object_terminate(mach_port_t object_port, mach_port_t control,
                                      mach_port_t name) {
  PagerObject* obj = object_for_port(object_port);
  if (obj == nullptr) return KERN_ABORTED;
  for (auto it = obj->kernels.begin(); it != obj->kernels.end(); ++it)
    if (it->control == control) {
      // V6, §3g: the send rights init gave us ...
      mach_port_deallocate(mach_task_self(), it->control);
      mach_port_deallocate(mach_task_self(), it->name);
      obj->kernels.erase(it);
      break;
    }
  // ... then the receive rights this message moved to us (TM3, TM4, TM5).
  mach_port_mod_refs(mach_task_self(), control, MACH_PORT_RIGHT_RECEIVE, -1);
  mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_RECEIVE, -1);
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_request(mach_port_t object_port, mach_port_t control,
                                         vm_offset_t offset, vm_size_t length, vm_prot_t) {
  PagerObject* obj = object_for_port(object_port);
  if (obj == nullptr) return KERN_ABORTED;
  KernelBinding* k = binding_for(*obj, control);
  if (k == nullptr || !range_valid(*obj, *k, offset, length)) return KERN_INVALID_ARGUMENT;  // V3
  // DR3, DR8: every page, in the asking kernel's units; supplied data is
  // copied by the kernel (SU10); never-written pages are zero-filled (UN1).
  for (vm_offset_t page = offset; page < offset + length; page += k->page_size) {
    if (holds_data(*obj, page, k->page_size))
      memory_object_data_supply(control, page, obj->store + page, k->page_size, FALSE, VM_PROT_NONE,
                                FALSE, MACH_PORT_NULL);
    else
      memory_object_data_unavailable(control, page, k->page_size);
  }
  mach_port_deallocate(mach_task_self(), control);  // §3f
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_unlock(mach_port_t object_port, mach_port_t control,
                                        vm_offset_t offset, vm_size_t length, vm_prot_t) {
  PagerObject* obj = object_for_port(object_port);
  if (obj == nullptr) return KERN_ABORTED;
  KernelBinding* k = binding_for(*obj, control);
  if (k == nullptr || !range_valid(*obj, *k, offset, length)) return KERN_INVALID_ARGUMENT;
  // UL2: grant by lifting every lock on the range (LK6).
  memory_object_lock_request(control, offset, length, MEMORY_OBJECT_RETURN_NONE, FALSE,
                             VM_PROT_NONE, MACH_PORT_NULL);
  mach_port_deallocate(mach_task_self(), control);
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_return(mach_port_t object_port, mach_port_t control,
                                        vm_offset_t offset, vm_offset_t data,
                                        mach_msg_type_number_t data_count, boolean_t, boolean_t) {
  PagerObject* obj = object_for_port(object_port);
  if (obj == nullptr) return KERN_ABORTED;
  KernelBinding* k = binding_for(*obj, control);
  if (k != nullptr && range_valid(*obj, *k, offset, data_count))
    for (vm_offset_t b = 0; b < data_count; b += kStoreBlock) {
      std::memcpy(reinterpret_cast<void*>(obj->store + offset + b),
                  reinterpret_cast<const void*>(data + b), kStoreBlock);
      obj->returned[(offset + b) / kStoreBlock] = true;  // RT4
    }
  vm_deallocate(mach_task_self(), data, data_count);  // RT2, PR8
  mach_port_deallocate(mach_task_self(), control);    // §3f
  return KERN_SUCCESS;
}

kern_return_t memory_object_lock_completed(mach_port_t, mach_port_t control, vm_offset_t,
                                           vm_size_t) {
  mach_port_deallocate(mach_task_self(), control);
  return KERN_SUCCESS;
}

kern_return_t memory_object_supply_completed(mach_port_t, mach_port_t control, vm_offset_t,
                                             vm_size_t, kern_return_t, vm_offset_t) {
  mach_port_deallocate(mach_task_self(), control);
  return KERN_SUCCESS;
}

kern_return_t memory_object_change_completed(mach_port_t, boolean_t,
                                             memory_object_copy_strategy_t) {
  return KERN_SUCCESS;
}

// Only for COPY_CALL objects, which this pager never makes: refused (V3).
kern_return_t memory_object_copy(mach_port_t, mach_port_t, vm_offset_t, vm_size_t, mach_port_t) {
  return KERN_FAILURE;
}

// Notifications: none requested; port-destroyed's receive right is refused.
kern_return_t do_mach_notify_port_deleted(mach_port_t, mach_port_name_t) { return KERN_SUCCESS; }
kern_return_t do_mach_notify_msg_accepted(mach_port_t, mach_port_name_t) { return KERN_SUCCESS; }
kern_return_t do_mach_notify_port_destroyed(mach_port_t, mach_port_t) { return KERN_FAILURE; }
kern_return_t do_mach_notify_no_senders(mach_port_t, mach_port_mscount_t) { return KERN_SUCCESS; }
kern_return_t do_mach_notify_send_once(mach_port_t) { return KERN_SUCCESS; }
kern_return_t do_mach_notify_dead_name(mach_port_t, mach_port_name_t) { return KERN_SUCCESS; }

EMMI_PAGER_EXPORT const struct emmi_pager* emmi_pager_entry(void) { return &cxx_pager; }

}  // extern "C"
