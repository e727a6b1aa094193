#include "io_bus.h"

#include <string.h>

int io_bus_register(struct io_bus *bus, uint16_t base, uint16_t len, io_handler_fn fn,
		    void *opaque)
{
	int i = bus_ranges_claim(&bus->claimed, base, len, opaque);

	if (i < 0)
		return -1;
	bus->fn[i] = fn;
	return 0;
}

void io_bus_dispatch(const struct io_bus *bus, uint16_t port, bool is_write, uint8_t *data,
		     unsigned size)
{
	int i = bus_ranges_find(&bus->claimed, port);

	if (i >= 0)
		bus->fn[i](bus->claimed.range[i].opaque, port, is_write, data, size);
	else if (!is_write)
		memset(data, 0xff, size);
}

void io_bus_reset(struct io_bus *bus)
{
	bus->claimed.nr = 0;
}
