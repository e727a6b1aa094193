#include "bus_ranges.h"

int bus_ranges_claim(struct bus_ranges *t, uint64_t base, uint64_t len, void *opaque)
{
	uint64_t last;

	if (t->nr == BUS_MAX_RANGES || len == 0 || __builtin_add_overflow(base, len - 1, &last))
		return -1;
	/* Inclusive ends, so a range that ends at 2^64 - 1 compares right. */
	for (unsigned i = 0; i < t->nr; i++) {
		const struct bus_range *r = &t->range[i];

		if (base <= r->base + (r->len - 1) && r->base <= last)
			return -1;
	}
	t->range[t->nr] = (struct bus_range){ base, len, opaque };
	return (int)t->nr++;
}

int bus_ranges_find(const struct bus_ranges *t, uint64_t addr)
{
	for (unsigned i = 0; i < t->nr; i++)
		if (addr >= t->range[i].base && addr - t->range[i].base < t->range[i].len)
			return (int)i;
	return -1;
}
