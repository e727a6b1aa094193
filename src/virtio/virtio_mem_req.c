/*
 * virtio-mem guest requests (virtio 1.2 §5.15.6). Which answer when:
 *
 *   ERROR  the request is wrong: unaligned addr, nb_blocks 0, a block outside
 *          the usable region, PLUG of a plugged block, UNPLUG of an unplugged
 *          one, an unknown type. Linux treats it as a driver bug and stops
 *          using the device, so it is never used for a host-side failure.
 *   NACK   PLUG only: plugged_size would pass requested_size. Linux re-reads
 *          the configuration and tries again at once.
 *   BUSY   the host cannot do it now (populate failed). Linux retries later
 *          with a back-off. Same "nothing changed" guarantee as ERROR.
 *   ACK    done.
 *
 * The checks run in QEMU's order (range, then NACK, then block state) so a
 * guest sees the same answer from either.
 */
#include <endian.h>
#include <string.h>

#include "virtio/virtio_mem.h"
#include "virtio/virtio_mem_internal.h"

/* The wire sizes the spec gives (§5.15.6): 24-byte requests, 10-byte responses. */
_Static_assert(sizeof(struct virtio_mem_req) == 24, "virtio_mem_req layout");
_Static_assert(sizeof(struct virtio_mem_resp) == 10, "virtio_mem_resp layout");

/* The blocks [*first, *first + nb) named by (addr, nb), or false when any of
 * them is not inside the usable region or addr is not block-aligned. */
static bool blocks_in_usable(const struct virtio_mem *vm, uint64_t addr, uint16_t nb,
			     uint64_t *first, uint64_t *size)
{
	uint64_t bs = vm->p.block_size;

	if (nb == 0 || addr < vm->p.addr)
		return false;
	uint64_t off = addr - vm->p.addr;
	/* p.addr is block-aligned, so off is exactly when addr is. */
	if (off % bs)
		return false;
	if (__builtin_mul_overflow((uint64_t)nb, bs, size))
		return false;
	if (off >= vm->usable_region_size || *size > vm->usable_region_size - off)
		return false;
	*first = off / bs;
	return true;
}

static uint16_t plug(struct virtio_mem *vm, uint64_t addr, uint16_t nb)
{
	uint64_t first, size;

	if (!blocks_in_usable(vm, addr, nb, &first, &size))
		return VIRTIO_MEM_RESP_ERROR;
	/* plugged_size can exceed requested_size after the host shrank the request. */
	if (vm->plugged_size > vm->requested_size || size > vm->requested_size - vm->plugged_size)
		return VIRTIO_MEM_RESP_NACK;
	if (!block_bitmap_all_clear(&vm->plugged, first, nb))
		return VIRTIO_MEM_RESP_ERROR;
	uint64_t off = first * vm->p.block_size;
	if (vm->ops->populate(vm->opaque, off, size) < 0) {
		/* The blocks are still unplugged: dropping whatever got populated is
		 * allowed, and leaves nothing behind. */
		vm->ops->discard(vm->opaque, off, size);
		return VIRTIO_MEM_RESP_BUSY;
	}
	block_bitmap_set(&vm->plugged, first, nb);
	vm->plugged_size += size;
	virtio_mem_plugged_changed_locked(vm);
	return VIRTIO_MEM_RESP_ACK;
}

static uint16_t unplug(struct virtio_mem *vm, uint64_t addr, uint16_t nb)
{
	uint64_t first, size;

	if (!blocks_in_usable(vm, addr, nb, &first, &size))
		return VIRTIO_MEM_RESP_ERROR;
	if (!block_bitmap_all_set(&vm->plugged, first, nb))
		return VIRTIO_MEM_RESP_ERROR;
	/* State first, then the host: discard never sees a plugged block. */
	block_bitmap_clear(&vm->plugged, first, nb);
	vm->plugged_size -= size;
	vm->ops->discard(vm->opaque, first * vm->p.block_size, size);
	virtio_mem_plugged_changed_locked(vm);
	return VIRTIO_MEM_RESP_ACK;
}

static uint16_t state(struct virtio_mem *vm, uint64_t addr, uint16_t nb, uint16_t *st)
{
	uint64_t first, size;

	if (!blocks_in_usable(vm, addr, nb, &first, &size))
		return VIRTIO_MEM_RESP_ERROR;
	if (block_bitmap_all_set(&vm->plugged, first, nb))
		*st = VIRTIO_MEM_STATE_PLUGGED;
	else if (block_bitmap_all_clear(&vm->plugged, first, nb))
		*st = VIRTIO_MEM_STATE_UNPLUGGED;
	else
		*st = VIRTIO_MEM_STATE_MIXED;
	return VIRTIO_MEM_RESP_ACK;
}

void virtio_mem_handle_request(struct virtio_mem *vm, const struct virtio_mem_req *req,
			       struct virtio_mem_resp *resp)
{
	/* plug, unplug and state share one layout; padding is ignored (§5.15.6). */
	uint64_t addr = le64toh(req->u.plug.addr);
	uint16_t nb = le16toh(req->u.plug.nb_blocks);
	uint16_t type, st = 0;

	pthread_mutex_lock(&vm->lock);
	switch (le16toh(req->type)) {
	case VIRTIO_MEM_REQ_PLUG: type = plug(vm, addr, nb); break;
	case VIRTIO_MEM_REQ_UNPLUG: type = unplug(vm, addr, nb); break;
	case VIRTIO_MEM_REQ_UNPLUG_ALL:
		virtio_mem_unplug_all_locked(vm);
		type = VIRTIO_MEM_RESP_ACK;
		break;
	case VIRTIO_MEM_REQ_STATE: type = state(vm, addr, nb, &st); break;
	default: type = VIRTIO_MEM_RESP_ERROR; break;
	}
	pthread_mutex_unlock(&vm->lock);

	memset(resp, 0, sizeof(*resp));
	resp->type = htole16(type);
	if (type == VIRTIO_MEM_RESP_ACK)
		resp->u.state.state = htole16(st);
}

/* ---- descriptor chains ---- */

/* Copies up to len bytes out of the chain's device-readable buffers (they
 * come first) into dst; returns how many. Copying once means a guest that
 * rewrites its request while we look at it changes nothing. */
static size_t gather(const struct vq_buf *bufs, unsigned n, void *dst, size_t len)
{
	size_t got = 0;

	for (unsigned i = 0; i < n && !bufs[i].writable && got < len; i++) {
		size_t take = bufs[i].len < len - got ? bufs[i].len : len - got;
		if (take)
			memcpy((uint8_t *)dst + got, bufs[i].host, take);
		got += take;
	}
	return got;
}

static uint64_t writable_bytes(const struct vq_buf *bufs, unsigned n)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < n; i++)
		if (bufs[i].writable)
			total += bufs[i].len;
	return total;
}

static void scatter(const struct vq_buf *bufs, unsigned n, const void *src, size_t len)
{
	size_t put = 0;

	for (unsigned i = 0; i < n && put < len; i++) {
		if (!bufs[i].writable)
			continue;
		size_t take = bufs[i].len < len - put ? bufs[i].len : len - put;
		if (take)
			memcpy(bufs[i].host, (const uint8_t *)src + put, take);
		put += take;
	}
}

/*
 * The spec lets a driver split a request or response across descriptors
 * (§2.6.4, "MUST NOT make assumptions about the particular arrangement"), so
 * bytes are gathered and scattered; Linux always sends one buffer of each.
 */
uint32_t virtio_mem_handle_chain(struct virtio_mem *vm, const struct vq_chain *chain,
				 const struct vq_buf *bufs)
{
	struct virtio_mem_req req;
	struct virtio_mem_resp resp;

	if (chain->total > chain->n || chain->n > VIRTIO_MEM_MAX_DESCS)
		return 0;
	if (gather(bufs, chain->n, &req, sizeof(req)) < sizeof(req))
		return 0;
	if (writable_bytes(bufs, chain->n) < sizeof(resp))
		return 0;
	virtio_mem_handle_request(vm, &req, &resp);
	scatter(bufs, chain->n, &resp, sizeof(resp));
	return sizeof(resp);
}

void virtio_mem_process_queue(struct virtio_mem *vm, struct virtqueue *vq)
{
	struct vq_buf bufs[VIRTIO_MEM_MAX_DESCS];
	struct vq_chain chain;

	while (virtqueue_pop(vq, &chain, bufs, VIRTIO_MEM_MAX_DESCS) == 1) {
		uint32_t len = virtio_mem_handle_chain(vm, &chain, bufs);
		if (virtqueue_push(vq, chain.head, len) < 0)
			break;
	}
}
