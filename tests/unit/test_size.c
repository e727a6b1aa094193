/* parse_size and format_size: QEMU's size syntax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "size.h"
#include "util.h"

static uint64_t ok(const char *text, uint64_t unit)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(parse_size(text, unit, &v), 0);
	return v;
}

static void bad(const char *text, uint64_t unit)
{
	uint64_t v = 0;

	if (parse_size(text, unit, &v) != -1)
		fail_msg("'%s' was accepted as %llu", text ? text : "(null)", (unsigned long long)v);
}

static void test_suffixes(void **state)
{
	(void)state;
	assert_int_equal(ok("100B", 1), 100);
	assert_int_equal(ok("100b", 1), 100);
	assert_int_equal(ok("3K", 1), 3 * KiB);
	assert_int_equal(ok("3k", 1), 3 * KiB);
	assert_int_equal(ok("512M", 1), 512 * MiB);
	assert_int_equal(ok("512m", 1), 512 * MiB);
	assert_int_equal(ok("2G", 1), 2 * GiB);
	assert_int_equal(ok("2g", 1), 2 * GiB);
	assert_int_equal(ok("1T", 1), TiB);
	assert_int_equal(ok("1t", 1), TiB);
	assert_int_equal(ok("1P", 1), 1024 * TiB);
	assert_int_equal(ok("1p", 1), 1024 * TiB);
	assert_int_equal(ok("1E", 1), 1024 * 1024 * TiB);
	assert_int_equal(ok("15e", 1), 15ULL << 60);
	/* A suffix overrides the default unit. */
	assert_int_equal(ok("4K", MiB), 4 * KiB);
	assert_int_equal(ok("4B", MiB), 4);
}

static void test_default_unit(void **state)
{
	(void)state;
	assert_int_equal(ok("4096", 1), 4096);
	assert_int_equal(ok("512", MiB), 512 * MiB);
	assert_int_equal(ok("0", 1), 0);
	assert_int_equal(ok("0", MiB), 0);
	/* Leading zeros are decimal, not octal. */
	assert_int_equal(ok("010", 1), 10);
	assert_int_equal(ok("0x10", 1), 16);
	assert_int_equal(ok("0x10", MiB), 16 * MiB);
	assert_int_equal(ok("0x1000M", 1), 0x1000 * MiB);
	assert_int_equal(ok("18446744073709551615", 1), UINT64_MAX);
}

static void test_fractions(void **state)
{
	(void)state;
	assert_int_equal(ok("1.5G", 1), 3 * GiB / 2);
	assert_int_equal(ok("1.5g", 1), 3 * GiB / 2);
	assert_int_equal(ok("0.5K", 1), 512);
	assert_int_equal(ok("1.K", 1), KiB);
	assert_int_equal(ok("1.25M", 1), 5 * MiB / 4);
	/* -m style: the default unit makes a bare fraction meaningful. */
	assert_int_equal(ok("1.5", MiB), 3 * MiB / 2);
	/* Rounded down to whole bytes. */
	assert_int_equal(ok("0.1K", 1), 102);
	assert_int_equal(ok("1.0000000000000000000000001K", 1), KiB);
	assert_int_equal(ok("15.5E", 1), 31ULL << 59);
}

static void test_rejects(void **state)
{
	(void)state;
	bad(NULL, 1);
	bad("", 1);
	bad("-1", 1);
	bad("-1G", 1);
	bad("+1", 1);
	bad(" 1", 1);
	bad("1 ", 1);
	bad("1 G", 1);
	bad("G", 1);
	bad(".5G", 1);
	bad("1.5", 1);   /* a fraction of a byte */
	bad("1.5B", 1);
	bad("1.5B", MiB);
	bad("1X", 1);
	bad("1KB", 1);
	bad("1KiB", 1);
	bad("1GG", 1);
	bad("1.5.5G", 1);
	bad("1e3", 1);    /* no exponent notation: 'e' is the exabyte suffix plus junk */
	bad("0x", 1);
	bad("0x1.8G", 1); /* no hex fractions */
	bad("0xg", 1);
	bad("abc", 1);
	bad("xyz", MiB);
}

static void test_overflow(void **state)
{
	(void)state;
	bad("16E", 1);
	bad("18446744073709551616", 1);
	bad("99999999999999999999999", 1);
	bad("17179869184G", 1);
	bad("16777216T", 1);
	bad("17592186044416", MiB); /* 2^44 MiB = 2^64 bytes */
	/* Just below 16E still fits. */
	assert_true(ok("15.99999999999999999999E", 1) > (15ULL << 60));
	assert_int_equal(ok("17592186044415", MiB), (17592186044415ULL) << 20);
}

static void test_format(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(format_size(GiB, buf, sizeof(buf)), "1 GiB");
	assert_string_equal(format_size(512 * MiB, buf, sizeof(buf)), "512 MiB");
	assert_string_equal(format_size(3 * KiB, buf, sizeof(buf)), "3 KiB");
	assert_string_equal(format_size(100, buf, sizeof(buf)), "100 B");
	assert_string_equal(format_size(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(format_size(1536 * MiB, buf, sizeof(buf)), "1536 MiB");
	assert_string_equal(format_size(1025, buf, sizeof(buf)), "1025 B");
	assert_string_equal(format_size(2 * TiB, buf, sizeof(buf)), "2 TiB");
	assert_string_equal(format_size(1ULL << 60, buf, sizeof(buf)), "1 EiB");
	assert_string_equal(format_size(1ULL << 63, buf, sizeof(buf)), "8 EiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suffixes),  cmocka_unit_test(test_default_unit),
		cmocka_unit_test(test_fractions), cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_overflow),  cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
