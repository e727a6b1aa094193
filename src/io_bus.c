#include "io_bus.h"

#include <string.h>

#include "util.h"

struct io_range {
	uint16_t base;
	uint16_t len;
	io_handler_fn fn;
	void *opaque;
};

static struct io_range ranges[16];
static unsigned nr_ranges;

int io_bus_register(uint16_t base, uint16_t len, io_handler_fn fn, void *opaque)
{
	if (nr_ranges == ARRAY_SIZE(ranges) || len == 0)
		return -1;
	for (unsigned i = 0; i < nr_ranges; i++)
		if (base < ranges[i].base + ranges[i].len && ranges[i].base < base + len)
			return -1;
	ranges[nr_ranges++] = (struct io_range){ base, len, fn, opaque };
	return 0;
}

void io_bus_dispatch(uint16_t port, bool is_write, uint8_t *data, unsigned size)
{
	for (unsigned i = 0; i < nr_ranges; i++) {
		if (port >= ranges[i].base && port < ranges[i].base + ranges[i].len) {
			ranges[i].fn(ranges[i].opaque, port, is_write, data, size);
			return;
		}
	}
	if (!is_write)
		memset(data, 0xff, size);
}

void io_bus_reset(void)
{
	nr_ranges = 0;
}
