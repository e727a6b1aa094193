#include "bus.h"

#include <string.h>

void bus_init(struct bus *bus, enum bus_space space)
{
	memset(bus, 0, sizeof(*bus));
	bus->space = space;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn fn, void *opaque)
{
	uint64_t last;

	if (!fn || bus->nr == BUS_MAX_RANGES || len == 0 ||
	    __builtin_add_overflow(base, len - 1, &last))
		return -1;
	/* Inclusive ends, so a range that ends at 2^64 - 1 compares right. */
	for (unsigned i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->range[i];

		if (base <= r->base + (r->len - 1) && r->base <= last)
			return -1;
	}
	bus->range[bus->nr++] = (struct bus_range){ base, len, fn, opaque };
	return 0;
}

static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned size)
{
	if (size < 1 || size > 8)
		return NULL;
	for (unsigned i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->range[i];

		if (addr < r->base || addr - r->base >= r->len)
			continue;
		if (bus->space == BUS_MMIO && r->len - (addr - r->base) < size)
			return NULL; /* straddles the range's end */
		return r;
	}
	return NULL;
}

bool bus_dispatch(const struct bus *bus, uint64_t addr, bool is_write, uint8_t *data,
		  unsigned size)
{
	const struct bus_range *r = bus_find(bus, addr, size);

	if (r) {
		r->fn(r->opaque, addr - r->base, is_write, data, size);
		return true;
	}
	if (!is_write && size <= 8)
		memset(data, 0xff, size);
	return false;
}

void bus_reset(struct bus *bus)
{
	bus->nr = 0;
}
