/*
 * How the virtio code reaches guest RAM: one translate function from a guest
 * physical range to a host pointer. The virtio modules never see KVM, memslots
 * or DIMMs; the VM supplies a view over its RAM map, tests supply a heap buffer.
 */
#ifndef PLUGVM_VIRTIO_GUEST_MEM_H
#define PLUGVM_VIRTIO_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem_view {
	/* Host address of guest physical byte gpa, or NULL unless every byte of
	 * [gpa, gpa + len) is guest RAM inside one host mapping. Called with
	 * len >= 1 and gpa + len not wrapping (guest_mem_ptr checks both first).
	 * May be called from any vCPU thread at once: it must not block for long. */
	void *(*translate)(void *opaque, uint64_t gpa, uint64_t len);
	void *opaque;
};

/* The checked entry point: NULL for len 0, for a range that wraps past 2^64,
 * or for any byte outside guest RAM. */
void *guest_mem_ptr(const struct guest_mem_view *mem, uint64_t gpa, uint64_t len);

/*
 * The simplest view: one contiguous region of RAM at [base, base + size) held
 * at host address `host`. Tests and the fuzz harness use it; a VM whose RAM
 * is several regions writes its own translate over its region table.
 */
struct guest_mem_flat {
	uint64_t base;
	uint64_t size;
	uint8_t *host;
};

/* Points view at flat (which must outlive it). */
void guest_mem_flat_view(struct guest_mem_view *view, struct guest_mem_flat *flat);

#endif
