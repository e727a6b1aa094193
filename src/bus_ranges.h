/*
 * The claimed ranges of one bus, port I/O (io_bus.h) or MMIO (mmio_bus.h): up to
 * BUS_MAX_RANGES address ranges that never overlap, each with its device's opaque.
 * The buses keep their handlers (whose types differ) by the index a claim returns.
 */
#ifndef PLUGVM_BUS_RANGES_H
#define PLUGVM_BUS_RANGES_H

#include <stdint.h>

#define BUS_MAX_RANGES 16

struct bus_range {
	uint64_t base;
	uint64_t len;
	void *opaque;
};

/* All zeroes: nothing claimed. */
struct bus_ranges {
	struct bus_range range[BUS_MAX_RANGES];
	unsigned nr;
};

/* Claims [base, base+len): the new range's index, or -1 if len is 0, the range wraps
 * past 2^64, overlaps a claimed one or the table is full. */
int bus_ranges_claim(struct bus_ranges *t, uint64_t base, uint64_t len, void *opaque);
/* The index of the range that holds addr, or -1. */
int bus_ranges_find(const struct bus_ranges *t, uint64_t addr);

#endif
