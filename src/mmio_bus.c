#include "mmio_bus.h"

#include <string.h>

#include "util.h"

struct mmio_range {
	uint64_t base;
	uint64_t len;
	mmio_handler_fn fn;
	void *opaque;
};

static struct mmio_range ranges[16];
static unsigned nr_ranges;

int mmio_bus_register(uint64_t base, uint64_t len, mmio_handler_fn fn, void *opaque)
{
	uint64_t last;

	if (nr_ranges == ARRAY_SIZE(ranges) || len == 0 || !fn ||
	    __builtin_add_overflow(base, len - 1, &last))
		return -1;
	/* Inclusive ends, so a range that ends at 2^64 - 1 compares right. */
	for (unsigned i = 0; i < nr_ranges; i++)
		if (base <= ranges[i].base + (ranges[i].len - 1) && ranges[i].base <= last)
			return -1;
	ranges[nr_ranges++] = (struct mmio_range){ base, len, fn, opaque };
	return 0;
}

bool mmio_bus_dispatch(uint64_t gpa, bool is_write, uint8_t *data, unsigned size)
{
	for (unsigned i = 0; size >= 1 && size <= 8 && i < nr_ranges; i++) {
		const struct mmio_range *r = &ranges[i];

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

void mmio_bus_reset(void)
{
	nr_ranges = 0;
}
