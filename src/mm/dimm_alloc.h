/*
 * Slot numbers and guest-physical addresses for DIMMs in the hotplug
 * window. Pure bookkeeping: the caller maps memory and tells KVM.
 *
 * Rules (docs/memory.md):
 * - size must be a non-zero multiple of the guest block size and of the
 *   backend's page size (Linux rejects unaligned ranges, docs/linux-facts.md, "Memory block size");
 * - the DIMMs' total may not exceed the window (maxmem - RAM);
 * - an automatic address is the lowest free one aligned to
 *   max(block size, page size), and to 1 GiB first when size is a
 *   multiple of 1 GiB (host and guest can then use 1 GiB pages), falling
 *   back to the smaller alignment when no 1 GiB-aligned hole is left;
 * - an explicit address must lie in the window, be aligned to
 *   max(block size, page size) and not overlap another DIMM or a virtio-mem
 *   region (dimm_alloc_reserve_region: the window is shared, maxmem counts both).
 * Not locked: the memory manager serialises plug and unplug.
 */
#ifndef PLUGVM_DIMM_ALLOC_H
#define PLUGVM_DIMM_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "mm/layout.h"

enum dimm_alloc_err {
	DIMM_ALLOC_OK = 0,
	DIMM_ALLOC_ENOSLOTS = -1,   /* every slot is in use */
	DIMM_ALLOC_EBADSLOT = -2,   /* requested slot number out of range */
	DIMM_ALLOC_ESLOTBUSY = -3,  /* requested slot already in use */
	DIMM_ALLOC_EBADSIZE = -4,   /* size 0 or not a multiple of block/page size */
	DIMM_ALLOC_EMAXMEM = -5,    /* would exceed maxmem */
	DIMM_ALLOC_ENOSPACE = -6,   /* within maxmem, but no free range that large */
	DIMM_ALLOC_EOUTSIDE = -7,   /* explicit address not inside the window */
	DIMM_ALLOC_EUNALIGNED = -8, /* explicit address not aligned */
	DIMM_ALLOC_EOVERLAP = -9,   /* explicit address overlaps a DIMM or region */
};

struct dimm_alloc_slot {
	bool used;
	uint64_t addr, size;
};

struct dimm_alloc {
	uint64_t base, size;  /* the hotplug window */
	uint64_t block_size;  /* the guest's memory block size */
	uint64_t used_bytes;
	unsigned nr_slots;
	struct dimm_alloc_slot slot[PLUGVM_MAX_SLOTS];
	/* Ranges of the window taken by virtio-mem devices: no slot, never released while
	 * the VM runs (dimm_alloc_reserve_region). */
	struct dimm_alloc_slot region[PLUGVM_MAX_VIRTIO_MEM];
	unsigned nr_regions;
};

#define DIMM_ANY_SLOT (-1)
#define DIMM_ANY_ADDR UINT64_MAX

struct dimm_request {
	uint64_t size;
	uint64_t page_size; /* backend page size; 0 means 4 KiB */
	int slot;           /* DIMM_ANY_SLOT or a slot number */
	uint64_t addr;      /* DIMM_ANY_ADDR or a guest-physical address */
};

/* nr_slots is clamped to PLUGVM_MAX_SLOTS. */
void dimm_alloc_init(struct dimm_alloc *a, const struct guest_layout *l, unsigned nr_slots);

/* Reserves a slot and a range. Returns DIMM_ALLOC_OK and fills *slot and
 * *addr, or a negative enum dimm_alloc_err with a one-line message in err. */
int dimm_alloc_reserve(struct dimm_alloc *a, const struct dimm_request *req, unsigned *slot,
		       uint64_t *addr, char *err, size_t errlen);

/* Reserves a range of the window that is not a DIMM (a virtio-mem device's region): the
 * same maxmem, overlap and first-fit rules as a DIMM, but no slot. size must be a non-zero
 * multiple of min_align; an automatic address is aligned to max(block size, min_align)
 * (and to 1 GiB first when size is a multiple of it), so the guest can add whole memory
 * blocks; an explicit one need only be a multiple of min_align. DIMM_ALLOC_OK with *addr,
 * or a negative enum dimm_alloc_err with err (DIMM_ALLOC_ENOSLOTS: the region table is
 * full). */
int dimm_alloc_reserve_region(struct dimm_alloc *a, uint64_t size, uint64_t min_align,
			      uint64_t want_addr, uint64_t *addr, char *err, size_t errlen);

/* Frees a slot (no-op if it is not in use). */
void dimm_alloc_release(struct dimm_alloc *a, unsigned slot);

/* Short fixed description of an error code. */
const char *dimm_alloc_strerror(int code);

#endif
