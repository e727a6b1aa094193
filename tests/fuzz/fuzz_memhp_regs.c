/*
 * The memory-hotplug register block: a hostile guest's port accesses (src/mm/memhp.c,
 * docs/hotplug-protocol.md) interleaved with the host's object_add / device_add /
 * device_del / object_del, the main loop's tick and deferred work, all through the real
 * src/mm/memory_devices.c with real memory backends, and KVM and the GED interrupt faked
 * as in tests/unit/test_memory_devices.c. No KVM, no threads: the guest runs on this
 * thread, also in the middle of device_add (while the KVM slot is being created, and the
 * moment the new DIMM becomes visible).
 *
 * The input is a program: each step's first byte picks the action, the next bytes its
 * arguments (reading past the end gives zeros). The first byte sets the mode: 0x01
 * deferred work goes to a fake main loop (run by an action) instead of running inside
 * the guest's exit; 0x02 one DIMM is cold-plugged before the guest starts.
 *
 * Invariants, after every step:
 *   - the guest keeps what it was given: a slot is enabled exactly while the guest has
 *     it (from the moment the DIMM became visible until the guest's own _EJ0), and only
 *     then does KVM map it, with the DIMM's address, size and backend memory; a byte the
 *     guest wrote into that memory is still there (the host never gave it back early);
 *   - memhp's event queue is a well-formed list holding exactly the queued slots, no
 *     slot is left half-created (mapping), an empty slot has no pending state;
 *   - the DIMM table, the allocator and memhp agree; a backend is in use exactly while a
 *     DIMM or a DEVICE_DELETED still to be sent holds it, and KVM maps no other memory;
 *   - mapped DIMMs lie in the hotplug window without overlapping;
 *   - every _EJ0 of a populated slot gives exactly one DEVICE_DELETED, for that DIMM.
 */
#include <errno.h>

#include "fuzz_common.h"
#include "mm/memhp_regs.h"
#include "mm/memory_devices.h"
#include "monitor/memory_device_events.h"
#include "arch/x86/platform.h"

#define SLOTS 4
#define KVM_BASE 2
#define IDS 6

static struct plugvm_config cfg;
static struct guest_layout layout;
static struct backend_registry backends;
static struct memory_devices md;
static struct control_ops ops;
static struct fuzz_in in;

static struct { uint64_t gpa, size; void *hva; } kvm_slot[KVM_BASE + SLOTS];
static bool kvm_refuses, main_woken;
static unsigned kvm_depth, guest_ops_in_kvm;
/* Inside a guest's port exit (memory_devices_io). */
static unsigned in_exit;

/* What the guest has: the slots it was given and not yet ejected, and a byte it wrote
 * into each. */
static struct {
	bool has;
	uint64_t mark_off;
	uint8_t mark;
} guest[SLOTS];

/* DIMM ids whose DEVICE_DELETED is owed (the guest ejected them). */
static char owed_deleted[64][PV_ID_MAX + 1];
static unsigned nr_owed;

static void check_invariants(void);
static void guest_op(void);

/* ---- fakes ---------------------------------------------------------------- */

/* KVM numbers its slots (kvm.c): the lowest free one from KVM_BASE (0.. are boot RAM's). */
static int fake_kvm_map(void *opaque, uint64_t gpa, uint64_t size, void *hva)
{
	unsigned slot = KVM_BASE;

	(void)opaque;
	/* The guest runs while KVM creates a slot (device_add, no lock held); never
	 * inside a removal, which memhp's lock (held by the guest's own _EJ0) covers. */
	if (kvm_depth == 0) {
		kvm_depth++;
		for (unsigned n = guest_ops_in_kvm; n; n--)
			guest_op();
		kvm_depth--;
	}
	if (kvm_refuses) {
		errno = ENOMEM;
		return -1;
	}
	while (slot < KVM_BASE + SLOTS && kvm_slot[slot].size)
		slot++;
	FUZZ_CHECK(slot < KVM_BASE + SLOTS, "more KVM slots mapped than DIMM slots");
	kvm_slot[slot].gpa = gpa;
	kvm_slot[slot].size = size;
	kvm_slot[slot].hva = hva;
	return (int)slot;
}

static int fake_kvm_unmap(void *opaque, int slot)
{
	(void)opaque;
	FUZZ_CHECK(slot >= KVM_BASE && slot < KVM_BASE + SLOTS && kvm_slot[slot].size,
		   "KVM slot %d deleted but not mapped", slot);
	memset(&kvm_slot[slot], 0, sizeof(kvm_slot[slot]));
	return 0;
}

/* The KVM slot DIMM slot `slot` is mapped in, or NULL. */
static const typeof(kvm_slot[0]) *dimm_kvm_slot(unsigned slot)
{
	const struct dimm *d = &md.dimm[slot];

	if (!d->used || d->kvm_slot < KVM_BASE || d->kvm_slot >= KVM_BASE + SLOTS)
		return NULL;
	return &kvm_slot[d->kvm_slot];
}

static void fake_ged(void *opaque)
{
	(void)opaque;
}

static void fake_wake(void *opaque)
{
	(void)opaque;
	main_woken = true;
}

static void fake_emit(const struct memory_device_event *ev)
{
	const char *name = memory_device_event_name(ev);
	json_t *data = memory_device_event_data(ev);
	const char *id;

	/* With a main loop nothing is sent from a guest's exit, FIFO full or not (issue 13
	 * item 3): the main thread sends it, in order. */
	FUZZ_CHECK(!md.wake_main || !in_exit, "event sent inside a guest's exit");
	/* The QMP form, as the monitors build it: every event has one. */
	FUZZ_CHECK(name && data, "event without its QMP form");
	json_decref(data);
	if (strcmp(name, "DEVICE_DELETED") != 0)
		return;
	id = ev->id;
	FUZZ_CHECK(id, "DEVICE_DELETED without a device");
	for (unsigned i = 0; i < nr_owed; i++) {
		if (strcmp(owed_deleted[i], id) == 0) {
			memmove(owed_deleted[i], owed_deleted[i + 1],
				(nr_owed - i - 1) * sizeof(owed_deleted[0]));
			nr_owed--;
			return;
		}
	}
	FUZZ_CHECK(false, "DEVICE_DELETED for '%s', which the guest did not eject", id);
}

/* The moment a hot-added DIMM becomes visible (device_add has not returned yet): from
 * here the guest has it, and may act on it at once. */
static void fake_dimm_visible(void *opaque, unsigned slot)
{
	(void)opaque;
	FUZZ_CHECK(slot < SLOTS && !guest[slot].has, "slot %u visible twice", slot);
	guest[slot].has = true;
	guest[slot].mark = 0;
	for (unsigned n = fuzz_u8(&in) % 4; n; n--)
		guest_op();
}

/* ---- the guest ------------------------------------------------------------ */

static void guest_io(unsigned offset, unsigned size, bool write, uint32_t value)
{
	uint32_t sel = md.hp.selector;
	bool eject = write && offset == MEMHP_REG_CMD && size == 4 && value == MEMHP_CMD_EJECT &&
		     sel < SLOTS && md.hp.slot[sel].enabled;
	uint8_t buf[4];

	if (eject) {
		/* Its _EJ0: the slot is the guest's no more, and a DEVICE_DELETED is owed. */
		FUZZ_CHECK(md.dimm[sel].used && nr_owed < 64, "eject of slot %u", sel);
		snprintf(owed_deleted[nr_owed++], sizeof(owed_deleted[0]), "%s", md.dimm[sel].id);
		guest[sel].has = false;
		guest[sel].mark = 0;
	}
	memcpy(buf, &value, 4);
	in_exit++;
	memory_devices_io(&md, (uint16_t)(MEMHP_IO_BASE + offset), write, buf, size);
	in_exit--;
	if (eject)
		FUZZ_CHECK(!md.hp.slot[sel].enabled, "slot %u still enabled after _EJ0", sel);
}

static uint32_t pick(const uint32_t *values, unsigned n)
{
	uint8_t b = fuzz_u8(&in);

	return b < n ? values[b] : b == 0xff ? fuzz_u32(&in) : values[b % n];
}

static void guest_op(void)
{
	static const unsigned sizes[] = { 1, 2, 4, 3 };
	static const uint32_t sel[] = { 0, 1, 2, 3, 4, 0xffff, 0x7fffffff };
	static const uint32_t cmd[] = { MEMHP_CMD_ACK_INSERT, MEMHP_CMD_ACK_EJECT, MEMHP_CMD_EJECT,
					0 };
	static const uint32_t ev[] = { MEMHP_OST_EV_DEVICE_CHECK, MEMHP_OST_EV_EJECT_REQUEST,
				       MEMHP_OST_EV_OSPM_EJECT, 0 };
	static const uint32_t st[] = { MEMHP_OST_SUCCESS, MEMHP_OST_EJECT_IN_PROGRESS,
				       MEMHP_OST_EJECT_BUSY, MEMHP_OST_EJECT_DISABLED,
				       MEMHP_OST_FAILURE, MEMHP_OST_UNRECOGNIZED };
	uint8_t b = fuzz_u8(&in);
	unsigned reg;

	switch (b & 3) {
	case 0: /* any access the port allows, in range or not */
		reg = fuzz_u8(&in) % (MEMHP_IO_LEN + 4);
		guest_io(reg, sizes[(b >> 2) & 3], false, 0);
		break;
	case 1:
		reg = fuzz_u8(&in) % (MEMHP_IO_LEN + 4);
		guest_io(reg, sizes[(b >> 2) & 3], true, fuzz_u32(&in));
		break;
	case 2: /* a register read as the AML does it */
		guest_io(((b >> 2) % 12) * 4, 4, false, 0);
		break;
	case 3: /* a register write as the AML does it, with the values that matter */
		reg = ((b >> 2) % 12) * 4;
		switch (reg) {
		case MEMHP_REG_SEL:
			guest_io(reg, 4, true, pick(sel, 7));
			break;
		case MEMHP_REG_CMD:
			guest_io(reg, 4, true, pick(cmd, 4));
			break;
		case MEMHP_REG_OST_EV:
			guest_io(reg, 4, true, pick(ev, 4));
			break;
		case MEMHP_REG_OST_ST:
			guest_io(reg, 4, true, pick(st, 6));
			break;
		default:
			guest_io(reg, 4, true, fuzz_u32(&in));
		}
		break;
	}
}

/* The guest writes a byte into memory it has, where KVM maps it. */
static void guest_touch(void)
{
	unsigned slot = fuzz_u8(&in) % SLOTS;
	uint64_t page = fuzz_u16(&in);
	uint8_t mark = fuzz_u8(&in) | 1;

	if (!guest[slot].has)
		return;
	const typeof(kvm_slot[0]) *k = dimm_kvm_slot(slot);

	FUZZ_CHECK(k && k->size, "the guest has slot %u, KVM does not map it", slot);
	guest[slot].mark_off = (page << 12) % k->size;
	guest[slot].mark = mark;
	((volatile uint8_t *)k->hva)[guest[slot].mark_off] = mark;
}

/* ---- the host ------------------------------------------------------------- */

static void host_object_add(void)
{
	uint8_t b = fuzz_u8(&in);
	struct keyval_list kv = { 0 };
	struct control_error err = { 0 };
	char id[8], size[16];

	snprintf(id, sizeof(id), "m%u", b % IDS);
	/* 128 MiB multiples fit the guest's block size; 100M does not. */
	if ((b >> 3) == 0x1f)
		snprintf(size, sizeof(size), "100M");
	else
		snprintf(size, sizeof(size), "%uM", 128 * (1 + ((b >> 3) & 3)));
	keyval_set(&kv, "qom-type", (b & 0x80) ? "memory-backend-memfd" : "memory-backend-ram");
	keyval_set(&kv, "id", id);
	keyval_set(&kv, "size", size);
	ops.object_add(ops.opaque, &kv, &err);
	keyval_free(&kv);
}

static void host_object_del(void)
{
	struct control_error err = { 0 };
	char id[8];
	struct mem_backend *b;
	bool was_in_use;
	int ret;

	snprintf(id, sizeof(id), "m%u", fuzz_u8(&in) % IDS);
	b = backend_registry_find(&backends, id);
	was_in_use = b && b->in_use;
	ret = ops.object_del(ops.opaque, id, &err);
	FUZZ_CHECK(!(was_in_use && ret == 0), "object_del of '%s' in use succeeded", id);
}

static void host_device_add(void)
{
	uint8_t b = fuzz_u8(&in), opt = fuzz_u8(&in);
	struct keyval_list kv = { 0 };
	struct control_error err = { 0 };
	char id[8], memdev[8], num[32];

	snprintf(id, sizeof(id), "d%u", b % IDS);
	snprintf(memdev, sizeof(memdev), "m%u", (b >> 3) % IDS);
	keyval_set(&kv, "driver", (opt & 0x80) && (b & 0x40) ? "virtio-mem-pci" : "pc-dimm");
	keyval_set(&kv, "id", id);
	keyval_set(&kv, "memdev", memdev);
	if (opt & 1) {
		snprintf(num, sizeof(num), "%u", (opt >> 1) % (SLOTS + 1));
		keyval_set(&kv, "slot", num);
	}
	if (opt & 0x10) {
		snprintf(num, sizeof(num), "0x%llx",
			 (unsigned long long)(layout.hotplug_base + ((opt >> 5) & 3) * (128 * MiB) +
					      ((opt & 0x20) && (opt & 2) ? 4096 : 0)));
		keyval_set(&kv, "addr", num);
	}
	if (opt & 0x08)
		keyval_set(&kv, "node", (opt & 0x04) ? "1" : "0");
	kvm_refuses = (b & 0xc0) == 0xc0;
	guest_ops_in_kvm = (opt & 0x40) ? fuzz_u8(&in) % 4 : 0;
	ops.device_add(ops.opaque, &kv, &err);
	kvm_refuses = false;
	guest_ops_in_kvm = 0;
	keyval_free(&kv);
}

static void host_device_del(void)
{
	struct control_error err = { 0 };
	char id[8];

	snprintf(id, sizeof(id), "d%u", fuzz_u8(&in) % IDS);
	ops.device_del(ops.opaque, id, &err);
}

static void host_tick(void)
{
	/* Now, or past the unplug timeout of every pending device_del. */
	uint64_t now = pv_now_ns() + ((fuzz_u8(&in) & 1) ? MEMORY_DEVICES_UNPLUG_TIMEOUT_NS + 1 : 0);

	memory_devices_tick(&md, now);
}

static void host_main_loop(void)
{
	main_woken = false;
	memory_devices_run_deferred(&md);
}

static void host_queries(void)
{
	static struct memory_device_info dimms[PLUGVM_MAX_SLOTS];
	static struct memdev_info memdevs[PLUGVM_MAX_BACKENDS];
	static struct ospm_status_info ost[PLUGVM_MAX_SLOTS];
	struct numa_node_info nodes[PLUGVM_MAX_NUMA_NODES];
	uint64_t base, plugged, sum = 0;
	unsigned n;

	memhp_kick(&md.hp);
	n = ops.memory_devices(ops.opaque, dimms, PLUGVM_MAX_SLOTS);
	for (unsigned i = 0; i < n; i++)
		sum += dimms[i].size;
	ops.memory_size_summary(ops.opaque, &base, &plugged);
	FUZZ_CHECK(plugged == sum && base == cfg.ram_size, "size summary");
	ops.memdevs(ops.opaque, memdevs, PLUGVM_MAX_BACKENDS);
	ops.ospm_status(ops.opaque, ost, PLUGVM_MAX_SLOTS);
	ops.numa_nodes(ops.opaque, nodes, PLUGVM_MAX_NUMA_NODES);
}

/* ---- invariants --------------------------------------------------------------- */

static bool deferred_holds(const struct mem_backend *b)
{
	for (unsigned i = 0; i < md.nr_deferred; i++)
		if (md.deferred[i].kind == MD_EVENT_DELETED && md.deferred[i].backend == b)
			return true;
	return false;
}

static void check_queue(void)
{
	int16_t prev = -1, cur = md.hp.head;
	unsigned n = 0, queued = 0;

	while (cur != -1) {
		FUZZ_CHECK(cur >= 0 && (unsigned)cur < SLOTS && n < SLOTS, "queue link %d", cur);
		FUZZ_CHECK(md.hp.slot[cur].queued_code, "slot %d in the queue with no event", cur);
		FUZZ_CHECK(md.hp.slot[cur].prev == prev, "slot %d's prev is %d, not %d", cur,
			   md.hp.slot[cur].prev, prev);
		prev = cur;
		cur = md.hp.slot[cur].next;
		n++;
	}
	FUZZ_CHECK(md.hp.tail == prev, "tail %d, last %d", md.hp.tail, prev);
	FUZZ_CHECK(md.hp.queued == n, "queued %u, list %u", md.hp.queued, n);
	for (unsigned i = 0; i < PLUGVM_MAX_SLOTS; i++)
		queued += md.hp.slot[i].queued_code != 0;
	FUZZ_CHECK(queued == n, "%u slots have an event, %u are in the list", queued, n);
}

static void check_invariants(void)
{
	uint64_t used = 0;
	unsigned enabled = 0, mapped = 0;

	check_queue();
	for (unsigned i = 0; i < SLOTS; i++) {
		const struct memhp_slot *s = &md.hp.slot[i];
		const struct dimm *d = &md.dimm[i];
		const typeof(kvm_slot[0]) *k = dimm_kvm_slot(i);

		FUZZ_CHECK(!s->mapping, "slot %u left mapping", i);
		FUZZ_CHECK(s->enabled == guest[i].has, "slot %u enabled %d, the guest has it: %d", i,
			   s->enabled, guest[i].has);
		FUZZ_CHECK(d->used == s->enabled, "slot %u: DIMM %d, enabled %d", i, d->used,
			   s->enabled);
		FUZZ_CHECK(md.alloc.slot[i].used == d->used, "slot %u: allocator and DIMM disagree",
			   i);
		FUZZ_CHECK(!s->enabled || (k && k->size), "slot %u: enabled, KVM maps nothing", i);
		enabled += s->enabled;
		if (!s->enabled) {
			FUZZ_CHECK(!s->insert_pending && !s->eject_requested && !s->queued_code,
				   "empty slot %u: insert %d eject %d event %u", i, s->insert_pending,
				   s->eject_requested, s->queued_code);
			continue;
		}
		FUZZ_CHECK(s->base == d->addr && s->len == d->size && k->gpa == d->addr &&
				   k->size == d->size && k->hva == d->backend->hva,
			   "slot %u: memhp, DIMM and KVM describe different memory", i);
		FUZZ_CHECK(d->backend->in_use && backend_registry_find(&backends, d->backend->id) ==
							 d->backend,
			   "slot %u's backend is not registered in use", i);
		FUZZ_CHECK(d->addr >= layout.hotplug_base &&
				   d->addr + d->size <= layout.hotplug_base + layout.hotplug_size,
			   "slot %u outside the window", i);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(!md.dimm[j].used || md.dimm[j].addr + md.dimm[j].size <= d->addr ||
					   d->addr + d->size <= md.dimm[j].addr,
				   "slots %u and %u overlap", j, i);
		if (guest[i].mark)
			FUZZ_CHECK(((volatile uint8_t *)k->hva)[guest[i].mark_off] == guest[i].mark,
				   "slot %u: the guest's byte is gone (memory given back early)", i);
		used += d->size;
	}
	for (unsigned i = KVM_BASE; i < KVM_BASE + SLOTS; i++)
		mapped += kvm_slot[i].size != 0;
	FUZZ_CHECK(mapped == enabled, "KVM maps %u slots, %u DIMMs are enabled", mapped, enabled);
	FUZZ_CHECK(md.alloc.used_bytes == used, "allocator counts %llu bytes, DIMMs %llu",
		   (unsigned long long)md.alloc.used_bytes, (unsigned long long)used);
	for (unsigned b = 0; b < backends.count; b++) {
		const struct mem_backend *be = backends.items[b];
		bool held = deferred_holds(be);

		for (unsigned i = 0; i < SLOTS; i++)
			held |= md.dimm[i].used && md.dimm[i].backend == be;
		FUZZ_CHECK(be->in_use == held, "backend '%s' in use %d, held %d", be->id, be->in_use,
			   held);
	}
	FUZZ_CHECK(!md.wake_main || md.nr_deferred == 0 || main_woken,
		   "work deferred, main loop not woken");
}

/* ---- the run ---------------------------------------------------------------- */

static void setup_once(void)
{
	char err[256];

	if (cfg.ram_size)
		return;
	cfg.ram_size = 512 * MiB;
	cfg.slots = SLOTS;
	cfg.maxmem = 512 * MiB + 1 * GiB;
	cfg.nr_cpus = 1;
	FUZZ_CHECK(layout_compute(&cfg, 46, &layout, err, sizeof(err)) == 0, "layout: %s", err);
}

static void coldplug(void)
{
	struct keyval_list kv = { 0 };
	struct control_error err = { 0 };

	keyval_set(&kv, "qom-type", "memory-backend-ram");
	keyval_set(&kv, "id", "m0");
	keyval_set(&kv, "size", "256M");
	FUZZ_CHECK(ops.object_add(ops.opaque, &kv, &err) == 0, "object_add: %s", err.desc);
	keyval_free(&kv);
	keyval_set(&kv, "driver", "pc-dimm");
	keyval_set(&kv, "id", "d0");
	keyval_set(&kv, "memdev", "m0");
	FUZZ_CHECK(memory_devices_coldplug(&md, &kv, &err) == 0, "coldplug: %s", err.desc);
	keyval_free(&kv);
	for (unsigned i = 0; i < SLOTS; i++)
		if (md.dimm[i].used)
			guest[i].has = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode;

	setup_once();
	fuzz_quiet();
	in = (struct fuzz_in){ data, size };
	memset(kvm_slot, 0, sizeof(kvm_slot));
	memset(guest, 0, sizeof(guest));
	nr_owed = 0;
	kvm_refuses = main_woken = false;
	kvm_depth = guest_ops_in_kvm = 0;
	backend_registry_init(&backends);
	FUZZ_CHECK(memory_devices_init(&md, &cfg, &layout, &backends) == 0, "init");
	md.kvm_map = fake_kvm_map;
	md.kvm_unmap = fake_kvm_unmap;
	md.raise_ged = fake_ged;
	md.emit = fake_emit;
	md.dimm_visible = fake_dimm_visible;
	md.hp.mapping_wait_ns = 0; /* a QUEUE read during device_add gives up at once */
	memset(&ops, 0, sizeof(ops));
	memory_devices_control_ops(&md, &ops);

	mode = fuzz_u8(&in);
	md.wake_main = (mode & 1) ? fake_wake : NULL;
	if (mode & 2)
		coldplug();
	check_invariants();

	for (unsigned steps = 0; fuzz_more(&in) && steps < 256; steps++) {
		switch (fuzz_u8(&in) % 13) {
		case 0: case 1: case 2: case 3: guest_op(); break;
		case 4: host_object_add(); break;
		case 5: host_object_del(); break;
		case 6: host_device_add(); break;
		case 7: host_device_del(); break;
		case 8: host_tick(); break;
		case 9: host_main_loop(); break;
		case 10: host_queries(); break;
		case 11: guest_touch(); break;
		case 12: memhp_kick(&md.hp); break;
		}
		check_invariants();
	}

	/* The main loop catches up: every ejected DIMM has had its DEVICE_DELETED. */
	host_main_loop();
	check_invariants();
	FUZZ_CHECK(nr_owed == 0, "%u DEVICE_DELETED events missing (first: '%s')", nr_owed,
		   owed_deleted[0]);
	memory_devices_destroy(&md);
	backend_registry_clear(&backends);
	fuzz_stdio_restore();
	return 0;
}
