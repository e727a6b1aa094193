/*
 * A fake guest for the virtio unit tests: RAM as a heap buffer at a guest
 * physical base, and a driver-side view of one split ring laid out in it.
 * Everything is written little-endian exactly as a guest driver would.
 */
#ifndef PLUGVM_TEST_VIRTIO_FAKE_GUEST_H
#define PLUGVM_TEST_VIRTIO_FAKE_GUEST_H

#include <endian.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/guest_mem.h"

#define FG_BASE 0x100000ull   /* guest RAM starts here */
#define FG_SIZE (256 * 1024ull)
#define FG_DESC (FG_BASE + 0x0000)
#define FG_AVAIL (FG_BASE + 0x4000)
#define FG_USED (FG_BASE + 0x6000)
#define FG_BUF (FG_BASE + 0x10000) /* free for request and response buffers */

struct fake_guest {
	struct guest_mem_flat flat;
	struct guest_mem_view view;
	uint16_t num;       /* ring size the driver uses */
	uint16_t avail_idx; /* driver's next available index */
};

static inline void fg_init(struct fake_guest *g, uint16_t num)
{
	g->flat.base = FG_BASE;
	g->flat.size = FG_SIZE;
	g->flat.host = aligned_alloc(4096, FG_SIZE);
	memset(g->flat.host, 0, FG_SIZE);
	guest_mem_flat_view(&g->view, &g->flat);
	g->num = num;
	g->avail_idx = 0;
}

static inline void fg_free(struct fake_guest *g)
{
	free(g->flat.host);
	g->flat.host = NULL;
}

static inline void *fg_host(struct fake_guest *g, uint64_t gpa)
{
	return g->flat.host + (gpa - FG_BASE);
}

static inline void fg_desc(struct fake_guest *g, uint16_t i, uint64_t addr, uint32_t len,
			   uint16_t flags, uint16_t next)
{
	struct vring_desc d = { .addr = htole64(addr), .len = htole32(len),
				.flags = htole16(flags), .next = htole16(next) };
	memcpy(fg_host(g, FG_DESC + 16ull * i), &d, sizeof(d));
}

static inline void fg_set_avail_idx(struct fake_guest *g, uint16_t idx)
{
	uint16_t v = htole16(idx);
	memcpy(fg_host(g, FG_AVAIL + 2), &v, 2);
	g->avail_idx = idx;
}

/* Puts head in the next available slot and publishes it. */
static inline void fg_publish(struct fake_guest *g, uint16_t head)
{
	uint16_t v = htole16(head);
	memcpy(fg_host(g, FG_AVAIL + 4 + 2ull * (g->avail_idx % g->num)), &v, 2);
	fg_set_avail_idx(g, (uint16_t)(g->avail_idx + 1));
}

static inline void fg_set_avail_flags(struct fake_guest *g, uint16_t flags)
{
	uint16_t v = htole16(flags);
	memcpy(fg_host(g, FG_AVAIL), &v, 2);
}

static inline uint16_t fg_used_idx(struct fake_guest *g)
{
	uint16_t v;
	memcpy(&v, fg_host(g, FG_USED + 2), 2);
	return le16toh(v);
}

static inline struct vring_used_elem fg_used(struct fake_guest *g, uint16_t i)
{
	struct vring_used_elem e;
	memcpy(&e, fg_host(g, FG_USED + 4 + 8ull * (i % g->num)), sizeof(e));
	e.id = le32toh(e.id);
	e.len = le32toh(e.len);
	return e;
}

#endif
