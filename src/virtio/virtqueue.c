/* Split virtqueue, device side (see virtqueue.h for what is offered and why). */
#include "virtio/virtqueue.h"

#include <endian.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "util.h"

/* Sizes of the three areas for a queue of num entries (virtio 1.2 §2.7):
 * the event-index words are counted even though EVENT_IDX is not offered, so
 * a layout accepted here is valid whatever the driver thinks it negotiated. */
static uint64_t desc_area_size(uint32_t num) { return 16ull * num; }
static uint64_t avail_area_size(uint32_t num) { return 6ull + 2ull * num; }
static uint64_t used_area_size(uint32_t num) { return 6ull + 8ull * num; }

static int mark_broken(struct virtqueue *vq, const char *why)
{
	if (!vq->broken)
		pv_debug("virtqueue broken: %s", why);
	vq->broken = true;
	vq->broken_reason = why;
	return -1;
}

void virtqueue_init(struct virtqueue *vq, const struct guest_mem_view *mem, uint16_t num_max)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->num_max = num_max;
}

void virtqueue_reset(struct virtqueue *vq)
{
	virtqueue_init(vq, vq->mem, vq->num_max);
}

/* The address of `len` bytes at offset off of one ring area, or NULL (the
 * caller breaks the queue). base + off cannot wrap: enable checked the whole
 * area, and off stays inside it. */
static void *ring_ptr(const struct virtqueue *vq, uint64_t base, uint64_t off, uint64_t len)
{
	return guest_mem_ptr(vq->mem, base + off, len);
}

static bool area_ok(const struct virtqueue *vq, uint64_t gpa, uint64_t align, uint64_t size)
{
	return gpa % align == 0 && guest_mem_ptr(vq->mem, gpa, size) != NULL;
}

int virtqueue_enable(struct virtqueue *vq)
{
	uint32_t num = vq->num;

	if (vq->broken)
		return -1;
	if (num == 0 || num > vq->num_max || num > VIRTQ_SIZE_LIMIT || (num & (num - 1)))
		return -1;
	if (!area_ok(vq, vq->desc_gpa, VRING_DESC_ALIGN_SIZE, desc_area_size(num)) ||
	    !area_ok(vq, vq->avail_gpa, VRING_AVAIL_ALIGN_SIZE, avail_area_size(num)) ||
	    !area_ok(vq, vq->used_gpa, VRING_USED_ALIGN_SIZE, used_area_size(num)))
		return -1;
	/* A virtio 1.x driver hands over zeroed rings, so both indexes start at 0. */
	vq->last_avail = 0;
	vq->shadow_avail = 0;
	vq->used_idx = 0;
	vq->inflight = 0;
	vq->need_irq = false;
	vq->ready = true;
	return 0;
}

void virtqueue_disable(struct virtqueue *vq)
{
	vq->ready = false;
}

/* Reads avail->idx once with acquire ordering: the ring entries and the
 * descriptors they name are read after it, so they are the ones the driver
 * wrote before publishing the index. */
static int refresh_avail(struct virtqueue *vq)
{
	uint16_t *idx = ring_ptr(vq, vq->avail_gpa, offsetof(struct vring_avail, idx), 2);

	if (!idx)
		return mark_broken(vq, "available ring outside guest RAM");
	uint16_t v = le16toh(__atomic_load_n(idx, __ATOMIC_ACQUIRE));
	/* The driver can have at most num chains outstanding; more means it
	 * moved the index arbitrarily. Refuse rather than walk garbage. */
	if ((uint16_t)(v - vq->last_avail) > vq->num)
		return mark_broken(vq, "available index moved by more than the queue size");
	vq->shadow_avail = v;
	return 0;
}

/* Walks the chain from head, storing up to cap descriptors. */
static int walk_chain(struct virtqueue *vq, uint16_t head, struct vq_chain *chain,
		      struct vq_buf *bufs, unsigned cap)
{
	uint32_t i = head;
	unsigned count = 0;
	bool seen_writable = false;

	for (;;) {
		struct vring_desc d;
		/* A chain may use every descriptor once; one more is a loop. */
		if (count == vq->num)
			return mark_broken(vq, "descriptor chain longer than the queue");
		void *p = ring_ptr(vq, vq->desc_gpa, 16ull * i, sizeof(d));
		if (!p)
			return mark_broken(vq, "descriptor table outside guest RAM");
		/* One copy, then only the copy is used: the guest may rewrite the
		 * table while we look at it. */
		memcpy(&d, p, sizeof(d));
		uint64_t addr = le64toh(d.addr);
		uint32_t len = le32toh(d.len);
		uint16_t flags = le16toh(d.flags);
		uint16_t next = le16toh(d.next);

		if (flags & VRING_DESC_F_INDIRECT)
			return mark_broken(vq, "indirect descriptor (not offered)");
		bool writable = flags & VRING_DESC_F_WRITE;
		if (!writable && seen_writable)
			return mark_broken(vq, "device-readable descriptor after a writable one");
		seen_writable |= writable;
		void *host = NULL;
		if (len) {
			host = guest_mem_ptr(vq->mem, addr, len);
			if (!host)
				return mark_broken(vq, "buffer outside guest RAM");
		}
		if (count < cap)
			bufs[count] = (struct vq_buf){ .host = host, .gpa = addr, .len = len,
						       .writable = writable };
		count++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (next >= vq->num)
			return mark_broken(vq, "next descriptor index out of range");
		i = next;
	}
	chain->head = head;
	chain->total = count;
	chain->n = count < cap ? count : cap;
	return 0;
}

int virtqueue_pop(struct virtqueue *vq, struct vq_chain *chain, struct vq_buf *bufs, unsigned cap)
{
	if (vq->broken)
		return -1;
	if (!vq->ready)
		return 0;
	if (vq->last_avail == vq->shadow_avail && refresh_avail(vq) < 0)
		return -1;
	if (vq->last_avail == vq->shadow_avail)
		return 0;

	uint32_t slot = vq->last_avail & (vq->num - 1);
	uint16_t *ring = ring_ptr(vq, vq->avail_gpa, offsetof(struct vring_avail, ring) + 2ull * slot, 2);
	if (!ring)
		return mark_broken(vq, "available ring outside guest RAM");
	uint16_t head;
	memcpy(&head, ring, sizeof(head));
	head = le16toh(head);
	if (head >= vq->num)
		return mark_broken(vq, "head descriptor index out of range");
	if (walk_chain(vq, head, chain, bufs, cap) < 0)
		return -1;
	vq->last_avail++;
	vq->inflight++;
	return 1;
}

int virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	if (!vq->ready || vq->broken || vq->inflight == 0 || head >= vq->num)
		return -1;
	uint32_t slot = vq->used_idx & (vq->num - 1);
	struct vring_used_elem *e =
		ring_ptr(vq, vq->used_gpa, offsetof(struct vring_used, ring) + 8ull * slot, sizeof(*e));
	uint16_t *idx = ring_ptr(vq, vq->used_gpa, offsetof(struct vring_used, idx), 2);
	if (!e || !idx)
		return mark_broken(vq, "used ring outside guest RAM");
	struct vring_used_elem v = { .id = htole32(head), .len = htole32(len) };
	memcpy(e, &v, sizeof(v));
	vq->used_idx++;
	/* Release: the element (and the response bytes in the buffers) are
	 * visible to the driver before the index that hands them over. */
	__atomic_store_n(idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
	vq->inflight--;
	vq->need_irq = true;
	return 0;
}

bool virtqueue_should_interrupt(struct virtqueue *vq)
{
	if (!vq->need_irq || !vq->ready || vq->broken)
		return false;
	vq->need_irq = false;
	uint16_t *flags = ring_ptr(vq, vq->avail_gpa, offsetof(struct vring_avail, flags), 2);
	if (!flags) {
		mark_broken(vq, "available ring outside guest RAM");
		return false;
	}
	/* Order the used-index store before this load: otherwise a driver that
	 * clears NO_INTERRUPT and then checks the used index could miss both. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t f = le16toh(__atomic_load_n(flags, __ATOMIC_RELAXED));
	return !(f & VRING_AVAIL_F_NO_INTERRUPT);
}
