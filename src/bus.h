/*
 * One address bus: devices claim [base, base+len) ranges of a 64-bit address
 * space and the vCPUs' exits are routed to them by address, the way kvmtool's
 * kvm__register_mmio/kvm__register_pio do. struct machine owns two: the port
 * I/O space (KVM_EXIT_IO) and the guest-physical MMIO space (KVM_EXIT_MMIO).
 */
#ifndef PLUGVM_BUS_H
#define PLUGVM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_RANGES 16

/* offset is from the start of the claimed range. data points to `size` bytes
 * (1, 2, 4 or 8), little-endian: written by the guest for writes, to be filled
 * by the handler for reads. */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, bool is_write, uint8_t *data,
			      unsigned size);

/* How an access that starts inside a range but runs past its end is decoded. */
enum bus_space {
	BUS_MMIO = 0, /* nobody's: an access must lie wholly inside one range */
	BUS_PIO = 1,  /* the range of its first port takes it, as a PC's port decoding does */
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_access_fn fn;
	void *opaque;
};

/* All zeroes is an empty MMIO bus; bus_init makes any empty bus. */
struct bus {
	enum bus_space space;
	unsigned nr;
	struct bus_range range[BUS_MAX_RANGES];
};

void bus_init(struct bus *bus, enum bus_space space);
/* Claims [base, base+len) for fn. Returns -1 if fn is NULL, len is 0, the
 * range wraps past 2^64, overlaps a claimed range or the table is full.
 * Registration happens before the vCPUs run; lookups take no lock. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn fn, void *opaque);
/* Routes one access of `size` bytes (1..8) at addr. An access no range takes
 * (none holds addr, a BUS_MMIO access straddles a range's end, or size is
 * outside 1..8) is unclaimed: reads return all-ones, writes are dropped.
 * Returns whether a handler took it. */
bool bus_dispatch(const struct bus *bus, uint64_t addr, bool is_write, uint8_t *data,
		  unsigned size);
/* Forgets every registration, keeping the space (tests, and vm_destroy). */
void bus_reset(struct bus *bus);

#endif
