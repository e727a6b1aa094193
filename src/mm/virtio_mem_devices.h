/*
 * The virtio-mem devices of a running machine: the glue between the device model
 * (src/virtio/virtio_mem.c), its virtio-mmio transport, the MMIO bus, the interrupt line,
 * the memory backend, KVM's memory slot and the monitors. docs/virtio-mem.md describes it;
 * docs/memory.md says what an unplugged block costs the host and what the guest sees.
 *
 * Each device is created at start (its DSDT node cannot appear later): its region (the
 * backend's whole size) is reserved in the device-memory window beside the DIMMs, the
 * backend is mapped over it in one KVM memory slot, and every block starts unplugged:
 * PROT_NONE and discarded. A plug makes its blocks PROT_READ|PROT_WRITE (and populates
 * them when asked to); an unplug makes them PROT_NONE again first, then gives their memory
 * back. KVM cannot fault in a page of a PROT_NONE range, so a guest that touches an
 * unplugged block never costs the host memory: its vCPU's KVM_RUN fails with EFAULT and
 * plugvm stops the VM (vcpu.c, vmem_devices_unplugged_at).
 *
 * Threads and locks. Requests run on the vCPU thread that writes QueueNotify, under the
 * transport's and then the device's lock (virtio_mmio.h); the populate and discard ops and
 * the plugged-size callback run there. The main thread resizes (qom-set) and queries.
 * set->lock guards only the MEMORY_DEVICE_SIZE_CHANGE bookkeeping; it is taken inside the
 * device's lock (the plugged-size callback) and never held while taking it. The vCPU
 * thread only records that a size changed and wakes the main thread, which builds and
 * sends the event (never JSON inside a guest's exit).
 */
#ifndef PLUGVM_VIRTIO_MEM_DEVICES_H
#define PLUGVM_VIRTIO_MEM_DEVICES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "keyval.h"
#include "mm/backend.h"
#include "mm/boot_ram.h"
#include "mm/memory_device_event.h"
#include "bus.h"
#include "monitor/control.h"
#include "util.h"
#include "virtio/guest_mem.h"
#include "virtio/virtio_mem.h"
#include "virtio/virtio_mmio.h"

struct memory_devices;
struct vmem_devices;

/* How far the usable region reaches past requested-size, so the guest can pick whole
 * memory blocks: QEMU's VIRTIO_MEM_USABLE_EXTENT on x86 (twice the 128 MiB block). */
#define VMEM_USABLE_EXTENSION (256ULL * 1024 * 1024)
/* At most one MEMORY_DEVICE_SIZE_CHANGE per device and second, the latest size; QEMU
 * rate-limits the event the same way (per qom-path, 1 s). */
#define VMEM_EVENT_INTERVAL_NS 1000000000ULL

struct vmem_device {
	struct vmem_devices *set;
	char id[PV_ID_MAX + 1];
	char memdev[PV_ID_MAX + 1];
	const char *driver;        /* "virtio-mem-pci" or "virtio-mem-device" */
	struct mem_backend *backend;
	uint64_t addr, size, block_size;
	unsigned node;
	bool prealloc;
	int kvm_slot;              /* kvm_map's number for the region */
	uint64_t mmio_base;
	uint32_t gsi;
	struct virtio_mem dev;
	struct virtio_mmio transport;
	bool dev_ready, transport_ready;
	/* MEMORY_DEVICE_SIZE_CHANGE, under set->lock. */
	bool event_pending;        /* a plugged-size change not yet sent */
	uint64_t last_event_ns;    /* main thread: when the last one went out (0: never) */
};

struct vmem_devices {
	pthread_mutex_t lock;
	struct vmem_device dev[PLUGVM_MAX_VIRTIO_MEM];
	unsigned nr;
	/* Where the rings and request buffers may be: boot RAM only (docs/virtio-mem.md). */
	const struct boot_ram *boot_ram;
	struct guest_mem_view ram;
	const struct plugvm_config *cfg;
	struct bus *mmio;          /* where vmem_devices_add puts each device's registers */
	/* Hooks, so tests run without KVM. set_irq: the level of a GSI. kvm_map: as
	 * kvm_memslot_add (the region in a KVM slot kvm.c numbers; NULL: none). wake_main: a vCPU thread has events for the main thread (which
	 * then calls vmem_devices_run_deferred); NULL: the caller runs it. */
	void (*set_irq)(void *opaque, uint32_t gsi, bool level);
	void *irq_opaque;
	int (*kvm_map)(void *opaque, uint64_t gpa, uint64_t size, void *hva);
	void *kvm_opaque;
	void (*wake_main)(void *opaque);
	void *wake_main_opaque;
	/* Where events go (the machine wires the QMP monitors); NULL: nowhere. */
	memory_device_event_fn emit;
};

/* Where device n's registers and interrupt are (platform.h); the DSDT says the same. */
void vmem_devices_window(unsigned n, uint64_t *mmio_base, uint32_t *gsi);

void vmem_devices_init(struct vmem_devices *s, const struct plugvm_config *cfg,
		       const struct boot_ram *boot_ram);
/* Tears every device down (the vCPUs have stopped). The KVM slots go with the VM, the
 * backends with the registry. */
void vmem_devices_destroy(struct vmem_devices *s);

/*
 * -device virtio-mem-pci,... before the guest runs: the n-th virtio-mem device on the
 * command line (its window and GSI), in a KVM memory slot of its own. The backend and the
 * region come from md (shared with the DIMMs). 0, or -1 with one line in err and
 * *host_fault telling a host failure (exit 1: mprotect, KVM, the MMIO bus) from the
 * command line's (exit 2: the rules of mm/virtio_mem_props.h).
 */
int vmem_devices_add(struct vmem_devices *s, struct memory_devices *md,
		     const struct keyval_list *props, char *err, size_t errlen,
		     bool *host_fault);

/* The device whose region holds gpa when that block is unplugged (a guest that touched
 * it), else NULL. Any thread. */
const struct vmem_device *vmem_devices_unplugged_at(struct vmem_devices *s, uint64_t gpa);

/* Main thread: sends the MEMORY_DEVICE_SIZE_CHANGE events that are due (one per device
 * and VMEM_EVENT_INTERVAL_NS, the latest size); the rest wait for the next call. */
void vmem_devices_run_deferred(struct vmem_devices *s, uint64_t now_ns);

/* The monitors' side (control_ops). */
unsigned vmem_devices_query(struct vmem_devices *s, struct virtio_mem_device_info *out,
			    unsigned max);
uint64_t vmem_devices_plugged_size(struct vmem_devices *s);
int vmem_devices_qom_get(struct vmem_devices *s, const char *path, const char *property,
			 struct qom_value *out, struct control_error *err);
int vmem_devices_qom_set(struct vmem_devices *s, const char *path, const char *property,
			 const char *value, struct control_error *err);

#endif
