/* Port I/O dispatch: devices claim port ranges; vCPU exits are routed here. */
#ifndef PLUGVM_IO_BUS_H
#define PLUGVM_IO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "bus_ranges.h"

/* data points to `size` bytes (1, 2 or 4), little-endian: written by the
 * guest for writes, to be filled by the handler for reads. */
typedef void (*io_handler_fn)(void *opaque, uint16_t port, bool is_write, uint8_t *data,
			      unsigned size);

/* One machine's port space (struct machine owns it). All zeroes is an empty bus. */
struct io_bus {
	struct bus_ranges claimed;
	io_handler_fn fn[BUS_MAX_RANGES]; /* by the index of the claimed range */
};

/* Claims [base, base+len). Returns -1 if it overlaps a claimed range or the
 * table is full. Registration happens before vCPUs run; lookups take no lock. */
int io_bus_register(struct io_bus *bus, uint16_t base, uint16_t len, io_handler_fn fn,
		    void *opaque);
/* Routes one access; unclaimed reads return all-ones, writes are dropped. */
void io_bus_dispatch(const struct io_bus *bus, uint16_t port, bool is_write, uint8_t *data,
		     unsigned size);
/* Forgets every registration (tests, and vm_destroy). */
void io_bus_reset(struct io_bus *bus);

#endif
