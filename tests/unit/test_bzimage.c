/* bzImage setup header validation (Documentation/x86/boot.rst). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/bzimage.h"
#include "test_bzimage_fake.h"

static uint8_t img[64 * 1024];

static void put16(size_t off, uint16_t v) { fake_put16(img, off, v); }
static void put32(size_t off, uint32_t v) { fake_put32(img, off, v); }

/* A minimal header shaped like Debian's 6.1 kernel. */
static int setup(void **state)
{
	(void)state;
	fake_bzimage(img, sizeof(img));
	return 0;
}

static void test_valid_header(void **state)
{
	struct bzimage bz;
	char err[200];

	(void)state;
	assert_int_equal(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), 0);
	assert_int_equal(bz.kernel_offset, 40 * 512);
	assert_int_equal(bz.kernel_size, sizeof(img) - 40 * 512);
	assert_int_equal(bz.protocol, 0x020f);
	assert_int_equal(bz.cmdline_size, 0x7ff);
	assert_int_equal(bz.init_size, 0x3378000);
	assert_int_equal(bz.initrd_addr_max, 0x7fffffff);
	assert_int_equal(bz.setup_header_end, 0x202 + 0x6a);
}

static void expect_error(const char *needle)
{
	struct bzimage bz;
	char err[200] = "";

	assert_int_equal(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_no_boot_flag(void **state)
{
	(void)state;
	put16(0x1fe, 0);
	expect_error("0xAA55");
}

static void test_no_hdrs(void **state)
{
	(void)state;
	memcpy(img + 0x202, "ELF!", 4);
	expect_error("HdrS");
}

static void test_old_protocol(void **state)
{
	(void)state;
	put16(0x206, 0x020b);
	expect_error("2.11");
}

static void test_no_64bit_entry(void **state)
{
	(void)state;
	put16(0x236, 0x7e);
	expect_error("XLF_KERNEL_64");
}

static void test_tiny_file(void **state)
{
	struct bzimage bz;
	char err[200];

	(void)state;
	assert_int_equal(bzimage_parse(img, 100, &bz, err, sizeof(err)), -1);
}

static void test_setup_sects_beyond_file(void **state)
{
	struct bzimage bz;
	char err[200];

	(void)state;
	img[0x1f1] = 200; /* 201 sectors > 64 KiB file */
	assert_int_equal(bzimage_parse(img, 0x1000 * 2, &bz, err, sizeof(err)), -1);
}

static void test_zero_setup_sects_means_four(void **state)
{
	struct bzimage bz;
	char err[200];

	(void)state;
	img[0x1f1] = 0;
	assert_int_equal(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), 0);
	assert_int_equal(bz.kernel_offset, 5 * 512);
}

/* payload_offset counts from the protected-mode kernel (after the setup sectors). */
static void test_payload(void **state)
{
	struct bzimage bz;
	char err[200];

	(void)state;
	put32(0x248, 0x2cc);
	put32(0x24c, 0x1000);
	assert_int_equal(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), 0);
	assert_int_equal(bz.payload_offset, 40 * 512 + 0x2cc);
	assert_int_equal(bz.payload_length, 0x1000);
	/* A file cut short inside its payload is refused. */
	put32(0x24c, sizeof(img));
	expect_error("truncated bzImage: its compressed kernel");
	put32(0x248, 0xffffffff);
	put32(0x24c, 0x10);
	expect_error("runs past the end of the file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_valid_header, setup),
		cmocka_unit_test_setup(test_no_boot_flag, setup),
		cmocka_unit_test_setup(test_no_hdrs, setup),
		cmocka_unit_test_setup(test_old_protocol, setup),
		cmocka_unit_test_setup(test_no_64bit_entry, setup),
		cmocka_unit_test_setup(test_tiny_file, setup),
		cmocka_unit_test_setup(test_setup_sects_beyond_file, setup),
		cmocka_unit_test_setup(test_zero_setup_sects_means_four, setup),
		cmocka_unit_test_setup(test_payload, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
