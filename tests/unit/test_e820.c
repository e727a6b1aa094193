/* e820: the fixed low entries, RAM around the hole, no hotplug window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/e820.h"
#include "arch/x86/platform.h"
#include "util.h"

static void compute(struct guest_layout *l, uint64_t ram, uint64_t maxmem, unsigned slots)
{
	struct plugvm_config c;
	char err[256];

	memset(&c, 0, sizeof(c));
	c.ram_size = ram;
	c.maxmem = maxmem;
	c.slots = slots;
	assert_int_equal(layout_compute(&c, 40, l, err, sizeof(err)), 0);
}

static void check_low(const struct e820_entry *e)
{
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, EBDA_START_GPA);
	assert_int_equal(e[0].type, E820_TYPE_RAM);
	assert_int_equal(e[1].addr, EBDA_START_GPA);
	assert_int_equal(e[1].addr + e[1].size, 0xA0000);
	assert_int_equal(e[1].type, E820_TYPE_RESERVED);
	assert_int_equal(e[2].addr, ACPI_RSDP_GPA);
	assert_int_equal(e[2].addr + e[2].size, 0x100000);
	assert_int_equal(e[2].type, E820_TYPE_RESERVED);
}

/* The map of a machine with acpi_size bytes of tables above 1 MiB; the entries below
 * 1 MiB checked. */
static unsigned build_map(struct guest_layout *l, uint64_t ram, uint64_t maxmem, unsigned slots,
			  uint64_t acpi_size, struct e820_entry *e)
{
	unsigned n;

	compute(l, ram, maxmem, slots);
	n = e820_build(l, acpi_size, e, E820_MAX_ENTRIES);
	check_low(e);
	return n;
}

static void test_low_only(void **state)
{
	struct guest_layout l;
	struct e820_entry e[E820_MAX_ENTRIES];

	(void)state;
	assert_int_equal(build_map(&l, 512 * MiB, 4 * GiB, 4, 0, e), 4);
	assert_int_equal(e[3].addr, 0x100000);
	assert_int_equal(e[3].addr + e[3].size, 512 * MiB);
	assert_int_equal(e[3].type, E820_TYPE_RAM);
}

static void test_high(void **state)
{
	struct guest_layout l;
	struct e820_entry e[E820_MAX_ENTRIES];
	unsigned n = build_map(&l, 8 * GiB, 32 * GiB, 8, 0, e);

	(void)state;
	assert_int_equal(n, 5);
	assert_int_equal(e[3].addr + e[3].size, LOW_RAM_MAX_END);
	assert_int_equal(e[4].addr, HIGH_RAM_START);
	assert_int_equal(e[4].addr + e[4].size, 9 * GiB);
	assert_int_equal(e[4].type, E820_TYPE_RAM);
	/* Nothing reaches into the hotplug window. */
	for (unsigned i = 0; i < n; i++)
		assert_true(e[i].addr + e[i].size <= l.hotplug_base ||
			    e[i].addr >= l.hotplug_base + l.hotplug_size);
	/* RAM adds up to the configured size. */
	uint64_t ram = 0;
	for (unsigned i = 0; i < n; i++)
		if (e[i].type == E820_TYPE_RAM)
			ram += e[i].size;
	assert_int_equal(ram, 8 * GiB - (0x100000 - EBDA_START_GPA));
}

/* The tables above 1 MiB (docs/acpi.md, "Where the tables are"): an ACPI region of whole
 * pages from ACPI_TABLES_GPA, low RAM after it, the RAM total smaller by just that. */
static void test_acpi_tables_region(void **state)
{
	struct guest_layout l;
	struct e820_entry e[E820_MAX_ENTRIES];

	(void)state;
	assert_int_equal(build_map(&l, 512 * MiB, 4 * GiB, 4, 0x2a001, e), 5);
	assert_int_equal(e[3].addr, ACPI_TABLES_GPA);
	assert_int_equal(e[3].size, 0x2b000);
	assert_int_equal(e[3].type, E820_TYPE_ACPI);
	assert_int_equal(e[4].addr, ACPI_TABLES_GPA + 0x2b000);
	assert_int_equal(e[4].addr + e[4].size, 512 * MiB);
	assert_int_equal(e[4].type, E820_TYPE_RAM);
	/* With high RAM: 6 entries, one more than the small buffer holds. */
	compute(&l, 8 * GiB, 8 * GiB, 0);
	assert_int_equal(e820_build(&l, 4096, e, 6), 6);
	assert_int_equal(e820_build(&l, 4096, e, 5), 0);
}

static void test_packed_and_small_buffer(void **state)
{
	struct guest_layout l;
	struct e820_entry e[4];

	(void)state;
	assert_int_equal(sizeof(struct e820_entry), 20);
	compute(&l, 8 * GiB, 8 * GiB, 0);
	assert_int_equal(e820_build(&l, 0, e, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_low_only),
		cmocka_unit_test(test_high),
		cmocka_unit_test(test_acpi_tables_region),
		cmocka_unit_test(test_packed_and_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
