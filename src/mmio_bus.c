#include "mmio_bus.h"

#include <string.h>

int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t len, mmio_handler_fn fn,
		      void *opaque)
{
	int i = fn ? bus_ranges_claim(&bus->claimed, base, len, opaque) : -1;

	if (i < 0)
		return -1;
	bus->fn[i] = fn;
	return 0;
}

bool mmio_bus_dispatch(const struct mmio_bus *bus, uint64_t gpa, bool is_write, uint8_t *data,
		       unsigned size)
{
	int i = size >= 1 && size <= 8 ? bus_ranges_find(&bus->claimed, gpa) : -1;

	if (i >= 0) {
		const struct bus_range *r = &bus->claimed.range[i];

		/* An access that straddles the range's end is nobody's. */
		if (r->len - (gpa - r->base) >= size) {
			bus->fn[i](r->opaque, gpa - r->base, is_write, data, size);
			return true;
		}
	}
	if (!is_write && size <= 8)
		memset(data, 0xff, size);
	return false;
}

void mmio_bus_reset(struct mmio_bus *bus)
{
	bus->claimed.nr = 0;
}
