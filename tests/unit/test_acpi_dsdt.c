/*
 * DSDT tests: the byte patterns of docs/linux-facts.md, "What the DSDT tests look for", the
 * per-slot devices and notify leaves, the 0-slot shape, and the outside
 * oracles: `iasl -d` must disassemble every dumped table without errors or
 * warnings, and tests/acpi/check-dsdt.sh runs the DSDT in `acpiexec`.
 * iasl and acpiexec (acpica-tools) are hard dependencies: missing tools fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "acpi/acpi.h"
#include "acpi_test_image.h"
#include "arch/x86/platform.h"
#include "util.h"

/* tests/acpi/check-dsdt.sh, found from TEST_DATA_DIR (tests/data, which
 * need not exist, so no "data/.." in the path). */
static const char *check_dsdt_sh(void)
{
	static char path[512];
	const char *data = TEST_DATA_DIR;
	size_t n = strlen(data);
	if (n >= 5 && strcmp(data + n - 5, "/data") == 0)
		n -= 5;
	snprintf(path, sizeof(path), "%.*s/acpi/check-dsdt.sh", (int)n, data);
	return path;
}

struct dsdt {
	struct acpi_image *buf; /* all the tables */
	const uint8_t *p;
	size_t len;
};

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void machine(struct acpi_machine *m, struct guest_layout *l, unsigned slots, unsigned nodes)
{
	memset(m, 0, sizeof(*m));
	memset(l, 0, sizeof(*l));
	if (nodes == 2) {
		l->ram[0] = (struct ram_range){ .gpa = 0, .size = 2 * GiB, .node = 0 };
		l->ram[1] = (struct ram_range){ .gpa = 2 * GiB, .size = 1 * GiB, .node = 1 };
		l->ram[2] = (struct ram_range){ .gpa = 4 * GiB, .size = 2 * GiB, .node = 1, .backend_offset = GiB };
		l->nr_ram = 3;
		l->ram_size = 5 * GiB;
		l->low_ram_end = 3 * GiB;
		l->high_ram_end = 6 * GiB;
		l->hotplug_base = 6 * GiB;
		l->hotplug_size = 16 * GiB;
		m->nr_cpus = 4;
		m->cpu_node[2] = m->cpu_node[3] = 1;
		/* Two virtio-mmio devices (virtio-mem) beside the DIMM slots. */
		m->nr_virtio_mmio = 2;
		m->virtio_mmio[0].base = VIRTIO_MMIO_BASE_GPA;
		m->virtio_mmio[0].gsi = 22;
		m->virtio_mmio[1].base = VIRTIO_MMIO_BASE_GPA + VIRTIO_MMIO_WINDOW_SIZE;
		m->virtio_mmio[1].gsi = 23;
	} else {
		l->ram[0] = (struct ram_range){ .gpa = 0, .size = 512 * MiB, .node = 0 };
		l->nr_ram = 1;
		l->ram_size = l->low_ram_end = 512 * MiB;
		l->hotplug_base = 4 * GiB;
		l->hotplug_size = slots ? 63 * GiB + 512 * MiB : 0;
		m->nr_cpus = 1;
	}
	l->nr_nodes = nodes;
	l->block_size = 128 * MiB;
	l->phys_bits = 40;
	m->nr_slots = slots;
	m->layout = l;
}

static void dsdt_get(unsigned slots, unsigned nodes, struct dsdt *d)
{
	struct acpi_machine m;
	struct guest_layout l;
	char err[256] = "";
	machine(&m, &l, slots, nodes);
	d->buf = acpi_image_build(&m, err, sizeof(err));
	if (!d->buf)
		fail_msg("acpi_build: %s", err);
	const uint8_t *xsdt = acpi_image_at(d->buf, rd(d->buf->rsdp + 24, 8));
	assert_non_null(xsdt);
	const uint8_t *fadt = acpi_image_at(d->buf, rd(xsdt + 36, 8));
	assert_non_null(fadt);
	d->p = acpi_image_at(d->buf, rd(fadt + 0x8C, 8));
	assert_non_null(d->p);
	d->len = (size_t)rd(d->p + 4, 4);
	assert_memory_equal(d->p, "DSDT", 4);
}

static size_t count(const struct dsdt *d, const void *pat, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i + n <= d->len; i++)
		c += memcmp(d->p + i, pat, n) == 0;
	return c;
}

#define COUNT(d, ...)                                                   \
	({                                                              \
		static const uint8_t pat_[] = { __VA_ARGS__ };          \
		count(d, pat_, sizeof(pat_));                           \
	})

static void test_linux_fact_patterns(void **state)
{
	(void)state;
	struct dsdt d;
	dsdt_get(16, 2, &d);
	assert_int_equal(d.p[8], 2); /* revision 2: 64-bit integers */
	uint8_t s = 0;
	for (size_t i = 0; i < d.len; i++)
		s = (uint8_t)(s + d.p[i]);
	assert_int_equal(s, 0);
	assert_int_equal(COUNT(&d, 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x07, 0x04, 0x0A, 0x05, 0x00, 0x00, 0x00), 1);
	assert_int_equal(COUNT(&d, 0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00), 1);
	assert_int_equal(COUNT(&d, 0x5B, 0x80, 'H', 'P', 'I', 'O', 0x01, 0x0B, 0x00, 0x0B, 0x0A, 0x30), 1);
	assert_int_equal(COUNT(&d, 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0C, 0x80), 16);
	assert_int_equal(COUNT(&d, 0x08, '_', 'H', 'I', 'D', 0x0D, 'A', 'C', 'P', 'I', '0', '0', '1', '3', 0x00), 1);
	/* GED0._CRS: Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {20}, the same
	 * for {21} (the power button), EndTag. */
	assert_int_equal(COUNT(&d, 0x89, 0x06, 0x00, 0x03, 0x01, 0x14, 0x00, 0x00, 0x00,
			       0x89, 0x06, 0x00, 0x03, 0x01, 0x15, 0x00, 0x00, 0x00, 0x79, 0x00), 1);
	/* Device (PWRB) { Name (_HID, EisaId ("PNP0C0C")) ... } and, in _EVT,
	 * If (Arg0 == 21) { Notify (\_SB.PWRB, 0x80) }. */
	assert_int_equal(COUNT(&d, 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0C, 0x0C), 1);
	assert_int_equal(COUNT(&d, 0x93, 0x68, 0x0A, 0x15), 1);
	assert_int_equal(COUNT(&d, 0x86, 0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0A, 0x80), 1);
	assert_int_equal(COUNT(&d, '_', 'E', 'V', 'T', 0x09), 1);
	assert_int_equal(COUNT(&d, '_', 'O', 'S', 'T', 0x03), 16);
	assert_int_equal(COUNT(&d, '_', 'E', 'J', '0', 0x01), 16);
	assert_int_equal(COUNT(&d, 0x86, 'M', '0', '0', '1', 0x69), 1);
	/* Every slot has exactly one literal Notify leaf and one device. */
	for (unsigned i = 0; i < 16; i++) {
		char leaf[7] = { (char)0x86, 0, 0, 0, 0, 0x69, 0 };
		snprintf(leaf + 1, 5, "M%03u", i);
		leaf[5] = 0x69;
		assert_int_equal(count(&d, leaf, 6), 1);
		/* Device (Mnnn): 5B 82 <1-2 byte PkgLength> name */
		size_t found = 0;
		for (size_t k = 0; k + 8 <= d.len; k++)
			if (d.p[k] == 0x5B && d.p[k + 1] == 0x82 &&
			    (memcmp(d.p + k + 3, leaf + 1, 4) == 0 || memcmp(d.p + k + 4, leaf + 1, 4) == 0))
				found++;
		assert_int_equal(found, 1);
	}
	free(d.buf);
}

/* Device (VMnn) { _HID "LNRO0005", _UID n, _CRS Memory32Fixed (ReadWrite, window, 0x200)
 * + Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {gsi} }, what Linux's
 * virtio_mmio binds; none without virtio-mem devices. */
static void test_virtio_mmio_devices(void **state)
{
	(void)state;
	struct dsdt d;
	dsdt_get(16, 2, &d);
	assert_int_equal(COUNT(&d, 0x08, '_', 'H', 'I', 'D', 0x0D, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00), 2);
	assert_int_equal(COUNT(&d, 'V', 'M', '0', '0', 0x08, '_', 'H', 'I', 'D'), 1);
	assert_int_equal(COUNT(&d, 'V', 'M', '0', '1', 0x08, '_', 'H', 'I', 'D'), 1);
	/* _UID 0 (ZeroOp) and 1 (OneOp) after the _HID string. */
	assert_int_equal(COUNT(&d, '5', 0x00, 0x08, '_', 'U', 'I', 'D', 0x00), 1);
	assert_int_equal(COUNT(&d, '5', 0x00, 0x08, '_', 'U', 'I', 'D', 0x01), 1);
	assert_int_equal(COUNT(&d, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xB0, 0xFE, 0x00, 0x02, 0x00, 0x00,
			       0x89, 0x06, 0x00, 0x01, 0x01, 0x16, 0x00, 0x00, 0x00, 0x79, 0x00), 1);
	assert_int_equal(COUNT(&d, 0x86, 0x09, 0x00, 0x01, 0x00, 0x02, 0xB0, 0xFE, 0x00, 0x02, 0x00, 0x00,
			       0x89, 0x06, 0x00, 0x01, 0x01, 0x17, 0x00, 0x00, 0x00, 0x79, 0x00), 1);
	free(d.buf);
	dsdt_get(16, 1, &d);
	assert_int_equal(COUNT(&d, 'L', 'N', 'R', 'O'), 0);
	free(d.buf);
}

/* More than PLUGVM_MAX_VIRTIO_MEM devices, or a window above 4 GiB: refused. */
static void test_virtio_mmio_limits(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	char err[256] = "";
	machine(&m, &l, 4, 2);
	m.nr_virtio_mmio = PLUGVM_MAX_VIRTIO_MEM + 1;
	assert_null(acpi_image_build(&m, err, sizeof(err)));
	assert_non_null(strstr(err, "virtio-mmio"));
	machine(&m, &l, 4, 2);
	m.virtio_mmio[1].base = 0xFFFFFF00;
	assert_null(acpi_image_build(&m, err, sizeof(err)));
	assert_non_null(strstr(err, "4 GiB"));
}

static void test_zero_slots(void **state)
{
	(void)state;
	struct dsdt d;
	dsdt_get(0, 1, &d);
	assert_int_equal(COUNT(&d, 0x0C, 0x41, 0xD0, 0x0C, 0x80), 0);      /* no PNP0C80 */
	assert_int_equal(COUNT(&d, 'H', 'P', 'I', 'O'), 0);                  /* no registers */
	assert_int_equal(COUNT(&d, 'M', 'H', 'C', '0'), 0);
	assert_int_equal(COUNT(&d, 'A', 'C', 'P', 'I', '0', '0', '1', '3'), 1); /* the GED stays */
	/* _EVT has only the power button's branch: Notify (\_SB.PWRB, 0x80). */
	assert_int_equal(COUNT(&d, 0x86, 0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0A, 0x80), 1);
	assert_int_equal(COUNT(&d, 'S', 'S', 'C', 'N'), 0);
	free(d.buf);
}

static void test_max_slots_tree(void **state)
{
	(void)state;
	struct dsdt d;
	dsdt_get(256, 1, &d);
	assert_int_equal(COUNT(&d, 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0C, 0x80), 256);
	assert_int_equal(COUNT(&d, 0x86, 'M', '2', '5', '5', 0x69), 1);
	/* The Arg0 < 256 guard, then the 255 inner nodes of the tree
	 * (Arg0 < 1 .. Arg0 < 255, each once): 256 compares in all. */
	assert_int_equal(COUNT(&d, 0x95, 0x68, 0x0B, 0x00, 0x01), 1);
	assert_int_equal(COUNT(&d, 0x95, 0x68, 0x01), 1);
	assert_int_equal(COUNT(&d, 0x95, 0x68, 0x0A), 254);
	free(d.buf);
}

/* Runs cmd, returns its exit status; its output goes to log. */
static int sh(const char *cmd)
{
	int r = system(cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

static void dump_pieces_to(const char *dir, unsigned slots, unsigned nodes, uint64_t piece)
{
	struct acpi_machine m;
	struct guest_layout l;
	char err[256] = "";
	machine(&m, &l, slots, nodes);
	m.dimm_piece_size = piece;
	if (acpi_dump(&m, dir, err, sizeof(err)) != 0)
		fail_msg("acpi_dump: %s", err);
}

static void dump_to(const char *dir, unsigned slots, unsigned nodes)
{
	dump_pieces_to(dir, slots, nodes, 0);
}

static void test_iasl_disassembles_every_table(void **state)
{
	(void)state;
	char dir[] = "/tmp/plugvm-acpi-XXXXXX";
	char cmd[2048];
	assert_non_null(mkdtemp(dir));
	dump_to(dir, 16, 2);
	if (sh("command -v iasl >/dev/null") != 0)
		fail_msg("iasl is not installed (apt-get install acpica-tools)");
	/* rsdp.dat is not here: iasl 20200925 cannot disassemble any lone
	 * RSDP file (even one made by its own `iasl -T RSDP` exits 255 with
	 * "does not contain a valid ACPI table"); test_acpi_tables checks the
	 * RSDP's fields and both checksums instead. */
	static const char *const files[] = { "xsdt", "facp", "dsdt", "apic", "srat" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat >%s.log 2>&1", dir, files[i], files[i]);
		if (sh(cmd) != 0)
			fail_msg("iasl -d %s/%s.dat failed", dir, files[i]);
		snprintf(cmd, sizeof(cmd), "cd %s && ! grep -E 'Error|Warning' %s.log", dir, files[i]);
		if (sh(cmd) != 0)
			fail_msg("iasl -d %s.dat reported problems (in %s)", files[i], dir);
		snprintf(cmd, sizeof(cmd), "cd %s && test -s %s.dsl && ! grep -E 'Error|Warning|\\*\\*\\*\\*' %s.dsl",
			 dir, files[i], files[i]);
		if (sh(cmd) != 0)
			fail_msg("%s/%s.dsl missing or has problems", dir, files[i]);
	}
	/* The disassembled DSDT compiles again. */
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -p rt dsdt.dsl >rt.log 2>&1 && grep -q ' 0 Errors' rt.log", dir);
	if (sh(cmd) != 0)
		fail_msg("recompiling %s/dsdt.dsl failed", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
}

static void check_in_acpiexec(unsigned slots)
{
	char dir[] = "/tmp/plugvm-acpi-XXXXXX";
	char cmd[2048];
	assert_non_null(mkdtemp(dir));
	dump_to(dir, slots, slots == 16 ? 2 : 1);
	snprintf(cmd, sizeof(cmd), "sh %s %s %u", check_dsdt_sh(), dir, slots);
	if (sh(cmd) != 0)
		fail_msg("%s failed for %u slots (tables in %s)", check_dsdt_sh(), slots, dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
}

/* The guest's memmap_on_memory: each DIMM's _CRS is one range per memory block,
 * highest first (check-dsdt.sh's third argument); the tables still disassemble. */
static void test_acpiexec_pieces(void **state)
{
	(void)state;
	char dir[] = "/tmp/plugvm-acpi-XXXXXX";
	char cmd[2048];
	assert_non_null(mkdtemp(dir));
	dump_pieces_to(dir, 16, 1, 128 * MiB);
	snprintf(cmd, sizeof(cmd), "sh %s %s 16 %llu", check_dsdt_sh(), dir, 128ULL * MiB);
	if (sh(cmd) != 0)
		fail_msg("%s failed for DIMMs in 128 MiB pieces (tables in %s)", check_dsdt_sh(), dir);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d dsdt.dat >dsdt.log 2>&1 && ! grep -E 'Error|Warning' dsdt.log", dir);
	if (sh(cmd) != 0)
		fail_msg("iasl -d of the DSDT with DIMM pieces reported problems (in %s)", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
}

/* A piece size that is not a power of two cannot be masked in AML: refused. */
static void test_pieces_power_of_two(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	char err[256] = "";
	machine(&m, &l, 4, 1);
	m.dimm_piece_size = 96 * MiB;
	assert_null(acpi_image_build(&m, err, sizeof(err)));
	assert_non_null(strstr(err, "power of two"));
}

static void test_acpiexec_0_slots(void **state)
{
	(void)state;
	check_in_acpiexec(0);
}

static void test_acpiexec_16_slots(void **state)
{
	(void)state;
	check_in_acpiexec(16);
}

static void test_acpiexec_256_slots(void **state)
{
	(void)state;
	check_in_acpiexec(256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_fact_patterns),
		cmocka_unit_test(test_virtio_mmio_devices),
		cmocka_unit_test(test_virtio_mmio_limits),
		cmocka_unit_test(test_zero_slots),
		cmocka_unit_test(test_max_slots_tree),
		cmocka_unit_test(test_iasl_disassembles_every_table),
		cmocka_unit_test(test_acpiexec_pieces),
		cmocka_unit_test(test_pieces_power_of_two),
		cmocka_unit_test(test_acpiexec_0_slots),
		cmocka_unit_test(test_acpiexec_16_slots),
		cmocka_unit_test(test_acpiexec_256_slots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
