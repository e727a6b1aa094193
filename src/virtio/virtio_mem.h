/*
 * virtio-mem, the device model (virtio 1.2 §5.15; the guest side is Linux's
 * drivers/virtio/virtio_mem.c). A region of guest physical memory split in
 * blocks the guest plugs and unplugs on request; the host sets the size it
 * wants (requested_size) and the guest moves plugged_size towards it.
 *
 * No KVM here: the host memory behind the region is reached through
 * virtio_mem_ops (populate before a plug, discard after an unplug), queues
 * through the transport (virtio_device.h), guest RAM through the virtqueue.
 *
 * Threads and locking. Requests arrive on a vCPU thread (queue notify, with
 * the transport's lock held); the host's resize and the system reset come
 * from the main thread. One mutex per device guards the bitmap and the
 * sizes, taken for each request and each host call. populate runs under it,
 * even for a large range: the decision (are these blocks unplugged? is there
 * room under requested_size?) and its effect must be one step, or a resize
 * or a second request could slip in between. The cost is that a resize
 * waits for a long populate to finish; the ops must not call back into the
 * device.
 */
#ifndef PLUGVM_VIRTIO_MEM_H
#define PLUGVM_VIRTIO_MEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_mem.h>

#include "virtio/block_bitmap.h"
#include "virtio/virtio_device.h"
#include "virtio/virtqueue.h"

/* The one queue (guest-request) holds at most this many entries. */
#define VIRTIO_MEM_QUEUE_MAX 128
/* A request chain of more descriptors than this is malformed (Linux uses 2). */
#define VIRTIO_MEM_MAX_DESCS 8

struct virtio_mem_params {
	uint64_t addr;        /* guest physical start of the region */
	uint64_t region_size; /* bytes; fixed for the device's life */
	uint64_t block_size;  /* a power of two, >= 4 KiB; addr and region_size are multiples */
	uint64_t requested_size; /* initial request; same rules as virtio_mem_set_requested_size */
	/* How far past requested_size the usable region reaches, so the guest can
	 * choose blocks (QEMU uses 256 MiB on x86). Rounded up to blocks,
	 * capped at region_size. */
	uint64_t usable_extension;
	uint16_t node_id; /* ACPI proximity domain (VIRTIO_MEM_F_ACPI_PXM is always offered) */
	/* VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE is always offered. By default a
	 * driver that does not accept it is refused at FEATURES_OK, because
	 * plugvm may leave unplugged blocks unmapped; true lets such an (older
	 * than 5.16) driver in. */
	bool accept_legacy_driver;
};

/* The host memory behind the region, by offset from params.addr. */
struct virtio_mem_ops {
	/* Before blocks are plugged: make [offset, offset + len) usable guest
	 * RAM (fault in or preallocate). 0, or -1: the guest is answered BUSY
	 * and retries later, the blocks stay unplugged and the range is
	 * discarded again (whatever part was populated). */
	int (*populate)(void *opaque, uint64_t offset, uint64_t len);
	/* After blocks are unplugged: give their memory back to the host
	 * (MADV_DONTNEED, FALLOC_FL_PUNCH_HOLE). Never called for a block the
	 * guest has plugged. A failure is the host's to log: the guest has
	 * already given the blocks up. */
	void (*discard)(void *opaque, uint64_t offset, uint64_t len);
	/* Optional: plugged_size changed (for MEMORY_DEVICE_SIZE_CHANGE). Called
	 * with the device lock held, on whichever thread made the change. */
	void (*plugged_size_changed)(void *opaque, uint64_t plugged_size);
};

struct virtio_mem {
	pthread_mutex_t lock;
	struct virtio_mem_params p;
	const struct virtio_mem_ops *ops;
	void *opaque;
	struct virtio_transport_link link; /* no-op until virtio_mem_set_link */

	struct block_bitmap plugged; /* one bit per block of the region */
	uint64_t usable_region_size;
	uint64_t plugged_size; /* always plugged.nset * block_size */
	uint64_t requested_size;
};

/* NULL, or why the parameters are refused (a fixed message; then there is
 * nothing to destroy). All blocks start unplugged. */
const char *virtio_mem_init(struct virtio_mem *vm, const struct virtio_mem_params *p,
			    const struct virtio_mem_ops *ops, void *opaque);
void virtio_mem_destroy(struct virtio_mem *vm);

/* Connects the device to its transport's config-change path (after both exist). */
void virtio_mem_set_link(struct virtio_mem *vm, struct virtio_transport_link link);

/* The transport's view of the device: pass with the struct virtio_mem as dev. */
const struct virtio_device_ops *virtio_mem_device_ops(void);

/* The host asks for a new size (QMP qom-set requested-size). NULL, or why
 * not: size must be a multiple of block_size and at most region_size. Grows
 * the usable region if needed, bumps ConfigGeneration and raises the
 * configuration interrupt (even when nothing changed: it prods the guest). */
const char *virtio_mem_set_requested_size(struct virtio_mem *vm, uint64_t size);

/* System reset (not the virtio reset, which must leave blocks alone): every
 * block unplugged and discarded, the usable region fitted to requested_size. */
void virtio_mem_system_reset(struct virtio_mem *vm);

uint64_t virtio_mem_plugged_size(struct virtio_mem *vm);
uint64_t virtio_mem_requested_size(struct virtio_mem *vm);
uint64_t virtio_mem_usable_region_size(struct virtio_mem *vm);
/* Whether the block holding guest-physical gpa is plugged (false outside the region). */
bool virtio_mem_block_plugged(struct virtio_mem *vm, uint64_t gpa);

/* One request, already copied out of guest memory; fills *resp (all 10
 * bytes, little-endian). Exposed for tests; the queue path uses it. */
void virtio_mem_handle_request(struct virtio_mem *vm, const struct virtio_mem_req *req,
			       struct virtio_mem_resp *resp);

/* One popped chain: gathers the request from the device-readable buffers,
 * scatters the response into the writable ones, returns the bytes written
 * (the used length). A chain with fewer than 24 readable or 10 writable
 * bytes, or more than VIRTIO_MEM_MAX_DESCS descriptors, is malformed: 0, no
 * state change. */
uint32_t virtio_mem_handle_chain(struct virtio_mem *vm, const struct vq_chain *chain,
				 const struct vq_buf *bufs);

/* Serves every available chain on the guest-request queue. */
void virtio_mem_process_queue(struct virtio_mem *vm, struct virtqueue *vq);

#endif
