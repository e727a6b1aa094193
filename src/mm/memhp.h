/*
 * The memory hotplug controller behind the DSDT's register block
 * (mm/memhp_regs.h, docs/hotplug-protocol.md): per-slot state the AML reads through a
 * selector, and a FIFO of (slot, notify code) events the AML pops from one
 * register, so one event costs the guest a constant number of port exits.
 *
 * Pure state machine: the VMM side (KVM memslots, the GED interrupt, replies
 * to monitor clients) is reached through struct memhp_ops.
 *
 * Locking: every entry point takes m->lock, and the callbacks are called
 * with it held, so a callback sees the slot exactly as the guest did. A
 * callback must therefore not call back into memhp (it would deadlock);
 * it may take locks of its own that are never held while calling memhp.
 */
#ifndef PLUGVM_MEMHP_H
#define PLUGVM_MEMHP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* _OST source events and status codes Linux sends (ACPI 6.x §6.3.5). */
#define MEMHP_OST_EV_DEVICE_CHECK  0x01
#define MEMHP_OST_EV_EJECT_REQUEST 0x03
#define MEMHP_OST_EV_OSPM_EJECT    0x103
#define MEMHP_OST_SUCCESS          0x00
#define MEMHP_OST_FAILURE          0x01
#define MEMHP_OST_UNRECOGNIZED     0x02
#define MEMHP_OST_EJECT_DISABLED   0x80
#define MEMHP_OST_EJECT_BUSY       0x82
#define MEMHP_OST_EJECT_IN_PROGRESS 0x84

/* The guest's _OST(source, status) refuses an eject (asked for by the host, 0x03, or its
 * own, 0x103): the memory stays online and the unplug is over. memhp and memory_devices
 * both act on it, so this one predicate decides for both. */
static inline bool memhp_ost_refuses_eject(uint32_t source, uint32_t status)
{
	return (source == MEMHP_OST_EV_EJECT_REQUEST || source == MEMHP_OST_EV_OSPM_EJECT) &&
	       status != MEMHP_OST_SUCCESS && status != MEMHP_OST_EJECT_IN_PROGRESS;
}

struct memhp_ops {
	/* Pulse the GED interrupt: called after an event is queued. */
	void (*raise_irq)(void *opaque);
	/* The guest ran _EJ0 on an enabled slot: unmap it now, before the
	 * port write returns (the guest's next _STA must read 0). */
	void (*eject)(void *opaque, unsigned slot);
	/* The guest's _OST(event, status) for slot. */
	void (*ost)(void *opaque, unsigned slot, uint32_t event, uint32_t status);
};

struct memhp_slot {
	bool enabled;         /* mapped and visible to the guest (_STA 0x0F) */
	bool mapping;         /* hot-added, its KVM slot still being created: reads as
			       * empty, and a QUEUE read reaching its Device Check waits */
	bool mapping_missed;  /* such a read gave up waiting: interrupt again when mapped */
	bool insert_pending;  /* hot-added, guest has not reported _OST(1, x) */
	bool eject_requested; /* host asked for removal, guest has not answered */
	uint64_t base, len;
	uint32_t pxm;
	uint32_t ost_event;   /* OST_EV latched until the OST_ST write */
	/* Event queue links: the queue is an intrusive doubly linked list
	 * of slots, so a slot is queued at most once and can be dropped or
	 * replaced in O(1). queued_code is 0 when the slot is not queued. */
	uint8_t queued_code;
	int16_t prev, next;
};

struct memhp {
	pthread_mutex_t lock;
	unsigned nr_slots;
	uint32_t selector;
	int16_t head, tail; /* -1 when the queue is empty */
	unsigned queued;    /* number of queued events */
	struct memhp_slot slot[PLUGVM_MAX_SLOTS];
	const struct memhp_ops *ops;
	void *opaque;
	/* Signalled when a slot leaves `mapping`. A QUEUE read waits on it at most
	 * mapping_wait_ns (CLOCK_MONOTONIC), then reads as empty. */
	pthread_cond_t mapped;
	uint64_t mapping_wait_ns;
};

/* How long a guest's QUEUE read waits for a KVM slot being created. The ioctl takes
 * well under a millisecond on a real host; this only bounds a stuck VMM thread. */
#define MEMHP_MAPPING_WAIT_NS 1000000000ull

/* nr_slots in [0, PLUGVM_MAX_SLOTS]; ops members may be NULL. 0 or -EINVAL. */
int memhp_init(struct memhp *m, unsigned nr_slots, const struct memhp_ops *ops, void *opaque);
void memhp_destroy(struct memhp *m);

/* Guest port accesses: offset from MEMHP_IO_BASE, size 1, 2 or 4. Registers
 * are 32 bits: 1/2-byte reads of plain registers return the addressed bytes;
 * QUEUE pops only on an aligned 4-byte read; writes count only when aligned
 * and 4 bytes wide. Anything else reads 0 / is ignored. */
uint32_t memhp_read(struct memhp *m, unsigned offset, unsigned size);
void memhp_write(struct memhp *m, unsigned offset, unsigned size, uint32_t value);

/* Fills a slot. hotplugged: set insert_pending, queue a Device Check and
 * raise the interrupt; otherwise (a DIMM present at boot) just enabled.
 * 0, -EINVAL (bad slot or length), -EBUSY (slot already enabled). */
int memhp_plug(struct memhp *m, unsigned slot, uint64_t base, uint64_t len, uint32_t pxm,
	       bool hotplugged);
/* Hot-add with the KVM slot created after the interrupt, so that the VMM's
 * ioctl overlaps the guest's interrupt delivery instead of preceding it:
 * memhp_plug_begin() fills the slot as `mapping` (it reads as empty), queues
 * the Device Check and raises the interrupt; the guest's QUEUE read that
 * reaches that Device Check waits until memhp_plug_mapped() (slot enabled) or
 * memhp_plug_abort() (slot and event dropped; the read moves on). So the
 * guest never sees the slot before KVM has it. If the wait times out the read
 * says "empty" and leaves the event queued; memhp_plug_mapped() then raises
 * the interrupt again. begin: 0, -EINVAL, -EBUSY (slot enabled or mapping);
 * mapped: 0 or -EINVAL (slot not mapping). */
int memhp_plug_begin(struct memhp *m, unsigned slot, uint64_t base, uint64_t len, uint32_t pxm);
int memhp_plug_mapped(struct memhp *m, unsigned slot);
void memhp_plug_abort(struct memhp *m, unsigned slot);
/* Queues an Eject Request and raises the interrupt. The memory stays
 * mapped until the guest's _EJ0. 0, -EINVAL (bad slot), -ENODEV (empty),
 * -EALREADY (already requested). */
int memhp_request_eject(struct memhp *m, unsigned slot);
/* Withdraws an eject request (e.g. the guest did not answer in time):
 * clears eject_requested and an Eject Request not yet popped. */
void memhp_cancel_eject(struct memhp *m, unsigned slot);
/* Copies a slot's state (queue links included); -EINVAL for a bad slot. */
int memhp_get_slot(struct memhp *m, unsigned slot, struct memhp_slot *out);
/* Raises the interrupt again if events are queued, for when the guest
 * was not yet listening (docs/linux-facts.md, "Onlining, and the GED edge before the driver listens"). Returns the number queued. */
unsigned memhp_kick(struct memhp *m);

#endif
