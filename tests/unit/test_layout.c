/* Guest layout: RAM split around the 32-bit hole, NUMA ranges, hotplug
 * window placement, block size and the address-width limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mm/layout.h"
#include "arch/x86/platform.h"
#include "util.h"

static struct plugvm_config cfg_mem(uint64_t ram, uint64_t maxmem, unsigned slots)
{
	struct plugvm_config c;

	memset(&c, 0, sizeof(c));
	c.ram_size = ram;
	c.maxmem = maxmem;
	c.slots = slots;
	return c;
}

static void test_small_ram(void **state)
{
	struct plugvm_config c = cfg_mem(512 * MiB, 512 * MiB, 0);
	struct guest_layout l;
	char err[256];

	(void)state;
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), 0);
	assert_int_equal(l.low_ram_end, 512 * MiB);
	assert_int_equal(l.high_ram_end, 0);
	assert_int_equal(l.nr_ram, 1);
	assert_int_equal(l.ram[0].gpa, 0);
	assert_int_equal(l.ram[0].size, 512 * MiB);
	assert_int_equal(l.ram[0].node, 0);
	assert_int_equal(l.nr_nodes, 1);
	assert_int_equal(l.hotplug_base, 4 * GiB);
	assert_int_equal(l.hotplug_size, 0);
	assert_int_equal(l.block_size, 128 * MiB);
}

static void test_exactly_3g(void **state)
{
	struct plugvm_config c = cfg_mem(3 * GiB, 7 * GiB, 4);
	struct guest_layout l;
	char err[256];

	(void)state;
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), 0);
	assert_int_equal(l.low_ram_end, LOW_RAM_MAX_END);
	assert_int_equal(l.high_ram_end, 0);
	assert_int_equal(l.nr_ram, 1);
	assert_int_equal(l.hotplug_base, 4 * GiB);
	assert_int_equal(l.hotplug_size, 4 * GiB);
}

static void test_above_3g(void **state)
{
	struct plugvm_config c = cfg_mem(6 * GiB + 512 * MiB, 16 * GiB, 8);
	struct guest_layout l;
	char err[256];

	(void)state;
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), 0);
	assert_int_equal(l.low_ram_end, 3 * GiB);
	assert_int_equal(l.high_ram_end, 4 * GiB + 3 * GiB + 512 * MiB);
	assert_int_equal(l.nr_ram, 2);
	assert_int_equal(l.ram[0].gpa, 0);
	assert_int_equal(l.ram[0].size, 3 * GiB);
	assert_int_equal(l.ram[1].gpa, 4 * GiB);
	assert_int_equal(l.ram[1].size, 3 * GiB + 512 * MiB);
	assert_int_equal(l.ram[1].backend_offset, 3 * GiB);
	/* Window starts at the next 1 GiB boundary after high RAM. */
	assert_int_equal(l.hotplug_base, 8 * GiB);
	assert_int_equal(l.hotplug_size, 16 * GiB - (6 * GiB + 512 * MiB));
	assert_int_equal(l.block_size, 128 * MiB);
}

static void test_numa_two_nodes_crossing_hole(void **state)
{
	struct plugvm_config c = cfg_mem(4 * GiB, 8 * GiB, 2);
	struct guest_layout l;
	char err[256];

	(void)state;
	c.nr_numa = 2;
	c.numa[0].nodeid = 0;
	c.numa[0].mem_size = 2 * GiB;
	c.numa[1].nodeid = 1;
	c.numa[1].mem_size = 2 * GiB;
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), 0);
	assert_int_equal(l.nr_nodes, 2);
	assert_int_equal(l.nr_ram, 3);
	assert_int_equal(l.ram[0].gpa, 0);
	assert_int_equal(l.ram[0].size, 2 * GiB);
	assert_int_equal(l.ram[0].node, 0);
	assert_int_equal(l.ram[0].backend_offset, 0);
	/* Node 1 crosses the hole: 1 GiB below 3 GiB, 1 GiB from 4 GiB. */
	assert_int_equal(l.ram[1].gpa, 2 * GiB);
	assert_int_equal(l.ram[1].size, 1 * GiB);
	assert_int_equal(l.ram[1].node, 1);
	assert_int_equal(l.ram[1].backend_offset, 0);
	assert_int_equal(l.ram[2].gpa, 4 * GiB);
	assert_int_equal(l.ram[2].size, 1 * GiB);
	assert_int_equal(l.ram[2].node, 1);
	assert_int_equal(l.ram[2].backend_offset, 1 * GiB);
	assert_int_equal(l.high_ram_end, 5 * GiB);
	assert_int_equal(l.hotplug_base, 5 * GiB);
}

static void test_numa_second_node_all_high(void **state)
{
	struct plugvm_config c = cfg_mem(5 * GiB, 5 * GiB, 0);
	struct guest_layout l;
	char err[256];

	(void)state;
	c.nr_numa = 3;
	for (unsigned i = 0; i < 3; i++)
		c.numa[i].nodeid = i; /* as options.c leaves them */
	c.numa[0].mem_size = 3 * GiB;
	c.numa[1].mem_size = 0; /* memoryless node: no range */
	c.numa[2].mem_size = 2 * GiB;
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), 0);
	assert_int_equal(l.nr_ram, 2);
	assert_int_equal(l.ram[1].gpa, 4 * GiB);
	assert_int_equal(l.ram[1].size, 2 * GiB);
	assert_int_equal(l.ram[1].node, 2);
	assert_int_equal(l.ram[1].backend_offset, 0);
}

static void test_numa_sum_mismatch(void **state)
{
	struct plugvm_config c = cfg_mem(2 * GiB, 2 * GiB, 0);
	struct guest_layout l;
	char err[256];

	(void)state;
	c.nr_numa = 2;
	c.numa[0].mem_size = 1 * GiB;
	c.numa[1].mem_size = 512 * MiB;
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUMA"));
}

static void test_block_size_rule(void **state)
{
	(void)state;
	assert_int_equal(layout_guest_block_size(512 * MiB), 128 * MiB);
	assert_int_equal(layout_guest_block_size(64 * GiB - 128 * MiB), 128 * MiB);
	assert_int_equal(layout_guest_block_size(64 * GiB), 2 * GiB);
	assert_int_equal(layout_guest_block_size(65 * GiB), 1 * GiB);
	assert_int_equal(layout_guest_block_size(66 * GiB + 512 * MiB), 512 * MiB);
	assert_int_equal(layout_guest_block_size(66 * GiB + 128 * MiB), 128 * MiB);
	/* Not even 128 MiB aligned: Linux still uses its minimum. */
	assert_int_equal(layout_guest_block_size(70 * GiB + 2 * MiB), 128 * MiB);
}

static void test_block_size_at_64g(void **state)
{
	struct plugvm_config c = cfg_mem(63 * GiB, 127 * GiB, 4);
	struct guest_layout l;
	char err[256];

	(void)state;
	/* 63 GiB of RAM ends at 64 GiB (the hole costs 1 GiB). */
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), 0);
	assert_int_equal(l.high_ram_end, 64 * GiB);
	assert_int_equal(l.block_size, 2 * GiB);
	assert_int_equal(l.hotplug_base, 64 * GiB);

	c = cfg_mem(64 * GiB, 64 * GiB, 0);
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), 0);
	assert_int_equal(l.high_ram_end, 65 * GiB);
	assert_int_equal(l.block_size, 1 * GiB);

	c = cfg_mem(64 * GiB + 256 * MiB, 80 * GiB, 1);
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), 0);
	assert_int_equal(l.block_size, 256 * MiB);
	assert_int_equal(l.hotplug_base, 66 * GiB);
	assert_true(is_aligned(l.hotplug_base, l.block_size));
}

static void test_phys_bits_limit(void **state)
{
	struct plugvm_config c = cfg_mem(1 * GiB, 63 * GiB, 2);
	struct guest_layout l;
	char err[256];

	(void)state;
	/* Window [4 GiB, 66 GiB) does not fit 36 bits (64 GiB). */
	assert_int_equal(layout_compute(&c, 36, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "physical address"));
	c.maxmem = 61 * GiB; /* ends exactly at 64 GiB: fits */
	assert_int_equal(layout_compute(&c, 36, &l, err, sizeof(err)), 0);
	assert_int_equal(l.hotplug_base + l.hotplug_size, 64 * GiB);
}

static void test_64t_limit(void **state)
{
	struct plugvm_config c = cfg_mem(1 * GiB, 64 * TiB, 2);
	struct guest_layout l;
	char err[256];

	(void)state;
	assert_int_equal(layout_compute(&c, 48, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "64 TiB"));
	c.maxmem = 64 * TiB - 3 * GiB;
	assert_int_equal(layout_compute(&c, 48, &l, err, sizeof(err)), 0);
	/* Issue 17 finding 9: a maxmem whose window end wraps past 2^64 is refused, not
	 * taken as a small end address. */
	c.maxmem = UINT64_MAX;
	assert_int_equal(layout_compute(&c, 48, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "reduce maxmem"));
	c.maxmem = UINT64_MAX - 2 * GiB;
	assert_int_equal(layout_compute(&c, 52, &l, err, sizeof(err)), -1);
}

static void test_bad_sizes(void **state)
{
	struct plugvm_config c;
	struct guest_layout l;
	char err[256];

	(void)state;
	c = cfg_mem(64 * MiB, 64 * MiB, 0);
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "minimum"));
	c = cfg_mem(512 * MiB + 4 * KiB, 512 * MiB + 4 * KiB, 0);
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "2 MiB"));
	c = cfg_mem(1 * GiB, 512 * MiB, 0);
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), -1);
	c = cfg_mem(1 * GiB, 1 * GiB, 2);
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), -1);
	c = cfg_mem(1 * GiB, 2 * GiB, 0);
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), -1);
	c = cfg_mem(1 * GiB, 2 * GiB, PLUGVM_MAX_SLOTS + 1);
	assert_int_equal(layout_compute(&c, 40, &l, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_ram),
		cmocka_unit_test(test_exactly_3g),
		cmocka_unit_test(test_above_3g),
		cmocka_unit_test(test_numa_two_nodes_crossing_hole),
		cmocka_unit_test(test_numa_second_node_all_high),
		cmocka_unit_test(test_numa_sum_mismatch),
		cmocka_unit_test(test_block_size_rule),
		cmocka_unit_test(test_block_size_at_64g),
		cmocka_unit_test(test_phys_bits_limit),
		cmocka_unit_test(test_64t_limit),
		cmocka_unit_test(test_bad_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
