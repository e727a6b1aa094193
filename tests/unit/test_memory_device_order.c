/* memory_devices_by_address: DIMMs and virtio-mem devices in one list by address, as QEMU
 * lists them (src/monitor/memory_device_order.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "monitor/memory_device_order.h"

#define G (1ULL << 30)

/* The order as a string: "d1 v0 d0" (kind and index). */
static void order_string(const struct memory_device_ref *r, unsigned n, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && k + 8 < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%c%u", i ? " " : "",
				      r[i].virtio_mem ? 'v' : 'd', r[i].index);
}

static void expect_order(const struct memory_device_info *d, unsigned nd,
			 const struct virtio_mem_device_info *v, unsigned nv, const char *want)
{
	struct memory_device_ref r[16];
	char got[128];

	memory_devices_by_address(d, nd, v, nv, r);
	order_string(r, nd + nv, got, sizeof(got));
	assert_string_equal(got, want);
}

/* DIMMs come in slot order, which after removals and re-adds is not address order. */
static void test_mixed(void **state)
{
	struct memory_device_info d[3] = {{ .addr = 7 * G }, { .addr = 4 * G }, { .addr = 10 * G }};
	struct virtio_mem_device_info v[2] = {{ .memaddr = 8 * G }, { .memaddr = 5 * G }};

	(void)state;
	expect_order(d, 3, v, 2, "d1 v1 d0 v0 d2");
}

static void test_one_kind_or_none(void **state)
{
	struct memory_device_info d[2] = {{ .addr = 6 * G }, { .addr = 5 * G }};
	struct virtio_mem_device_info v[2] = {{ .memaddr = 9 * G }, { .memaddr = 4 * G }};

	(void)state;
	expect_order(d, 2, v, 0, "d1 d0");
	expect_order(d, 0, v, 2, "v1 v0");
	expect_order(d, 0, v, 0, "");
}

/* Addresses above 4 GiB and near the top of the 64-bit space compare as 64-bit numbers. */
static void test_wide_addresses(void **state)
{
	struct memory_device_info d[1] = {{ .addr = 0xfff0000000000000ULL }};
	struct virtio_mem_device_info v[1] = {{ .memaddr = 0x100000000ULL }};

	(void)state;
	expect_order(d, 1, v, 1, "v0 d0");
}

/* Equal addresses (a broken caller) keep DIMMs first and each kind's order: stable. */
static void test_ties_stable(void **state)
{
	struct memory_device_info d[2] = {{ .addr = 4 * G }, { .addr = 4 * G }};
	struct virtio_mem_device_info v[1] = {{ .memaddr = 4 * G }};

	(void)state;
	expect_order(d, 2, v, 1, "d0 d1 v0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_one_kind_or_none),
		cmocka_unit_test(test_wide_addresses),
		cmocka_unit_test(test_ties_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
