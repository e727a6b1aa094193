/*
 * Golden-byte tests of the AML encoder. Each case shows the ASL it stands
 * for; the expected bytes are what `iasl -l` (20200925) produced for that
 * ASL (the table body after the 36-byte header). Cases that use full paths
 * were compiled with `iasl -on` so iasl keeps the names as written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acpi/aml.h"
#include "acpi/dsdt.h"
#include "acpi/tables.h"

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", p[i]);
	fprintf(stderr, "\n");
}

static void check_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	if (got_len != want_len || memcmp(got, want, want_len) != 0) {
		hexdump("got", got, got_len);
		hexdump("want", want, want_len);
		fail_msg("AML differs from iasl's");
	}
}

#define CHECK_EXPR(e, gold)                                           \
	do {                                                          \
		struct aml_expr e_ = (e);                             \
		assert_false(e_.overflow);                            \
		check_bytes(e_.b, e_.len, gold, sizeof(gold));        \
	} while (0)

#define CHECK_BUF(a, gold)                                            \
	do {                                                          \
		assert_false(aml_buf_failed(a));                      \
		check_bytes(aml_buf_data(a), aml_buf_len(a), gold, sizeof(gold)); \
	} while (0)

/*
 * Name (INTS, Package () { Zero, One, Ones, 0x05, 0xFF, 0x100, 0xFFFF,
 *     0x10000, 0xFFFFFFFF, 0x100000000, 0x123456789ABCDEF0 })
 */
static const uint8_t gold_ints[] = {
	0x08, 0x49, 0x4e, 0x54, 0x53, 0x12, 0x2b, 0x0b, 0x00, 0x01, 0xff, 0x0a,
	0x05, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0b, 0xff, 0xff, 0x0c, 0x00, 0x00,
	0x01, 0x00, 0x0c, 0xff, 0xff, 0xff, 0xff, 0x0e, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x0e, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34,
	0x12,
};
static void test_integers(void **state)
{
	(void)state;
	static const uint64_t v[] = { 5, 0xFF, 0x100, 0xFFFF, 0x10000, 0xFFFFFFFFULL,
				      0x100000000ULL, 0x123456789ABCDEF0ULL };
	struct aml_expr el = aml_cat(aml_cat(aml_int(0), aml_int(1)), aml_ones());
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		el = aml_cat(el, aml_int(v[i]));
	struct aml_buf a;
	aml_buf_init(&a);
	aml_name_decl(&a, "INTS", aml_package(11, el));
	CHECK_BUF(&a, gold_ints);
	aml_buf_free(&a);
}

/* Name (_S5, Package (0x04) { 0x05, 0x00, 0x00, 0x00 })   (root scope) */
static const uint8_t gold_s5[] = {
	0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00,
	0x00,
};
static void test_sleep_s5(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	sleep_aml(&a);
	CHECK_BUF(&a, gold_s5);
	aml_buf_free(&a);
}

/*
 * Device (DEVA) { Name (_ADR, Zero)
 *   Device (DEVB) { Name (_ADR, Zero)
 *     Device (DEVC) { Name (_ADR, Zero) Name (XYZ, 0x01)
 *       Method (TST0, 0, NotSerialized) {
 *         Local0 = \DEVA.DEVB.DEVC.XYZ      multi-name prefix
 *         Notify (\DEVA.DEVB, One)          dual-name prefix
 *         Notify (\DEVA, One)               root + one segment
 *         Local3 = ^^_ADR                   parent prefixes
 *         Local4 = ^XYZ
 *         Local5 = XYZ                      padded to "XYZ_"
 *         Return (Local0 + Local3 + Local4 + Local5) } } } }
 * (iasl -on)
 */
static const uint8_t gold_names[] = {
	0x5b, 0x82, 0x4e, 0x07, 0x44, 0x45, 0x56, 0x41, 0x08, 0x5f, 0x41, 0x44,
	0x52, 0x00, 0x5b, 0x82, 0x40, 0x07, 0x44, 0x45, 0x56, 0x42, 0x08, 0x5f,
	0x41, 0x44, 0x52, 0x00, 0x5b, 0x82, 0x42, 0x06, 0x44, 0x45, 0x56, 0x43,
	0x08, 0x5f, 0x41, 0x44, 0x52, 0x00, 0x08, 0x58, 0x59, 0x5a, 0x5f, 0x01,
	0x14, 0x4f, 0x04, 0x54, 0x53, 0x54, 0x30, 0x00, 0x70, 0x5c, 0x2f, 0x04,
	0x44, 0x45, 0x56, 0x41, 0x44, 0x45, 0x56, 0x42, 0x44, 0x45, 0x56, 0x43,
	0x58, 0x59, 0x5a, 0x5f, 0x60, 0x86, 0x5c, 0x2e, 0x44, 0x45, 0x56, 0x41,
	0x44, 0x45, 0x56, 0x42, 0x01, 0x86, 0x5c, 0x44, 0x45, 0x56, 0x41, 0x01,
	0x70, 0x5e, 0x5e, 0x5f, 0x41, 0x44, 0x52, 0x63, 0x70, 0x5e, 0x58, 0x59,
	0x5a, 0x5f, 0x64, 0x70, 0x58, 0x59, 0x5a, 0x5f, 0x65, 0xa4, 0x72, 0x72,
	0x72, 0x60, 0x63, 0x00, 0x64, 0x00, 0x65, 0x00,
};
static void test_name_strings(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_mark da = aml_device_begin(&a, "DEVA");
	aml_name_decl(&a, "_ADR", aml_zero());
	aml_mark db = aml_device_begin(&a, "DEVB");
	aml_name_decl(&a, "_ADR", aml_zero());
	aml_mark dc = aml_device_begin(&a, "DEVC");
	aml_name_decl(&a, "_ADR", aml_zero());
	aml_name_decl(&a, "XYZ", aml_one());
	aml_mark m = aml_method_begin(&a, "TST0", 0, false);
	aml_put(&a, aml_store(aml_name("\\DEVA.DEVB.DEVC.XYZ"), aml_local(0)));
	aml_put(&a, aml_notify("\\DEVA.DEVB", aml_one()));
	aml_put(&a, aml_notify("\\DEVA", aml_one()));
	aml_put(&a, aml_store(aml_name("^^_ADR"), aml_local(3)));
	aml_put(&a, aml_store(aml_name("^XYZ"), aml_local(4)));
	aml_put(&a, aml_store(aml_name("XYZ"), aml_local(5)));
	aml_put(&a, aml_return(aml_add(aml_add(aml_add(aml_local(0), aml_local(3), aml_null()), aml_local(4),
					       aml_null()),
				       aml_local(5), aml_null())));
	aml_end(&a, m);
	aml_end(&a, dc);
	aml_end(&a, db);
	aml_end(&a, da);
	CHECK_BUF(&a, gold_names);
	aml_buf_free(&a);
}

static void test_bad_names_poison(void **state)
{
	(void)state;
	assert_true(aml_name("TOOLONG").overflow);
	assert_true(aml_name("lowr").overflow);
	assert_true(aml_name("1ABC").overflow);
	assert_true(aml_name("A..B").overflow);
	struct aml_expr root = aml_name("\\");
	assert_false(root.overflow);
	assert_int_equal(root.len, 2); /* "\" then NullName */
}

/* Name (STR0, "PLUGVM")  Name (STR1, "") */
static const uint8_t gold_str[] = {
	0x08, 0x53, 0x54, 0x52, 0x30, 0x0d, 0x50, 0x4c, 0x55, 0x47, 0x56, 0x4d,
	0x00, 0x08, 0x53, 0x54, 0x52, 0x31, 0x0d, 0x00,
};
static void test_strings(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_name_decl(&a, "STR0", aml_string("PLUGVM"));
	aml_name_decl(&a, "STR1", aml_string(""));
	CHECK_BUF(&a, gold_str);
	aml_buf_free(&a);
}

/* Name (HID0, EisaId ("PNP0C80"))  Name (HID1, EisaId ("PNP0501"))
 * Name (HID2, EisaId ("PNP0C02")) */
static const uint8_t gold_eisa[] = {
	0x08, 0x48, 0x49, 0x44, 0x30, 0x0c, 0x41, 0xd0, 0x0c, 0x80, 0x08, 0x48,
	0x49, 0x44, 0x31, 0x0c, 0x41, 0xd0, 0x05, 0x01, 0x08, 0x48, 0x49, 0x44,
	0x32, 0x0c, 0x41, 0xd0, 0x0c, 0x02,
};
static void test_eisaid(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_name_decl(&a, "HID0", aml_eisaid("PNP0C80"));
	aml_name_decl(&a, "HID1", aml_eisaid("PNP0501"));
	aml_name_decl(&a, "HID2", aml_eisaid("PNP0C02"));
	CHECK_BUF(&a, gold_eisa);
	aml_buf_free(&a);
}

/* Name (BUF0, Buffer (0x03) { 0x01, 0x02, 0x03 }) */
static const uint8_t gold_buf[] = {
	0x08, 0x42, 0x55, 0x46, 0x30, 0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03,
};
static void test_buffer(void **state)
{
	(void)state;
	static const uint8_t b[] = { 1, 2, 3 };
	struct aml_buf a;
	aml_buf_init(&a);
	aml_name_decl(&a, "BUF0", aml_buffer(b, sizeof(b)));
	CHECK_BUF(&a, gold_buf);
	aml_buf_free(&a);
}

/*
 * PkgLength forms. iasl: Buffer () { 60 bytes } has a 63-byte package
 * (1-byte PkgLength 0x3F); 61 bytes need the 2-byte form 0x41 0x04; a
 * method of 1400 "Local0 = One" plus "Return (Local0)" has the 3-byte form
 * 0x82 0x07 0x01 (4210 bytes).
 */
static void test_pkglen_forms(void **state)
{
	(void)state;
	uint8_t pl[4];
	assert_int_equal(aml_pkglen_encode(62, pl), 1);
	assert_int_equal(pl[0], 0x3F);
	assert_int_equal(aml_pkglen_encode(63, pl), 2);
	assert_int_equal(pl[0], 0x41);
	assert_int_equal(pl[1], 0x04);
	assert_int_equal(aml_pkglen_encode(4207, pl), 3);
	assert_int_equal(pl[0], 0x82);
	assert_int_equal(pl[1], 0x07);
	assert_int_equal(pl[2], 0x01);
	assert_int_equal(aml_pkglen_encode((1u << 20) - 4, pl), 3);
	assert_int_equal(aml_pkglen_encode((1u << 20) - 3, pl), 4);
	assert_int_equal(aml_pkglen_encode(1u << 28, pl), 0);

	uint8_t sixty_one[61];
	memset(sixty_one, 2, sizeof(sixty_one));
	struct aml_expr b = aml_buffer(sixty_one, sizeof(sixty_one));
	static const uint8_t head[] = { 0x11, 0x41, 0x04, 0x0a, 0x3d, 0x02 };
	check_bytes(b.b, sizeof(head), head, sizeof(head));

	struct aml_buf a;
	aml_buf_init(&a);
	aml_mark m = aml_method_begin(&a, "BIGM", 0, false);
	for (int i = 0; i < 1400; i++)
		aml_put(&a, aml_store(aml_one(), aml_local(0)));
	aml_put(&a, aml_return(aml_local(0)));
	aml_end(&a, m);
	static const uint8_t mhead[] = { 0x14, 0x82, 0x07, 0x01, 'B', 'I', 'G', 'M', 0x00, 0x70, 0x01, 0x60 };
	assert_false(aml_buf_failed(&a));
	assert_int_equal(aml_buf_len(&a), 4211);
	check_bytes(aml_buf_data(&a), sizeof(mhead), mhead, sizeof(mhead));
	aml_buf_free(&a);
}

/*
 * Scope (\_SB) { Device (COM1) {
 *   Name (_HID, EisaId ("PNP0501"))  Name (_UID, One)  Name (_STA, 0x0F)
 *   Name (_CRS, ResourceTemplate () { IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
 *                                     IRQNoFlags () {4} }) } }
 * (iasl writes the scope as "_SB_", so the test opens it that way)
 */
static const uint8_t gold_uart[] = {
	0x10, 0x39, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x32, 0x43, 0x4f, 0x4d,
	0x31, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x05, 0x01, 0x08,
	0x5f, 0x55, 0x49, 0x44, 0x01, 0x08, 0x5f, 0x53, 0x54, 0x41, 0x0a, 0x0f,
	0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8,
	0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00,
};
static void test_uart_device(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_mark s = aml_scope_begin(&a, "_SB");
	uart_aml(&a);
	aml_end(&a, s);
	CHECK_BUF(&a, gold_uart);
	aml_buf_free(&a);
}

/*
 * Scope (_SB)
 * {
 *     Device (PWRB)
 *     {
 *         Name (_HID, EisaId ("PNP0C0C"))
 *         Name (_UID, Zero)
 *     }
 * }
 */
static const uint8_t gold_power_button[] = {
	0x10, 0x1c, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x15, 0x50, 0x57, 0x52, 0x42, 0x08,
	0x5f, 0x48, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x0c, 0x0c, 0x08, 0x5f, 0x55, 0x49, 0x44,
	0x00,
};
static void test_power_button(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_mark s = aml_scope_begin(&a, "_SB");
	power_button_aml(&a);
	aml_end(&a, s);
	CHECK_BUF(&a, gold_power_button);
	aml_buf_free(&a);
}

/*
 * Name (CRS0, ResourceTemplate () {
 *     Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 0x14 } })
 * Name (CRS1, ResourceTemplate () {
 *     Interrupt (ResourceConsumer, Level, ActiveLow, Exclusive, ,, ) { 0x05 } })
 */
static const uint8_t gold_ged[] = {
	0x08, 0x43, 0x52, 0x53, 0x30, 0x11, 0x0e, 0x0a, 0x0b, 0x89, 0x06, 0x00,
	0x03, 0x01, 0x14, 0x00, 0x00, 0x00, 0x79, 0x00, 0x08, 0x43, 0x52, 0x53,
	0x31, 0x11, 0x0e, 0x0a, 0x0b, 0x89, 0x06, 0x00, 0x05, 0x01, 0x05, 0x00,
	0x00, 0x00, 0x79, 0x00,
};
static void test_extended_interrupt(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_name_decl(&a, "CRS0", aml_restemplate(aml_res_interrupt(20, true, false)));
	aml_name_decl(&a, "CRS1", aml_restemplate(aml_res_interrupt(5, false, true)));
	CHECK_BUF(&a, gold_ged);
	aml_buf_free(&a);
}

/*
 * Name (CRS0, ResourceTemplate () { QWordMemory (ResourceConsumer, PosDecode,
 *     MinFixed, MaxFixed, Cacheable, ReadWrite, 0x0, 0x140000000, 0x147FFFFFF,
 *     0x0, 0x8000000, ,, , AddressRangeMemory, TypeStatic) })
 */
static const uint8_t gold_qword[] = {
	0x08, 0x43, 0x52, 0x53, 0x30, 0x11, 0x33, 0x0a, 0x30, 0x8a, 0x2b, 0x00,
	0x00, 0x0d, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x47, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x79, 0x00,
};
static void test_qword_memory(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_name_decl(&a, "CRS0", aml_restemplate(aml_res_qword_memory(0x140000000ULL, 0x8000000ULL)));
	CHECK_BUF(&a, gold_qword);
	aml_buf_free(&a);
}

/*
 * OperationRegion (HPIO, SystemIO, 0x0B00, 0x30)
 * Field (HPIO, DWordAcc, NoLock, Preserve) { RSEL, 32, RBLO, 32, Offset (0x28), REVQ, 32 }
 * OperationRegion (MMIO, SystemMemory, 0xFED00000, 0x1000)
 * Field (MMIO, ByteAcc, NoLock, WriteAsZeros) { Offset (0x800), ABYT, 8, , 4, NIBL, 4, WIDE, 72 }
 * Mutex (HPLK, 0x00)
 * Mutex (LCK1, 0x03)
 */
static const uint8_t gold_opreg[] = {
	0x5b, 0x80, 0x48, 0x50, 0x49, 0x4f, 0x01, 0x0b, 0x00, 0x0b, 0x0a, 0x30,
	0x5b, 0x81, 0x18, 0x48, 0x50, 0x49, 0x4f, 0x03, 0x52, 0x53, 0x45, 0x4c,
	0x20, 0x52, 0x42, 0x4c, 0x4f, 0x20, 0x00, 0x40, 0x10, 0x52, 0x45, 0x56,
	0x51, 0x20, 0x5b, 0x80, 0x4d, 0x4d, 0x49, 0x4f, 0x00, 0x0c, 0x00, 0x00,
	0xd0, 0xfe, 0x0b, 0x00, 0x10, 0x5b, 0x81, 0x1c, 0x4d, 0x4d, 0x49, 0x4f,
	0x41, 0x00, 0x80, 0x00, 0x04, 0x41, 0x42, 0x59, 0x54, 0x08, 0x00, 0x04,
	0x4e, 0x49, 0x42, 0x4c, 0x04, 0x57, 0x49, 0x44, 0x45, 0x48, 0x04, 0x5b,
	0x01, 0x48, 0x50, 0x4c, 0x4b, 0x00, 0x5b, 0x01, 0x4c, 0x43, 0x4b, 0x31,
	0x03,
};
static void test_opregion_field_mutex(void **state)
{
	(void)state;
	static const struct aml_field_unit io[] = {
		{ "RSEL", 0, 32 }, { "RBLO", 32, 32 }, { "REVQ", 0x28 * 8, 32 },
	};
	static const struct aml_field_unit mm[] = {
		{ "ABYT", 0x800 * 8, 8 }, { "NIBL", 0x801 * 8 + 4, 4 }, { "WIDE", 0x802 * 8, 72 },
	};
	struct aml_buf a;
	aml_buf_init(&a);
	aml_opregion(&a, "HPIO", AML_SPACE_SYSTEM_IO, 0x0B00, 0x30);
	aml_field(&a, "HPIO", AML_DWORD_ACC, AML_PRESERVE, io, 3);
	aml_opregion(&a, "MMIO", AML_SPACE_SYSTEM_MEMORY, 0xFED00000, 0x1000);
	aml_field(&a, "MMIO", AML_BYTE_ACC, AML_WRITE_AS_ZEROS, mm, 3);
	aml_mutex(&a, "HPLK", 0);
	aml_mutex(&a, "LCK1", 3);
	CHECK_BUF(&a, gold_opreg);
	aml_buf_free(&a);
}

static void test_field_rejects_overlap(void **state)
{
	(void)state;
	static const struct aml_field_unit bad[] = { { "AAAA", 0, 32 }, { "BBBB", 16, 32 } };
	struct aml_buf a;
	aml_buf_init(&a);
	aml_field(&a, "HPIO", AML_DWORD_ACC, AML_PRESERVE, bad, 2);
	assert_true(aml_buf_failed(&a));
	aml_buf_free(&a);
}

/*
 * Name (RSEL, Zero)
 * Mutex (HPLK, 0x00)
 * Method (TST0, 2, Serialized) {
 *   Local0 = Zero
 *   Acquire (HPLK, 0xFFFF)
 *   RSEL = Arg0
 *   If ((RSEL & One)) { Local0 = 0x0F }
 *   Release (HPLK)
 *   Local1 = (Arg0 + Arg1)
 *   Local2 = (Arg0 - 0x02)
 *   Local3 = (Arg0 | 0x10)
 *   Local4 = (Arg0 << 0x20)
 *   Local5 = ((Arg0 >> 0x10) & 0xFF)
 *   Local6 = ToInteger (Arg1)
 *   Local1--
 *   Local2++
 *   If (((Arg0 == One) || (Arg0 == 0x03))) { Local7 = One }
 *   ElseIf (((Arg0 > 0x04) && !(Arg1 < 0x05))) { Local7 = 0x02 }
 *   Else { Local7 = 0x03 }
 *   While (Local1) { Local1-- }
 *   Return (Local0) }
 * Method (TST1, 0, NotSerialized) { TST0 (One, 0x02) }
 */
static const uint8_t gold_method[] = {
	0x08, 0x52, 0x53, 0x45, 0x4c, 0x00, 0x5b, 0x01, 0x48, 0x50, 0x4c, 0x4b,
	0x00, 0x14, 0x4c, 0x07, 0x54, 0x53, 0x54, 0x30, 0x0a, 0x70, 0x00, 0x60,
	0x5b, 0x23, 0x48, 0x50, 0x4c, 0x4b, 0xff, 0xff, 0x70, 0x68, 0x52, 0x53,
	0x45, 0x4c, 0xa0, 0x0c, 0x7b, 0x52, 0x53, 0x45, 0x4c, 0x01, 0x00, 0x70,
	0x0a, 0x0f, 0x60, 0x5b, 0x27, 0x48, 0x50, 0x4c, 0x4b, 0x72, 0x68, 0x69,
	0x61, 0x74, 0x68, 0x0a, 0x02, 0x62, 0x7d, 0x68, 0x0a, 0x10, 0x63, 0x79,
	0x68, 0x0a, 0x20, 0x64, 0x7b, 0x7a, 0x68, 0x0a, 0x10, 0x00, 0x0a, 0xff,
	0x65, 0x70, 0x99, 0x69, 0x00, 0x66, 0x76, 0x61, 0x75, 0x62, 0xa0, 0x0c,
	0x91, 0x93, 0x68, 0x01, 0x93, 0x68, 0x0a, 0x03, 0x70, 0x01, 0x67, 0xa1,
	0x17, 0xa0, 0x0f, 0x90, 0x94, 0x68, 0x0a, 0x04, 0x92, 0x95, 0x69, 0x0a,
	0x05, 0x70, 0x0a, 0x02, 0x67, 0xa1, 0x05, 0x70, 0x0a, 0x03, 0x67, 0xa2,
	0x04, 0x61, 0x76, 0x61, 0xa4, 0x60, 0x14, 0x0d, 0x54, 0x53, 0x54, 0x31,
	0x00, 0x54, 0x53, 0x54, 0x30, 0x01, 0x0a, 0x02,
};
static void test_method_and_operators(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_name_decl(&a, "RSEL", aml_zero());
	aml_mutex(&a, "HPLK", 0);
	aml_mark m = aml_method_begin(&a, "TST0", 2, true);
	aml_put(&a, aml_store(aml_zero(), aml_local(0)));
	aml_put(&a, aml_acquire("HPLK", 0xFFFF));
	aml_put(&a, aml_store(aml_arg(0), aml_name("RSEL")));
	aml_mark i = aml_if_begin(&a, aml_and(aml_name("RSEL"), aml_one(), aml_null()));
	aml_put(&a, aml_store(aml_int(0x0F), aml_local(0)));
	aml_end(&a, i);
	aml_put(&a, aml_release("HPLK"));
	/* iasl folds "LocalN = (x op y)" into the operator's target. */
	aml_put(&a, aml_add(aml_arg(0), aml_arg(1), aml_local(1)));
	aml_put(&a, aml_subtract(aml_arg(0), aml_int(2), aml_local(2)));
	aml_put(&a, aml_or(aml_arg(0), aml_int(0x10), aml_local(3)));
	aml_put(&a, aml_shiftleft(aml_arg(0), aml_int(0x20), aml_local(4)));
	aml_put(&a, aml_and(aml_shiftright(aml_arg(0), aml_int(0x10), aml_null()), aml_int(0xFF), aml_local(5)));
	aml_put(&a, aml_store(aml_tointeger(aml_arg(1), aml_null()), aml_local(6)));
	aml_put(&a, aml_decrement(aml_local(1)));
	aml_put(&a, aml_increment(aml_local(2)));
	i = aml_if_begin(&a, aml_lor(aml_lequal(aml_arg(0), aml_one()), aml_lequal(aml_arg(0), aml_int(3))));
	aml_put(&a, aml_store(aml_one(), aml_local(7)));
	aml_end(&a, i);
	aml_mark e = aml_else_begin(&a);
	i = aml_if_begin(&a, aml_land(aml_lgreater(aml_arg(0), aml_int(4)),
				      aml_lnot(aml_lless(aml_arg(1), aml_int(5)))));
	aml_put(&a, aml_store(aml_int(2), aml_local(7)));
	aml_end(&a, i);
	aml_mark e2 = aml_else_begin(&a);
	aml_put(&a, aml_store(aml_int(3), aml_local(7)));
	aml_end(&a, e2);
	aml_end(&a, e);
	aml_mark w = aml_while_begin(&a, aml_local(1));
	aml_put(&a, aml_decrement(aml_local(1)));
	aml_end(&a, w);
	aml_put(&a, aml_return(aml_local(0)));
	aml_end(&a, m);
	m = aml_method_begin(&a, "TST1", 0, false);
	aml_put(&a, aml_call2("TST0", aml_one(), aml_int(2)));
	aml_end(&a, m);
	CHECK_BUF(&a, gold_method);
	aml_buf_free(&a);
}

/*
 * Device (M001) { Name (_HID, EisaId ("PNP0C80")) }
 * Method (SNFY, 2, NotSerialized) { If ((Arg0 < 0x02)) { Notify (M001, Arg1) } }
 */
static const uint8_t gold_notify[] = {
	0x5b, 0x82, 0x0f, 0x4d, 0x30, 0x30, 0x31, 0x08, 0x5f, 0x48, 0x49, 0x44,
	0x0c, 0x41, 0xd0, 0x0c, 0x80, 0x14, 0x12, 0x53, 0x4e, 0x46, 0x59, 0x02,
	0xa0, 0x0b, 0x95, 0x68, 0x0a, 0x02, 0x86, 0x4d, 0x30, 0x30, 0x31, 0x69,
};
static void test_notify_literal_name(void **state)
{
	(void)state;
	struct aml_buf a;
	aml_buf_init(&a);
	aml_mark d = aml_device_begin(&a, "M001");
	aml_name_decl(&a, "_HID", aml_eisaid("PNP0C80"));
	aml_end(&a, d);
	aml_mark m = aml_method_begin(&a, "SNFY", 2, false);
	aml_mark i = aml_if_begin(&a, aml_lless(aml_arg(0), aml_int(2)));
	aml_put(&a, aml_notify("M001", aml_arg(1)));
	aml_end(&a, i);
	aml_end(&a, m);
	CHECK_BUF(&a, gold_notify);
	aml_buf_free(&a);
}

/*
 * Method (SCRS, 1, Serialized) {
 *   Name (MBUF, Buffer (0x30) {})
 *   CreateQWordField (MBUF, 0x0E, BMIN)
 *   BMIN = Arg0
 *   Return (MBUF) }
 */
static const uint8_t gold_cqf[] = {
	0x14, 0x25, 0x53, 0x43, 0x52, 0x53, 0x09, 0x08, 0x4d, 0x42, 0x55, 0x46,
	0x11, 0x03, 0x0a, 0x30, 0x8f, 0x4d, 0x42, 0x55, 0x46, 0x0a, 0x0e, 0x42,
	0x4d, 0x49, 0x4e, 0x70, 0x68, 0x42, 0x4d, 0x49, 0x4e, 0xa4, 0x4d, 0x42,
	0x55, 0x46,
};
static void test_create_qword_field(void **state)
{
	(void)state;
	static const uint8_t empty_buffer_30[] = { 0x11, 0x03, 0x0a, 0x30 }; /* Buffer (0x30) {} */
	struct aml_buf a;
	aml_buf_init(&a);
	aml_mark m = aml_method_begin(&a, "SCRS", 1, true);
	aml_name_decl(&a, "MBUF", aml_raw(empty_buffer_30, sizeof(empty_buffer_30)));
	aml_put(&a, aml_create_qword_field(aml_name("MBUF"), aml_int(0x0E), "BMIN"));
	aml_put(&a, aml_store(aml_arg(0), aml_name("BMIN")));
	aml_put(&a, aml_return(aml_name("MBUF")));
	aml_end(&a, m);
	CHECK_BUF(&a, gold_cqf);
	aml_buf_free(&a);
}

static void test_expr_overflow_is_sticky(void **state)
{
	(void)state;
	struct aml_expr e = aml_zero();
	for (int i = 0; i < AML_EXPR_MAX; i++)
		e = aml_cat(e, aml_one());
	assert_true(e.overflow);
	struct aml_buf a;
	aml_buf_init(&a);
	aml_put(&a, e);
	assert_true(aml_buf_failed(&a));
	aml_buf_free(&a);
}

/* Issue 13 item 7: aml_end() must close the innermost open block; an end without a
 * begin, the outer mark first, or a block left open all fail the buffer instead of
 * writing a PkgLength in the wrong place. */
static void test_unbalanced_blocks_fail(void **state)
{
	struct aml_buf a;
	aml_mark outer, inner;

	(void)state;
	aml_buf_init(&a);
	outer = aml_scope_begin(&a, "\\_SB");
	inner = aml_device_begin(&a, "DEV0");
	aml_end(&a, inner);
	aml_end(&a, outer);
	assert_false(aml_buf_failed(&a));
	aml_buf_free(&a);

	aml_buf_init(&a);
	outer = aml_scope_begin(&a, "\\_SB");
	(void)aml_device_begin(&a, "DEV0");
	aml_end(&a, outer); /* the outer one while the inner is open */
	assert_true(aml_buf_failed(&a));
	aml_buf_free(&a);

	aml_buf_init(&a);
	aml_end(&a, 0); /* nothing open */
	assert_true(aml_buf_failed(&a));
	aml_buf_free(&a);

	aml_buf_init(&a);
	(void)aml_scope_begin(&a, "\\_SB"); /* never closed */
	assert_true(aml_buf_failed(&a));
	aml_buf_free(&a);
}

/* A contributor that calls the argument-less AML function opaque holds. */
struct part {
	void (*fn)(struct aml_buf *a);
};

static void call_part(struct aml_buf *a, const void *opaque)
{
	((const struct part *)opaque)->fn(a);
}

/* dsdt_write: one Scope per run of contributors that share it, root ones outside. */
static void test_dsdt_write_scopes(void **state)
{
	static const struct part s5 = { sleep_aml }, com1 = { uart_aml }, pwrb = { power_button_aml };
	const struct aml_contributor c[] = {
		{ NULL, call_part, &s5 },
		{ "\\_SB", call_part, &com1 },
		{ "\\_SB", call_part, &pwrb },
		{ NULL, call_part, &s5 },
		{ "\\_SB", call_part, &com1 },
	};
	struct aml_buf got, want;

	(void)state;
	aml_buf_init(&got);
	dsdt_write(&got, c, 5);
	aml_buf_init(&want);
	acpi_table_begin(&want, "DSDT", ACPI_DSDT_REVISION, "PVDSDT");
	sleep_aml(&want);
	aml_mark sb = aml_scope_begin(&want, "\\_SB");
	uart_aml(&want);
	power_button_aml(&want);
	aml_end(&want, sb);
	sleep_aml(&want);
	sb = aml_scope_begin(&want, "\\_SB");
	uart_aml(&want);
	aml_end(&want, sb);
	acpi_table_finish(&want);
	assert_false(aml_buf_failed(&got));
	check_bytes(aml_buf_data(&got), aml_buf_len(&got), aml_buf_data(&want), aml_buf_len(&want));
	aml_buf_free(&got);
	aml_buf_free(&want);
}

/* dsdt_devices: the machine's contributors, only those it has, and its limits. */
static void test_dsdt_devices(void **state)
{
	struct acpi_machine m;
	struct aml_contributor c[DSDT_MAX_CONTRIBUTORS];
	char err[128];

	(void)state;
	memset(&m, 0, sizeof(m));
	/* sleep, COM1, pvpanic, power button, GED */
	assert_int_equal(dsdt_devices(&m, c, err, sizeof(err)), 5);
	assert_null(c[0].scope);
	for (int i = 1; i < 5; i++)
		assert_string_equal(c[i].scope, "\\_SB");
	m.nr_slots = 2;
	m.nr_virtio_mmio = 1;
	m.virtio_mmio[0].base = 0xFEB00000;
	assert_int_equal(dsdt_devices(&m, c, err, sizeof(err)), 7);
	assert_ptr_equal(c[3].opaque, &m); /* virtio-mmio, then the hotplug controller */
	assert_ptr_equal(c[4].opaque, &m);
	m.dimm_piece_size = 3 << 20;
	assert_int_equal(dsdt_devices(&m, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a power of two"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_dsdt_write_scopes),
		cmocka_unit_test(test_dsdt_devices),
		cmocka_unit_test(test_sleep_s5),
		cmocka_unit_test(test_name_strings),
		cmocka_unit_test(test_bad_names_poison),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_pkglen_forms),
		cmocka_unit_test(test_uart_device),
		cmocka_unit_test(test_extended_interrupt),
		cmocka_unit_test(test_power_button),
		cmocka_unit_test(test_qword_memory),
		cmocka_unit_test(test_opregion_field_mutex),
		cmocka_unit_test(test_field_rejects_overlap),
		cmocka_unit_test(test_method_and_operators),
		cmocka_unit_test(test_notify_literal_name),
		cmocka_unit_test(test_create_qword_field),
		cmocka_unit_test(test_expr_overflow_is_sticky),
		cmocka_unit_test(test_unbalanced_blocks_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
