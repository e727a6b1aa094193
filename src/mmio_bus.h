/*
 * MMIO dispatch: devices claim guest-physical ranges; the vCPUs' KVM_EXIT_MMIO
 * exits are routed here. The MMIO counterpart of io_bus.h.
 */
#ifndef PLUGVM_MMIO_BUS_H
#define PLUGVM_MMIO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "bus_ranges.h"

/* offset is from the start of the claimed range. data points to `size` bytes
 * (1, 2, 4 or 8), little-endian: written by the guest for writes, to be filled
 * by the handler for reads. */
typedef void (*mmio_handler_fn)(void *opaque, uint64_t offset, bool is_write, uint8_t *data,
				unsigned size);

/* One machine's MMIO space (struct machine owns it). All zeroes is an empty bus. */
struct mmio_bus {
	struct bus_ranges claimed;
	mmio_handler_fn fn[BUS_MAX_RANGES]; /* by the index of the claimed range */
};

/* Claims [base, base+len). Returns -1 if len is 0, the range wraps past 2^64,
 * overlaps a claimed range or the table is full. Registration happens before
 * the vCPUs run; lookups take no lock. */
int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t len, mmio_handler_fn fn,
		      void *opaque);
/* Routes one access of 1..8 bytes at guest-physical gpa. An access that is not
 * wholly inside one claimed range (none, or one that straddles its end) is
 * unclaimed: reads return all-ones, writes are dropped. Returns whether a
 * handler took it. */
bool mmio_bus_dispatch(const struct mmio_bus *bus, uint64_t gpa, bool is_write, uint8_t *data,
		       unsigned size);
/* Forgets every registration (tests, and vm_destroy). */
void mmio_bus_reset(struct mmio_bus *bus);

#endif
