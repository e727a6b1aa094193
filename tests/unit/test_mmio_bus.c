/* The MMIO bus: claims, overlap refusal, routing by 64-bit address, unclaimed accesses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mmio_bus.h"

static struct mmio_bus bus;

struct probe {
	unsigned calls;
	uint64_t offset;
	bool is_write;
	unsigned size;
	uint8_t written[8];
};

static void handler(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct probe *p = opaque;

	p->calls++;
	p->offset = offset;
	p->is_write = is_write;
	p->size = size;
	if (is_write)
		memcpy(p->written, data, size);
	else
		for (unsigned i = 0; i < size; i++)
			data[i] = (uint8_t)(0x10 + i);
}

static int reset(void **state)
{
	(void)state;
	mmio_bus_reset(&bus);
	return 0;
}

static void test_register_overlaps(void **state)
{
	struct probe a = {0};

	(void)state;
	assert_int_equal(mmio_bus_register(&bus, 0xFEB00000, 0x200, handler, &a), 0);
	assert_int_equal(mmio_bus_register(&bus, 0xFEB00200, 0x200, handler, &a), 0);
	/* Any overlap, at either end or inside, is refused. */
	assert_int_equal(mmio_bus_register(&bus, 0xFEB001FF, 1, handler, &a), -1);
	assert_int_equal(mmio_bus_register(&bus, 0xFEAFFFFF, 2, handler, &a), -1);
	assert_int_equal(mmio_bus_register(&bus, 0xFEB00100, 0x10, handler, &a), -1);
	assert_int_equal(mmio_bus_register(&bus, 0xFE000000, 0x1000000, handler, &a), -1);
	/* Touching is fine. */
	assert_int_equal(mmio_bus_register(&bus, 0xFEAFFE00, 0x200, handler, &a), 0);
	assert_int_equal(mmio_bus_register(&bus, 0xFEB00400, 0x200, handler, &a), 0);
	/* Empty, wrapping and handler-less ranges are refused. */
	assert_int_equal(mmio_bus_register(&bus, 0x1000, 0, handler, &a), -1);
	assert_int_equal(mmio_bus_register(&bus, UINT64_MAX - 0xF, 0x20, handler, &a), -1);
	assert_int_equal(mmio_bus_register(&bus, 0x2000, 0x10, NULL, &a), -1);
	/* A range ending exactly at 2^64 - 1, and one above 4 GiB. */
	assert_int_equal(mmio_bus_register(&bus, UINT64_MAX - 0xF, 0x10, handler, &a), 0);
	assert_int_equal(mmio_bus_register(&bus, UINT64_MAX - 0x1F, 0x11, handler, &a), -1);
	assert_int_equal(mmio_bus_register(&bus, 0x1000000000ULL, 0x1000, handler, &a), 0);
}

static void test_routing(void **state)
{
	struct probe a = {0}, b = {0}, hi = {0};
	uint8_t data[8];

	(void)state;
	assert_int_equal(mmio_bus_register(&bus, 0xFEB00000, 0x200, handler, &a), 0);
	assert_int_equal(mmio_bus_register(&bus, 0xFEB00200, 0x200, handler, &b), 0);
	assert_int_equal(mmio_bus_register(&bus, 0x4000000000ULL, 0x100, handler, &hi), 0);

	memset(data, 0, sizeof(data));
	assert_true(mmio_bus_dispatch(&bus, 0xFEB00070, false, data, 4));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.offset, 0x70);
	assert_false(a.is_write);
	assert_int_equal(a.size, 4);
	assert_int_equal(data[0], 0x10);
	assert_int_equal(data[3], 0x13);

	memcpy(data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_true(mmio_bus_dispatch(&bus, 0xFEB00208, true, data, 8));
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.offset, 8);
	assert_true(b.is_write);
	assert_memory_equal(b.written, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(a.calls, 1);

	/* The last byte of a range is its own; 64-bit addresses are not truncated. */
	assert_true(mmio_bus_dispatch(&bus, 0xFEB003FF, false, data, 1));
	assert_int_equal(b.offset, 0x1FF);
	assert_true(mmio_bus_dispatch(&bus, 0x40000000FCULL, true, data, 4));
	assert_int_equal(hi.offset, 0xFC);
	assert_false(mmio_bus_dispatch(&bus, 0xFEB00000ULL | (1ULL << 32), false, data, 4));
	assert_int_equal(a.calls, 1);
}

static void test_unclaimed(void **state)
{
	struct probe a = {0};
	uint8_t data[8];

	(void)state;
	assert_int_equal(mmio_bus_register(&bus, 0xFEB00000, 0x200, handler, &a), 0);
	/* Nobody's: reads are all-ones, writes vanish. */
	memset(data, 0, sizeof(data));
	assert_false(mmio_bus_dispatch(&bus, 0xFEC00000, false, data, 4));
	assert_memory_equal(data, "\xff\xff\xff\xff\0\0\0\0", 8);
	assert_false(mmio_bus_dispatch(&bus, 0xFEC00000, true, data, 8));
	/* Straddling the end of a range, or starting below it: unclaimed too. */
	memset(data, 0, sizeof(data));
	assert_false(mmio_bus_dispatch(&bus, 0xFEB001FE, false, data, 4));
	assert_memory_equal(data, "\xff\xff\xff\xff\0\0\0\0", 8);
	assert_false(mmio_bus_dispatch(&bus, 0xFEAFFFFE, false, data, 4));
	assert_false(mmio_bus_dispatch(&bus, 0xFEB001FC, true, data, 8));
	/* Sizes outside 1..8 are never handed to a device. */
	assert_false(mmio_bus_dispatch(&bus, 0xFEB00000, false, data, 0));
	assert_false(mmio_bus_dispatch(&bus, 0xFEB00000, true, data, 16));
	assert_int_equal(a.calls, 0);
	/* After a reset nothing is claimed. */
	mmio_bus_reset(&bus);
	assert_false(mmio_bus_dispatch(&bus, 0xFEB00000, false, data, 4));
	assert_int_equal(a.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_overlaps, reset),
		cmocka_unit_test_setup(test_routing, reset),
		cmocka_unit_test_setup(test_unclaimed, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
