/*
 * memory_hotplug.memmap_on_memory on the guest's command line, and the warm-up thread
 * that populates the memmap part of each block of a new DIMM: order, bounds, and that
 * a cancelled DIMM is never touched again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include "mm/memmap_on_memory.h"
#include "mm/memmap_warmup.h"

#define MiB (1024ULL * 1024)

static void test_cmdline(void **state)
{
	(void)state;
	assert_false(memmap_on_memory_requested(NULL));
	assert_false(memmap_on_memory_requested(""));
	assert_false(memmap_on_memory_requested("console=ttyS0 memhp_default_state=online_movable"));
	assert_true(memmap_on_memory_requested("console=ttyS0 memory_hotplug.memmap_on_memory=1"));
	assert_true(memmap_on_memory_requested("memory_hotplug.memmap_on_memory=y quiet"));
	assert_true(memmap_on_memory_requested("memory_hotplug.memmap_on_memory=Yes"));
	assert_true(memmap_on_memory_requested("memory_hotplug.memmap_on_memory=on"));
	assert_true(memmap_on_memory_requested("memory_hotplug.memmap_on_memory=force"));
	assert_true(memmap_on_memory_requested("quiet memory_hotplug.memmap_on_memory"));
	assert_true(memmap_on_memory_requested("\tmemory_hotplug.memmap_on_memory=1\n"));
	assert_false(memmap_on_memory_requested("memory_hotplug.memmap_on_memory=0"));
	assert_false(memmap_on_memory_requested("memory_hotplug.memmap_on_memory=off"));
	assert_false(memmap_on_memory_requested("memory_hotplug.memmap_on_memory="));
	assert_false(memmap_on_memory_requested("memory_hotplug.memmap_on_memory=bogus"));
	/* the last one wins, as in the kernel */
	assert_false(memmap_on_memory_requested(
		"memory_hotplug.memmap_on_memory=1 memory_hotplug.memmap_on_memory=0"));
	assert_true(memmap_on_memory_requested(
		"memory_hotplug.memmap_on_memory=0 memory_hotplug.memmap_on_memory=1"));
	/* other parameters that merely start the same, and init's arguments after "--" */
	assert_false(memmap_on_memory_requested("memory_hotplug.memmap_on_memoryx=1"));
	assert_false(memmap_on_memory_requested("xmemory_hotplug.memmap_on_memory=1"));
	assert_false(memmap_on_memory_requested("quiet -- memory_hotplug.memmap_on_memory=1"));
	assert_true(memmap_on_memory_requested("memory_hotplug.memmap_on_memory=1 -- x"));
}

static void test_memmap_bytes(void **state)
{
	(void)state;
	/* 32768 pages of 4 KiB, 64 bytes of struct page each */
	assert_int_equal(memmap_on_memory_bytes(128 * MiB), 2 * MiB);
	assert_int_equal(memmap_on_memory_bytes(2048 * MiB), 32 * MiB);
}

/* A fake populate: records the calls; optionally slow, to catch one in flight. */
#define MAX_CALLS 64
static struct {
	uint8_t *addr[MAX_CALLS];
	uint64_t len[MAX_CALLS];
	unsigned n;
	unsigned delay_ms;
	int in_flight;
} calls;

static int fake_populate(void *addr, uint64_t len)
{
	__atomic_store_n(&calls.in_flight, 1, __ATOMIC_SEQ_CST);
	if (calls.delay_ms) {
		struct timespec ts = { 0, (long)calls.delay_ms * 1000000L };
		nanosleep(&ts, NULL);
	}
	unsigned i = __atomic_fetch_add(&calls.n, 1, __ATOMIC_SEQ_CST);
	if (i < MAX_CALLS) {
		calls.addr[i] = addr;
		calls.len[i] = len;
	}
	__atomic_store_n(&calls.in_flight, 0, __ATOMIC_SEQ_CST);
	return 0;
}

static void reset_calls(unsigned delay_ms)
{
	memset(&calls, 0, sizeof(calls));
	calls.delay_ms = delay_ms;
}

/* Address space only: the fake populate never touches it. */
static uint8_t *reserve(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/* Blocks of 4 MiB with 256 KiB of memmap each (one chunk per block): highest block
 * first, only its first 256 KiB, nothing outside the DIMM. */
static void test_warmup_order(void **state)
{
	(void)state;
	uint8_t *hva = reserve(128 * MiB);
	struct memmap_warmup w;

	reset_calls(0);
	assert_int_equal(memmap_warmup_start(&w, 4 * MiB, 256 * 1024, fake_populate), 0);
	memmap_warmup_queue(&w, hva, 12 * MiB, 0, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 3);
	assert_ptr_equal(calls.addr[0], hva + 8 * MiB);
	assert_ptr_equal(calls.addr[1], hva + 4 * MiB);
	assert_ptr_equal(calls.addr[2], hva);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(calls.len[i], 256 * 1024);
	assert_int_equal(w.warmed_bytes, 768 * 1024);

	/* A memmap larger than a chunk is taken in chunks, in address order. */
	memmap_warmup_stop(&w);
	reset_calls(0);
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, fake_populate), 0);
	memmap_warmup_queue(&w, hva, 128 * MiB, 0, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_ptr_equal(calls.addr[i], hva + i * 512 * 1024);
		assert_int_equal(calls.len[i], 512 * 1024);
	}
	/* A size below one block is ignored. */
	memmap_warmup_queue(&w, hva, 64 * MiB, 0, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 4);
	memmap_warmup_stop(&w);
	munmap(hva, 128 * MiB);
}

static unsigned fake_cpus;

static unsigned fake_cpus_allowed(void)
{
	return fake_cpus;
}

/* Issue 12: with one CPU allowed the warm-up would compete with the vCPU that handles the
 * hotplug event, so a hot-add queues nothing and the thread never populates a page; with
 * two it warms as before. The check is per DIMM: affinity may change at run time. */
static void test_warmup_needs_spare_cpu(void **state)
{
	(void)state;
	uint8_t *hva = reserve(128 * MiB);
	struct memmap_warmup w;

	reset_calls(0);
	assert_int_equal(memmap_warmup_start(&w, 4 * MiB, 256 * 1024, fake_populate), 0);
	w.cpus_allowed = fake_cpus_allowed;
	fake_cpus = 1;
	memmap_warmup_queue(&w, hva, 12 * MiB, 0, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 0);
	assert_int_equal(w.nr_jobs, 0);
	assert_int_equal(w.warmed_bytes, 0);
	assert_int_equal(w.skipped_jobs, 1);

	fake_cpus = 2;
	memmap_warmup_queue(&w, hva, 12 * MiB, 0, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 3);
	assert_int_equal(w.skipped_jobs, 1);

	/* PLUGVM_MEMMAP_WARMUP=inline: on one CPU the queue returns only once it is warmed. */
	w.inline_when_alone = true;
	fake_cpus = 1;
	memmap_warmup_queue(&w, hva, 12 * MiB, 0, true);
	assert_int_equal(calls.n, 6);
	assert_int_equal(w.skipped_jobs, 1);
	memmap_warmup_stop(&w);
	munmap(hva, 128 * MiB);
}

/* Cancelling waits for the chunk in flight, drops the rest, and leaves other DIMMs. */
static void test_warmup_cancel(void **state)
{
	(void)state;
	uint8_t *a = reserve(1152 * MiB), *b = a + 1024 * MiB;
	struct memmap_warmup w;
	struct timespec ts = { 0, 1000000L };

	reset_calls(20);
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, fake_populate), 0);
	memmap_warmup_queue(&w, a, 1024 * MiB, 0, true); /* 8 blocks x 4 chunks */
	memmap_warmup_queue(&w, b, 128 * MiB, 0, true);  /* 4 chunks */
	while (!__atomic_load_n(&calls.in_flight, __ATOMIC_SEQ_CST))
		nanosleep(&ts, NULL);
	memmap_warmup_cancel(&w, a, 1024 * MiB);
	/* The chunk that was in flight has been recorded; nothing on a comes after it. */
	unsigned on_a = __atomic_load_n(&calls.n, __ATOMIC_SEQ_CST);
	memmap_warmup_drain(&w);
	unsigned n = calls.n;
	assert_true(on_a >= 1 && on_a < 32);
	assert_int_equal(n, on_a + 4);
	for (unsigned i = 0; i < n; i++) {
		bool in_a = calls.addr[i] >= a && calls.addr[i] < a + 1024 * MiB;
		bool in_b = calls.addr[i] >= b && calls.addr[i] < b + 128 * MiB;
		assert_true(i < on_a ? in_a : in_b);
	}
	memmap_warmup_stop(&w);
	/* Stopping twice, or a warm-up that never started, is harmless. */
	memmap_warmup_stop(&w);
	memset(&w, 0, sizeof(w));
	memmap_warmup_queue(&w, a, 128 * MiB, 0, true);
	memmap_warmup_cancel(&w, a, 128 * MiB);
	memmap_warmup_stop(&w);
	munmap(a, 1152 * MiB);
}

static void test_warmup_start_checks(void **state)
{
	(void)state;
	struct memmap_warmup w;
	assert_int_equal(memmap_warmup_start(&w, 0, 2 * MiB, fake_populate), -1);
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 0, fake_populate), -1);
	assert_int_equal(memmap_warmup_start(&w, 2 * MiB, 4 * MiB, fake_populate), -1);
}

/* The real populate on real memory: the memmap part becomes resident, the rest not. */
static void test_warmup_real_memory(void **state)
{
	(void)state;
	const uint64_t block = 8 * MiB, size = 2 * block, memmap = 1 * MiB;
	uint8_t *hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char vec[(2 * 8 * MiB) / 4096];
	struct memmap_warmup w;

	assert_true(hva != MAP_FAILED);
	madvise(hva, size, MADV_NOHUGEPAGE);
	assert_int_equal(memmap_warmup_start(&w, block, memmap, NULL), 0);
	memmap_warmup_queue(&w, hva, size, 0, true);
	memmap_warmup_drain(&w);
	memmap_warmup_stop(&w);
	assert_int_equal(mincore(hva, size, vec), 0);
	for (uint64_t off = 0; off < size; off += 4096) {
		bool in_memmap = off % block < memmap;
		assert_int_equal(vec[off / 4096] & 1, in_memmap ? 1 : 0);
	}
	munmap(hva, size);
}

/* Boot RAM mode: a fake "untouched" that says which 2 MiB blocks the guest used. */
static struct {
	const uint8_t *touched[16];
	unsigned n;
} used;

static bool fake_untouched(const void *addr, uint64_t len)
{
	assert_int_equal(len, 2 * MiB);
	for (unsigned i = 0; i < used.n; i++)
		if (used.touched[i] == addr)
			return false;
	return true;
}

/* A 1 GiB DIMM needs 16 MiB of memmap: the eight lowest untouched 2 MiB blocks of boot
 * RAM above 4 GiB come first, then those below 4 GiB from 16 MiB up; touched blocks are
 * skipped; a DIMM present at boot is not warmed. */
static void test_boot_ram_order(void **state)
{
	(void)state;
	uint8_t *low = reserve(64 * MiB), *high = reserve(16 * MiB), *dimm = reserve(1024 * MiB);
	struct memmap_warmup_ram ram[] = {
		{ .hva = low, .gpa = 0, .size = 64 * MiB, .node = 0 },
		{ .hva = high, .gpa = 4096 * MiB, .size = 16 * MiB, .node = 0 },
	};
	struct memmap_warmup w;

	reset_calls(0);
	memset(&used, 0, sizeof(used));
	used.touched[used.n++] = high + 2 * MiB;
	used.touched[used.n++] = low + 16 * MiB;
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, fake_populate), 0);
	memmap_warmup_set_boot_ram(&w, ram, 2, fake_untouched);
	memmap_warmup_queue(&w, dimm, 1024 * MiB, 0, false);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 0);

	memmap_warmup_queue(&w, dimm, 1024 * MiB, 0, true);
	memmap_warmup_drain(&w);
	/* high: blocks 0, 2, 3, 4, 5, 6, 7 (1 touched); then low: 18 MiB (16 touched) */
	assert_int_equal(calls.n, 8);
	const uint8_t *want[] = { high, high + 4 * MiB, high + 6 * MiB, high + 8 * MiB,
				  high + 10 * MiB, high + 12 * MiB, high + 14 * MiB, low + 18 * MiB };
	for (unsigned i = 0; i < 8; i++) {
		assert_ptr_equal(calls.addr[i], want[i]);
		assert_int_equal(calls.len[i], 2 * MiB);
	}
	assert_int_equal(w.warmed_bytes, 16 * MiB);

	/* An ejected DIMM's memmap is freed in the guest, and the guest's next hot-adds
	 * reuse it first: 1 GiB freed covers a 128 MiB add fully and 14 MiB of the next
	 * 1 GiB, so only 2 MiB is warmed, the next untouched block below 4 GiB. */
	reset_calls(0);
	memmap_warmup_memmap_freed(&w, 1024 * MiB);
	memmap_warmup_queue(&w, dimm, 128 * MiB, 0, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 0);
	memmap_warmup_queue(&w, dimm, 1024 * MiB, 0, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 1);
	assert_int_equal(calls.len[0], 2 * MiB);

	/* More than boot RAM holds: everything untouched below is warmed, then the job ends
	 * (drain returns). The fake never marks a block used, so it starts over. */
	reset_calls(0);
	memmap_warmup_queue(&w, dimm, 8 * 1024 * MiB, 0, true); /* wants 128 MiB */
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 7 + (64 - 16) / 2 - 1);
	memmap_warmup_stop(&w);
	munmap(low, 64 * MiB);
	munmap(high, 16 * MiB);
	munmap(dimm, 1024 * MiB);
}

/* The DIMM's node's boot RAM only; a node without boot RAM takes any node's; cancelling
 * the DIMM drops its boot RAM job. */
static void test_boot_ram_nodes(void **state)
{
	(void)state;
	uint8_t *n0 = reserve(64 * MiB), *n1 = reserve(64 * MiB), *dimm = reserve(128 * MiB);
	struct memmap_warmup_ram ram[] = {
		{ .hva = n0, .gpa = 0, .size = 64 * MiB, .node = 0 },
		{ .hva = n1, .gpa = 64 * MiB, .size = 64 * MiB, .node = 1 },
	};
	struct memmap_warmup w;

	reset_calls(0);
	memset(&used, 0, sizeof(used));
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, fake_populate), 0);
	memmap_warmup_set_boot_ram(&w, ram, 2, fake_untouched);
	memmap_warmup_queue(&w, dimm, 128 * MiB, 1, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 1);
	assert_ptr_equal(calls.addr[0], n1);
	memmap_warmup_queue(&w, dimm, 128 * MiB, 7, true);
	memmap_warmup_drain(&w);
	assert_int_equal(calls.n, 2);
	assert_ptr_equal(calls.addr[1], n0 + 16 * MiB);

	/* slow populates: cancel the DIMM while its boot RAM job runs */
	reset_calls(30);
	memmap_warmup_queue(&w, dimm, 1024 * MiB, 0, true);
	while (!__atomic_load_n(&calls.in_flight, __ATOMIC_SEQ_CST))
		sched_yield();
	memmap_warmup_cancel(&w, dimm, 128 * MiB);
	memmap_warmup_drain(&w);
	assert_true(calls.n < 8);
	memmap_warmup_stop(&w);
	munmap(n0, 64 * MiB);
	munmap(n1, 64 * MiB);
	munmap(dimm, 128 * MiB);
}

/* Real mincore and populate: the blocks the "guest" touched stay as they were, the next
 * untouched ones become resident, nothing else does. */
static void test_boot_ram_real_memory(void **state)
{
	(void)state;
	const uint64_t size = 16 * MiB;
	uint8_t *hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dimm = reserve(256 * MiB);
	unsigned char vec[16 * MiB / 4096];
	struct memmap_warmup w;

	assert_true(hva != MAP_FAILED);
	madvise(hva, size, MADV_NOHUGEPAGE);
	hva[0] = 1;               /* block 0: one page used by the guest */
	hva[4 * MiB + 8192] = 1;  /* block 2 too */
	struct memmap_warmup_ram ram = { .hva = hva, .gpa = 8192 * MiB, .size = size };
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, NULL), 0);
	memmap_warmup_set_boot_ram(&w, &ram, 1, NULL);
	memmap_warmup_queue(&w, dimm, 256 * MiB, 0, true); /* 4 MiB of memmap */
	memmap_warmup_drain(&w);
	memmap_warmup_stop(&w);
	assert_int_equal(mincore(hva, size, vec), 0);
	for (uint64_t off = 0; off < size; off += 4096) {
		uint64_t blk = off / (2 * MiB);
		bool warmed = blk == 1 || blk == 3;
		bool touched = off == 0 || off == 4 * MiB + 8192;
		assert_int_equal(vec[off / 4096] & 1, warmed || touched ? 1 : 0);
	}
	munmap(hva, size);
	munmap(dimm, 256 * MiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_memmap_bytes),
		cmocka_unit_test(test_warmup_order),
		cmocka_unit_test(test_warmup_needs_spare_cpu),
		cmocka_unit_test(test_warmup_cancel),
		cmocka_unit_test(test_warmup_start_checks),
		cmocka_unit_test(test_warmup_real_memory),
		cmocka_unit_test(test_boot_ram_order),
		cmocka_unit_test(test_boot_ram_nodes),
		cmocka_unit_test(test_boot_ram_real_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
