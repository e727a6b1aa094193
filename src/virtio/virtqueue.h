/*
 * The device side of one split virtqueue (virtio 1.2 §2.7), with every value
 * the guest controls treated as hostile: ring addresses, sizes, indexes,
 * descriptor chains and buffer addresses.
 *
 * Not offered, so never accepted: VIRTIO_RING_F_INDIRECT_DESC (a descriptor
 * with VRING_DESC_F_INDIRECT breaks the queue), VIRTIO_RING_F_EVENT_IDX
 * (interrupts follow VRING_AVAIL_F_NO_INTERRUPT only), VIRTIO_F_RING_PACKED.
 *
 * Ring addresses are re-translated through the guest_mem_view on every access
 * instead of being kept as host pointers from QueueReady on. The layout is
 * still validated once when the queue is enabled (so a bad one is refused
 * where the driver can see it), but a host pointer kept past that point would
 * dangle if the guest memory map changed under the queue (a DIMM unplugged
 * while it holds a ring): a translation is a few compares, and virtio-mem
 * sends one request per (un)plug of many blocks, so it costs nothing visible.
 *
 * Not thread-safe: the transport serialises every call on one queue.
 */
#ifndef PLUGVM_VIRTIO_VIRTQUEUE_H
#define PLUGVM_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/guest_mem.h"

/* The largest split queue the spec allows. */
#define VIRTQ_SIZE_LIMIT 32768u

/* One descriptor of a popped chain, already translated. */
struct vq_buf {
	void *host; /* NULL when len is 0: there is no byte to reach */
	uint64_t gpa;
	uint32_t len;
	bool writable; /* VRING_DESC_F_WRITE: the device writes, the driver reads */
};

/* A popped chain: bufs[0 .. n) are its first n descriptors in order, all the
 * device-readable ones before the device-writable ones. */
struct vq_chain {
	uint16_t head;  /* the id to hand back with virtqueue_push */
	unsigned n;     /* descriptors stored in the caller's array */
	unsigned total; /* descriptors in the chain; > n when the array was too small */
};

struct virtqueue {
	const struct guest_mem_view *mem;
	uint16_t num_max; /* QueueNumMax */

	/* Written by the driver through the transport while the queue is not
	 * ready; checked by virtqueue_enable. num is kept as the full 32-bit
	 * register so 0x10000 is refused rather than truncated to 0. */
	uint32_t num;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	bool ready;
	/* Set on the first violation; only virtqueue_reset clears it. The
	 * transport turns it into DEVICE_NEEDS_RESET. */
	bool broken;
	const char *broken_reason;

	uint16_t last_avail;   /* next available-ring slot to consume */
	uint16_t shadow_avail; /* avail->idx as last read */
	uint16_t used_idx;     /* the device's used->idx */
	uint32_t inflight;     /* popped, not yet pushed */
	bool need_irq;         /* pushed since the last virtqueue_should_interrupt */
};

/* num_max: 1 .. VIRTQ_SIZE_LIMIT, a power of two. */
void virtqueue_init(struct virtqueue *vq, const struct guest_mem_view *mem, uint16_t num_max);

/* Device reset: not ready, not broken, layout registers zeroed. */
void virtqueue_reset(struct virtqueue *vq);

/* QueueReady = 1. Checks the size (a power of two, 1 .. num_max), the
 * alignment of the three areas (descriptors 16, driver area 2, device area 4)
 * and that each whole area is guest RAM; the indexes start from 0. -1 leaves
 * the queue not ready (a broken queue is refused too). */
int virtqueue_enable(struct virtqueue *vq);

/* QueueReady = 0: the device stops touching the rings; nothing else changes. */
void virtqueue_disable(struct virtqueue *vq);

/*
 * Takes the next available chain. Returns 1 with *chain filled and its first
 * min(total, cap) descriptors in bufs; 0 when nothing is pending or the queue
 * is not ready; -1 when the queue is (or just became) broken: the available
 * index moved by more than the queue size, an index out of range, a chain
 * longer than the queue (a loop), an indirect descriptor, a readable
 * descriptor after a writable one, or a ring or buffer outside guest RAM.
 */
int virtqueue_pop(struct virtqueue *vq, struct vq_chain *chain, struct vq_buf *bufs, unsigned cap);

/* Returns a popped chain in the used ring with `len` bytes written, then
 * publishes the new used index with release ordering. -1 when the queue is
 * not ready, broken, or nothing is in flight. */
int virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t len);

/* After a batch of pushes: true when something was pushed since the last call
 * and the driver has not set VRING_AVAIL_F_NO_INTERRUPT. */
bool virtqueue_should_interrupt(struct virtqueue *vq);

#endif
