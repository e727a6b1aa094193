/*
 * pc-dimm add/remove against fake KVM and GED hooks: every error leaves
 * nothing behind, and memory is only released after the guest's _EJ0.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvm_memslots.h"
#include "mm/memhp_regs.h"
#include "mm/memory_devices.h"
#include "monitor/memory_device_events.h"
#include "options.h"
#include "arch/x86/platform.h"
#include "test_md_fixture.h"
#include "util.h"

static struct { uint64_t gpa, size; void *hva; } kvm_slots[KVM_BASE + SLOTS];
static unsigned kvm_calls, ged_pulses;
static char events[16][40];
static unsigned event_slots[16]; /* the slot of each (ACPI_DEVICE_OST) */
static unsigned nr_events;
/* Counts by name, past the 16 names events[] keeps. */
static unsigned nr_ost_events, nr_unplug_errors, nr_deleted;

/* What a test wants to happen inside the next KVM slot change (a guest reading registers
 * meanwhile, or KVM refusing). */
static void (*during_kvm)(void);
static bool kvm_refuses;

/* KVM as kvm.c numbers its slots (kvm_memslots.h). */
static struct kvm_memslots fake_memslots;

static void fake_memslots_reset(void)
{
	kvm_memslots_init(&fake_memslots, KVM_BASE + SLOTS);
	for (unsigned i = 0; i < KVM_BASE; i++)
		assert_int_equal(kvm_memslots_get(&fake_memslots), i);
}

static int fake_kvm_map(void *opaque, uint64_t gpa, uint64_t size, void *hva)
{
	(void)opaque;
	if (during_kvm)
		during_kvm();
	if (kvm_refuses) {
		errno = ENOMEM;
		return -1;
	}
	int slot = kvm_memslots_get(&fake_memslots);
	assert_true(slot >= KVM_BASE && slot < KVM_BASE + SLOTS);
	assert_int_equal(kvm_slots[slot].size, 0);
	kvm_slots[slot].gpa = gpa;
	kvm_slots[slot].size = size;
	kvm_slots[slot].hva = hva;
	kvm_calls++;
	return slot;
}

static int fake_kvm_unmap(void *opaque, int slot)
{
	(void)opaque;
	assert_true(slot >= KVM_BASE && slot < KVM_BASE + SLOTS);
	assert_int_not_equal(kvm_slots[slot].size, 0);
	if (during_kvm)
		during_kvm();
	memset(&kvm_slots[slot], 0, sizeof(kvm_slots[slot]));
	kvm_memslots_put(&fake_memslots, (unsigned)slot);
	kvm_calls++;
	return 0;
}

static void fake_ged(void *opaque)
{
	(void)opaque;
	ged_pulses++;
}

static void fake_emit(const struct memory_device_event *ev)
{
	const char *name = memory_device_event_name(ev);

	event_slots[nr_events % 16] = ev->slot;
	snprintf(events[nr_events++ % 16], sizeof(events[0]), "%s", name);
	nr_ost_events += strcmp(name, "ACPI_DEVICE_OST") == 0;
	nr_unplug_errors += strcmp(name, "DEVICE_UNPLUG_GUEST_ERROR") == 0;
	nr_deleted += strcmp(name, "DEVICE_DELETED") == 0;
}

/* The name of the event before the last one sent (back = 1) or the last one (back = 0). */
static const char *event_back(unsigned back)
{
	return events[(nr_events - 1 - back) % 16];
}

/* stderr of the code under test, captured to count its lines. */
static FILE *captured_stderr;
static int saved_stderr = -1;

static void capture_stderr(void)
{
	captured_stderr = tmpfile();
	assert_non_null(captured_stderr);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fileno(captured_stderr), 2);
}

/* Ends the capture: the number of lines written meanwhile, copied to the real stderr. */
static unsigned end_capture(void)
{
	char line[512];
	unsigned n = 0;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(captured_stderr);
	while (fgets(line, sizeof(line), captured_stderr)) {
		n += strncmp(line, "plugvm: ", 8) == 0;
		fputs(line, stderr);
	}
	fclose(captured_stderr);
	return n;
}

static int setup(void **state)
{
	(void)state;
	md_fixture_setup(1 * GiB);
	md.kvm_map = fake_kvm_map;
	md.kvm_unmap = fake_kvm_unmap;
	md.raise_ged = fake_ged;
	md.emit = fake_emit;
	md.wake_main = NULL; /* ejects finish inside _EJ0 unless a test sets it */
	memset(kvm_slots, 0, sizeof(kvm_slots));
	fake_memslots_reset();
	kvm_calls = ged_pulses = nr_events = 0;
	nr_ost_events = nr_unplug_errors = nr_deleted = 0;
	during_kvm = NULL;
	kvm_refuses = false;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	md_fixture_teardown();
	return 0;
}

static int run_hmp_style(int (*fn)(void *, const struct keyval_list *, struct control_error *),
			 const char *text, const char *implied, struct control_error *cerr)
{
	struct keyval_list kv = { 0 };
	char err[256];
	int ret;

	assert_int_equal(keyval_parse(text, implied, &kv, err, sizeof(err)), 0);
	memset(cerr, 0, sizeof(*cerr));
	ret = fn(ops.opaque, &kv, cerr);
	keyval_free(&kv);
	return ret;
}

static int object_add_e(const char *text, struct control_error *e)
{
	return run_hmp_style(ops.object_add, text, "qom-type", e);
}

static int object_add(const char *text)
{
	struct control_error e;

	return object_add_e(text, &e);
}

static int device_add_e(const char *text, struct control_error *e)
{
	return run_hmp_style(ops.device_add, text, "driver", e);
}

static int device_add(const char *text, char *desc, size_t len)
{
	struct control_error e;
	int ret = device_add_e(text, &e);

	if (desc)
		snprintf(desc, len, "%s", e.desc);
	return ret;
}

static unsigned count_devices(void)
{
	struct memory_device_info info[SLOTS];

	return ops.memory_devices(ops.opaque, info, SLOTS);
}

static void test_hot_add_maps_and_notifies(void **state)
{
	struct memory_device_info info[SLOTS];

	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=256M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	assert_int_equal(kvm_slots[KVM_BASE].size, 256 * MiB);
	assert_int_equal(kvm_slots[KVM_BASE].gpa, layout.hotplug_base);
	assert_true(ged_pulses >= 1);
	assert_int_equal(ops.memory_devices(ops.opaque, info, SLOTS), 1);
	assert_string_equal(info[0].id, "d1");
	assert_string_equal(info[0].memdev, "m1");
	assert_true(info[0].hotplugged);
	/* The guest's _EVT pops a Device Check for slot 0, which selects it. */
	assert_int_equal(guest_read(MEMHP_REG_QUEUE),
			 MEMHP_QUEUE_VALID | MEMHP_NOTIFY_DEVICE_CHECK << 16 | 0);
	assert_int_equal(guest_read(MEMHP_REG_STATUS) & MEMHP_STATUS_ENABLED, MEMHP_STATUS_ENABLED);
	assert_int_equal(guest_read(MEMHP_REG_LEN_LO), 256 * MiB);
}

/* What the guest sees while plugvm creates the KVM slot of a hot-added DIMM: the GED
 * is already raised (the ioctl overlaps the interrupt's delivery), but the slot reads as
 * empty and the event queue holds the Device Check back. Here the "guest" runs on the
 * thread doing the ioctl, so its QUEUE read gives up after the (shortened) wait; the
 * event stays queued and the GED is raised again once the slot is mapped. */
static unsigned ged_at_kvm;
static uint32_t status_at_kvm, queue_at_kvm, len_at_kvm;

static void guest_reads_during_kvm(void)
{
	ged_at_kvm = ged_pulses;
	guest_write(MEMHP_REG_SEL, 0);
	status_at_kvm = guest_read(MEMHP_REG_STATUS);
	len_at_kvm = guest_read(MEMHP_REG_LEN_LO);
	queue_at_kvm = guest_read(MEMHP_REG_QUEUE);
}

static void test_hot_add_ged_overlaps_kvm_slot(void **state)
{
	(void)state;
	md.hp.mapping_wait_ns = 20 * 1000 * 1000;
	during_kvm = guest_reads_during_kvm;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=256M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	assert_int_equal(ged_at_kvm, 1);
	assert_int_equal(status_at_kvm, 0);
	assert_int_equal(len_at_kvm, 0);
	assert_int_equal(queue_at_kvm, 0);
	/* Mapped: the held-back Device Check is signalled again and now pops. */
	assert_int_equal(ged_pulses, 2);
	assert_int_equal(guest_read(MEMHP_REG_QUEUE),
			 MEMHP_QUEUE_VALID | MEMHP_NOTIFY_DEVICE_CHECK << 16 | 0);
	assert_int_equal(guest_read(MEMHP_REG_STATUS),
			 MEMHP_STATUS_ENABLED | MEMHP_STATUS_INSERT_PENDING);
	assert_int_equal(guest_read(MEMHP_REG_LEN_LO), 256 * MiB);
}

/* KVM refusing the slot after the GED went out: the command fails and leaves nothing, not
 * even the event (the guest's next _EVT finds the queue empty and the slot empty). */
static void test_hot_add_kvm_refusal_leaves_nothing(void **state)
{
	char desc[256] = "";

	(void)state;
	kvm_refuses = true;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=256M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", desc, sizeof(desc)), -1);
	assert_non_null(strstr(desc, "KVM refused"));
	assert_int_equal(count_devices(), 0);
	assert_false(backend_registry_find(&backends, "m1")->in_use);
	assert_int_equal(kvm_slots[KVM_BASE].size, 0);
	assert_int_equal(guest_read(MEMHP_REG_QUEUE), 0);
	guest_write(MEMHP_REG_SEL, 0);
	assert_int_equal(guest_read(MEMHP_REG_STATUS), 0);
	/* The id, the slot and the memdev are all free again. */
	kvm_refuses = false;
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	assert_int_equal(count_devices(), 1);
	assert_int_equal(guest_read(MEMHP_REG_QUEUE),
			 MEMHP_QUEUE_VALID | MEMHP_NOTIFY_DEVICE_CHECK << 16 | 0);
}

/* Resident 4 KiB pages of [p, p + len). */
static unsigned resident_pages(const void *p, uint64_t len)
{
	static unsigned char vec[(1 * GiB) / 4096];
	unsigned n = 0;

	assert_true(len <= sizeof(vec) * 4096);
	assert_int_equal(mincore((void *)p, len, vec), 0);
	for (uint64_t i = 0; i < len / 4096; i++)
		n += vec[i] & 1;
	return n;
}

/* With the guest's memmap_on_memory, a new DIMM's memmap pages (the first 2 MiB of each
 * 128 MiB block) are populated and nothing else; the eject gives them back. A DIMM
 * whose hot-add fails keeps none. */
static void test_memmap_warmup_follows_dimm(void **state)
{
	struct memmap_warmup w;
	struct control_error e;
	struct mem_backend *b;

	(void)state;
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, NULL), 0);
	md.warmup = &w;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=256M"), 0);
	b = backend_registry_find(&backends, "m1");
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	memmap_warmup_drain(&w);
	assert_int_equal(resident_pages(b->hva, 2 * MiB), 512);
	assert_int_equal(resident_pages(b->hva + 2 * MiB, 126 * MiB), 0);
	assert_int_equal(resident_pages(b->hva + 128 * MiB, 2 * MiB), 512);
	assert_int_equal(resident_pages(b->hva + 130 * MiB, 126 * MiB), 0);
	/* eject: the memory goes back to the host */
	guest_read(MEMHP_REG_QUEUE);
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(count_devices(), 0);
	assert_int_equal(resident_pages(b->hva, 256 * MiB), 0);
	/* a hot-add KVM refuses leaves no warmed page behind either */
	kvm_refuses = true;
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), -1);
	memmap_warmup_drain(&w);
	assert_int_equal(resident_pages(b->hva, 256 * MiB), 0);
	kvm_refuses = false;
	md.warmup = NULL;
	memmap_warmup_stop(&w);
}

/* A default guest keeps a new DIMM's memmap in boot RAM: a 256 MiB hot-add warms the two
 * lowest untouched 2 MiB blocks from 16 MiB up (4 MiB, 1/64 of the DIMM) and none of
 * the DIMM itself. */
static void test_memmap_warmup_boot_ram(void **state)
{
	const uint64_t boot_size = 64 * MiB;
	uint8_t *boot = mmap(NULL, boot_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct memmap_warmup w;
	struct mem_backend *b;

	(void)state;
	assert_true(boot != MAP_FAILED);
	madvise(boot, boot_size, MADV_NOHUGEPAGE);
	boot[16 * MiB] = 1; /* the guest uses the block at 16 MiB */
	struct memmap_warmup_ram ram = { .hva = boot, .gpa = 0, .size = boot_size, .node = 0 };
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, NULL), 0);
	memmap_warmup_set_boot_ram(&w, &ram, 1, NULL);
	md.warmup = &w;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=256M"), 0);
	b = backend_registry_find(&backends, "m1");
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	memmap_warmup_drain(&w);
	assert_int_equal(resident_pages(boot, 16 * MiB), 0);
	assert_int_equal(resident_pages(boot + 16 * MiB, 2 * MiB), 1);
	assert_int_equal(resident_pages(boot + 18 * MiB, 4 * MiB), 1024);
	assert_int_equal(resident_pages(boot + 22 * MiB, boot_size - 22 * MiB), 0);
	assert_int_equal(resident_pages(b->hva, 256 * MiB), 0);
	/* Ejected, the DIMM's memmap is free in the guest and the next hot-add reuses it:
	 * no more boot RAM is warmed (endurance: RSS stays flat over add/remove cycles). */
	struct control_error e;
	guest_read(MEMHP_REG_QUEUE);
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	memory_devices_run_deferred(&md);
	assert_int_equal(count_devices(), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	memmap_warmup_drain(&w);
	assert_int_equal(resident_pages(boot, boot_size), 1 + 1024);
	md.warmup = NULL;
	memmap_warmup_stop(&w);
	munmap(boot, boot_size);
}

static void test_errors_change_nothing(void **state)
{
	static const struct { const char *cmd; const char *needle; } bad[] = {
		{ "pc-dimm,id=x,memdev=nosuch", "nosuch" },
		{ "pc-dimm,id=x,memdev=m1,node=1", "node" },
		{ "pc-dimm,id=x,memdev=odd", "" },              /* 100 MiB: not block aligned */
		{ "pc-dimm,id=x,memdev=big", "" },              /* 2 GiB > maxmem - RAM */
		{ "pc-dimm,id=x", "memdev" },
		{ "pc-dimm,memdev=m1", "id" },
		{ "virtio-mem-pci,id=x,memdev=m1", "only be given on the command line" },
		{ "virtio-mem-device,id=x,memdev=m1", "DSDT" },
		{ "virtio-net-pci,id=x", "pc-dimm" },
		{ "pc-dimm,id=x,memdev=m1,colour=red", "colour" },
		{ "pc-dimm,id=x,memdev=m1,slot=9", "" },
		{ "pc-dimm,id=x,memdev=m1,addr=0x1000", "" },
		{ "pc-dimm,id=d0,memdev=m1", "d0" },            /* duplicate id */
		{ "pc-dimm,id=x,memdev=m0", "m0" },             /* memdev in use */
	};
	char desc[256];

	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m0,size=128M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=odd,size=100M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=big,size=2G"), 0);
	assert_int_equal(device_add("pc-dimm,id=d0,memdev=m0", NULL, 0), 0);
	kvm_calls = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		desc[0] = 0;
		if (device_add(bad[i].cmd, desc, sizeof(desc)) != -1)
			fail_msg("'%s' was accepted", bad[i].cmd);
		if (!desc[0] || !strstr(desc, bad[i].needle))
			fail_msg("'%s': error '%s' does not name '%s'", bad[i].cmd, desc, bad[i].needle);
	}
	assert_int_equal(kvm_calls, 0);
	assert_int_equal(count_devices(), 1);
	assert_false(backend_registry_find(&backends, "m1")->in_use);
	/* The rejected memdev is still free to use. */
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
}

/* device_add reads slot= as -device pc-dimm does (mm/dimm_props.c, issue 13 defect 4):
 * 03 is octal 3, 0x2 hex 2, 08 no number; test_options.c checks the command line's side
 * with the same spellings. */
static void test_slot_grammar_is_the_command_lines(void **state)
{
	char desc[256];

	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m0,size=128M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=m2,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d0,memdev=m0,slot=03", NULL, 0), 0);
	assert_true(md.dimm[3].used);
	assert_string_equal(md.dimm[3].id, "d0");
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1,slot=0x2", NULL, 0), 0);
	assert_true(md.dimm[2].used);
	assert_string_equal(md.dimm[2].id, "d1");
	assert_int_equal(device_add("pc-dimm,id=d2,memdev=m2,slot=08", desc, sizeof(desc)), -1);
	assert_string_equal(desc, "pc-dimm: '08' is not a valid value for 'slot'");
	assert_int_equal(device_add("pc-dimm,id=d2,memdev=m2,node=0x", desc, sizeof(desc)), -1);
	assert_string_equal(desc, "pc-dimm: '0x' is not a valid value for 'node'");
	assert_int_equal(device_add("pc-dimm,id=d2,memdev=m2,size=1G", desc, sizeof(desc)), -1);
	assert_string_equal(desc, "pc-dimm: unknown property 'size'");
}

static void test_slots_full(void **state)
{
	char name[64], desc[256];

	(void)state;
	for (int i = 0; i < SLOTS + 1; i++) {
		snprintf(name, sizeof(name), "memory-backend-ram,id=m%d,size=128M", i);
		assert_int_equal(object_add(name), 0);
	}
	for (int i = 0; i < SLOTS; i++) {
		snprintf(name, sizeof(name), "pc-dimm,id=d%d,memdev=m%d", i, i);
		assert_int_equal(device_add(name, NULL, 0), 0);
	}
	assert_int_equal(device_add("pc-dimm,id=d9,memdev=m4", desc, sizeof(desc)), -1);
	assert_int_equal(count_devices(), SLOTS);
}

static void test_remove_only_after_ej0(void **state)
{
	struct control_error e;

	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	guest_read(MEMHP_REG_QUEUE);
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	assert_int_equal(kvm_slots[KVM_BASE].size, 128 * MiB); /* still mapped */
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), -1); /* already pending */
	assert_non_null(strstr(e.desc, "in progress"));
	assert_int_equal(guest_read(MEMHP_REG_QUEUE),
			 MEMHP_QUEUE_VALID | MEMHP_NOTIFY_EJECT_REQUEST << 16 | 0);
	guest_write(MEMHP_REG_OST_EV, 3);
	guest_write(MEMHP_REG_OST_ST, 0x84);
	assert_int_equal(kvm_slots[KVM_BASE].size, 128 * MiB);
	assert_int_equal(ops.object_del(ops.opaque, "m1", &e), -1); /* in use */
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(kvm_slots[KVM_BASE].size, 0);
	assert_int_equal(guest_read(MEMHP_REG_STATUS), 0);
	assert_int_equal(count_devices(), 0);
	assert_string_equal(events[nr_events - 1], "DEVICE_DELETED");
	assert_int_equal(ops.object_del(ops.opaque, "m1", &e), 0);
}

static unsigned resident_pages(const void *p, uint64_t len);
static unsigned main_wakes;

static void fake_wake_main(void *opaque)
{
	(void)opaque;
	main_wakes++;
}

/* With a main loop, _EJ0 still removes the slot inside the guest's exit; the memory goes
 * back to the host on the main thread, just before it sends the events, in order. */
static void test_events_sent_by_main_thread(void **state)
{
	struct control_error e;

	(void)state;
	md.wake_main = fake_wake_main;
	main_wakes = 0;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=m2,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	struct mem_backend *b = backend_registry_find(&backends, "m1");
	memset(b->hva, 0x5A, 4 * MiB); /* the guest's data */
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	unsigned before = nr_events;
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, 3);
	guest_write(MEMHP_REG_OST_ST, 0x84);
	assert_int_equal(main_wakes, 1);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	/* Gone inside the exit: the slot and the listing. The memory is still the
	 * host's to give back, so the memdev stays in use until the main thread did. */
	assert_int_equal(kvm_slots[KVM_BASE].size, 0);
	assert_int_equal(guest_read(MEMHP_REG_STATUS), 0);
	assert_int_equal(count_devices(), 0);
	assert_int_equal(resident_pages(b->hva, 4 * MiB), 1024);
	assert_int_equal(ops.object_del(ops.opaque, "m1", &e), -1);
	guest_write(MEMHP_REG_OST_EV, 3);
	guest_write(MEMHP_REG_OST_ST, 0);
	/* No event yet, and one wake-up for the whole batch. */
	assert_int_equal(nr_events, before);
	assert_int_equal(main_wakes, 1);
	memory_devices_run_deferred(&md);
	assert_int_equal(resident_pages(b->hva, 128 * MiB), 0);
	assert_int_equal(ops.object_del(ops.opaque, "m1", &e), 0);
	assert_int_equal(nr_events, before + 3);
	assert_string_equal(events[(nr_events - 3) % 16], "ACPI_DEVICE_OST");
	assert_string_equal(events[(nr_events - 2) % 16], "DEVICE_DELETED");
	assert_string_equal(events[(nr_events - 1) % 16], "ACPI_DEVICE_OST");
	memory_devices_run_deferred(&md); /* nothing queued: nothing happens */
	assert_int_equal(nr_events, before + 3);
	/* The slot and the id can be used again at once. */
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m2", NULL, 0), 0);
	assert_int_equal(kvm_slots[KVM_BASE].size, 128 * MiB);
	/* Events left unsent at shutdown hold nothing (LeakSanitizer). */
	guest_write(MEMHP_REG_OST_ST, 0);
}

/* The FIFO as a main thread busy for long (a large object_add) leaves it: _OSTs of the
 * guest's own on the empty slot 3 queued until it holds n entries. */
static void fill_fifo(unsigned n)
{
	pthread_mutex_lock(&md.lock);
	while (md.nr_deferred < n)
		md.deferred[md.nr_deferred++] =
			(struct md_deferred){ .kind = MD_EVENT_OST, .slot = 3, .source = 1 };
	pthread_mutex_unlock(&md.lock);
}

/* d1 on m1, its device_del, the FIFO then filled to `fill` entries (fill_fifo), and the
 * guest's first answer, "in progress": the number of events sent before that answer. */
static unsigned answer_behind_fifo(unsigned fill)
{
	struct control_error e;
	unsigned before;

	md.wake_main = fake_wake_main;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	fill_fifo(fill);
	before = nr_events;
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, MEMHP_OST_EV_EJECT_REQUEST);
	guest_write(MEMHP_REG_OST_ST, MEMHP_OST_EJECT_IN_PROGRESS);
	return before;
}

/* Issue 13 item 3: the refusal of a device_del with the FIFO all but full. Its
 * ACPI_DEVICE_OST took the last entry, and DEVICE_UNPLUG_GUEST_ERROR, finding no room, was
 * sent inside the exit: before its _OST's event and all those queued. QEMU's order is
 * the queue's, then the _OST, then the error; nothing goes out inside the exit. */
static void test_refusal_order_fifo_full(void **state)
{
	unsigned before;

	(void)state;
	before = answer_behind_fifo(MD_DEFERRED_MAX - 2);
	guest_write(MEMHP_REG_OST_EV, MEMHP_OST_EV_EJECT_REQUEST);
	guest_write(MEMHP_REG_OST_ST, MEMHP_OST_EJECT_BUSY);
	assert_int_equal(nr_events, before); /* nothing sent inside the exit */
	memory_devices_run_deferred(&md);
	assert_int_equal(nr_events, before + MD_DEFERRED_MAX - 2 + 3);
	assert_int_equal(nr_unplug_errors, 1);
	assert_string_equal(event_back(2), "ACPI_DEVICE_OST"); /* in progress */
	assert_int_equal(event_slots[(nr_events - 3) % 16], 0);
	assert_string_equal(event_back(1), "ACPI_DEVICE_OST"); /* busy */
	assert_int_equal(event_slots[(nr_events - 2) % 16], 0);
	assert_string_equal(event_back(0), "DEVICE_UNPLUG_GUEST_ERROR");
	assert_int_equal(md.nr_deferred, 0);
}

/* Issue 13 item 3: _EJ0 with the FIFO full gave the memory back to the host inside the
 * vCPU's exit, under memhp's lock, and sent DEVICE_DELETED before the events queued. The
 * slot goes inside the exit; the memory, the memdev and the event wait for the main
 * thread, behind the queue and the _OST that answered the device_del. */
static void test_eject_fifo_full(void **state)
{
	struct control_error e;
	struct mem_backend *b;
	unsigned before;

	(void)state;
	before = answer_behind_fifo(MD_DEFERRED_MAX);
	b = backend_registry_find(&backends, "m1");
	memset(b->hva, 0x5A, 4 * MiB); /* the guest's data, still mapped */
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(kvm_slots[KVM_BASE].size, 0);
	assert_int_equal(guest_read(MEMHP_REG_STATUS), 0);
	assert_int_equal(nr_events, before);
	assert_int_equal(resident_pages(b->hva, 4 * MiB), 1024);
	assert_int_equal(ops.object_del(ops.opaque, "m1", &e), -1);
	memory_devices_run_deferred(&md);
	assert_int_equal(nr_events, before + MD_DEFERRED_MAX + 2);
	assert_string_equal(event_back(1), "ACPI_DEVICE_OST");
	assert_int_equal(event_slots[(nr_events - 2) % 16], 0);
	assert_string_equal(event_back(0), "DEVICE_DELETED");
	assert_int_equal(resident_pages(b->hva, 128 * MiB), 0);
	assert_int_equal(ops.object_del(ops.opaque, "m1", &e), 0);
}

/* An _OST that answers no one, with the FIFO full, was sent inside the exit, before those
 * queued; it is held like one over the rate limit, and the tick sends it after them. */
static void test_guest_ost_fifo_full(void **state)
{
	unsigned before;

	(void)state;
	md.wake_main = fake_wake_main;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	fill_fifo(MD_DEFERRED_MAX);
	before = nr_events;
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, MEMHP_OST_EV_DEVICE_CHECK);
	guest_write(MEMHP_REG_OST_ST, MEMHP_OST_SUCCESS);
	assert_int_equal(nr_events, before);
	capture_stderr();
	memory_devices_tick(&md, pv_now_ns());
	assert_int_equal(end_capture(), 1); /* the line for the one held */
	assert_int_equal(nr_events, before + MD_DEFERRED_MAX + 1);
	assert_string_equal(event_back(0), "ACPI_DEVICE_OST");
	assert_int_equal(event_slots[(nr_events - 1) % 16], 0);
	assert_int_equal(event_slots[(nr_events - 2) % 16], 3);
	assert_int_equal(md.nr_deferred, 0);
}

/* device_del of a 128 MiB DIMM d1 that the guest refuses with _OST(source, status): both
 * events go out, the DIMM stays mapped and no unplug is pending any more. */
static void refuse_unplug(uint32_t source, uint32_t status)
{
	struct memory_device_info info[SLOTS];
	struct control_error e;

	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, source);
	guest_write(MEMHP_REG_OST_ST, status);
	assert_string_equal(events[nr_events - 1], "DEVICE_UNPLUG_GUEST_ERROR");
	assert_string_equal(events[nr_events - 2], "ACPI_DEVICE_OST");
	assert_int_equal(ops.memory_devices(ops.opaque, info, SLOTS), 1);
	assert_false(info[0].unplug_pending);
	assert_int_equal(kvm_slots[KVM_BASE].size, 128 * MiB);
}

/* A later device_del may try again, whichever way the guest reported the refusal: as an
 * answer to the eject request (3) or as its own eject failing (0x103, issue 17 finding 5:
 * memhp kept the request pending and every retry failed). */
static void test_refusal_keeps_dimm(void **state)
{
	static const uint32_t how[][2] = { {3, 0x82}, {0x103, 0x1} };
	struct memory_device_info info[SLOTS];
	struct control_error e;

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		refuse_unplug(how[i][0], how[i][1]);
		assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
		assert_int_equal(ops.memory_devices(ops.opaque, info, SLOTS), 1);
		assert_true(info[0].unplug_pending);
		teardown(NULL);
		setup(NULL);
	}
}

static void test_guest_initiated_and_bogus_ejects(void **state)
{
	struct control_error e;

	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	kvm_calls = 0;
	/* Ejects of empty and out-of-range slots do nothing. */
	for (uint32_t slot = 1; slot < 300; slot += 7) {
		guest_write(MEMHP_REG_SEL, slot);
		guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	}
	guest_write(MEMHP_REG_SEL, 0xffffffff);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(kvm_calls, 0);
	assert_int_equal(count_devices(), 1);
	/* The guest may eject a DIMM nobody asked it to (sysfs eject). */
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(kvm_slots[KVM_BASE].size, 0);
	assert_int_equal(count_devices(), 0);
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), -1);
	assert_string_equal(e.cls, CONTROL_ERR_DEVICE_NOT_FOUND);
}

/* KVM slot numbers are kvm.c's (kvm_memslot_add), not KVM_BASE + DIMM slot computed here:
 * a DIMM in slot 2 takes the first free KVM slot, and the KVM slot an eject frees is the
 * next DIMM's, whatever its DIMM slot (issue 13 item 2). */
static void test_kvm_slot_numbers_from_kvm(void **state)
{
	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=m2,size=128M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=m3,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1,slot=2", NULL, 0), 0);
	assert_int_equal(md.dimm[2].kvm_slot, KVM_BASE);
	assert_int_equal(kvm_slots[KVM_BASE].size, 128 * MiB);
	assert_int_equal(kvm_slots[KVM_BASE].gpa, md.dimm[2].addr);
	assert_int_equal(device_add("pc-dimm,id=d2,memdev=m2,slot=0", NULL, 0), 0);
	assert_int_equal(md.dimm[0].kvm_slot, KVM_BASE + 1);
	/* The guest ejects d1: its KVM slot goes, and d3 in DIMM slot 1 gets it. */
	guest_write(MEMHP_REG_SEL, 2);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(kvm_slots[KVM_BASE].size, 0);
	assert_int_equal(device_add("pc-dimm,id=d3,memdev=m3", NULL, 0), 0);
	assert_true(md.dimm[1].used);
	assert_int_equal(md.dimm[1].kvm_slot, KVM_BASE);
	assert_int_equal(kvm_slots[KVM_BASE].gpa, md.dimm[1].addr);
	assert_int_equal(kvm_slots[KVM_BASE + 1].gpa, md.dimm[0].addr);
}

static void test_ospm_status_and_summary(void **state)
{
	struct ospm_status_info st[SLOTS];
	uint64_t base, plugged;

	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=256M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, 1);
	guest_write(MEMHP_REG_OST_ST, 0);
	assert_int_equal(ops.ospm_status(ops.opaque, st, SLOTS), 1);
	assert_string_equal(st[0].device, "d1");
	assert_string_equal(st[0].slot, "0");
	assert_int_equal(st[0].source, 1);
	ops.memory_size_summary(ops.opaque, &base, &plugged);
	assert_int_equal(base, 512 * MiB);
	assert_int_equal(plugged, 256 * MiB);
}

static void test_unanswered_eject_is_withdrawn(void **state)
{
	struct memory_device_info info[SLOTS];
	struct control_error e;

	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(object_add("memory-backend-ram,id=m2,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	assert_int_equal(device_add("pc-dimm,id=d2,memdev=m2", NULL, 0), 0);
	guest_read(MEMHP_REG_QUEUE);
	guest_read(MEMHP_REG_QUEUE);
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	assert_int_equal(ops.device_del(ops.opaque, "d2", &e), 0);
	/* The guest answers d2's request ("in progress") but never d1's. */
	guest_write(MEMHP_REG_SEL, 1);
	guest_write(MEMHP_REG_OST_EV, 3);
	guest_write(MEMHP_REG_OST_ST, 0x84);
	nr_events = 0;
	memory_devices_tick(&md, pv_now_ns());
	assert_int_equal(nr_events, 0); /* not yet timed out */
	memory_devices_tick(&md, pv_now_ns() + MEMORY_DEVICES_UNPLUG_TIMEOUT_NS + 1);
	assert_int_equal(nr_events, 1);
	assert_string_equal(events[0], "DEVICE_UNPLUG_GUEST_ERROR");
	assert_int_equal(ops.memory_devices(ops.opaque, info, SLOTS), 2);
	assert_false(info[0].unplug_pending);
	assert_true(info[1].unplug_pending);
	/* d1's eject request is gone from the queue and the slot; d2's stays. */
	guest_write(MEMHP_REG_SEL, 0);
	assert_int_equal(guest_read(MEMHP_REG_STATUS) & MEMHP_STATUS_EJECT_REQUESTED, 0);
	guest_write(MEMHP_REG_SEL, 1);
	assert_int_equal(guest_read(MEMHP_REG_STATUS) & MEMHP_STATUS_EJECT_REQUESTED,
			 MEMHP_STATUS_EJECT_REQUESTED);
	/* And device_del may be sent again. */
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
}

/* True when s has a byte outside printable ASCII (an escape sequence, UTF-8, ...). */
static bool has_raw_bytes(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return true;
	return false;
}

/* A refused id: GenericError in QEMU's words, the id not echoed, nothing created. */
static void expect_id_refused(struct control_error *e, int ret, const char *needle)
{
	assert_int_equal(ret, -1);
	assert_true(e->cls == NULL || strcmp(e->cls, CONTROL_ERR_GENERIC) == 0);
	if (!strstr(e->desc, "Parameter 'id' expects an identifier") || !strstr(e->desc, needle))
		fail_msg("error '%s' is not QEMU's or lacks '%s'", e->desc, needle);
	assert_false(has_raw_bytes(e->desc));
}

/* object_add past maxmem plus one hotplug window is refused before anything is created:
 * a GenericError with the numbers, no backend, no claimed id, the bytes still free. */
static void test_object_add_budget(void **state)
{
	struct control_error e;

	(void)state;
	backend_registry_set_budget(&backends, backend_registry_budget(cfg.ram_size, cfg.maxmem));
	assert_int_equal(backends.budget, 512 * MiB + 2 * GiB);
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=2G"), 0);
	assert_int_equal(object_add_e("memory-backend-ram,id=m2,size=1G,prealloc=on", &e), -1);
	assert_null(e.cls);
	assert_non_null(strstr(e.desc, "object 'm2' (1 GiB) would bring memory backends to more "
				       "than plugvm allows: 2 GiB held, limit 2560 MiB"));
	assert_null(backend_registry_find(&backends, "m2"));
	assert_int_equal(backends.nr_reserved, 0);
	assert_int_equal(backends.total, 2 * GiB);
	assert_int_equal(object_add("memory-backend-ram,id=m2,size=512M"), 0);
	assert_int_equal(ops.object_del(ops.opaque, "m1", &e), 0);
	assert_int_equal(object_add("memory-backend-ram,id=m3,size=1G"), 0);
	assert_int_equal(backends.total, 512 * MiB + 1 * GiB);
}

/* Issue 17 finding 8, issue 13 defect 2: device_add took any id and cut it to 63
 * characters, so device_del of a 100-character id found nothing, and an id with an escape
 * sequence reached the terminal of 'info memory-devices' raw. Every id that enters
 * (object_add, device_add, from QMP and HMP alike) is now QEMU's identifier of at most
 * PV_ID_MAX characters, refused whole otherwise. */
static void test_ids_are_checked_not_cut(void **state)
{
	static const char *const bad[] = {
		"d\x1b[2J", "d\xc3\xa9", "d\xff", "1d", "_d", "d/1", "d:1",
	};
	char id100[101], id64[PV_ID_MAX + 2], id63[PV_ID_MAX + 1], text[512];
	struct memory_device_info info[SLOTS];
	struct control_error e;
	unsigned nr_backends;

	(void)state;
	memset(id100, 'x', sizeof(id100) - 1);
	id100[sizeof(id100) - 1] = '\0';
	memset(id64, 'y', sizeof(id64) - 1);
	id64[sizeof(id64) - 1] = '\0';
	memset(id63, 'z', sizeof(id63) - 1);
	id63[sizeof(id63) - 1] = '\0';
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	nr_backends = backends.count;

	/* device_add: too long (100, and one over the limit) or not an identifier */
	snprintf(text, sizeof(text), "pc-dimm,id=%s,memdev=m1", id100);
	expect_id_refused(&e, device_add_e(text, &e), "at most 63 characters");
	snprintf(text, sizeof(text), "pc-dimm,id=%s,memdev=m1", id64);
	expect_id_refused(&e, device_add_e(text, &e), "at most 63 characters");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "pc-dimm,id=%s,memdev=m1", bad[i]);
		expect_id_refused(&e, device_add_e(text, &e), "");
	}
	assert_int_equal(count_devices(), 0);
	assert_int_equal(kvm_calls, 0);
	assert_int_equal(ged_pulses, 0);
	assert_false(backend_registry_find(&backends, "m1")->in_use);
	/* object_add: the same rule, the same words */
	snprintf(text, sizeof(text), "memory-backend-ram,id=%s,size=128M", id100);
	expect_id_refused(&e, object_add_e(text, &e), "at most 63 characters");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "memory-backend-ram,id=%s,size=128M", bad[i]);
		expect_id_refused(&e, object_add_e(text, &e), "");
	}
	assert_int_equal(backends.count, nr_backends);
	/* device_del of such an id finds nothing, and says so without echoing it raw */
	assert_int_equal(ops.device_del(ops.opaque, "d\x1b[2J", &e), -1);
	assert_string_equal(e.cls, CONTROL_ERR_DEVICE_NOT_FOUND);
	assert_false(has_raw_bytes(e.desc));
	assert_int_equal(ops.object_del(ops.opaque, "m\x1b[2J", &e), -1);
	assert_false(has_raw_bytes(e.desc));

	/* 63 characters, for the memdev and the DIMM: whole, from device_add to DEVICE_DELETED */
	snprintf(text, sizeof(text), "memory-backend-ram,id=%s,size=128M", id63);
	assert_int_equal(object_add_e(text, &e), 0);
	snprintf(text, sizeof(text), "pc-dimm,id=%s,memdev=%s", id63, id63);
	assert_int_equal(device_add_e(text, &e), 0);
	assert_int_equal(ops.memory_devices(ops.opaque, info, SLOTS), 1);
	assert_string_equal(info[0].id, id63);
	assert_string_equal(info[0].memdev, id63);
	guest_read(MEMHP_REG_QUEUE);
	assert_int_equal(ops.device_del(ops.opaque, id63, &e), 0);
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(count_devices(), 0);
	assert_int_equal(nr_deleted, 1);
	assert_int_equal(ops.object_del(ops.opaque, id63, &e), 0);
}

/* Issue 17 finding 4: a guest can write _OST as often as it likes. A refusal with no
 * device_del pending is no answer to anything: no DEVICE_UNPLUG_GUEST_ERROR, no log line;
 * its ACPI_DEVICE_OST goes out, as in QEMU, but at most MD_OST_EVENTS_PER_SEC a second
 * per slot, the latest of the rest late, with one line for the lot. A refusal answering a
 * device_del still gives both events, once, even in the middle of a flood. */
#define FLOOD_BOUND_PER_SEC 64 /* what this test calls bounded (the limit is below it) */

static void test_ost_flood_is_bounded(void **state)
{
	struct ospm_status_info st[SLOTS];
	struct control_error e;
	uint64_t t0, secs;
	unsigned osts, lines;

	(void)state;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	guest_read(MEMHP_REG_QUEUE);
	md.wake_main = fake_wake_main; /* as in plugvm: the main thread sends the events */
	nr_events = nr_ost_events = 0;
	capture_stderr();
	t0 = pv_now_ns();
	guest_write(MEMHP_REG_SEL, 0);
	for (unsigned i = 0; i < 1000; i++) {
		/* "eject refused", as an answer to a request (3) and as its own (0x103) */
		guest_write(MEMHP_REG_OST_EV,
			    i % 2 ? MEMHP_OST_EV_EJECT_REQUEST : MEMHP_OST_EV_OSPM_EJECT);
		guest_write(MEMHP_REG_OST_ST, i % 2 ? MEMHP_OST_EJECT_BUSY : MEMHP_OST_FAILURE);
		if (i % 50 == 49)
			memory_devices_run_deferred(&md);
	}
	memory_devices_run_deferred(&md);
	secs = (pv_now_ns() - t0) / 1000000000ULL;
	lines = end_capture();
	assert_int_equal(nr_unplug_errors, 0);
	assert_int_equal(lines, 0);
	if (nr_ost_events < 1 || nr_ost_events > FLOOD_BOUND_PER_SEC * (secs + 1))
		fail_msg("%u ACPI_DEVICE_OST events for 1000 _OST writes in %llu s", nr_ost_events,
			 (unsigned long long)secs);
	/* The next tick sends the latest one and says in one line how many were not sent;
	 * query-acpi-ospm-status has the latest all along. */
	osts = nr_ost_events;
	capture_stderr();
	memory_devices_tick(&md, pv_now_ns());
	lines = end_capture();
	assert_int_equal(lines, 1);
	assert_int_equal(nr_ost_events, osts + 1);
	assert_string_equal(event_back(0), "ACPI_DEVICE_OST");
	assert_int_equal(ops.ospm_status(ops.opaque, st, SLOTS), 1);
	assert_int_equal(st[0].source, MEMHP_OST_EV_EJECT_REQUEST);
	assert_int_equal(st[0].status, MEMHP_OST_EJECT_BUSY);
	capture_stderr();
	memory_devices_tick(&md, pv_now_ns()); /* nothing new: nothing said */
	assert_int_equal(end_capture(), 0);

	/* A real refusal, right after the flood: "in progress", then "busy". */
	osts = nr_ost_events;
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	guest_read(MEMHP_REG_QUEUE);
	capture_stderr();
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, MEMHP_OST_EV_EJECT_REQUEST);
	guest_write(MEMHP_REG_OST_ST, MEMHP_OST_EJECT_IN_PROGRESS);
	guest_write(MEMHP_REG_OST_EV, MEMHP_OST_EV_EJECT_REQUEST);
	guest_write(MEMHP_REG_OST_ST, MEMHP_OST_EJECT_BUSY);
	memory_devices_run_deferred(&md);
	lines = end_capture();
	assert_int_equal(nr_unplug_errors, 1);
	assert_int_equal(nr_ost_events, osts + 2);
	assert_string_equal(event_back(1), "ACPI_DEVICE_OST");
	assert_string_equal(event_back(0), "DEVICE_UNPLUG_GUEST_ERROR");
	assert_int_equal(lines, 1);
	/* Repeating it answers nothing: no second error, no line. */
	capture_stderr();
	for (unsigned i = 0; i < 100; i++) {
		guest_write(MEMHP_REG_OST_EV, MEMHP_OST_EV_EJECT_REQUEST);
		guest_write(MEMHP_REG_OST_ST, MEMHP_OST_EJECT_BUSY);
	}
	memory_devices_run_deferred(&md);
	assert_int_equal(end_capture(), 0);
	assert_int_equal(nr_unplug_errors, 1);
	/* device_del may be tried again, and the DIMM is still there */
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	assert_int_equal(count_devices(), 1);
}

/* Issue 17 finding 10: the guest may eject a hot-added DIMM the moment it can see it,
 * before device_add has returned (md->dimm_visible is that moment). Whether the eject's
 * memory release runs at once (no main loop, or its FIFO full) or later on the main
 * thread, no warm-up may populate the DIMM afterwards: it was queued before the guest
 * could see the DIMM, so the eject's cancel always finds it. */
static unsigned visible_calls;

static void guest_ejects_when_visible(void *opaque, unsigned slot)
{
	(void)opaque;
	visible_calls++;
	guest_write(MEMHP_REG_SEL, slot);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
}

static unsigned two_cpus(void)
{
	return 2;
}

static void test_eject_during_hot_add_leaves_nothing_warmed(void **state)
{
	struct memmap_warmup w;
	struct control_error e;
	struct mem_backend *b;

	(void)state;
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, NULL), 0);
	w.cpus_allowed = two_cpus; /* warm even on a one-CPU test machine */
	md.warmup = &w;
	md.dimm_visible = guest_ejects_when_visible;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=256M"), 0);
	b = backend_registry_find(&backends, "m1");
	for (unsigned with_main_loop = 0; with_main_loop < 2; with_main_loop++) {
		md.wake_main = with_main_loop ? fake_wake_main : NULL;
		visible_calls = nr_deleted = 0;
		assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
		memory_devices_run_deferred(&md);
		memmap_warmup_drain(&w);
		assert_int_equal(visible_calls, 1);
		assert_int_equal(nr_deleted, 1);
		assert_int_equal(count_devices(), 0);
		assert_int_equal(kvm_slots[KVM_BASE].size, 0);
		assert_int_equal(resident_pages(b->hva, 256 * MiB), 0);
		assert_false(b->in_use);
	}
	md.dimm_visible = NULL;
	/* Unhindered, the same DIMM is warmed: the test would see a stray warm-up. */
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	memmap_warmup_drain(&w);
	assert_int_equal(resident_pages(b->hva, 2 * MiB), 512);
	assert_int_equal(ops.device_del(ops.opaque, "d1", &e), 0);
	md.warmup = NULL;
	memmap_warmup_stop(&w);
}

/* Code review defect 3: object_add creates its backend (seconds for a large prealloc=on
 * one) and object_del unmaps it without holding md->lock, which a guest's _OST and _EJ0
 * take inside their exit: the guest must not wait for either. While the backend is being
 * created (and destroyed), another thread acts as the guest (an _OST write) and as a
 * second monitor (an object_add of the same id, query-memdev); it must be done well
 * within GUEST_EXIT_WAIT_S. The id is reserved meanwhile, so the second object_add is
 * refused, and a creation that fails leaves the id free. */
#define GUEST_EXIT_WAIT_S 2

struct meanwhile {
	char id[PV_ID_MAX + 1]; /* the object being created or deleted */
	bool try_add;        /* also try an object_add of that id */
	int add_ret;
	char add_desc[256];
	bool listed;         /* query-memdev showed the id */
	unsigned osts;       /* ACPI_DEVICE_OST events sent by the guest's write */
};

static struct meanwhile during;
static bool stalled, lock_free;
static unsigned hook_calls;
static bool fail_creation;

/* No cmocka asserts on this thread: the main thread checks what it recorded. */
static void *guest_and_monitor(void *arg)
{
	struct meanwhile *w = arg;
	struct memdev_info info[8];
	unsigned before = nr_ost_events;

	guest_write(MEMHP_REG_SEL, 1);
	guest_write(MEMHP_REG_OST_EV, MEMHP_OST_EV_OSPM_EJECT);
	guest_write(MEMHP_REG_OST_ST, MEMHP_OST_FAILURE);
	w->osts = nr_ost_events - before;
	if (w->try_add) {
		struct keyval_list kv = { 0 };
		struct control_error e = { 0 };
		char text[96], err[256];

		snprintf(text, sizeof(text), "memory-backend-ram,id=%s,size=2M", w->id);
		w->add_ret = 0;
		if (keyval_parse(text, "qom-type", &kv, err, sizeof(err)) == 0)
			w->add_ret = ops.object_add(ops.opaque, &kv, &e);
		keyval_free(&kv);
		snprintf(w->add_desc, sizeof(w->add_desc), "%s", e.desc);
	}
	for (unsigned i = 0, n = ops.memdevs(ops.opaque, info, 8); i < n; i++)
		w->listed |= strcmp(info[i].id, w->id) == 0;
	return NULL;
}

static pthread_t late_thread;
static bool late_join;

/* Runs guest_and_monitor and waits for it; if it is stuck (on md->lock), it is joined
 * once object_add/object_del has returned. */
static void meanwhile_run(const char *id, bool try_add)
{
	struct timespec deadline;
	pthread_t t;

	hook_calls++;
	lock_free = pthread_mutex_trylock(&md.lock) == 0;
	if (lock_free)
		pthread_mutex_unlock(&md.lock);
	during = (struct meanwhile){ .try_add = try_add };
	snprintf(during.id, sizeof(during.id), "%s", id);
	if (pthread_create(&t, NULL, guest_and_monitor, &during) != 0)
		abort();
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += GUEST_EXIT_WAIT_S;
	if (pthread_timedjoin_np(t, NULL, &deadline) != 0) {
		stalled = true;
		late_thread = t;
		late_join = true;
	}
}

static void meanwhile_join(void)
{
	if (late_join)
		pthread_join(late_thread, NULL);
	late_join = false;
}

static int create_meanwhile(const struct keyval_list *kv, struct mem_backend **out, char *err,
			    size_t errlen)
{
	meanwhile_run(keyval_get(kv, "id"), true);
	if (fail_creation) {
		*out = NULL;
		snprintf(err, errlen, "no memory for it today");
		return -1;
	}
	return backend_create(kv, out, err, errlen);
}

static void destroy_meanwhile(struct mem_backend *b)
{
	meanwhile_run(b->id, false);
	backend_destroy(b);
}

static unsigned count_memdevs(const char *id)
{
	struct memdev_info info[8];
	unsigned n = ops.memdevs(ops.opaque, info, 8), found = 0;

	for (unsigned i = 0; i < n; i++)
		found += strcmp(info[i].id, id) == 0;
	return found;
}

static void test_backend_work_outside_lock(void **state)
{
	struct control_error e;

	(void)state;
	md.create_backend = create_meanwhile;
	md.destroy_backend = destroy_meanwhile;

	/* object_add: the guest's exit and the monitor go on; the id is taken. */
	stalled = false;
	hook_calls = 0;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	meanwhile_join();
	assert_int_equal(hook_calls, 1);
	assert_true(lock_free);
	assert_false(stalled);
	assert_int_equal(during.osts, 1);
	assert_int_equal(during.add_ret, -1);
	assert_non_null(strstr(during.add_desc, "already exists"));
	assert_false(during.listed); /* not there until it is whole */
	assert_int_equal(count_memdevs("m1"), 1);

	/* A creation that fails leaves no id behind. */
	fail_creation = true;
	assert_int_equal(object_add_e("memory-backend-ram,id=m2,size=2M", &e), -1);
	meanwhile_join();
	assert_non_null(strstr(e.desc, "no memory for it today"));
	assert_false(stalled);
	assert_int_equal(count_memdevs("m2"), 0);
	fail_creation = false;
	assert_int_equal(object_add("memory-backend-ram,id=m2,size=2M"), 0);
	meanwhile_join();
	assert_int_equal(count_memdevs("m2"), 1);
	assert_int_equal(backends.count, 2);
	assert_int_equal(backends.nr_reserved, 0);

	/* object_del: refused while a DIMM uses it, without destroying anything; otherwise
	 * out of the list first, unmapped without the lock. */
	hook_calls = 0;
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1", NULL, 0), 0);
	assert_int_equal(ops.object_del(ops.opaque, "m1", &e), -1);
	assert_int_equal(hook_calls, 0);
	assert_int_equal(ops.object_del(ops.opaque, "m2", &e), 0);
	meanwhile_join();
	assert_int_equal(hook_calls, 1);
	assert_true(lock_free);
	assert_false(stalled);
	assert_int_equal(during.osts, 1);
	assert_false(during.listed);
	assert_int_equal(count_memdevs("m2"), 0);
	assert_int_equal(ops.object_del(ops.opaque, "m2", &e), -1);
	assert_non_null(strstr(e.desc, "not found"));
}

/* query-numa (and info numa) by node id: with the nodes given out of order on the command
 * line, each node still shows its own boot RAM, DIMMs and vCPUs (code review defect 9:
 * a layout RAM range's node was compared with a node id). */
static void test_numa_query_by_node_id(void **state)
{
	char *argv[] = { "plugvm", "-kernel", "bzImage", "-smp", "3", "-m", "slots=4,maxmem=2G",
			 "-object", "memory-backend-ram,id=n1,size=256M",
			 "-object", "memory-backend-ram,id=n0,size=512M",
			 "-numa", "node,nodeid=1,cpus=2,memdev=n1",
			 "-numa", "node,nodeid=0,cpus=0-1,memdev=n0", NULL };
	struct plugvm_config parsed;
	struct numa_node_info info[PLUGVM_MAX_NUMA_NODES];
	char err[256];

	(void)state;
	memory_devices_destroy(&md);
	assert_int_equal(options_parse(ARRAY_SIZE(argv) - 1, argv, &parsed), 0);
	assert_int_equal(layout_compute(&parsed, 46, &layout, err, sizeof(err)), 0);
	assert_int_equal(memory_devices_init(&md, &parsed, &layout, &backends), 0);
	md.kvm_map = fake_kvm_map;
	md.kvm_unmap = fake_kvm_unmap;
	md.raise_ged = fake_ged;
	md.emit = fake_emit;
	assert_int_equal(object_add("memory-backend-ram,id=m1,size=128M"), 0);
	assert_int_equal(device_add("pc-dimm,id=d1,memdev=m1,node=1", NULL, 0), 0);

	assert_int_equal(ops.numa_nodes(ops.opaque, info, PLUGVM_MAX_NUMA_NODES), 2);
	assert_int_equal(info[0].nodeid, 0);
	assert_int_equal(info[0].mem_size, 512 * MiB);
	assert_int_equal(info[0].nr_cpus, 2);
	assert_int_equal(info[0].cpus[0], 0);
	assert_int_equal(info[0].cpus[1], 1);
	assert_int_equal(info[1].nodeid, 1);
	assert_int_equal(info[1].mem_size, 256 * MiB + 128 * MiB);
	assert_int_equal(info[1].nr_cpus, 1);
	assert_int_equal(info[1].cpus[0], 2);
	/* Boot RAM in node id order: node 0's first. */
	assert_int_equal(layout.ram[0].node, 0);
	assert_int_equal(layout.ram[0].size, 512 * MiB);
	assert_int_equal(layout.ram[1].node, 1);

	memory_devices_destroy(&md);
	backend_registry_clear(&backends);
	options_free(&parsed);
	/* teardown destroys md once more */
	assert_int_equal(memory_devices_init(&md, &cfg, &layout, &backends), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hot_add_maps_and_notifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_add_ged_overlaps_kvm_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_slot_numbers_from_kvm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_add_kvm_refusal_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memmap_warmup_follows_dimm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memmap_warmup_boot_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_only_after_ej0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_keeps_dimm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_order_fifo_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eject_fifo_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_ost_fifo_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_initiated_and_bogus_ejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_sent_by_main_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ospm_status_and_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unanswered_eject_is_withdrawn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_add_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_are_checked_not_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ost_flood_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eject_during_hot_add_leaves_nothing_warmed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_work_outside_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numa_query_by_node_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_grammar_is_the_command_lines, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
