/* struct bus (src/bus.h): claims, overlap refusal, routing by 64-bit address, widths,
 * unclaimed accesses, in both the MMIO and the port I/O space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bus.h"

static struct bus bus;

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
	bus_init(&bus, BUS_MMIO);
	return 0;
}

static int reset_pio(void **state)
{
	(void)state;
	bus_init(&bus, BUS_PIO);
	return 0;
}

static void test_register_overlaps(void **state)
{
	struct probe a = {0};

	(void)state;
	assert_int_equal(bus_register(&bus, 0xFEB00000, 0x200, handler, &a), 0);
	assert_int_equal(bus_register(&bus, 0xFEB00200, 0x200, handler, &a), 0);
	/* Any overlap, at either end or inside, is refused. */
	assert_int_equal(bus_register(&bus, 0xFEB001FF, 1, handler, &a), -1);
	assert_int_equal(bus_register(&bus, 0xFEAFFFFF, 2, handler, &a), -1);
	assert_int_equal(bus_register(&bus, 0xFEB00100, 0x10, handler, &a), -1);
	assert_int_equal(bus_register(&bus, 0xFE000000, 0x1000000, handler, &a), -1);
	/* Touching is fine. */
	assert_int_equal(bus_register(&bus, 0xFEAFFE00, 0x200, handler, &a), 0);
	assert_int_equal(bus_register(&bus, 0xFEB00400, 0x200, handler, &a), 0);
	/* Empty, wrapping and handler-less ranges are refused. */
	assert_int_equal(bus_register(&bus, 0x1000, 0, handler, &a), -1);
	assert_int_equal(bus_register(&bus, UINT64_MAX - 0xF, 0x20, handler, &a), -1);
	assert_int_equal(bus_register(&bus, 0x2000, 0x10, NULL, &a), -1);
	/* A range ending exactly at 2^64 - 1, and one above 4 GiB. */
	assert_int_equal(bus_register(&bus, UINT64_MAX - 0xF, 0x10, handler, &a), 0);
	assert_int_equal(bus_register(&bus, UINT64_MAX - 0x1F, 0x11, handler, &a), -1);
	assert_int_equal(bus_register(&bus, 0x1000000000ULL, 0x1000, handler, &a), 0);
}

static void test_routing(void **state)
{
	struct probe a = {0}, b = {0}, hi = {0};
	uint8_t data[8];

	(void)state;
	assert_int_equal(bus_register(&bus, 0xFEB00000, 0x200, handler, &a), 0);
	assert_int_equal(bus_register(&bus, 0xFEB00200, 0x200, handler, &b), 0);
	assert_int_equal(bus_register(&bus, 0x4000000000ULL, 0x100, handler, &hi), 0);

	memset(data, 0, sizeof(data));
	assert_true(bus_dispatch(&bus, 0xFEB00070, false, data, 4));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.offset, 0x70);
	assert_false(a.is_write);
	assert_int_equal(a.size, 4);
	assert_int_equal(data[0], 0x10);
	assert_int_equal(data[3], 0x13);

	memcpy(data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_true(bus_dispatch(&bus, 0xFEB00208, true, data, 8));
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.offset, 8);
	assert_true(b.is_write);
	assert_memory_equal(b.written, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(a.calls, 1);

	/* The last byte of a range is its own; 64-bit addresses are not truncated. */
	assert_true(bus_dispatch(&bus, 0xFEB003FF, false, data, 1));
	assert_int_equal(b.offset, 0x1FF);
	assert_true(bus_dispatch(&bus, 0x40000000FCULL, true, data, 4));
	assert_int_equal(hi.offset, 0xFC);
	assert_false(bus_dispatch(&bus, 0xFEB00000ULL | (1ULL << 32), false, data, 4));
	assert_int_equal(a.calls, 1);
}

static void test_unclaimed(void **state)
{
	struct probe a = {0};
	uint8_t data[8];

	(void)state;
	assert_int_equal(bus_register(&bus, 0xFEB00000, 0x200, handler, &a), 0);
	/* Nobody's: reads are all-ones, writes vanish. */
	memset(data, 0, sizeof(data));
	assert_false(bus_dispatch(&bus, 0xFEC00000, false, data, 4));
	assert_memory_equal(data, "\xff\xff\xff\xff\0\0\0\0", 8);
	assert_false(bus_dispatch(&bus, 0xFEC00000, true, data, 8));
	/* Straddling the end of a range, or starting below it: unclaimed too. */
	memset(data, 0, sizeof(data));
	assert_false(bus_dispatch(&bus, 0xFEB001FE, false, data, 4));
	assert_memory_equal(data, "\xff\xff\xff\xff\0\0\0\0", 8);
	assert_false(bus_dispatch(&bus, 0xFEAFFFFE, false, data, 4));
	assert_false(bus_dispatch(&bus, 0xFEB001FC, true, data, 8));
	/* Sizes outside 1..8 are never handed to a device. */
	assert_false(bus_dispatch(&bus, 0xFEB00000, false, data, 0));
	assert_false(bus_dispatch(&bus, 0xFEB00000, true, data, 16));
	assert_int_equal(a.calls, 0);
	/* After a reset nothing is claimed. */
	bus_reset(&bus);
	assert_false(bus_dispatch(&bus, 0xFEB00000, false, data, 4));
	assert_int_equal(a.calls, 0);
}

/* Every width a vCPU exit can carry reaches the handler with its offset and bytes. */
static void test_widths(void **state)
{
	struct probe a = {0};
	uint8_t data[8];

	(void)state;
	assert_int_equal(bus_register(&bus, 0x1000, 0x100, handler, &a), 0);
	for (unsigned size = 1; size <= 8; size *= 2) {
		memset(data, 0, sizeof(data));
		assert_true(bus_dispatch(&bus, 0x1100 - size, false, data, size));
		assert_int_equal(a.offset, 0x100 - size);
		assert_int_equal(a.size, size);
		for (unsigned i = 0; i < size; i++)
			assert_int_equal(data[i], 0x10 + i);
		for (unsigned i = size; i < 8; i++)
			assert_int_equal(data[i], 0);
		memcpy(data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
		assert_true(bus_dispatch(&bus, 0x1000, true, data, size));
		assert_true(a.is_write);
		assert_int_equal(a.offset, 0);
		assert_memory_equal(a.written, data, size);
	}
	assert_int_equal(a.calls, 8);
}

/* Port space: the range of the first port takes an access, as io_bus did (a 2-byte
 * read of the last port of the UART still reaches the UART); outside, all-ones. */
static void test_port_space(void **state)
{
	struct probe uart = {0}, sleep = {0};
	uint8_t data[4];

	(void)state;
	assert_int_equal(bus_register(&bus, 0x3f8, 8, handler, &uart), 0);
	assert_int_equal(bus_register(&bus, 0x600, 2, handler, &sleep), 0);
	assert_int_equal(bus_register(&bus, 0x3fc, 1, handler, &uart), -1);
	assert_true(bus_dispatch(&bus, 0x3ff, false, data, 2));
	assert_int_equal(uart.offset, 7);
	assert_int_equal(uart.size, 2);
	assert_true(bus_dispatch(&bus, 0x601, true, data, 4));
	assert_int_equal(sleep.offset, 1);
	memset(data, 0, sizeof(data));
	assert_false(bus_dispatch(&bus, 0x3f7, false, data, 4));
	assert_memory_equal(data, "\xff\xff\xff\xff", 4);
	assert_false(bus_dispatch(&bus, 0x602, true, data, 1));
	assert_int_equal(uart.calls, 1);
	assert_int_equal(sleep.calls, 1);
	/* A reset keeps the space: still port decoding afterwards. */
	bus_reset(&bus);
	assert_int_equal(bus_register(&bus, 0x3f8, 8, handler, &uart), 0);
	assert_true(bus_dispatch(&bus, 0x3ff, false, data, 4));
	assert_int_equal(uart.calls, 2);
}

/* The table holds BUS_MAX_RANGES claims; the next one is refused. */
static void test_full(void **state)
{
	struct probe a = {0};
	uint8_t data[1];

	(void)state;
	for (unsigned i = 0; i < BUS_MAX_RANGES; i++)
		assert_int_equal(bus_register(&bus, 0x100 * i, 0x10, handler, &a), 0);
	assert_int_equal(bus_register(&bus, 0x100 * BUS_MAX_RANGES, 0x10, handler, &a), -1);
	assert_true(bus_dispatch(&bus, 0x100 * (BUS_MAX_RANGES - 1) + 0xf, false, data, 1));
	assert_false(bus_dispatch(&bus, 0x100 * BUS_MAX_RANGES, false, data, 1));
	assert_int_equal(a.calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_overlaps, reset),
		cmocka_unit_test_setup(test_routing, reset),
		cmocka_unit_test_setup(test_unclaimed, reset),
		cmocka_unit_test_setup(test_widths, reset),
		cmocka_unit_test_setup(test_port_space, reset_pio),
		cmocka_unit_test_setup(test_full, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
