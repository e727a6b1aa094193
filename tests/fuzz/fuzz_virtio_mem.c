/*
 * libFuzzer harness: a hostile guest (and a fickle host) against virtio-mem
 * over virtio-mmio. The input picks the device's geometry, then drives a
 * sequence of steps: raw MMIO reads and writes at any offset and size, raw
 * writes to guest RAM (rings and buffers), queue notifies, host resizes and
 * system resets, plus shortcuts that a byte-level mutator would take long to
 * find (a driver bring-up, a well-formed request through the ring, one
 * descriptor with hostile fields, an available-index jump, a request checked
 * against a naive model) so the fuzzer reaches deep states quickly. After every step the invariants are
 * checked and a violation aborts:
 *
 *   plugged_size == popcount(bitmap) * block_size, within the usable region
 *   a PLUG never takes plugged_size past requested_size
 *   discard never touches a plugged block; every plugged block is populated
 *   usable_region_size >= requested_size, both whole blocks, <= region
 *   the interrupt line is exactly InterruptStatus != 0, only bits 0 and 1
 *   a broken queue means NEEDS_RESET; nothing popped is left unanswered
 *   a direct request gets the answer and the effect the model predicts
 *
 * Build (tests/fuzz/CMakeLists.txt links it with plugvm_core), or alone:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -std=gnu17 -Isrc \
 *         tests/fuzz/fuzz_virtio_mem.c src/virtio/[a-z]*.c src/util.c -o /tmp/fvm
 */
#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/block_bitmap.h"
#include "virtio/guest_mem.h"
#include "virtio/virtio_mem.h"
#include "virtio/virtio_mmio.h"

#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x10000ull
#define RING_DESC (RAM_BASE + 0x0000)
#define RING_AVAIL (RAM_BASE + 0x1000)
#define RING_USED (RAM_BASE + 0x2000)
#define REQ_BUF (RAM_BASE + 0x3000)
#define RESP_BUF (RAM_BASE + 0x3100)
#define REGION_ADDR (1ull << 32)
#define MAX_BLOCKS 512
#define MAX_STEPS 2048

#define CHECK(c)                                                                           \
	do {                                                                               \
		if (!(c)) {                                                                \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); \
			abort();                                                           \
		}                                                                          \
	} while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

struct harness {
	struct input in;
	uint8_t *ram;
	struct guest_mem_flat flat;
	struct guest_mem_view view;
	struct virtio_mem vm;
	struct virtio_mmio t;
	uint64_t bs, nblocks;
	bool populated[MAX_BLOCKS];
	bool fail_populate;
	bool level;
	uint64_t last_plugged;
	uint16_t ring_num, drv_avail;
};

/* ---- the host side: catches a discard or populate of a plugged block ---- */

static void check_range(struct harness *h, uint64_t off, uint64_t len)
{
	CHECK(off % h->bs == 0 && len % h->bs == 0);
	CHECK(off <= h->vm.p.region_size && len <= h->vm.p.region_size - off);
}

static int h_populate(void *opaque, uint64_t off, uint64_t len)
{
	struct harness *h = opaque;

	check_range(h, off, len);
	for (uint64_t b = off / h->bs; b < (off + len) / h->bs; b++) {
		CHECK(!block_bitmap_test(&h->vm.plugged, b));
		h->populated[b] = true;
	}
	return h->fail_populate ? -1 : 0;
}

static void h_discard(void *opaque, uint64_t off, uint64_t len)
{
	struct harness *h = opaque;

	check_range(h, off, len);
	for (uint64_t b = off / h->bs; b < (off + len) / h->bs; b++) {
		CHECK(!block_bitmap_test(&h->vm.plugged, b)); /* never discard a plugged block */
		h->populated[b] = false;
	}
}

static void h_size_changed(void *opaque, uint64_t size)
{
	struct harness *h = opaque;

	CHECK(size == h->vm.plugged_size);
	if (size > h->last_plugged) /* grown by a PLUG: never past the request */
		CHECK(size <= h->vm.requested_size);
	h->last_plugged = size;
}

static const struct virtio_mem_ops host_ops = {
	.populate = h_populate, .discard = h_discard, .plugged_size_changed = h_size_changed,
};

static void h_level(void *opaque, bool level)
{
	struct harness *h = opaque;

	CHECK(level != h->level); /* called on changes only */
	h->level = level;
}

/* ---- invariants ---- */

static void check_all(struct harness *h)
{
	struct virtio_mem *vm = &h->vm;
	uint64_t pop = block_bitmap_popcount(&vm->plugged);

	CHECK(vm->plugged.nset == pop);
	CHECK(vm->plugged_size == pop * h->bs);
	CHECK(vm->requested_size % h->bs == 0 && vm->requested_size <= vm->p.region_size);
	CHECK(vm->usable_region_size % h->bs == 0 && vm->usable_region_size <= vm->p.region_size);
	CHECK(vm->usable_region_size >= vm->requested_size);
	for (uint64_t b = 0; b < h->nblocks; b++)
		if (block_bitmap_test(&vm->plugged, b)) {
			CHECK(h->populated[b]);
			CHECK(b < vm->usable_region_size / h->bs);
		}
	CHECK((h->t.interrupt_status & ~3u) == 0);
	CHECK(h->level == (h->t.interrupt_status != 0));
	uint32_t s = virtio_mmio_status(&h->t);
	CHECK(!(s & VIRTIO_CONFIG_S_DRIVER_OK) || (s & VIRTIO_CONFIG_S_FEATURES_OK));
	const struct virtqueue *vq = &h->t.vqs[0];
	CHECK(!vq->broken || (s & VIRTIO_CONFIG_S_NEEDS_RESET));
	CHECK(vq->inflight == 0);
}

/* ---- guest helpers ---- */

static void *ram(struct harness *h, uint64_t gpa) { return h->ram + (gpa - RAM_BASE); }

static void mmio_write(struct harness *h, uint64_t off, uint32_t v)
{
	v = htole32(v);
	virtio_mmio_access(&h->t, off, true, (uint8_t *)&v, 4);
}

/* A driver's probe, with a few choices left to the input. */
static void bring_up(struct harness *h)
{
	uint8_t choice = (uint8_t)take(&h->in, 1);
	uint32_t feats = (uint32_t)take(&h->in, 1) & 3;

	mmio_write(h, VIRTIO_MMIO_STATUS, 0);
	memset(ram(h, RING_DESC), 0, 0x3000);
	mmio_write(h, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mmio_write(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_write(h, VIRTIO_MMIO_DRIVER_FEATURES, choice & 0x80 ? feats : 3);
	mmio_write(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write(h, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_write(h, VIRTIO_MMIO_STATUS, 0xb);
	h->ring_num = (uint16_t)(1u << (choice % 8));
	h->drv_avail = 0;
	mmio_write(h, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_write(h, VIRTIO_MMIO_QUEUE_NUM, h->ring_num);
	mmio_write(h, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING_DESC);
	mmio_write(h, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)RING_AVAIL);
	mmio_write(h, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)RING_USED);
	mmio_write(h, VIRTIO_MMIO_QUEUE_READY, 1);
	mmio_write(h, VIRTIO_MMIO_STATUS, 0xf);
}

static uint64_t pick_addr(struct harness *h)
{
	uint8_t how = (uint8_t)take(&h->in, 1);
	uint64_t block = take(&h->in, 2) % (h->nblocks + 4);

	if (how % 16 == 0)
		return take(&h->in, 8); /* anywhere */
	return REGION_ADDR + block * h->bs + (how % 16 == 1 ? 4096 * (how >> 4) : 0);
}

static uint16_t pick_nb(struct harness *h)
{
	uint16_t nb = (uint16_t)take(&h->in, 2);

	return nb & 0x8000 ? nb : nb % 16;
}

static struct virtio_mem_req make_req(uint16_t type, uint64_t addr, uint16_t nb)
{
	struct virtio_mem_req r;

	memset(&r, 0xa5, sizeof(r));
	r.type = htole16(type);
	r.u.plug.addr = htole64(addr);
	r.u.plug.nb_blocks = htole16(nb);
	return r;
}

/* A well-formed request through the ring, then a kick. */
static void ring_request(struct harness *h)
{
	uint16_t type = (uint16_t)(take(&h->in, 1) % 5);
	struct virtio_mem_req r = make_req(type, pick_addr(h), pick_nb(h));

	if (!h->ring_num)
		return;
	uint16_t d = (uint16_t)((h->drv_avail * 2u) % h->ring_num);
	uint16_t d2 = (uint16_t)((d + 1u) % h->ring_num);
	struct vring_desc rd = { htole64(REQ_BUF), htole32(sizeof(r)), htole16(VRING_DESC_F_NEXT),
				 htole16(d2) };
	struct vring_desc wd = { htole64(RESP_BUF), htole32(16), htole16(VRING_DESC_F_WRITE), 0 };
	memcpy(ram(h, REQ_BUF), &r, sizeof(r));
	memcpy(ram(h, RING_DESC + 16ull * d), &rd, sizeof(rd));
	memcpy(ram(h, RING_DESC + 16ull * d2), &wd, sizeof(wd));
	uint16_t head = htole16(d), idx = htole16((uint16_t)(h->drv_avail + 1));
	memcpy(ram(h, RING_AVAIL + 4 + 2ull * (h->drv_avail % h->ring_num)), &head, 2);
	memcpy(ram(h, RING_AVAIL + 2), &idx, 2);
	h->drv_avail++;
	memset(ram(h, RESP_BUF), 0xff, 16);
	uint16_t used_before;
	memcpy(&used_before, ram(h, RING_USED + 2), 2);
	mmio_write(h, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	/* Earlier chains the input left in the ring may be served first; if
	 * ours was served last, its writable buffer holds a real response. */
	uint16_t used_after;
	memcpy(&used_after, ram(h, RING_USED + 2), 2);
	const struct virtqueue *vq = &h->t.vqs[0];
	if (used_after == used_before || vq->num != h->ring_num || vq->used_gpa != RING_USED)
		return;
	struct vring_used_elem e;
	uint16_t last = (uint16_t)(le16toh(used_after) - 1);
	memcpy(&e, ram(h, RING_USED + 4 + 8ull * (last % h->ring_num)), sizeof(e));
	if (le32toh(e.id) == d && le32toh(e.len) == sizeof(struct virtio_mem_resp)) {
		uint16_t t;
		memcpy(&t, ram(h, RESP_BUF), 2);
		CHECK(le16toh(t) <= VIRTIO_MEM_RESP_ERROR);
	}
}

/* One descriptor with fields from the input (any index, flags, next, and a
 * buffer in, across the edge of or outside RAM), published or not, then a kick. */
static void hostile_descriptor(struct harness *h)
{
	static const uint64_t where[] = { REQ_BUF, RESP_BUF, RAM_BASE + RAM_SIZE - 8, RAM_BASE - 8,
					  0, RING_DESC };
	uint8_t i = (uint8_t)take(&h->in, 1);
	uint8_t w = (uint8_t)take(&h->in, 1);
	uint64_t addr = w % 7 == 6 ? take(&h->in, 8) : where[w % 7];
	struct vring_desc d = { htole64(addr), htole32((uint32_t)take(&h->in, 2)),
				htole16((uint16_t)(take(&h->in, 1) & 7)), htole16((uint16_t)take(&h->in, 1)) };

	memcpy(ram(h, RING_DESC + 16ull * i), &d, sizeof(d)); /* i < 256: inside the 4 KiB table area */
	uint8_t publish = (uint8_t)take(&h->in, 1);
	if (publish & 1) {
		uint16_t head = htole16(publish & 2 ? i : (uint16_t)take(&h->in, 2));
		uint16_t num = h->ring_num ? h->ring_num : 1;
		memcpy(ram(h, RING_AVAIL + 4 + 2ull * (h->drv_avail % num)), &head, 2);
		uint16_t idx = htole16((uint16_t)(h->drv_avail + 1));
		memcpy(ram(h, RING_AVAIL + 2), &idx, 2);
		h->drv_avail++;
		mmio_write(h, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
}

/* ---- a naive model of the request rules, block by block ---- */

static uint16_t model(struct harness *h, bool *blocks, uint16_t type, uint64_t addr, uint16_t nb,
		      uint16_t *state)
{
	const struct virtio_mem *vm = &h->vm;
	uint64_t ub = vm->usable_region_size / h->bs, plugged = 0;

	for (uint64_t b = 0; b < h->nblocks; b++)
		plugged += blocks[b];
	if (type == VIRTIO_MEM_REQ_UNPLUG_ALL) {
		memset(blocks, 0, h->nblocks * sizeof(bool));
		return VIRTIO_MEM_RESP_ACK;
	}
	if (type > VIRTIO_MEM_REQ_STATE)
		return VIRTIO_MEM_RESP_ERROR;
	if (nb == 0 || addr < REGION_ADDR || (addr - REGION_ADDR) % h->bs)
		return VIRTIO_MEM_RESP_ERROR;
	uint64_t first = (addr - REGION_ADDR) / h->bs;
	if (first >= ub || nb > ub - first)
		return VIRTIO_MEM_RESP_ERROR;
	uint64_t in = 0;
	for (uint64_t b = first; b < first + nb; b++)
		in += blocks[b];
	switch (type) {
	case VIRTIO_MEM_REQ_PLUG:
		if ((plugged + nb) * h->bs > vm->requested_size)
			return VIRTIO_MEM_RESP_NACK;
		if (in)
			return VIRTIO_MEM_RESP_ERROR;
		if (h->fail_populate)
			return VIRTIO_MEM_RESP_BUSY;
		for (uint64_t b = first; b < first + nb; b++)
			blocks[b] = true;
		return VIRTIO_MEM_RESP_ACK;
	case VIRTIO_MEM_REQ_UNPLUG:
		if (in != nb)
			return VIRTIO_MEM_RESP_ERROR;
		for (uint64_t b = first; b < first + nb; b++)
			blocks[b] = false;
		return VIRTIO_MEM_RESP_ACK;
	default:
		*state = in == nb ? VIRTIO_MEM_STATE_PLUGGED
			 : in == 0 ? VIRTIO_MEM_STATE_UNPLUGGED
				   : VIRTIO_MEM_STATE_MIXED;
		return VIRTIO_MEM_RESP_ACK;
	}
}

static void modelled_request(struct harness *h)
{
	uint16_t type = (uint16_t)(take(&h->in, 1) % 6);
	uint64_t addr = pick_addr(h);
	uint16_t nb = pick_nb(h);
	bool blocks[MAX_BLOCKS];
	uint16_t want_state = 0;

	for (uint64_t b = 0; b < h->nblocks; b++)
		blocks[b] = block_bitmap_test(&h->vm.plugged, b);
	uint16_t want = model(h, blocks, type, addr, nb, &want_state);
	struct virtio_mem_req r = make_req(type, addr, nb);
	struct virtio_mem_resp resp;
	virtio_mem_handle_request(&h->vm, &r, &resp);
	CHECK(le16toh(resp.type) == want);
	CHECK(le16toh(resp.u.state.state) == want_state);
	for (uint64_t b = 0; b < h->nblocks; b++)
		CHECK(block_bitmap_test(&h->vm.plugged, b) == blocks[b]);
}

/* ---- the steps ---- */

static void step(struct harness *h)
{
	uint8_t op = (uint8_t)take(&h->in, 1);
	uint8_t buf[8];

	switch (op % 12) {
	case 0:
	case 1: { /* raw MMIO access: mostly a register as a driver would touch it */
		static const unsigned sizes[] = { 1, 2, 4, 8 };
		uint8_t how = (uint8_t)take(&h->in, 1);
		uint64_t off = how & 0x80 ? (how & 0x7fu) * 4 : take(&h->in, 2) % 0x140;
		unsigned size = how & 0x80 ? 4 : sizes[how % 4];
		uint64_t v = take(&h->in, 8);
		memcpy(buf, &v, 8);
		virtio_mmio_access(&h->t, off, op % 10 == 0, buf, size);
		break;
	}
	case 2: /* kick */
		mmio_write(h, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)take(&h->in, 1) % 2);
		break;
	case 3: { /* raw guest RAM write: rings, buffers, anything */
		uint64_t off = take(&h->in, 2) % RAM_SIZE;
		size_t len = take(&h->in, 1) % 64;
		if (len > RAM_SIZE - off)
			len = RAM_SIZE - off;
		if (len > h->in.n)
			len = h->in.n;
		memcpy(h->ram + off, h->in.p, len);
		h->in.p += len;
		h->in.n -= len;
		break;
	}
	case 4: { /* host resize, sometimes to something invalid */
		uint64_t size = (take(&h->in, 2) % (h->nblocks + 2)) * h->bs;
		uint8_t skew = (uint8_t)take(&h->in, 1);
		if (skew & 1)
			size += skew;
		bool valid = size % h->bs == 0 && size <= h->vm.p.region_size;
		CHECK((virtio_mem_set_requested_size(&h->vm, size) == NULL) == valid);
		break;
	}
	case 5:
		virtio_mem_system_reset(&h->vm);
		CHECK(h->vm.plugged_size == 0);
		break;
	case 6: bring_up(h); break;
	case 7: ring_request(h); break;
	case 8: h->fail_populate = !h->fail_populate; break;
	case 9: modelled_request(h); break;
	case 10: hostile_descriptor(h); break;
	case 11: { /* the driver's avail index, moved by any amount, then a kick */
		uint16_t idx = htole16((uint16_t)(h->drv_avail + take(&h->in, 2)));
		memcpy(ram(h, RING_AVAIL + 2), &idx, 2);
		mmio_write(h, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return 0;
	h->in = (struct input){ data, size };
	h->bs = 4096ull << (take(&h->in, 1) % 10); /* 4 KiB .. 2 MiB */
	h->nblocks = 1 + take(&h->in, 2) % MAX_BLOCKS;
	struct virtio_mem_params p = {
		.addr = REGION_ADDR,
		.region_size = h->nblocks * h->bs,
		.block_size = h->bs,
		.requested_size = (take(&h->in, 2) % (h->nblocks + 1)) * h->bs,
		.usable_extension = (take(&h->in, 1) % 8) * (h->bs / 2),
		.node_id = (uint16_t)take(&h->in, 1),
		.accept_legacy_driver = take(&h->in, 1) & 1,
	};
	h->ram = aligned_alloc(4096, RAM_SIZE);
	memset(h->ram, 0, RAM_SIZE);
	h->flat = (struct guest_mem_flat){ RAM_BASE, RAM_SIZE, h->ram };
	guest_mem_flat_view(&h->view, &h->flat);
	CHECK(virtio_mem_init(&h->vm, &p, &host_ops, h) == NULL);
	struct virtio_mmio_irq irq = { h_level, h };
	CHECK(virtio_mmio_init(&h->t, virtio_mem_device_ops(), &h->vm, &h->view, irq) == 0);
	virtio_mem_set_link(&h->vm, virtio_mmio_link(&h->t));

	if (take(&h->in, 1) & 1) /* most interesting inputs start with a live driver */
		bring_up(h);
	check_all(h);
	for (unsigned i = 0; i < MAX_STEPS && h->in.n; i++) {
		step(h);
		check_all(h);
	}

	virtio_mmio_destroy(&h->t);
	virtio_mem_destroy(&h->vm);
	free(h->ram);
	free(h);
	return 0;
}
