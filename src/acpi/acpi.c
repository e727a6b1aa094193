/*
 * Lays the ACPI tables out in guest memory and links them:
 * RSDP -> XSDT -> {FACP -> DSDT, APIC, SRAT}. The RSDP sits alone at
 * ACPI_RSDP_GPA (0xE0000), where the legacy BIOS-area scan finds it; the
 * others follow each other from ACPI_TABLES_GPA (1 MiB), in an e820 ACPI
 * region sized to them (docs/acpi.md, "Where the tables are").
 */
#include "acpi/acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acpi/tables.h"
#include "arch/x86/platform.h"
#include "util.h"

enum acpi_table_index { T_RSDP, T_XSDT, T_FADT, T_DSDT, T_MADT, T_SRAT, T_COUNT };

/* The file names `iasl -d` recognises by signature. */
static const char *const acpi_file_names[T_COUNT] = {
	"rsdp.dat", "xsdt.dat", "facp.dat", "dsdt.dat", "apic.dat", "srat.dat",
};

#define ACPI_TABLE_ALIGN 16

struct acpi_set {
	struct aml_buf t[T_COUNT];
	uint64_t off[T_COUNT]; /* from tables_gpa; the RSDP's is unused */
	size_t total;          /* of the tables above 1 MiB */
};

static void acpi_set_free(struct acpi_set *s)
{
	for (int i = 0; i < T_COUNT; i++)
		aml_buf_free(&s->t[i]);
}

/* gpa: where the tables other than the RSDP start. */
static int acpi_set_build(const struct acpi_machine *m, uint64_t gpa, struct acpi_set *s, char *err,
			  size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (!m->layout) {
		pv_format(err, errlen, "ACPI: no guest layout");
		return -1;
	}
	/* Tables whose content does not depend on where the others are. */
	if (dsdt_build(&s->t[T_DSDT], m, err, errlen) < 0 || madt_build(&s->t[T_MADT], m, err, errlen) < 0 ||
	    srat_build(&s->t[T_SRAT], m, err, errlen) < 0)
		return -1;

	/* Known sizes of the rest, then the offsets of all but the RSDP (placed alone). */
	const size_t fixed_len[T_COUNT] = {
		[T_RSDP] = ACPI_RSDP_LEN,
		[T_XSDT] = ACPI_HEADER_LEN + 8 * 3,
		[T_FADT] = ACPI_FADT_LEN,
	};
	static const int order[T_COUNT - 1] = { T_XSDT, T_FADT, T_DSDT, T_MADT, T_SRAT };
	size_t pos = 0;
	for (int k = 0; k < T_COUNT - 1; k++) {
		int i = order[k];
		pos = align_up(pos, ACPI_TABLE_ALIGN);
		s->off[i] = pos;
		pos += fixed_len[i] ? fixed_len[i] : aml_buf_len(&s->t[i]);
	}
	s->total = pos;

	fadt_build(&s->t[T_FADT], gpa + s->off[T_DSDT]);
	const uint64_t xsdt_entries[] = { gpa + s->off[T_FADT], gpa + s->off[T_MADT], gpa + s->off[T_SRAT] };
	xsdt_build(&s->t[T_XSDT], xsdt_entries, ARRAY_SIZE(xsdt_entries));
	rsdp_build(&s->t[T_RSDP], gpa + s->off[T_XSDT]);

	for (int i = 0; i < T_COUNT; i++) {
		bool fixed = fixed_len[i] != 0;
		if (aml_buf_failed(&s->t[i]) || (fixed && aml_buf_len(&s->t[i]) != fixed_len[i])) {
			pv_format(err, errlen, "ACPI: building %s failed", acpi_file_names[i]);
			return -1;
		}
	}
	return 0;
}

int acpi_build(const struct acpi_machine *m, const struct acpi_area *a, size_t *used, char *err,
	       size_t errlen)
{
	struct acpi_set s;
	int ret = -1;
	if (acpi_set_build(m, a->tables_gpa, &s, err, errlen) < 0)
		goto out;
	if (s.total > a->max) {
		pv_format(err, errlen, "ACPI: tables need %zu bytes, only %zu available", s.total, a->max);
		goto out;
	}
	memcpy(a->rsdp, aml_buf_data(&s.t[T_RSDP]), ACPI_RSDP_LEN);
	memset(a->tables, 0, s.total); /* alignment padding */
	for (int i = 0; i < T_COUNT; i++)
		if (i != T_RSDP)
			memcpy(a->tables + s.off[i], aml_buf_data(&s.t[i]), aml_buf_len(&s.t[i]));
	if (used)
		*used = s.total;
	ret = 0;
out:
	acpi_set_free(&s);
	return ret;
}

static int acpi_write_file(const char *dir, const char *name, const struct aml_buf *t, char *err,
			   size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		pv_format(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = fwrite(aml_buf_data(t), 1, aml_buf_len(t), f);
	if (fclose(f) != 0 || n != aml_buf_len(t)) {
		pv_format(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int acpi_dump(const struct acpi_machine *m, const char *dir, char *err, size_t errlen)
{
	struct acpi_set s;
	int ret = -1;
	/* Pointers inside the dumped tables are those the guest would see (vm.c). */
	if (acpi_set_build(m, ACPI_TABLES_GPA, &s, err, errlen) < 0)
		goto out;
	for (int i = 0; i < T_COUNT; i++)
		if (acpi_write_file(dir, acpi_file_names[i], &s.t[i], err, errlen) < 0)
			goto out;
	ret = 0;
out:
	acpi_set_free(&s);
	return ret;
}
