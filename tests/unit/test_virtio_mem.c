/* virtio-mem device model: requests, bitmap edges, host resize, config, chains, end to end. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "virtio/block_bitmap.h"
#include "virtio/virtio_mem.h"
#include "virtio/virtio_mmio.h"
#include "virtio_fake_guest.h"

#define MiB_ (1024ull * 1024)
#define BS (2 * MiB_)
#define BASE (4096 * MiB_)  /* region starts at 4 GiB */
#define NBLOCKS 256ull      /* four bitmap words */
#define REGION (NBLOCKS * BS)
#define EXT (8 * BS)
#define REQ0 (16 * BS)      /* initial requested size; usable = 24 blocks */
#define BLK(i) (BASE + (uint64_t)(i) * BS)

/* ---- the host side, faked: a populated map to catch a discard of a plugged block ---- */

struct host {
	struct virtio_mem *vm;
	bool populated[NBLOCKS];
	unsigned populates, discards;
	bool fail_populate;
	unsigned size_changes;
	uint64_t last_size;
	unsigned cfg_silent, cfg_notify; /* config_changed(false / true) */
};

static int h_populate(void *opaque, uint64_t off, uint64_t len)
{
	struct host *h = opaque;

	h->populates++;
	assert_int_equal(off % BS, 0);
	assert_int_equal(len % BS, 0);
	for (uint64_t b = off / BS; b < (off + len) / BS; b++) {
		/* populate only ever runs on unplugged blocks */
		assert_false(block_bitmap_test(&h->vm->plugged, b));
		if (!h->fail_populate)
			h->populated[b] = true;
	}
	if (h->fail_populate) { /* as if it got half way */
		h->populated[off / BS] = true;
		return -1;
	}
	return 0;
}

static void h_discard(void *opaque, uint64_t off, uint64_t len)
{
	struct host *h = opaque;

	h->discards++;
	assert_true(off + len <= REGION);
	for (uint64_t b = off / BS; b < (off + len) / BS; b++) {
		/* the one rule that keeps guest data safe */
		if (block_bitmap_test(&h->vm->plugged, b))
			fail_msg("discard of plugged block %llu", (unsigned long long)b);
		h->populated[b] = false;
	}
}

static void h_size_changed(void *opaque, uint64_t size)
{
	struct host *h = opaque;

	h->size_changes++;
	h->last_size = size;
}

static void h_config_changed(void *opaque, bool notify)
{
	struct host *h = opaque;

	if (notify)
		h->cfg_notify++;
	else
		h->cfg_silent++;
}

static const struct virtio_mem_ops host_ops = {
	.populate = h_populate, .discard = h_discard, .plugged_size_changed = h_size_changed,
};

struct fixture {
	struct virtio_mem vm;
	struct host h;
};

static struct virtio_mem_params params(void)
{
	return (struct virtio_mem_params){ .addr = BASE, .region_size = REGION, .block_size = BS,
					   .requested_size = REQ0, .usable_extension = EXT,
					   .node_id = 3 };
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct virtio_mem_params p = params();

	assert_null(virtio_mem_init(&f->vm, &p, &host_ops, &f->h));
	f->h.vm = &f->vm;
	virtio_mem_set_link(&f->vm, (struct virtio_transport_link){ h_config_changed, &f->h });
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_mem_destroy(&f->vm);
	free(f);
	return 0;
}

static struct virtio_mem_resp request(struct virtio_mem *vm, uint16_t type, uint64_t addr,
				      uint16_t nb)
{
	struct virtio_mem_req req;
	struct virtio_mem_resp resp;

	memset(&req, 0xee, sizeof(req)); /* padding is garbage: it must be ignored */
	req.type = htole16(type);
	req.u.plug.addr = htole64(addr);
	req.u.plug.nb_blocks = htole16(nb);
	memset(&resp, 0xcc, sizeof(resp));
	virtio_mem_handle_request(vm, &req, &resp);
	resp.type = le16toh(resp.type);
	resp.u.state.state = le16toh(resp.u.state.state);
	return resp;
}

static uint16_t req_type(struct virtio_mem *vm, uint16_t type, uint64_t addr, uint16_t nb)
{
	return request(vm, type, addr, nb).type;
}

static void check_invariants(struct fixture *f)
{
	assert_int_equal(f->vm.plugged_size, block_bitmap_popcount(&f->vm.plugged) * BS);
	assert_int_equal(f->vm.plugged.nset, block_bitmap_popcount(&f->vm.plugged));
	for (uint64_t b = 0; b < NBLOCKS; b++)
		if (block_bitmap_test(&f->vm.plugged, b)) {
			assert_true(f->h.populated[b]);
			assert_true(b * BS < f->vm.usable_region_size);
		}
}

/* ---- every request outcome, from one starting state: blocks 4..7 plugged ---- */

enum { RAW = 1 }; /* addr is a raw guest address, not a block index */

static void test_request_outcomes(void **state)
{
	static const struct {
		const char *what;
		uint16_t type;
		int raw;
		uint64_t at; /* block index, or raw address */
		uint16_t nb;
		uint16_t resp;
		uint16_t st;        /* for STATE ACKs */
		int64_t plugged_delta; /* blocks */
	} cases[] = {
		{ "plug the first block", VIRTIO_MEM_REQ_PLUG, 0, 0, 1, VIRTIO_MEM_RESP_ACK, 0, 1 },
		{ "plug the last usable block", VIRTIO_MEM_REQ_PLUG, 0, 23, 1, VIRTIO_MEM_RESP_ACK, 0, 1 },
		{ "plug up to requested exactly", VIRTIO_MEM_REQ_PLUG, 0, 8, 12, VIRTIO_MEM_RESP_ACK, 0, 12 },
		{ "plug one past requested", VIRTIO_MEM_REQ_PLUG, 0, 8, 13, VIRTIO_MEM_RESP_NACK, 0, 0 },
		{ "plug unaligned", VIRTIO_MEM_REQ_PLUG, RAW, BLK(1) + 4096, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug half a block in", VIRTIO_MEM_REQ_PLUG, RAW, BLK(1) + BS / 2, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug zero blocks", VIRTIO_MEM_REQ_PLUG, 0, 1, 0, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug below the region", VIRTIO_MEM_REQ_PLUG, RAW, BASE - BS, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug straddling the usable end", VIRTIO_MEM_REQ_PLUG, 0, 23, 2, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug at the usable end", VIRTIO_MEM_REQ_PLUG, 0, 24, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug the last region block (not usable)", VIRTIO_MEM_REQ_PLUG, 0, NBLOCKS - 1, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug past the region", VIRTIO_MEM_REQ_PLUG, 0, NBLOCKS, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug 65535 blocks", VIRTIO_MEM_REQ_PLUG, 0, 0, 65535, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug at the top of the address space", VIRTIO_MEM_REQ_PLUG, RAW, 0xffffffffffe00000ull, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug a plugged block", VIRTIO_MEM_REQ_PLUG, 0, 4, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug partly plugged", VIRTIO_MEM_REQ_PLUG, 0, 2, 3, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "plug plugged and too many (NACK first, as QEMU)", VIRTIO_MEM_REQ_PLUG, 0, 4, 20, VIRTIO_MEM_RESP_NACK, 0, 0 },
		{ "unplug plugged", VIRTIO_MEM_REQ_UNPLUG, 0, 4, 4, VIRTIO_MEM_RESP_ACK, 0, -4 },
		{ "unplug the last plugged block", VIRTIO_MEM_REQ_UNPLUG, 0, 7, 1, VIRTIO_MEM_RESP_ACK, 0, -1 },
		{ "unplug partly plugged", VIRTIO_MEM_REQ_UNPLUG, 0, 3, 2, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "unplug past the plugged run", VIRTIO_MEM_REQ_UNPLUG, 0, 7, 2, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "unplug unplugged", VIRTIO_MEM_REQ_UNPLUG, 0, 10, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "unplug unaligned", VIRTIO_MEM_REQ_UNPLUG, RAW, BLK(4) + 512, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "unplug zero blocks", VIRTIO_MEM_REQ_UNPLUG, 0, 4, 0, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "unplug outside usable", VIRTIO_MEM_REQ_UNPLUG, 0, 30, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "state plugged", VIRTIO_MEM_REQ_STATE, 0, 4, 4, VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_PLUGGED, 0 },
		{ "state unplugged", VIRTIO_MEM_REQ_STATE, 0, 8, 16, VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_UNPLUGGED, 0 },
		{ "state mixed (start)", VIRTIO_MEM_REQ_STATE, 0, 3, 2, VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_MIXED, 0 },
		{ "state mixed (end)", VIRTIO_MEM_REQ_STATE, 0, 7, 2, VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_MIXED, 0 },
		{ "state whole usable", VIRTIO_MEM_REQ_STATE, 0, 0, 24, VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_MIXED, 0 },
		{ "state zero blocks", VIRTIO_MEM_REQ_STATE, 0, 4, 0, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "state outside usable", VIRTIO_MEM_REQ_STATE, 0, 20, 8, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "state unaligned", VIRTIO_MEM_REQ_STATE, RAW, BLK(4) + 1, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "unplug all", VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, 0, VIRTIO_MEM_RESP_ACK, 0, -4 },
		{ "unknown type 4", 4, 0, 4, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
		{ "unknown type 0xffff", 0xffff, 0, 4, 1, VIRTIO_MEM_RESP_ERROR, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		teardown(state);
		setup(state);
		struct fixture *f = *state;
		assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(4), 4), VIRTIO_MEM_RESP_ACK);
		uint64_t words[NBLOCKS / 64];
		memcpy(words, f->vm.plugged.words, sizeof(words));
		uint64_t before = f->vm.plugged_size;
		unsigned changes = f->h.size_changes, pops = f->h.populates, discards = f->h.discards;

		uint64_t addr = cases[i].raw ? cases[i].at : BLK(cases[i].at);
		struct virtio_mem_resp r = request(&f->vm, cases[i].type, addr, cases[i].nb);
		if (r.type != cases[i].resp)
			fail_msg("%s: response %u, expected %u", cases[i].what, r.type, cases[i].resp);
		if (r.type == VIRTIO_MEM_RESP_ACK && cases[i].type == VIRTIO_MEM_REQ_STATE &&
		    r.u.state.state != cases[i].st)
			fail_msg("%s: state %u, expected %u", cases[i].what, r.u.state.state, cases[i].st);
		if (r.type != VIRTIO_MEM_RESP_ACK)
			assert_int_equal(r.u.state.state, 0);
		assert_int_equal((int64_t)f->vm.plugged_size - (int64_t)before,
				 cases[i].plugged_delta * (int64_t)BS);
		check_invariants(f);
		if (cases[i].plugged_delta == 0) {
			/* Nothing moves: bitmap, host memory, callbacks. */
			assert_memory_equal(words, f->vm.plugged.words, sizeof(words));
			assert_int_equal(f->h.size_changes, changes);
			assert_int_equal(f->h.populates, pops);
			assert_int_equal(f->h.discards, discards);
		} else {
			assert_int_equal(f->h.size_changes, changes + 1);
			assert_int_equal(f->h.last_size, f->vm.plugged_size);
		}
	}
}

static void test_populate_failure_is_busy_and_changes_nothing(void **state)
{
	struct fixture *f = *state;

	f->h.fail_populate = true;
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(2), 3), VIRTIO_MEM_RESP_BUSY);
	assert_int_equal(f->vm.plugged_size, 0);
	assert_true(block_bitmap_all_clear(&f->vm.plugged, 0, NBLOCKS));
	assert_int_equal(f->h.size_changes, 0);
	/* What was populated half way is given back. */
	assert_false(f->h.populated[2]);
	assert_int_equal(f->h.discards, 1);
	/* And the guest's retry works once the host can. */
	f->h.fail_populate = false;
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(2), 3), VIRTIO_MEM_RESP_ACK);
	check_invariants(f);
}

static void test_bitmap_word_edges(void **state)
{
	struct fixture *f = *state;

	/* Usable to the whole region, then runs across every word boundary. */
	assert_null(virtio_mem_set_requested_size(&f->vm, REGION));
	assert_int_equal(f->vm.usable_region_size, REGION);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(63), 2), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(64), 1), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(65), 130), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(NBLOCKS - 1), 1), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(NBLOCKS - 1), 2), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(f->vm.plugged_size, 133 * BS);
	struct virtio_mem_resp r = request(&f->vm, VIRTIO_MEM_REQ_STATE, BLK(63), 132);
	assert_int_equal(r.u.state.state, VIRTIO_MEM_STATE_PLUGGED);
	r = request(&f->vm, VIRTIO_MEM_REQ_STATE, BLK(62), 2);
	assert_int_equal(r.u.state.state, VIRTIO_MEM_STATE_MIXED);
	r = request(&f->vm, VIRTIO_MEM_REQ_STATE, BLK(195), 60);
	assert_int_equal(r.u.state.state, VIRTIO_MEM_STATE_UNPLUGGED);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_UNPLUG, BLK(64), 128), VIRTIO_MEM_RESP_ACK);
	assert_true(block_bitmap_test(&f->vm.plugged, 63));
	assert_false(block_bitmap_test(&f->vm.plugged, 64));
	assert_false(block_bitmap_test(&f->vm.plugged, 191));
	assert_true(block_bitmap_test(&f->vm.plugged, 192));
	check_invariants(f);
}

static void test_block_straddling_usable_size(void **state)
{
	struct fixture *f = *state;
	struct virtio_mem vm;
	struct virtio_mem_params p = params();

	/* An extension that is not whole blocks rounds the usable region up. */
	p.usable_extension = BS / 2;
	p.requested_size = 3 * BS;
	assert_null(virtio_mem_init(&vm, &p, &host_ops, &f->h));
	f->h.vm = &vm;
	assert_int_equal(vm.usable_region_size, 4 * BS);
	assert_int_equal(req_type(&vm, VIRTIO_MEM_REQ_STATE, BLK(3), 1), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(req_type(&vm, VIRTIO_MEM_REQ_STATE, BLK(3), 2), VIRTIO_MEM_RESP_ERROR);
	virtio_mem_destroy(&vm);
	/* An extension past 2^64 or past the region stops at the region. */
	p.usable_extension = UINT64_MAX;
	assert_null(virtio_mem_init(&vm, &p, &host_ops, &f->h));
	assert_int_equal(vm.usable_region_size, REGION);
	virtio_mem_destroy(&vm);
	/* Requested 0: nothing usable. */
	p.requested_size = 0;
	assert_null(virtio_mem_init(&vm, &p, &host_ops, &f->h));
	assert_int_equal(vm.usable_region_size, 0);
	assert_int_equal(req_type(&vm, VIRTIO_MEM_REQ_STATE, BLK(0), 1), VIRTIO_MEM_RESP_ERROR);
	virtio_mem_destroy(&vm);
}

/* ---- the host's side ---- */

static void test_set_requested_size(void **state)
{
	struct fixture *f = *state;
	static const uint64_t bad[] = { BS / 2, REQ0 + 4096, REGION + BS, UINT64_MAX };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(virtio_mem_set_requested_size(&f->vm, bad[i]));
		assert_int_equal(f->vm.requested_size, REQ0);
	}
	assert_int_equal(f->h.cfg_notify, 0);

	/* Growing the request grows the usable region and tells the guest. */
	assert_null(virtio_mem_set_requested_size(&f->vm, 40 * BS));
	assert_int_equal(virtio_mem_requested_size(&f->vm), 40 * BS);
	assert_int_equal(virtio_mem_usable_region_size(&f->vm), 48 * BS);
	assert_int_equal(f->h.cfg_notify, 1);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(0), 40), VIRTIO_MEM_RESP_ACK);

	/* Shrinking it keeps the usable region, so plugged blocks stay valid. */
	assert_null(virtio_mem_set_requested_size(&f->vm, 8 * BS));
	assert_int_equal(virtio_mem_usable_region_size(&f->vm), 48 * BS);
	assert_int_equal(f->h.cfg_notify, 2);
	/* More than requested is plugged: every plug is NACKed, unplugs work. */
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(45), 1), VIRTIO_MEM_RESP_NACK);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_UNPLUG, BLK(8), 32), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(virtio_mem_plugged_size(&f->vm), 8 * BS);
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(45), 1), VIRTIO_MEM_RESP_NACK);
	/* The whole region, and 0, are fine requests. */
	assert_null(virtio_mem_set_requested_size(&f->vm, REGION));
	assert_int_equal(virtio_mem_usable_region_size(&f->vm), REGION);
	assert_null(virtio_mem_set_requested_size(&f->vm, 0));
	/* The same value again still prods the guest. */
	unsigned n = f->h.cfg_notify;
	assert_null(virtio_mem_set_requested_size(&f->vm, 0));
	assert_int_equal(f->h.cfg_notify, n + 1);
	check_invariants(f);
}

static void test_unplug_all_shrinks_usable(void **state)
{
	struct fixture *f = *state;

	assert_null(virtio_mem_set_requested_size(&f->vm, 100 * BS));
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(90), 10), VIRTIO_MEM_RESP_ACK);
	assert_null(virtio_mem_set_requested_size(&f->vm, 4 * BS));
	unsigned notify = f->h.cfg_notify, silent = f->h.cfg_silent;
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(f->vm.plugged_size, 0);
	assert_int_equal(f->vm.usable_region_size, 12 * BS);
	/* No configuration interrupt for UNPLUG_ALL, but the generation moves. */
	assert_int_equal(f->h.cfg_notify, notify);
	assert_true(f->h.cfg_silent > silent);
	for (unsigned b = 0; b < NBLOCKS; b++)
		assert_false(f->h.populated[b]);
	/* Nothing plugged: UNPLUG_ALL is still an ACK and discards nothing. */
	unsigned discards = f->h.discards;
	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(f->h.discards, discards);
	check_invariants(f);
}

static void test_system_reset_and_virtio_reset(void **state)
{
	struct fixture *f = *state;
	const struct virtio_device_ops *ops = virtio_mem_device_ops();

	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(0), 8), VIRTIO_MEM_RESP_ACK);
	/* A virtio reset leaves the blocks alone (§5.15.5.1). */
	ops->reset(&f->vm);
	assert_int_equal(f->vm.plugged_size, 8 * BS);
	assert_true(block_bitmap_all_set(&f->vm.plugged, 0, 8));
	/* A system reset unplugs everything. */
	virtio_mem_system_reset(&f->vm);
	assert_int_equal(virtio_mem_plugged_size(&f->vm), 0);
	assert_int_equal(f->h.last_size, 0);
	assert_false(f->h.populated[0]);
	check_invariants(f);
}

static void test_init_refuses_bad_params(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *what;
		uint64_t addr, region, bs, req;
	} bad[] = {
		{ "block 0", BASE, REGION, 0, 0 },
		{ "block not a power of two", BASE, REGION, 3 * MiB_, 0 },
		{ "block below 4 KiB", BASE, REGION, 2048, 0 },
		{ "unaligned addr", BASE + 4096, REGION, BS, 0 },
		{ "region not whole blocks", BASE, REGION + 4096, BS, 0 },
		{ "region wraps", 0xffffffffffe00000ull, 2 * BS, BS, 0 },
		{ "requested not whole blocks", BASE, REGION, BS, BS + 4096 },
		{ "requested past the region", BASE, REGION, BS, REGION + BS },
	};
	struct virtio_mem vm;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct virtio_mem_params p = params();
		p.addr = bad[i].addr;
		p.region_size = bad[i].region;
		p.block_size = bad[i].bs;
		p.requested_size = bad[i].req;
		if (!virtio_mem_init(&vm, &p, &host_ops, &f->h))
			fail_msg("accepted: %s", bad[i].what);
	}
	struct virtio_mem_params p = params();
	struct virtio_mem_ops no_discard = { .populate = h_populate };
	assert_non_null(virtio_mem_init(&vm, &p, &no_discard, &f->h));
	/* The last block of the address space is fine; an empty region too. */
	p.addr = 0xffffffffffc00000ull;
	p.region_size = 2 * BS;
	p.requested_size = 0;
	assert_null(virtio_mem_init(&vm, &p, &host_ops, &f->h));
	virtio_mem_destroy(&vm);
	p.region_size = 0;
	assert_null(virtio_mem_init(&vm, &p, &host_ops, &f->h));
	virtio_mem_destroy(&vm);
}

/* ---- what the transport sees ---- */

static uint64_t cfg64(struct virtio_mem *vm, size_t off)
{
	uint8_t b[8];
	uint64_t v;

	virtio_mem_device_ops()->config_read(vm, off, b, 8);
	memcpy(&v, b, 8);
	return le64toh(v);
}

static void test_config_space(void **state)
{
	struct fixture *f = *state;
	const struct virtio_device_ops *ops = virtio_mem_device_ops();

	assert_int_equal(req_type(&f->vm, VIRTIO_MEM_REQ_PLUG, BLK(1), 2), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(cfg64(&f->vm, offsetof(struct virtio_mem_config, block_size)), BS);
	assert_int_equal(cfg64(&f->vm, offsetof(struct virtio_mem_config, addr)), BASE);
	assert_int_equal(cfg64(&f->vm, offsetof(struct virtio_mem_config, region_size)), REGION);
	assert_int_equal(cfg64(&f->vm, offsetof(struct virtio_mem_config, usable_region_size)), 24 * BS);
	assert_int_equal(cfg64(&f->vm, offsetof(struct virtio_mem_config, plugged_size)), 2 * BS);
	assert_int_equal(cfg64(&f->vm, offsetof(struct virtio_mem_config, requested_size)), REQ0);
	/* node_id as a 16-bit read, padding reads 0. */
	uint8_t b[8];
	ops->config_read(&f->vm, offsetof(struct virtio_mem_config, node_id), b, 2);
	assert_int_equal(b[0] | b[1] << 8, 3);
	ops->config_read(&f->vm, 10, b, 4);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	/* How Linux reads a 64-bit field on mmio: two 32-bit halves. */
	uint32_t lo, hi;
	ops->config_read(&f->vm, offsetof(struct virtio_mem_config, addr), (uint8_t *)&lo, 4);
	ops->config_read(&f->vm, offsetof(struct virtio_mem_config, addr) + 4, (uint8_t *)&hi, 4);
	assert_int_equal((uint64_t)le32toh(hi) << 32 | le32toh(lo), BASE);
	/* Outside (or straddling the end of) the 56-byte space: zeros. */
	memset(b, 0xff, sizeof(b));
	ops->config_read(&f->vm, 52, b, 8);
	assert_int_equal(b[0] | b[7], 0);
	memset(b, 0xff, sizeof(b));
	ops->config_read(&f->vm, UINT64_MAX - 1, b, 8);
	assert_int_equal(b[0], 0);
	/* Writes are dropped. */
	uint64_t v = 0;
	ops->config_write(&f->vm, offsetof(struct virtio_mem_config, requested_size), (uint8_t *)&v, 8);
	assert_int_equal(f->vm.requested_size, REQ0);
}

static void test_features(void **state)
{
	struct fixture *f = *state;
	const struct virtio_device_ops *ops = virtio_mem_device_ops();
	const uint64_t pxm = 1ull << VIRTIO_MEM_F_ACPI_PXM;
	const uint64_t inacc = 1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE;

	assert_int_equal(ops->device_id, VIRTIO_ID_MEM);
	assert_int_equal(ops->num_queues, 1);
	assert_int_equal(ops->features(&f->vm), pxm | inacc);
	assert_true(ops->features_ok(&f->vm, inacc | (1ull << VIRTIO_F_VERSION_1)));
	assert_false(ops->features_ok(&f->vm, pxm | (1ull << VIRTIO_F_VERSION_1)));
	f->vm.p.accept_legacy_driver = true;
	assert_true(ops->features_ok(&f->vm, pxm | (1ull << VIRTIO_F_VERSION_1)));
}

/* ---- descriptor chains ---- */

static struct vq_buf rbuf(void *p, uint32_t len) { return (struct vq_buf){ .host = p, .len = len }; }
static struct vq_buf wbuf(void *p, uint32_t len)
{
	return (struct vq_buf){ .host = p, .len = len, .writable = true };
}

static struct virtio_mem_req plug_req(uint64_t addr, uint16_t nb)
{
	struct virtio_mem_req r = { .type = htole16(VIRTIO_MEM_REQ_PLUG) };
	r.u.plug.addr = htole64(addr);
	r.u.plug.nb_blocks = htole16(nb);
	return r;
}

static uint32_t chain(struct virtio_mem *vm, struct vq_buf *b, unsigned n, unsigned total)
{
	struct vq_chain c = { .head = 0, .n = n, .total = total };
	return virtio_mem_handle_chain(vm, &c, b);
}

static void test_chain_shapes(void **state)
{
	struct fixture *f = *state;
	struct virtio_mem_req req = plug_req(BLK(0), 1);
	uint8_t resp[32];

	/* The usual two descriptors: 10 bytes written, nothing past them. */
	memset(resp, 0xaa, sizeof(resp));
	struct vq_buf b[10] = { rbuf(&req, sizeof(req)), wbuf(resp, sizeof(resp)) };
	assert_int_equal(chain(&f->vm, b, 2, 2), 10);
	assert_int_equal(resp[0] | resp[1] << 8, VIRTIO_MEM_RESP_ACK);
	assert_int_equal(resp[10], 0xaa);
	assert_int_equal(f->vm.plugged_size, BS);

	/* Split any which way (§2.6.4): 5 + 0 + 19 readable, 3 + 7 writable. */
	req = plug_req(BLK(1), 1);
	memset(resp, 0xaa, sizeof(resp));
	b[0] = rbuf(&req, 5);
	b[1] = rbuf(NULL, 0);
	b[2] = rbuf((uint8_t *)&req + 5, 19);
	b[3] = wbuf(resp, 3);
	b[4] = wbuf(resp + 16, 7);
	assert_int_equal(chain(&f->vm, b, 5, 5), 10);
	assert_int_equal(resp[0] | resp[1] << 8, VIRTIO_MEM_RESP_ACK);
	assert_int_equal(resp[3], 0xaa);
	assert_int_equal(resp[16 + 6], 0); /* response byte 9 */
	assert_int_equal(resp[16 + 7], 0xaa);
	assert_int_equal(f->vm.plugged_size, 2 * BS);

	/* Malformed: 0 bytes, no state change. */
	static const struct { const char *what; unsigned rlen, wlen, n_extra, total_extra; } bad[] = {
		{ "request one byte short", 23, 10, 0, 0 },
		{ "no request", 0, 10, 0, 0 },
		{ "response one byte short", 24, 9, 0, 0 },
		{ "no response", 24, 0, 0, 0 },
		{ "more descriptors than kept", 24, 10, 0, 1 },
		{ "more than VIRTIO_MEM_MAX_DESCS", 24, 10, VIRTIO_MEM_MAX_DESCS - 1, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = plug_req(BLK(2), 1);
		memset(resp, 0xaa, sizeof(resp));
		unsigned n = 0;
		if (bad[i].rlen)
			b[n++] = rbuf(&req, bad[i].rlen);
		if (bad[i].wlen)
			b[n++] = wbuf(resp, bad[i].wlen);
		for (unsigned k = 0; k < bad[i].n_extra; k++)
			b[n++] = wbuf(resp + 16, 1);
		if (chain(&f->vm, b, n, n + bad[i].total_extra) != 0)
			fail_msg("answered: %s", bad[i].what);
		assert_int_equal(resp[0], 0xaa);
		assert_int_equal(f->vm.plugged_size, 2 * BS);
	}
	check_invariants(f);
}

/* ---- end to end: the guest's driver through virtio-mmio and the ring ---- */

struct e2e {
	struct fake_guest g;
	struct virtio_mmio t;
	int level;
};

static void e2e_level(void *opaque, bool level) { ((struct e2e *)opaque)->level = level; }

static void mmio_wr(struct e2e *e, uint64_t off, uint32_t v)
{
	v = htole32(v);
	virtio_mmio_access(&e->t, off, true, (uint8_t *)&v, 4);
}

static uint32_t mmio_rd(struct e2e *e, uint64_t off)
{
	uint32_t v;
	virtio_mmio_access(&e->t, off, false, (uint8_t *)&v, 4);
	return le32toh(v);
}

/* The guest puts a request at FG_BUF, its response at FG_BUF + 64, and kicks. */
static uint16_t guest_request(struct e2e *e, uint16_t type, uint64_t addr, uint16_t nb)
{
	struct virtio_mem_req req = plug_req(addr, nb);
	req.type = htole16(type);
	memcpy(fg_host(&e->g, FG_BUF), &req, sizeof(req));
	memset(fg_host(&e->g, FG_BUF + 64), 0xaa, 16);
	uint16_t d = (uint16_t)(e->g.avail_idx * 2 % e->g.num);
	fg_desc(&e->g, d, FG_BUF, sizeof(req), VRING_DESC_F_NEXT, (uint16_t)(d + 1));
	fg_desc(&e->g, (uint16_t)(d + 1), FG_BUF + 64, 16, VRING_DESC_F_WRITE, 0);
	fg_publish(&e->g, d);
	mmio_wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	struct vring_used_elem u = fg_used(&e->g, (uint16_t)(fg_used_idx(&e->g) - 1));
	assert_int_equal(u.id, d);
	assert_int_equal(u.len, 10);
	uint16_t t;
	memcpy(&t, fg_host(&e->g, FG_BUF + 64), 2);
	return le16toh(t);
}

static void test_end_to_end_through_mmio(void **state)
{
	struct fixture *f = *state;
	struct e2e e = { 0 };

	fg_init(&e.g, 8);
	struct virtio_mmio_irq irq = { e2e_level, &e };
	assert_int_equal(virtio_mmio_init(&e.t, virtio_mem_device_ops(), &f->vm, &e.g.view, irq), 0);
	virtio_mem_set_link(&f->vm, virtio_mmio_link(&e.t));

	assert_int_equal(mmio_rd(&e, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_MEM);
	mmio_wr(&e, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mmio_wr(&e, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t feat = mmio_rd(&e, VIRTIO_MMIO_DEVICE_FEATURES);
	assert_int_equal(feat, 3);
	mmio_wr(&e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_wr(&e, VIRTIO_MMIO_DRIVER_FEATURES, feat);
	mmio_wr(&e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_wr(&e, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_wr(&e, VIRTIO_MMIO_STATUS, 0xb);
	assert_int_equal(mmio_rd(&e, VIRTIO_MMIO_STATUS), 0xb);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(mmio_rd(&e, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_MEM_QUEUE_MAX);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_NUM, 8);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)FG_DESC);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)FG_AVAIL);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)FG_USED);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_READY, 1);
	mmio_wr(&e, VIRTIO_MMIO_STATUS, 0xf);

	/* The config the driver reads at probe: 64-bit fields as two words. */
	uint64_t req = mmio_rd(&e, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_mem_config, requested_size)) |
		       (uint64_t)mmio_rd(&e, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_mem_config, requested_size) + 4) << 32;
	assert_int_equal(req, REQ0);

	uint32_t gen = mmio_rd(&e, VIRTIO_MMIO_CONFIG_GENERATION);
	assert_int_equal(guest_request(&e, VIRTIO_MEM_REQ_PLUG, BLK(0), 16), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(e.level, 1);
	assert_int_equal(mmio_rd(&e, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	assert_int_not_equal(mmio_rd(&e, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	mmio_wr(&e, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(e.level, 0);
	assert_int_equal(guest_request(&e, VIRTIO_MEM_REQ_PLUG, BLK(16), 1), VIRTIO_MEM_RESP_NACK);
	mmio_wr(&e, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);

	/* The host asks for more: configuration interrupt, new generation. */
	gen = mmio_rd(&e, VIRTIO_MMIO_CONFIG_GENERATION);
	assert_null(virtio_mem_set_requested_size(&f->vm, 32 * BS));
	assert_int_equal(e.level, 1);
	assert_int_equal(mmio_rd(&e, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_int_not_equal(mmio_rd(&e, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	mmio_wr(&e, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(guest_request(&e, VIRTIO_MEM_REQ_PLUG, BLK(16), 16), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(virtio_mem_plugged_size(&f->vm), 32 * BS);

	/* A virtio reset keeps the blocks; the reinitialised driver finds them. */
	mmio_wr(&e, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(virtio_mem_plugged_size(&f->vm), 32 * BS);
	check_invariants(f);

	virtio_mem_set_link(&f->vm, (struct virtio_transport_link){ h_config_changed, &f->h });
	virtio_mmio_destroy(&e.t);
	fg_free(&e.g);
}

/* Requests on a "vCPU" thread while the "main thread" resizes and another
 * vCPU reads the configuration: the lock order (transport, device, irq) must
 * hold up; a deadlock shows as a test timeout, a race under ASan/UBSan. */
struct race {
	struct e2e *e;
	struct virtio_mem *vm;
	bool stop;        /* __atomic */
	unsigned errors;  /* counted here, asserted on the test's own thread */
	unsigned resizes;
};

static void *resizer(void *arg)
{
	struct race *r = arg;

	for (unsigned i = 0; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); i++) {
		r->errors += virtio_mem_set_requested_size(r->vm, (i % 3 ? 16 : 4) * BS) != NULL;
		(void)mmio_rd(r->e, VIRTIO_MMIO_CONFIG_GENERATION);
		(void)mmio_rd(r->e, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_mem_config, plugged_size));
		mmio_wr(r->e, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
		r->resizes++;
	}
	return NULL;
}

static void test_concurrent_resize_and_requests(void **state)
{
	struct fixture *f = *state;
	struct e2e e = { 0 };

	fg_init(&e.g, 8);
	struct virtio_mmio_irq irq = { e2e_level, &e };
	assert_int_equal(virtio_mmio_init(&e.t, virtio_mem_device_ops(), &f->vm, &e.g.view, irq), 0);
	virtio_mem_set_link(&f->vm, virtio_mmio_link(&e.t));
	mmio_wr(&e, VIRTIO_MMIO_STATUS, 3);
	mmio_wr(&e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_wr(&e, VIRTIO_MMIO_DRIVER_FEATURES, 3);
	mmio_wr(&e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_wr(&e, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_wr(&e, VIRTIO_MMIO_STATUS, 0xb);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_NUM, 8);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)FG_DESC);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)FG_AVAIL);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)FG_USED);
	mmio_wr(&e, VIRTIO_MMIO_QUEUE_READY, 1);
	mmio_wr(&e, VIRTIO_MMIO_STATUS, 0xf);

	struct race r = { .e = &e, .vm = &f->vm };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, resizer, &r), 0);
	unsigned acks = 0;
	for (unsigned i = 0; i < 3000; i++) {
		uint16_t t = guest_request(&e, i % 2 ? VIRTIO_MEM_REQ_UNPLUG : VIRTIO_MEM_REQ_PLUG,
					   BLK(i % 16), 1);
		assert_true(t == VIRTIO_MEM_RESP_ACK || t == VIRTIO_MEM_RESP_NACK ||
			    t == VIRTIO_MEM_RESP_ERROR);
		acks += t == VIRTIO_MEM_RESP_ACK;
		mmio_wr(&e, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	assert_int_equal(r.errors, 0);
	assert_true(acks > 0);
	assert_false(virtio_mmio_needs_reset(&e.t));
	check_invariants(f);

	virtio_mem_set_link(&f->vm, (struct virtio_transport_link){ h_config_changed, &f->h });
	virtio_mmio_destroy(&e.t);
	fg_free(&e.g);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_request_outcomes),
		T(test_populate_failure_is_busy_and_changes_nothing),
		T(test_bitmap_word_edges),
		T(test_block_straddling_usable_size),
		T(test_set_requested_size),
		T(test_unplug_all_shrinks_usable),
		T(test_system_reset_and_virtio_reset),
		T(test_init_refuses_bad_params),
		T(test_config_space),
		T(test_features),
		T(test_chain_shapes),
		T(test_end_to_end_through_mmio),
		T(test_concurrent_resize_and_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
