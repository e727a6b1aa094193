#include "mm/memory_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fault_inject.h"
#include "mm/dimm_props.h"
#include "mm/virtio_mem_props.h"
#include "arch/x86/platform.h"
#include "trace.h"
#include "util.h"


static void emit(struct memory_devices *md, enum memory_device_event_kind kind, const char *id)
{
	struct memory_device_event ev = { .kind = kind, .id = id };

	if (md->emit)
		md->emit(&ev);
}

static struct dimm *find_dimm(struct memory_devices *md, const char *id, unsigned *slot)
{
	for (unsigned i = 0; i < md->alloc.nr_slots; i++) {
		if (md->dimm[i].used && strcmp(md->dimm[i].id, id) == 0) {
			if (slot)
				*slot = i;
			return &md->dimm[i];
		}
	}
	return NULL;
}

/* Maps (size > 0) DIMM slot `slot` in a new KVM slot, whose number goes to *kvm_slot, or
 * drops (size 0) KVM slot *kvm_slot. kvm.c numbers KVM's slots, not this file. The trace
 * line gives the ioctl's own duration, so a benchmark can tell the kernel's part of
 * plugvm's share from plugvm's. */
static int set_dimm_slot(struct memory_devices *md, unsigned slot, int *kvm_slot, uint64_t gpa,
			 uint64_t size, void *hva)
{
	uint64_t t0 = pv_trace_on() ? pv_now_ns() : 0;
	int ret;

	if (size) {
		*kvm_slot = md->kvm_map(md->kvm_opaque, gpa, size, hva);
		ret = *kvm_slot < 0 ? -1 : 0;
	} else {
		ret = md->kvm_unmap(md->kvm_opaque, *kvm_slot);
		*kvm_slot = -1;
	}

	if (t0)
		pv_trace("kvm-slot %u %" PRIu64 " %" PRIu64, slot, size, pv_now_ns() - t0);
	return ret;
}

/* Gives the host its memory back once the guest has let go of it. A file
 * the user named keeps its data unless discard-data=on. */
static void release_backend_memory(struct mem_backend *b)
{
	if (b->kind == MEM_BACKEND_RAM && !b->share) {
		madvise(b->hva, b->size, MADV_DONTNEED);
	} else if (b->kind == MEM_BACKEND_MEMFD ||
		   (b->kind == MEM_BACKEND_FILE && b->discard_data)) {
		if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)b->size) < 0)
			madvise(b->hva, b->size, MADV_DONTNEED);
	} else if (b->kind == MEM_BACKEND_RAM) {
		madvise(b->hva, b->size, MADV_REMOVE);
	}
}

/* Once the KVM slot exists: KVM's slot update must not compete with the warm-up for the
 * CPU while the guest may be waiting for it (it took 4-8 ms instead of 0.5 when the
 * warm-up started first, docs/benchmarks.md). The guest's first memmap write comes
 * milliseconds later, after its ACPI work. And before the guest can see a hot-added DIMM,
 * so that an eject always finds the job to cancel (dimm_add). */
static void queue_warmup(struct memory_devices *md, struct mem_backend *b, unsigned node,
			 bool hotplugged)
{
	/* A preallocated DIMM needs no warming, but boot RAM under its memmap may. */
	if (md->warmup && (!b->prealloc || md->warmup->nr_ram))
		memmap_warmup_queue(md->warmup, b->hva, b->size, node, hotplugged);
}

/* Before a DIMM's memory goes back to the host: a warm-up still running on it would
 * populate it again. */
static void cancel_warmup(struct memory_devices *md, struct mem_backend *b)
{
	if (md->warmup)
		memmap_warmup_cancel(md->warmup, b->hva, b->size);
}

/* A hot-add that failed: the guest never saw the DIMM, so what the warm-up populated
 * goes back to the host at once (the failed command leaves no memory behind). */
static void undo_warmup(struct memory_devices *md, struct mem_backend *b)
{
	if (!md->warmup)
		return;
	cancel_warmup(md, b);
	release_backend_memory(b);
}

/* vCPU thread, md->lock held, inside the guest's _EJ0 port write: the guest has removed
 * the memory, so only now may the KVM slot go. It goes inside this exit, before the
 * guest's next _STA (the hot-remove contract): once the ioctl returns no vCPU can reach
 * the memory. Giving the memory back to the host is left to the main thread, with the
 * DEVICE_DELETED event: for a DIMM that held data that is the longest part (freeing
 * every page of it), and the guest need not wait for it. Until then the backend stays in
 * use, so nothing else can map it. */
static void remove_ejected(struct memory_devices *md, unsigned slot, struct md_deferred *deleted)
{
	struct dimm *d = &md->dimm[slot];

	/* KVM_SET_USER_MEMORY_REGION returns once no vCPU can reach the old slot. */
	if (set_dimm_slot(md, slot, &d->kvm_slot, d->addr, 0, NULL) < 0)
		pv_error("removing KVM slot of DIMM '%s': %s", d->id, strerror(errno));
	dimm_alloc_release(&md->alloc, slot);
	*deleted = (struct md_deferred){ .kind = MD_EVENT_DELETED, .slot = slot,
					 .backend = d->backend };
	snprintf(deleted->id, sizeof(deleted->id), "%s", d->id);
	pv_debug("DIMM '%s' ejected from slot %u", d->id, slot);
	memset(d, 0, sizeof(*d));
}

static void emit_ost_event(struct memory_devices *md, const char *id, unsigned slot,
			   uint32_t source, uint32_t status)
{
	struct memory_device_event ev = { .kind = MEMORY_DEVICE_EVENT_OST, .id = id,
					  .slot = slot, .source = source, .status = status };

	if (md->emit)
		md->emit(&ev);
}

static void carry_out(struct memory_devices *md, const struct md_deferred *w)
{
	switch (w->kind) {
	case MD_EVENT_DELETED:
		/* The KVM slot is gone (remove_ejected): the memory can go back, then the
		 * backend is free, then the client hears of it. */
		cancel_warmup(md, w->backend);
		if (md->warmup)
			memmap_warmup_memmap_freed(md->warmup, w->backend->size);
		release_backend_memory(w->backend);
		pthread_mutex_lock(&md->lock);
		w->backend->in_use = false;
		pthread_mutex_unlock(&md->lock);
		emit(md, MEMORY_DEVICE_EVENT_DELETED, w->id);
		break;
	case MD_EVENT_OST:
		emit_ost_event(md, w->id, w->slot, w->source, w->status);
		break;
	case MD_EVENT_UNPLUG_ERROR:
		pv_info("guest refused to eject DIMM '%s' (_OST status 0x%x)", w->id, w->status);
		emit(md, MEMORY_DEVICE_EVENT_UNPLUG_ERROR, w->id);
		break;
	}
}

void memory_devices_run_deferred(struct memory_devices *md)
{
	for (;;) {
		struct md_deferred item;

		pthread_mutex_lock(&md->lock);
		if (md->nr_deferred == 0) {
			pthread_mutex_unlock(&md->lock);
			return;
		}
		item = md->deferred[0];
		pthread_mutex_unlock(&md->lock);
		carry_out(md, &item);
		/* Removed only now: until here a vCPU thread sees work in flight and queues
		 * behind it instead of waking this thread again. */
		pthread_mutex_lock(&md->lock);
		memmove(&md->deferred[0], &md->deferred[1],
			(md->nr_deferred - 1) * sizeof(md->deferred[0]));
		md->nr_deferred--;
		pthread_mutex_unlock(&md->lock);
	}
}

enum md_queued {
	MD_QUEUED,  /* in the FIFO, for the main thread */
	MD_AT_ONCE, /* no main loop: the caller carries it out */
	MD_HELD,    /* an _OST that answers no one, the FIFO full: hold it for the tick */
};

/* Who queues an entry. */
enum md_from {
	MD_FROM_HOST,  /* a vCPU, for what answers the host: DEVICE_DELETED, the _OSTs and
			* refusal of a device_del; the FIFO always has room (MD_DEFERRED_HOST) */
	MD_FROM_GUEST, /* a vCPU, for an _OST that answers no one: full beyond MD_DEFERRED_MAX */
	MD_FROM_TICK,  /* the main thread, for such an _OST held back; the same limit, but
			* the fault site (which stands for a vCPU finding it full) is not hit */
};

/* md->lock held: queues w for the main thread. *wake: the FIFO was empty, so the main
 * thread needs a wake-up. */
static enum md_queued defer_locked(struct memory_devices *md, const struct md_deferred *w,
				   enum md_from from, bool *wake)
{
	if (!md->wake_main)
		return MD_AT_ONCE;
	if (from != MD_FROM_HOST &&
	    (md->nr_deferred >= MD_DEFERRED_MAX ||
	     (from == MD_FROM_GUEST && fault_inject_hit(FAULT_DEFERRED_QUEUE_FULL))))
		return MD_HELD;
	if (md->nr_deferred >= MD_DEFERRED_CAP) {
		/* Cannot happen (MD_DEFERRED_HOST); rather out of order than lost. */
		pv_error("memory devices: event FIFO overflow, carrying out at once");
		return MD_AT_ONCE;
	}
	*wake = *wake || md->nr_deferred == 0;
	md->deferred[md->nr_deferred++] = *w;
	return MD_QUEUED;
}

/* memhp callback, vCPU thread: the guest's _EJ0. */
static void on_eject(void *opaque, unsigned slot)
{
	struct memory_devices *md = opaque;
	struct md_deferred deleted;
	bool removed, wake = false;
	enum md_queued q = MD_QUEUED;

	pv_trace("eject %u", slot);
	pthread_mutex_lock(&md->lock);
	removed = md->dimm[slot].used;
	if (removed) {
		remove_ejected(md, slot, &deleted);
		q = defer_locked(md, &deleted, MD_FROM_HOST, &wake);
	}
	pthread_mutex_unlock(&md->lock);
	if (wake)
		md->wake_main(md->wake_main_opaque);
	if (removed && q == MD_AT_ONCE)
		carry_out(md, &deleted);
}

/* md->lock held: the slot's latest _OST not sent, for the next tick. */
static void hold_ost_locked(struct ost_throttle *t, const struct md_deferred *ost)
{
	t->dropped++;
	t->held = *ost;
	t->held_valid = true;
}

/* vCPU thread, md->lock held: whether the ACPI_DEVICE_OST event of an _OST may go out
 * now (MD_OST_EVENTS_PER_SEC; always when it answers a device_del). If not, it is counted
 * and kept as the slot's latest, which the next tick sends; one sent later replaces it,
 * so the events of one slot keep their order and the last one sent is the latest. */
static bool ost_admit_locked(struct memory_devices *md, const struct md_deferred *ost,
			     bool answers_host, uint64_t now)
{
	struct ost_throttle *t = &md->ost_throttle[ost->slot];

	if (now - t->window_ns >= 1000000000ULL) {
		t->window_ns = now;
		t->sent = 0;
	}
	if (answers_host || t->sent < MD_OST_EVENTS_PER_SEC) {
		t->sent++;
		t->held_valid = false;
		return true;
	}
	hold_ost_locked(t, ost);
	return false;
}

/* memhp callback, vCPU thread: the guest's _OST. The DIMM's state changes here; the
 * events are built and sent by the main thread (memory_devices_run_deferred).
 *
 * The guest is not trusted to write _OST only when it has something to say. A refusal
 * counts (DEVICE_UNPLUG_GUEST_ERROR and a log line) only while a device_del of that DIMM
 * is pending, and ends it, so there is at most one per device_del. A refusal of the
 * guest's own eject (0x103) with no device_del pending answers no one: its
 * ACPI_DEVICE_OST says all there is, rate-limited like every _OST that answers nothing
 * (a guest could arm any state of its own again and again, so none is kept for it). */
static void on_ost(void *opaque, unsigned slot, uint32_t source, uint32_t status)
{
	struct memory_devices *md = opaque;
	struct dimm *d = &md->dimm[slot];
	struct md_deferred ost = { .kind = MD_EVENT_OST, .slot = slot, .source = source,
				   .status = status };
	struct md_deferred refusal = { .kind = MD_EVENT_UNPLUG_ERROR, .slot = slot,
				       .status = status };
	bool pending, answers, refused, send, wake = false;
	enum md_queued ost_q = MD_HELD, refusal_q = MD_QUEUED;
	uint64_t now = pv_now_ns();

	pv_trace("ost %u %u 0x%x", slot, source, status);
	pthread_mutex_lock(&md->lock);
	pending = d->used && d->unplug_pending;
	md->ost[slot] = (struct ospm_record){ true, source, status };
	snprintf(ost.id, sizeof(ost.id), "%s", d->used ? d->id : "");
	/* The first answer to device_del's request, usually "in progress" (0x84). */
	answers = pending && source == MEMHP_OST_EV_EJECT_REQUEST && !d->unplug_answered;
	if (answers)
		d->unplug_answered = true;
	refused = pending && memhp_ost_refuses_eject(source, status);
	if (refused) {
		d->unplug_pending = false;
		snprintf(refusal.id, sizeof(refusal.id), "%s", d->id);
	}
	send = ost_admit_locked(md, &ost, answers || refused, now);
	if (send)
		ost_q = defer_locked(md, &ost, answers || refused ? MD_FROM_HOST : MD_FROM_GUEST,
				     &wake);
	if (ost_q == MD_HELD && send)
		hold_ost_locked(&md->ost_throttle[slot], &ost);
	/* Behind its _OST, which answers the host too: both queued, or (no main loop) both
	 * carried out below, the _OST first. */
	if (refused)
		refusal_q = defer_locked(md, &refusal, MD_FROM_HOST, &wake);
	pthread_mutex_unlock(&md->lock);

	if (wake)
		md->wake_main(md->wake_main_opaque);
	if (ost_q == MD_AT_ONCE)
		carry_out(md, &ost);
	if (refused && refusal_q == MD_AT_ONCE)
		carry_out(md, &refusal);
}

/* Main thread, from the tick: the held-back _OST events go out, the latest of each slot,
 * and one line says how many were left out (at most one line a second, whatever the
 * guest does). They go through the FIFO, behind what the vCPU threads queued before; one
 * that still finds it full waits for the next tick. */
static void send_held_osts(struct memory_devices *md)
{
	struct md_deferred now[PLUGVM_MAX_SLOTS];
	unsigned n = 0, dropped = 0, slots = 0;
	bool wake = false;

	memory_devices_run_deferred(md); /* room for them */
	pthread_mutex_lock(&md->lock);
	for (unsigned i = 0; i < md->alloc.nr_slots; i++) {
		struct ost_throttle *t = &md->ost_throttle[i];
		enum md_queued q;

		if (t->dropped) {
			dropped += t->dropped;
			slots++;
			t->dropped = 0;
		}
		if (!t->held_valid)
			continue;
		q = defer_locked(md, &t->held, MD_FROM_TICK, &wake);
		if (q == MD_AT_ONCE)
			now[n++] = t->held;
		t->held_valid = q == MD_HELD;
	}
	pthread_mutex_unlock(&md->lock);
	if (dropped)
		pv_info("guest _OST flood: %u reports on %u DIMM slot%s went over the limit of %u "
			"ACPI_DEVICE_OST events a second per slot (or found the event queue full) "
			"and were not sent, except the latest of each slot", dropped, slots,
			slots == 1 ? "" : "s", MD_OST_EVENTS_PER_SEC);
	memory_devices_run_deferred(md);
	for (unsigned i = 0; i < n; i++)
		carry_out(md, &now[i]);
}

static void on_raise_irq(void *opaque)
{
	struct memory_devices *md = opaque;
	uint64_t t0 = pv_trace_on() ? pv_now_ns() : 0;

	/* Two lines: the guest may act on the interrupt before KVM_IRQ_LINE returns, so its
	 * register accesses count from the first; the ioctls' time (the second) is plugvm's. */
	pv_trace("ged-raise");
	if (md->raise_ged)
		md->raise_ged(md->raise_ged_opaque);
	if (t0)
		pv_trace("ged-raised %" PRIu64, pv_now_ns() - t0);
}

static const struct memhp_ops memhp_callbacks = {
	.raise_irq = on_raise_irq,
	.eject = on_eject,
	.ost = on_ost,
};

int memory_devices_init(struct memory_devices *md, const struct plugvm_config *cfg,
			const struct guest_layout *layout, struct backend_registry *backends)
{
	memset(md, 0, sizeof(*md));
	pthread_mutex_init(&md->lock, NULL);
	md->cfg = cfg;
	md->layout = layout;
	md->backends = backends;
	md->create_backend = backend_create;
	md->destroy_backend = backend_destroy;
	dimm_alloc_init(&md->alloc, layout, cfg->slots);
	return memhp_init(&md->hp, cfg->slots, &memhp_callbacks, md);
}

void memory_devices_destroy(struct memory_devices *md)
{
	md->nr_deferred = 0; /* work the main loop did not get to holds no resources */
	memhp_destroy(&md->hp);
	pthread_mutex_destroy(&md->lock);
}

void memory_devices_io(void *opaque, uint16_t port, bool is_write, uint8_t *data, unsigned size)
{
	struct memory_devices *md = opaque;
	unsigned offset = port - MEMHP_IO_BASE;
	uint32_t value = 0;
	uint64_t t0 = pv_trace_on() ? pv_now_ns() : 0;

	if (t0) /* the lines of _OST, _EJ0 and KVM's slot change are written after the access */
		pv_trace_hold();
	if (is_write) {
		memcpy(&value, data, size < 4 ? size : 4);
		memhp_write(&md->hp, offset, size, value);
	} else {
		value = memhp_read(&md->hp, offset, size);
		memcpy(data, &value, size < 4 ? size : 4);
	}
	if (t0) { /* start time, access, handler time: the writes are not counted */
		pv_trace("io %llu %c 0x%x 0x%x %llu", (unsigned long long)t0, is_write ? 'w' : 'r',
			 offset, value, (unsigned long long)(pv_now_ns() - t0));
		pv_trace_release();
	}
}

/* A number property of -device/device_add, read by dimm_props_parse (mm/dimm_props.c,
 * the command line's grammar too): 1 when given, 0 when absent, -1 with err when it is
 * not a number. */
static int check_number_prop(const struct dimm_number *n, const char *key,
			     struct control_error *err)
{
	if (!n->text)
		return 0;
	if (!n->valid) {
		control_error_set(err, NULL, "pc-dimm: '%s' is not a valid value for '%s'", n->text, key);
		return -1;
	}
	return 1;
}

struct dimm_props {
	const char *id;
	struct mem_backend *backend;
	unsigned node;
	struct dimm_request req;
};

/* Every check that needs no allocation, with one error per rule. */
static int check_dimm_props(struct memory_devices *md, const struct keyval_list *props,
			    struct dimm_props *p, struct control_error *err)
{
	const char *driver = keyval_get(props, "driver");
	struct dimm_props_parsed parsed;
	const char *memdev, *unknown;
	unsigned nr_nodes = config_nr_nodes(md->cfg);
	uint64_t v;
	int r;

	dimm_props_parse(props, &parsed);
	memdev = parsed.memdev;
	unknown = parsed.unknown;
	memset(p, 0, sizeof(*p));
	p->req.slot = DIMM_ANY_SLOT;
	p->req.addr = DIMM_ANY_ADDR;
	if (vmem_is_driver(driver)) {
		control_error_set(err, NULL, "device_add: %s", VMEM_NO_HOTPLUG_ERROR);
		return -1;
	}
	if (!driver || strcmp(driver, "pc-dimm") != 0) {
		control_error_set(err, NULL, "device_add: driver '%s' is not supported, plugvm only has 'pc-dimm'",
			driver ? driver : "");
		return -1;
	}
	if (unknown) {
		control_error_set(err, NULL, "pc-dimm: unknown property '%s'", unknown);
		return -1;
	}
	p->id = parsed.id;
	if (!p->id || !p->id[0]) {
		control_error_set(err, NULL, "pc-dimm: 'id' is required (device_del needs it)");
		return -1;
	}
	if (pv_check_id(p->id, err->desc, sizeof(err->desc)) < 0) {
		err->cls = NULL;
		return -1;
	}
	if (find_dimm(md, p->id, NULL)) {
		control_error_set(err, NULL, "Duplicate device ID '%s'", p->id);
		return -1;
	}
	if (md->cfg->slots == 0) {
		control_error_set(err, NULL, "memory hotplug is not enabled: start with -m SIZE,slots=N,maxmem=SIZE");
		return -1;
	}
	if (!memdev) {
		control_error_set(err, NULL, "pc-dimm: property 'memdev' is required");
		return -1;
	}
	p->backend = backend_registry_find(md->backends, memdev);
	if (!p->backend) {
		control_error_set(err, NULL, "pc-dimm: memdev '%s' does not exist", memdev);
		return -1;
	}
	if (p->backend->in_use) {
		control_error_set(err, NULL, "pc-dimm: memdev '%s' is already in use", memdev);
		return -1;
	}
	if ((r = check_number_prop(&parsed.node, "node", err)) < 0)
		return -1;
	v = parsed.node.value;
	if (r && !config_has_node(md->cfg, v)) {
		control_error_set(err, NULL, "pc-dimm: node %" PRIu64 " does not exist (the machine has %u)", v,
			nr_nodes);
		return -1;
	}
	p->node = r ? (unsigned)v : 0;
	if ((r = check_number_prop(&parsed.slot, "slot", err)) < 0)
		return -1;
	v = parsed.slot.value;
	if (r)
		p->req.slot = v >= PLUGVM_MAX_SLOTS ? PLUGVM_MAX_SLOTS : (int)v;
	if ((r = check_number_prop(&parsed.addr, "addr", err)) < 0)
		return -1;
	if (r)
		p->req.addr = parsed.addr.value;
	p->req.size = p->backend->size;
	p->req.page_size = p->backend->page_size;
	return 0;
}

/* md->lock not held: creates the KVM slot of a DIMM (its number to *kvm_slot) and undoes
 * the reservation when KVM refuses it. */
static int map_dimm(struct memory_devices *md, const struct dimm_props *p, unsigned slot,
		    uint64_t addr, int *kvm_slot, struct control_error *err)
{
	if (set_dimm_slot(md, slot, kvm_slot, addr, p->req.size, p->backend->hva) == 0)
		return 0;
	control_error_set(err, NULL, "pc-dimm '%s': KVM refused the memory slot "
			  "(KVM_SET_USER_MEMORY_REGION): %s", p->id, strerror(errno));
	pthread_mutex_lock(&md->lock);
	dimm_alloc_release(&md->alloc, slot);
	pthread_mutex_unlock(&md->lock);
	return -1;
}

/* md->lock not held: the DIMM is mapped; record it. */
static void record_dimm(struct memory_devices *md, const struct dimm_props *p, unsigned slot,
			uint64_t addr, int kvm_slot, bool hotplug)
{
	struct dimm *d = &md->dimm[slot];

	pthread_mutex_lock(&md->lock);
	*d = (struct dimm){ .used = true, .backend = p->backend, .addr = addr, .size = p->req.size,
			    .node = p->node, .kvm_slot = kvm_slot, .hotplugged = hotplug };
	snprintf(d->id, sizeof(d->id), "%s", p->id);
	p->backend->in_use = true;
	md->ost[slot].valid = false;
	pthread_mutex_unlock(&md->lock);
}

/* Main thread only (the control socket and the command line), so nothing else adds or
 * removes a DIMM while this runs; vCPU threads only see the slot through memhp, which
 * shows it to the guest once KVM maps it.
 *
 * Hot-add raises the GED first and creates the KVM slot while the guest takes the
 * interrupt: the guest's first register read for the event waits for the slot
 * (memhp_plug_begin), so KVM's memslot update (it waits for an SRCU grace period) overlaps
 * the guest's interrupt delivery instead of delaying it. A DIMM present at boot is simply
 * mapped, then filled in. */
static int dimm_add(struct memory_devices *md, const struct keyval_list *props, bool hotplug,
		    struct control_error *err)
{
	struct dimm_props p;
	unsigned slot;
	uint64_t addr;
	char why[256];
	int ret, kvm_slot = -1;

	pthread_mutex_lock(&md->lock);
	if (check_dimm_props(md, props, &p, err) < 0) {
		pthread_mutex_unlock(&md->lock);
		return -1;
	}
	ret = dimm_alloc_reserve(&md->alloc, &p.req, &slot, &addr, why, sizeof(why));
	pthread_mutex_unlock(&md->lock);
	if (ret != DIMM_ALLOC_OK) {
		control_error_set(err, NULL, "pc-dimm '%s': %s", p.id, why);
		return -1;
	}

	/* Outside md->lock: memhp may call back into us (see the header). */
	if (hotplug) {
		ret = memhp_plug_begin(&md->hp, slot, addr, p.req.size, p.node);
		if (ret == 0 && map_dimm(md, &p, slot, addr, &kvm_slot, err) < 0) {
			memhp_plug_abort(&md->hp, slot); /* drops the event; a waiting read moves on */
			return -1;
		}
		if (ret == 0) {
			record_dimm(md, &p, slot, addr, kvm_slot, true);
			/* Before memhp_plug_mapped (issue 17 finding 10): from there on the
			 * guest may eject the DIMM, and when the main thread cannot take the
			 * eject's work (no main loop) the vCPU thread cancels the
			 * warm-up and gives the memory back at once. Queued after that, the
			 * warm-up would populate memory already given back, of a backend that
			 * object_del may then unmap. Queued here, every eject comes after it
			 * (the slot is enabled under memhp's lock, which the eject takes), so
			 * the cancel finds the job. */
			queue_warmup(md, p.backend, p.node, true);
			ret = memhp_plug_mapped(&md->hp, slot);
			if (ret == 0 && md->dimm_visible)
				md->dimm_visible(md->dimm_visible_opaque, slot);
		}
	} else {
		if (map_dimm(md, &p, slot, addr, &kvm_slot, err) < 0)
			return -1;
		queue_warmup(md, p.backend, p.node, false);
		record_dimm(md, &p, slot, addr, kvm_slot, false);
		ret = memhp_plug(&md->hp, slot, addr, p.req.size, p.node, false);
	}
	if (ret < 0) {
		/* Cannot happen for a slot the allocator just gave out; undo anyway. */
		struct dimm *d = &md->dimm[slot];

		memhp_plug_abort(&md->hp, slot);
		undo_warmup(md, p.backend);
		pthread_mutex_lock(&md->lock);
		if (d->used) {
			set_dimm_slot(md, slot, &d->kvm_slot, addr, 0, NULL);
			p.backend->in_use = false;
			memset(d, 0, sizeof(*d));
		}
		dimm_alloc_release(&md->alloc, slot);
		pthread_mutex_unlock(&md->lock);
		control_error_set(err, NULL, "pc-dimm: hotplug controller refused slot %u", slot);
		return -1;
	}
	pv_debug("DIMM '%s' %s in slot %u at 0x%" PRIx64 ", %" PRIu64 " MiB, node %u", p.id,
		 hotplug ? "hot-added" : "present", slot, addr, p.req.size >> 20, p.node);
	return 0;
}

struct mem_backend *memory_devices_claim_backend(struct memory_devices *md, const char *memdev,
						 char *err, size_t errlen)
{
	struct mem_backend *b;

	pthread_mutex_lock(&md->lock);
	b = memdev ? backend_registry_find(md->backends, memdev) : NULL;
	if (!b) {
		pv_format(err, errlen, "memdev '%s' does not exist", memdev ? memdev : "");
	} else if (b->in_use) {
		pv_format(err, errlen, "can't use already busy memdev: %s", memdev);
		b = NULL;
	} else {
		b->in_use = true;
	}
	pthread_mutex_unlock(&md->lock);
	return b;
}

void memory_devices_release_backend(struct memory_devices *md, struct mem_backend *b)
{
	pthread_mutex_lock(&md->lock);
	b->in_use = false;
	pthread_mutex_unlock(&md->lock);
}

int memory_devices_reserve_region(struct memory_devices *md, uint64_t size, uint64_t min_align,
				  uint64_t want_addr, uint64_t *addr, char *err, size_t errlen)
{
	int ret;

	pthread_mutex_lock(&md->lock);
	ret = dimm_alloc_reserve_region(&md->alloc, size, min_align,
					want_addr == UINT64_MAX ? DIMM_ANY_ADDR : want_addr, addr,
					err, errlen);
	pthread_mutex_unlock(&md->lock);
	return ret == DIMM_ALLOC_OK ? 0 : -1;
}

int memory_devices_coldplug(struct memory_devices *md, const struct keyval_list *props,
			    struct control_error *err)
{
	return dimm_add(md, props, false, err);
}

static int op_device_add(void *opaque, const struct keyval_list *props, struct control_error *err)
{
	pv_trace("device_add");
	/* The FIFO's room for what answers the host counts from here (MD_DEFERRED_HOST). */
	memory_devices_run_deferred(opaque);
	return dimm_add(opaque, props, true, err);
}

static int op_device_del(void *opaque, const char *id, struct control_error *err)
{
	struct memory_devices *md = opaque;
	char shown[128];
	struct dimm *d;
	unsigned slot;
	int ret;

	pv_trace("device_del %s", pv_printable(id, shown, sizeof(shown)));
	/* The FIFO's room for what answers the host counts from here (MD_DEFERRED_HOST). */
	memory_devices_run_deferred(md);
	pthread_mutex_lock(&md->lock);
	d = find_dimm(md, id, &slot);
	if (!d) {
		pthread_mutex_unlock(&md->lock);
		/* Any string may come here: an id that was refused, escape sequences and all. */
		control_error_set(err, CONTROL_ERR_DEVICE_NOT_FOUND, "Device '%s' not found", shown);
		return -1;
	}
	if (d->unplug_pending) {
		pthread_mutex_unlock(&md->lock);
		control_error_set(err, NULL, "device_del for '%s' is already in progress: the guest has not ejected it yet", id);
		return -1;
	}
	d->unplug_pending = true;
	d->unplug_answered = false;
	d->unplug_sent_ns = pv_now_ns();
	pthread_mutex_unlock(&md->lock);

	ret = memhp_request_eject(&md->hp, slot);
	if (ret == -ENODEV)
		return 0; /* the guest ejected it in the meantime; DEVICE_DELETED went out */
	if (ret < 0) {
		pthread_mutex_lock(&md->lock);
		d->unplug_pending = false;
		pthread_mutex_unlock(&md->lock);
		control_error_set(err, NULL, "device_del '%s': eject request refused (%s)", id, strerror(-ret));
		return -1;
	}
	return 0;
}

void memory_devices_tick(struct memory_devices *md, uint64_t now_ns)
{
	unsigned expired[PLUGVM_MAX_SLOTS], n = 0;
	char id[PV_ID_MAX + 1];

	send_held_osts(md);
	pthread_mutex_lock(&md->lock);
	for (unsigned i = 0; i < md->alloc.nr_slots; i++) {
		struct dimm *d = &md->dimm[i];

		if (d->used && d->unplug_pending && !d->unplug_answered &&
		    now_ns - d->unplug_sent_ns >= MEMORY_DEVICES_UNPLUG_TIMEOUT_NS)
			expired[n++] = i;
	}
	pthread_mutex_unlock(&md->lock);

	for (unsigned k = 0; k < n; k++) {
		unsigned slot = expired[k];
		struct dimm *d = &md->dimm[slot];
		bool withdrawn = false;

		/* Outside md->lock: memhp's lock comes first (see the header). */
		memhp_cancel_eject(&md->hp, slot);
		pthread_mutex_lock(&md->lock);
		if (d->used && d->unplug_pending && !d->unplug_answered) {
			d->unplug_pending = false;
			snprintf(id, sizeof(id), "%s", d->id);
			withdrawn = true;
		}
		pthread_mutex_unlock(&md->lock);
		if (withdrawn) {
			pv_info("guest did not answer the eject request for DIMM '%s' within %llu s; "
				"request withdrawn", id,
				MEMORY_DEVICES_UNPLUG_TIMEOUT_NS / 1000000000ULL);
			emit(md, MEMORY_DEVICE_EVENT_UNPLUG_ERROR, id);
		}
	}
}

/* The backend is created and destroyed without md->lock: creating can take seconds (a
 * large prealloc=on backend), and the guest's _OST and _EJ0 take md->lock inside their
 * exit, so the guest would wait that long (docs/architecture.md, "Threads and locks"). The id is reserved
 * under the lock first, so a second object_add of it is refused meanwhile, and a creation
 * that fails leaves it free again. */
static int op_object_add(void *opaque, const struct keyval_list *props, struct control_error *err)
{
	struct memory_devices *md = opaque;
	struct mem_backend *b;
	const char *id = keyval_get(props, "id");
	int ret;

	/* Before anything quotes the id (backend_create checks it too, for -object). */
	if (pv_check_id(id, err->desc, sizeof(err->desc)) < 0) {
		err->cls = NULL;
		return -1;
	}
	/* The size is claimed with the id, so the budget holds before anything is allocated;
	 * a missing or bad size is backend_create's to report, after the claim of 0. */
	uint64_t size = 0;

	if (keyval_get_size(props, "size", 0, &size) < 0)
		size = 0;
	pthread_mutex_lock(&md->lock);
	ret = backend_registry_reserve(md->backends, id, size, err->desc, sizeof(err->desc));
	pthread_mutex_unlock(&md->lock);
	if (ret == -EEXIST) {
		control_error_set(err, NULL, "object '%s' already exists", id);
		return -1;
	}
	if (ret < 0) {
		err->cls = NULL;
		return -1;
	}

	ret = md->create_backend(props, &b, err->desc, sizeof(err->desc));

	pthread_mutex_lock(&md->lock);
	if (ret < 0)
		backend_registry_unreserve(md->backends, id);
	else
		backend_registry_fill(md->backends, b);
	pthread_mutex_unlock(&md->lock);
	if (ret < 0) {
		err->cls = NULL;
		return -1;
	}
	return 0;
}

/* Out of the registry under md->lock (refused while a DIMM or a node uses it), unmapped
 * after it, for the reason op_object_add gives. */
static int op_object_del(void *opaque, const char *id, struct control_error *err)
{
	struct memory_devices *md = opaque;
	struct mem_backend *b;
	int ret;

	pthread_mutex_lock(&md->lock);
	ret = backend_registry_detach(md->backends, id, &b, err->desc, sizeof(err->desc));
	pthread_mutex_unlock(&md->lock);
	if (ret == -ENOENT) {
		char shown[128];

		/* Any string may come here: an id that was refused, escape sequences and all. */
		control_error_set(err, NULL, "object '%s' not found", pv_printable(id, shown, sizeof(shown)));
		return -1;
	}
	if (ret == -EBUSY) {
		control_error_set(err, NULL, "object '%s' is in use, can not be deleted", id);
		return -1;
	}
	md->destroy_backend(b);
	return 0;
}

void memory_devices_control_ops(struct memory_devices *md, struct control_ops *ops)
{
	ops->object_add = op_object_add;
	ops->object_del = op_object_del;
	ops->device_add = op_device_add;
	ops->device_del = op_device_del;
	ops->memory_devices = memory_devices_query_dimms;
	ops->memdevs = memory_devices_query_memdevs;
	ops->ospm_status = memory_devices_query_ospm;
	ops->numa_nodes = memory_devices_query_numa;
	ops->memory_size_summary = memory_devices_query_size_summary;
	ops->opaque = md;
}
