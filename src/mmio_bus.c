#include "mmio_bus.h"

#include <string.h>

#include "util.h"

int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t len, mmio_handler_fn fn,
		      void *opaque)
{
	const struct mmio_range *ranges = bus->ranges;
	uint64_t last;

	if (bus->nr_ranges == ARRAY_SIZE(bus->ranges) || len == 0 || !fn ||
	    __builtin_add_overflow(base, len - 1, &last))
		return -1;
	/* Inclusive ends, so a range that ends at 2^64 - 1 compares right. */
	for (unsigned i = 0; i < bus->nr_ranges; i++)
		if (base <= ranges[i].base + (ranges[i].len - 1) && ranges[i].base <= last)
			return -1;
	bus->ranges[bus->nr_ranges++] = (struct mmio_range){ base, len, fn, opaque };
	return 0;
}

bool mmio_bus_dispatch(const struct mmio_bus *bus, uint64_t gpa, bool is_write, uint8_t *data,
		       unsigned size)
{
	for (unsigned i = 0; size >= 1 && size <= 8 && i < bus->nr_ranges; i++) {
		const struct mmio_range *r = &bus->ranges[i];

		if (gpa < r->base || gpa - r->base >= r->len)
			continue;
		if (r->len - (gpa - r->base) < size)
			break; /* straddles the end: nobody's */
		r->fn(r->opaque, gpa - r->base, is_write, data, size);
		return true;
	}
	if (!is_write && size <= 8)
		memset(data, 0xff, size);
	return false;
}

void mmio_bus_reset(struct mmio_bus *bus)
{
	bus->nr_ranges = 0;
}
