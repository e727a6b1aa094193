/*
 * pc-dimm devices of a running machine: the one place where a hot-add or
 * hot-remove request meets the backend, the slot/address allocator, KVM and
 * the hotplug controller. It implements struct control_ops for the monitors.
 *
 * Locking: md->lock guards the DIMM table, the allocator and the backend
 * registry. It is never held while calling into memhp, because memhp calls
 * back (eject, _OST) with its own lock held and those callbacks take md->lock;
 * nor while a backend is created or destroyed, which can take seconds the
 * guest would wait in its exit (object_add, object_del).
 */
#ifndef PLUGVM_MEMORY_DEVICES_H
#define PLUGVM_MEMORY_DEVICES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "mm/backend.h"
#include "mm/dimm_alloc.h"
#include "mm/layout.h"
#include "mm/memhp.h"
#include "mm/memory_device_event.h"
#include "mm/memmap_warmup.h"
#include "monitor/control.h"
#include "util.h"

struct kvm;

struct dimm {
	bool used;
	char id[PV_ID_MAX + 1];  /* pv_check_id: never cut */
	struct mem_backend *backend;
	uint64_t addr, size;
	unsigned node;
	int kvm_slot;            /* the KVM memory slot it is mapped in (kvm_map's) */
	bool hotplugged;
	bool unplug_pending;
	bool unplug_answered;    /* the guest sent an _OST for the eject request */
	uint64_t unplug_sent_ns; /* when device_del queued the eject request */
};

/* A guest that has not answered an eject request at all (not even
 * "_OST 0x84, in progress") within this time is taken not to be
 * listening: the request is withdrawn and DEVICE_UNPLUG_GUEST_ERROR sent,
 * so device_del can be tried again. A guest that answered is waited for
 * without a limit, because offlining a large DIMM can take long. */
#define MEMORY_DEVICES_UNPLUG_TIMEOUT_NS (15ULL * 1000000000ULL)

struct ospm_record {
	bool valid;
	uint32_t source, status;
};

/* Events raised inside a guest's exit (_OST, _EJ0), handed from the vCPU thread to the
 * main thread as raw facts: sending a QMP event there would make the guest wait for it
 * (about 0.8 ms per _OST write in the nested bed, docs/benchmarks.md), and giving an
 * ejected DIMM's memory back to the host is the main thread's too. One FIFO keeps their
 * order, which is QEMU's: ACPI_DEVICE_OST before the DEVICE_UNPLUG_GUEST_ERROR it
 * causes, DEVICE_DELETED after the _EJ0, each _OST in the order the guest wrote them.
 * With a main loop (wake_main set) nothing is ever carried out inside the exit. */
enum md_deferred_kind {
	MD_EVENT_DELETED,      /* DEVICE_DELETED */
	MD_EVENT_OST,          /* ACPI_DEVICE_OST */
	MD_EVENT_UNPLUG_ERROR, /* DEVICE_UNPLUG_GUEST_ERROR (the guest refused an eject) */
};

struct md_deferred {
	enum md_deferred_kind kind;
	unsigned slot;
	uint32_t source, status; /* MD_EVENT_OST */
	char id[PV_ID_MAX + 1];  /* the DIMM's id, "" when the slot is empty */
	/* MD_EVENT_DELETED: the ejected DIMM's backend, whose memory goes back to the host
	 * (and which becomes free for object_del) just before the event is sent. */
	struct mem_backend *backend;
};

/* The FIFO takes an _OST that answers no one (the guest's own, at most
 * MD_OST_EVENTS_PER_SEC a slot) only while it holds fewer than this; beyond it (a main
 * thread busy for long, a guest flooding _OST writes) such an _OST is held back like one
 * over the rate limit, and the next tick sends the latest of its slot. */
#define MD_DEFERRED_MAX 256
/* Room kept beyond that for the entries that answer the host: per DIMM slot, between
 * two drains of the FIFO (device_add and device_del drain it first), at most the first
 * _OST answering a device_del, a refusal's _OST and its DEVICE_UNPLUG_GUEST_ERROR, and
 * one DEVICE_DELETED. So they always find room and never overtake what is queued. */
#define MD_DEFERRED_HOST (4 * PLUGVM_MAX_SLOTS)
#define MD_DEFERRED_CAP (MD_DEFERRED_MAX + MD_DEFERRED_HOST)

/* The guest may write _OST as often as it likes, and each write is an ACPI_DEVICE_OST
 * event (QEMU sends one for every _OST): per DIMM slot at most this many a second are
 * sent as they come. Of the rest only the latest is sent, by the next
 * memory_devices_tick, which says in one line how many were left out. The two _OSTs
 * that answer a device_del (the first answer, and a refusal) are always sent at once:
 * there are at most two per device_del, so the host, not the guest, sets their rate.
 * Linux sends one to three _OSTs per hot-add or hot-remove. */
#define MD_OST_EVENTS_PER_SEC 16

struct ost_throttle {
	uint64_t window_ns;      /* start of the current second */
	unsigned sent;           /* ACPI_DEVICE_OST events sent in it */
	unsigned dropped;        /* _OSTs not sent since the last tick */
	bool held_valid;
	struct md_deferred held; /* the latest of them, for the next tick */
};

struct memory_devices {
	pthread_mutex_t lock;
	const struct plugvm_config *cfg;
	const struct guest_layout *layout;
	struct kvm *kvm;
	struct backend_registry *backends;
	struct dimm_alloc alloc;
	struct memhp hp;
	struct dimm dimm[PLUGVM_MAX_SLOTS];
	struct ospm_record ost[PLUGVM_MAX_SLOTS];
	/* Where events go (the machine wires the QMP monitors); NULL: nowhere. */
	memory_device_event_fn emit;
	/* Warms each new DIMM's memmap when the guest keeps it on the DIMM (started by the
	 * caller); NULL: off. */
	struct memmap_warmup *warmup;
	/* Pulses the GED line; a hook so tests run without KVM. */
	void (*raise_ged)(void *opaque);
	void *raise_ged_opaque;
	/* KVM memory slots, hooks so tests run without KVM: kvm_map maps a DIMM in a slot it
	 * numbers itself (kvm_memslot_add) and returns that number or -1; kvm_unmap deletes
	 * it (kvm_memslot_del). */
	int (*kvm_map)(void *opaque, uint64_t gpa, uint64_t size, void *hva);
	int (*kvm_unmap)(void *opaque, int kvm_slot);
	void *kvm_opaque;
	/* Wakes the main thread, which then calls memory_devices_run_deferred. NULL: there
	 * is no main loop, and the work is done at once, inside the guest's exit (tests). */
	void (*wake_main)(void *opaque);
	void *wake_main_opaque;
	/* FIFO under lock; an entry stays until the main thread has carried it out, so a
	 * vCPU thread that finds it empty knows nothing is in flight. */
	struct md_deferred deferred[MD_DEFERRED_CAP];
	unsigned nr_deferred;
	struct ost_throttle ost_throttle[PLUGVM_MAX_SLOTS]; /* under lock */
	/* Create and destroy the backends of object_add and object_del (backend_create,
	 * backend_destroy); hooks so tests can act while a backend is being created. */
	int (*create_backend)(const struct keyval_list *kv, struct mem_backend **out, char *err,
			      size_t errlen);
	void (*destroy_backend)(struct mem_backend *b);
	/* Main thread, inside device_add, the moment the guest can see the new DIMM in `slot`
	 * (its slot enabled, before device_add returns): tests act as the guest there. NULL:
	 * nothing. */
	void (*dimm_visible)(void *opaque, unsigned slot);
	void *dimm_visible_opaque;
};

int memory_devices_init(struct memory_devices *md, const struct plugvm_config *cfg,
			const struct guest_layout *layout, struct backend_registry *backends);
void memory_devices_destroy(struct memory_devices *md);

/* For a memory device that is not a DIMM (virtio-mem), before the guest runs: memdev's
 * backend, which must exist and be free, becomes in use. NULL with err otherwise. */
struct mem_backend *memory_devices_claim_backend(struct memory_devices *md, const char *memdev,
						 char *err, size_t errlen);
/* Undoes memory_devices_claim_backend (the device was refused). */
void memory_devices_release_backend(struct memory_devices *md, struct mem_backend *b);
/* ... and its range of the device-memory window (dimm_alloc_reserve_region). 0 with
 * *addr, or -1 with err. */
int memory_devices_reserve_region(struct memory_devices *md, uint64_t size, uint64_t min_align,
				  uint64_t want_addr, uint64_t *addr, char *err, size_t errlen);

/* -device pc-dimm,... from the command line, before the guest runs. */
int memory_devices_coldplug(struct memory_devices *md, const struct keyval_list *props,
			    struct control_error *err);

/* Fills the memory half of control_ops (opaque = md); the caller adds the
 * machine-wide operations (status, powerdown, quit). */
void memory_devices_control_ops(struct memory_devices *md, struct control_ops *ops);

/* The query operations of control_ops (memory_devices_query.c); opaque = md. */
unsigned memory_devices_query_dimms(void *opaque, struct memory_device_info *out, unsigned max);
unsigned memory_devices_query_memdevs(void *opaque, struct memdev_info *out, unsigned max);
unsigned memory_devices_query_ospm(void *opaque, struct ospm_status_info *out, unsigned max);
unsigned memory_devices_query_numa(void *opaque, struct numa_node_info *out, unsigned max);
void memory_devices_query_size_summary(void *opaque, uint64_t *base, uint64_t *plugged);

/* Called about once a second by the main loop: withdraws unanswered
 * eject requests (see MEMORY_DEVICES_UNPLUG_TIMEOUT_NS) and sends the latest of the
 * _OST events held back (MD_OST_EVENTS_PER_SEC). */
void memory_devices_tick(struct memory_devices *md, uint64_t now_ns);

/* Main thread: carries out what the vCPU threads queued (memory back to the host, the
 * events), in order. */
void memory_devices_run_deferred(struct memory_devices *md);

/* Handler for the register block; `port` is absolute (arch/x86/ports.c adapts it to bus.h). */
void memory_devices_io(void *opaque, uint16_t port, bool is_write, uint8_t *data, unsigned size);

#endif
