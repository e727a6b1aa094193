#include "io_bus.h"

#include <string.h>

#include "util.h"

int io_bus_register(struct io_bus *bus, uint16_t base, uint16_t len, io_handler_fn fn,
		    void *opaque)
{
	const struct io_range *r = bus->ranges;

	if (bus->nr_ranges == ARRAY_SIZE(bus->ranges) || len == 0)
		return -1;
	for (unsigned i = 0; i < bus->nr_ranges; i++)
		if (base < r[i].base + r[i].len && r[i].base < base + len)
			return -1;
	bus->ranges[bus->nr_ranges++] = (struct io_range){ base, len, fn, opaque };
	return 0;
}

void io_bus_dispatch(const struct io_bus *bus, uint16_t port, bool is_write, uint8_t *data,
		     unsigned size)
{
	for (unsigned i = 0; i < bus->nr_ranges; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (port >= r->base && port < r->base + r->len) {
			r->fn(r->opaque, port, is_write, data, size);
			return;
		}
	}
	if (!is_write)
		memset(data, 0xff, size);
}

void io_bus_reset(struct io_bus *bus)
{
	bus->nr_ranges = 0;
}
