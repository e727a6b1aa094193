/*
 * ACPI table tests: every table's signature, length, revision and checksum,
 * the FADT offsets of docs/linux-facts.md, the MADT and SRAT
 * entries, and the table chain RSDP -> XSDT -> FACP -> DSDT as the guest
 * would follow it in the built image.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acpi/acpi.h"
#include "acpi/dsdt.h"
#include "acpi_test_image.h"
#include "arch/x86/platform.h"
#include "util.h"

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* 512 MiB on node 0, 63.5 GiB hotplug window at 4 GiB, 16 slots, 2 vCPUs. */
static void machine_small(struct acpi_machine *m, struct guest_layout *l)
{
	memset(m, 0, sizeof(*m));
	memset(l, 0, sizeof(*l));
	l->ram_size = 512 * MiB;
	l->low_ram_end = 512 * MiB;
	l->ram[0] = (struct ram_range){ .gpa = 0, .size = 512 * MiB, .node = 0 };
	l->nr_ram = 1;
	l->hotplug_base = 4 * GiB;
	l->hotplug_size = 63 * GiB + 512 * MiB;
	l->block_size = 128 * MiB;
	l->phys_bits = 40;
	l->nr_nodes = 1;
	m->nr_cpus = 2;
	m->nr_slots = 16;
	m->layout = l;
}

/* Two nodes of 2 GiB and 3 GiB: node 1 crosses the 32-bit hole (3 GiB low). */
static void machine_two_nodes(struct acpi_machine *m, struct guest_layout *l)
{
	machine_small(m, l);
	l->ram_size = 5 * GiB;
	l->low_ram_end = 3 * GiB;
	l->high_ram_end = 6 * GiB;
	l->ram[0] = (struct ram_range){ .gpa = 0, .size = 2 * GiB, .node = 0 };
	l->ram[1] = (struct ram_range){ .gpa = 2 * GiB, .size = 1 * GiB, .node = 1 };
	l->ram[2] = (struct ram_range){ .gpa = 4 * GiB, .size = 2 * GiB, .node = 1, .backend_offset = GiB };
	l->nr_ram = 3;
	l->hotplug_base = 6 * GiB;
	l->hotplug_size = 16 * GiB;
	l->nr_nodes = 2;
	m->nr_cpus = 4;
	m->cpu_node[2] = m->cpu_node[3] = 1;
}

static struct acpi_image *build(const struct acpi_machine *m)
{
	char err[256] = "";
	struct acpi_image *img = acpi_image_build(m, err, sizeof(err));
	if (!img)
		fail_msg("acpi_build: %s", err);
	assert_true(img->used > 0 && img->used <= sizeof(img->tables));
	return img;
}

/* acpi_build's error for m, which must fail. */
static void build_fails(const struct acpi_machine *m, const char *needle)
{
	char err[256] = "";
	struct acpi_image *img = acpi_image_build(m, err, sizeof(err));
	free(img);
	assert_null(img);
	if (!strstr(err, needle))
		fail_msg("acpi_build: '%s' does not say '%s'", err, needle);
}

/* Returns the table at guest address gpa after checking its header: every
 * table but the RSDP lies above 1 MiB, in the e820 ACPI region. */
static const uint8_t *table_at(const struct acpi_image *img, uint64_t gpa, const char *sig, uint8_t rev)
{
	const uint8_t *t = acpi_image_at(img, gpa);
	assert_non_null(t);
	assert_true(gpa >= 0x100000);
	assert_int_equal(gpa % 8, 0);
	assert_memory_equal(t, sig, 4);
	uint32_t len = (uint32_t)rd(t + 4, 4);
	assert_true(len >= 36 && gpa - ACPI_TABLES_GPA + len <= img->used);
	assert_int_equal(t[8], rev);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "PLUGVM", 6);
	return t;
}

struct chain {
	const uint8_t *rsdp, *xsdt, *fadt, *dsdt, *madt, *srat;
};

static void walk(const struct acpi_image *img, struct chain *c)
{
	c->rsdp = img->rsdp;
	assert_memory_equal(c->rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(c->rsdp, 20), 0);
	assert_int_equal(sum(c->rsdp, 36), 0);
	assert_int_equal(c->rsdp[15], 2);
	assert_int_equal(rd(c->rsdp + 16, 4), 0); /* no RSDT */
	assert_int_equal(rd(c->rsdp + 20, 4), 36);
	c->xsdt = table_at(img, rd(c->rsdp + 24, 8), "XSDT", 1);
	assert_int_equal(rd(c->xsdt + 4, 4), 36 + 3 * 8);
	c->fadt = table_at(img, rd(c->xsdt + 36, 8), "FACP", 6);
	c->madt = table_at(img, rd(c->xsdt + 44, 8), "APIC", 5);
	c->srat = table_at(img, rd(c->xsdt + 52, 8), "SRAT", 3);
	c->dsdt = table_at(img, rd(c->fadt + 0x8C, 8), "DSDT", 2);
}

static void test_chain_and_checksums(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	struct acpi_image *img;
	struct chain c;
	machine_small(&m, &l);
	img = build(&m);
	walk(img, &c);
	free(img);
}

static void test_fadt_fields(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	struct acpi_image *img;
	struct chain c;
	machine_small(&m, &l);
	img = build(&m);
	walk(img, &c);
	const uint8_t *f = c.fadt;
	assert_int_equal(rd(f + 4, 4), 276);
	assert_int_equal(rd(f + 0x24, 4), 0);                     /* no FACS */
	assert_int_equal(rd(f + 0x28, 4), rd(f + 0x8C, 8));       /* DSDT == X_DSDT (< 4 GiB) */
	assert_int_equal(rd(f + 0x2E, 2), 0);                     /* no SCI */
	assert_int_equal(rd(f + 0x6D, 2), 0x0020);                /* no CMOS RTC, no 8042 */
	assert_int_equal(rd(f + 0x70, 4), 0x00100430);
	static const uint8_t reset_reg[12] = { 1, 8, 0, 1, 0xF9, 0x0C };
	assert_memory_equal(f + 0x74, reset_reg, 12);
	assert_int_equal(f[0x80], 6);
	assert_int_equal(rd(f + 0x84, 8), 0);                     /* X_FIRMWARE_CTRL */
	for (unsigned off = 0x94; off < 0xF4; off++)
		assert_int_equal(f[off], 0);                      /* no PM/GPE blocks */
	static const uint8_t sleep_ctl[12] = { 1, 8, 0, 1, 0x40, 0x0B };
	static const uint8_t sleep_sts[12] = { 1, 8, 0, 1, 0x41, 0x0B };
	assert_memory_equal(f + 0xF4, sleep_ctl, 12);
	assert_memory_equal(f + 0x100, sleep_sts, 12);
	free(img);
}

static void test_madt_entries(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	struct acpi_image *img;
	struct chain c;
	machine_two_nodes(&m, &l);
	img = build(&m);
	walk(img, &c);
	const uint8_t *t = c.madt;
	assert_int_equal(rd(t + 4, 4), 44 + 8 * 4 + 12 + 6);
	assert_int_equal(rd(t + 0x24, 4), LAPIC_GPA);
	assert_int_equal(rd(t + 0x28, 4), 0);
	const uint8_t *e = t + 44;
	for (unsigned i = 0; i < 4; i++, e += 8) {
		assert_int_equal(e[0], 0);
		assert_int_equal(e[1], 8);
		assert_int_equal(e[2], i);
		assert_int_equal(e[3], i);
		assert_int_equal(rd(e + 4, 4), 1);
	}
	static const uint8_t ioapic[12] = { 1, 12, 4, 0, 0x00, 0x00, 0xC0, 0xFE, 0, 0, 0, 0 };
	assert_memory_equal(e, ioapic, 12);
	static const uint8_t nmi[6] = { 4, 6, 0xFF, 0, 0, 1 };
	assert_memory_equal(e + 12, nmi, 6);
	free(img);
}

static void test_srat_two_nodes(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	struct acpi_image *img;
	struct chain c;
	machine_two_nodes(&m, &l);
	img = build(&m);
	walk(img, &c);
	const uint8_t *t = c.srat;
	/* 4 CPUs, 3 boot RAM ranges, one piece of the window per node. */
	assert_int_equal(rd(t + 4, 4), 48 + 4 * 16 + (3 + 2) * 40);
	assert_int_equal(rd(t + 36, 4), 1); /* table revision */
	const uint8_t *e = t + 48;
	for (unsigned i = 0; i < 4; i++, e += 16) {
		assert_int_equal(e[0], 0);
		assert_int_equal(e[1], 16);
		assert_int_equal(e[2], m.cpu_node[i]);
		assert_int_equal(e[3], i);
		assert_int_equal(rd(e + 4, 4), 1);
	}
	for (unsigned i = 0; i < 3; i++, e += 40) {
		assert_int_equal(e[0], 1);
		assert_int_equal(e[1], 40);
		assert_int_equal(rd(e + 2, 4), l.ram[i].node);
		assert_int_equal(rd(e + 8, 8), l.ram[i].gpa);
		assert_int_equal(rd(e + 16, 8), l.ram[i].size);
		assert_int_equal(rd(e + 28, 4), 1);
	}
	for (unsigned n = 0; n < 2; n++, e += 40) {
		assert_int_equal(rd(e + 2, 4), n);
		assert_int_equal(rd(e + 8, 8), 6 * GiB + n * 8 * GiB);
		assert_int_equal(rd(e + 16, 8), 8 * GiB);
		assert_int_equal(rd(e + 28, 4), 3); /* enabled | hot-pluggable */
	}
	free(img);
}

/* nodes NUMA nodes of 1 GiB boot RAM each (node 3 of 4 has none), one vCPU per node but
 * the last of 4, and a 15 GiB window: node 3 of 4 is known only from the window. */
static void machine_nodes(struct acpi_machine *m, struct guest_layout *l, unsigned nodes)
{
	unsigned with_ram = nodes == 4 ? 3 : nodes;

	machine_small(m, l);
	l->ram_size = with_ram * GiB;
	l->low_ram_end = with_ram * GiB;
	l->nr_ram = 0;
	for (unsigned n = 0; n < with_ram; n++)
		l->ram[l->nr_ram++] = (struct ram_range){ .gpa = n * GiB, .size = GiB, .node = n };
	l->hotplug_base = 4 * GiB;
	l->hotplug_size = 15 * GiB;
	l->nr_nodes = nodes;
	m->nr_cpus = nodes == 4 ? 3 : nodes;
	for (unsigned c = 0; c < m->nr_cpus; c++)
		m->cpu_node[c] = c;
}

struct srat_mem {
	uint32_t pxm, flags;
	uint64_t base, len;
};

static unsigned srat_memory(const uint8_t *t, struct srat_mem *out, unsigned max, bool *cpu_pxm)
{
	unsigned n = 0;

	for (const uint8_t *e = t + 48; e < t + rd(t + 4, 4); e += e[1]) {
		assert_true(e[1] > 0);
		if (e[0] == 0 && (rd(e + 4, 4) & 1))
			cpu_pxm[e[2] | rd(e + 9, 3) << 8] = true;
		if (e[0] != 1)
			continue;
		assert_true(n < max);
		out[n++] = (struct srat_mem){ .pxm = (uint32_t)rd(e + 2, 4), .base = rd(e + 8, 8),
					      .len = rd(e + 16, 8), .flags = (uint32_t)rd(e + 28, 4) };
	}
	return n;
}

/* Code review defect 8: every memory affinity range has its own addresses (no two
 * overlap), the hot-pluggable ones make up the window exactly, and every node is in the
 * SRAT, so a DIMM's _PXM maps to it even on a node without boot RAM or vCPUs
 * (docs/acpi.md, "SRAT layout"). */
static void test_srat_ranges_do_not_overlap(void **state)
{
	static const unsigned node_counts[] = { 1, 2, 4 };

	(void)state;
	for (unsigned k = 0; k < ARRAY_SIZE(node_counts); k++) {
		unsigned nodes = node_counts[k];
		struct acpi_machine m;
		struct guest_layout l;
		struct acpi_image *img;
		struct srat_mem mem[32];
		bool known[PLUGVM_MAX_NUMA_NODES] = { false };
		uint64_t window_next = 4 * GiB;
		unsigned n, hotplug = 0;
		struct chain c;

		machine_nodes(&m, &l, nodes);
		img = build(&m);
		walk(img, &c);
		n = srat_memory(c.srat, mem, ARRAY_SIZE(mem), known);
		for (unsigned i = 0; i < n; i++) {
			assert_true(mem[i].pxm < nodes);
			assert_true(mem[i].len > 0);
			assert_true(mem[i].flags & 1);
			known[mem[i].pxm] = true;
			for (unsigned j = 0; j < i; j++)
				if (mem[i].base < mem[j].base + mem[j].len &&
				    mem[j].base < mem[i].base + mem[i].len)
					fail_msg("%u nodes: SRAT memory ranges %u (PXM %u) and %u (PXM %u) "
						 "overlap", nodes, j, mem[j].pxm, i, mem[i].pxm);
			if (!(mem[i].flags & 2))
				continue;
			/* the window's pieces, in address order, each a whole number of blocks */
			hotplug++;
			assert_int_equal(mem[i].base, window_next);
			assert_int_equal(mem[i].len % l.block_size, 0);
			window_next += mem[i].len;
		}
		assert_int_equal(window_next, 4 * GiB + 15 * GiB);
		assert_true(hotplug >= 1 && hotplug <= nodes);
		free(img);
		for (unsigned node = 0; node < nodes; node++)
			if (!known[node])
				fail_msg("%u nodes: node %u is not in the SRAT", nodes, node);
	}
}

static void test_srat_rejects_unknown_node(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	machine_small(&m, &l);
	m.cpu_node[1] = 1; /* only node 0 exists */
	build_fails(&m, "vCPU 1");
}

static void test_too_small_area(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	char err[256] = "";
	uint8_t rsdp[ACPI_RSDP_LEN], buf[512];
	struct acpi_area a = { rsdp, ACPI_RSDP_GPA, buf, ACPI_TABLES_GPA, sizeof(buf) };
	machine_small(&m, &l);
	assert_int_equal(acpi_build(&m, &a, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bytes"));
}

/* The tables of a machine with the most vCPUs and `slots` slots, walked as the guest
 * would; free() the image. */
static struct acpi_image *build_big(unsigned slots, uint64_t piece_size, struct chain *c)
{
	struct acpi_machine m;
	struct guest_layout l;
	struct acpi_image *img;
	machine_small(&m, &l);
	m.nr_cpus = PLUGVM_MAX_CPUS;
	m.nr_slots = slots;
	m.dimm_piece_size = piece_size;
	img = build(&m);
	walk(img, c);
	return img;
}

static void test_max_slots_fit(void **state)
{
	(void)state;
	struct chain c;
	free(build_big(PLUGVM_MAX_SLOTS, 0, &c));
}

/* The tables are above 1 MiB, not in the 0x1ff00 bytes of the BIOS area, which held a DSDT
 * of about 780 slots: the DSDT's own limit, DSDT_MAX_SLOTS, fits with room to spare, in
 * its e820 ACPI region from ACPI_TABLES_GPA below the kernel (docs/acpi.md, "Where the
 * tables are"). */
static void test_many_slots_fit_above_1mib(void **state)
{
	(void)state;
	struct acpi_machine m;
	struct guest_layout l;
	struct chain c;
	struct acpi_image *img = build_big(DSDT_MAX_SLOTS, 128 * MiB, &c); /* the larger _CRS */
	assert_true(rd(c.dsdt + 4, 4) > 0x1ff00);
	assert_true(img->used <= ACPI_TABLES_MAX_SIZE / 2);
	assert_true(ACPI_TABLES_GPA + ACPI_TABLES_MAX_SIZE <= KERNEL_LOAD_GPA);
	free(img);
	machine_small(&m, &l);
	m.nr_slots = DSDT_MAX_SLOTS + 1;
	build_fails(&m, "memory slots");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_and_checksums),
		cmocka_unit_test(test_fadt_fields),
		cmocka_unit_test(test_madt_entries),
		cmocka_unit_test(test_srat_two_nodes),
		cmocka_unit_test(test_srat_ranges_do_not_overlap),
		cmocka_unit_test(test_srat_rejects_unknown_node),
		cmocka_unit_test(test_too_small_area),
		cmocka_unit_test(test_max_slots_fit),
		cmocka_unit_test(test_many_slots_fit_above_1mib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
