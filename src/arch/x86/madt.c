/*
 * MADT ("APIC"): one enabled local APIC per vCPU, the KVM in-kernel IOAPIC
 * and a LINT1 NMI entry for all processors. The guest kernel has no MP-table
 * parser, so this is the only way it finds its APs and the IOAPIC.
 */
#include "acpi/tables.h"

#include "arch/x86/platform.h"
#include "util.h"

#define MADT_LOCAL_APIC 0
#define MADT_IO_APIC 1
#define MADT_LOCAL_APIC_NMI 4
#define MADT_ALL_PROCESSORS 0xFF

int madt_build(struct aml_buf *t, const struct acpi_machine *m, char *err, size_t errlen)
{
	/* APIC id 0xFF means "broadcast"; ids above it need x2APIC entries,
	 * which plugvm does not emit (PLUGVM_MAX_CPUS is far below). */
	if (m->nr_cpus == 0 || m->nr_cpus > PLUGVM_MAX_CPUS || m->nr_cpus >= 0xFF) {
		pv_format(err, errlen, "MADT: bad vCPU count %u", m->nr_cpus);
		return -1;
	}
	acpi_table_begin(t, "APIC", ACPI_MADT_REVISION, "PVAPIC");
	aml_buf_le(t, LAPIC_GPA, 4);
	aml_buf_le(t, 0, 4); /* flags: no PCAT_COMPAT, the legacy PIC is unused */
	for (unsigned i = 0; i < m->nr_cpus; i++) {
		aml_buf_byte(t, MADT_LOCAL_APIC);
		aml_buf_byte(t, 8);
		aml_buf_byte(t, (uint8_t)i); /* ACPI processor uid */
		aml_buf_byte(t, (uint8_t)i); /* APIC id = vCPU index */
		aml_buf_le(t, 1, 4);         /* enabled */
	}
	/* The IOAPIC id only has to differ from every LAPIC id. */
	aml_buf_byte(t, MADT_IO_APIC);
	aml_buf_byte(t, 12);
	aml_buf_byte(t, (uint8_t)m->nr_cpus);
	aml_buf_byte(t, 0);
	aml_buf_le(t, IOAPIC_GPA, 4);
	aml_buf_le(t, 0, 4); /* GSI base: KVM's 24 pins are GSI 0-23 */

	aml_buf_byte(t, MADT_LOCAL_APIC_NMI);
	aml_buf_byte(t, 6);
	aml_buf_byte(t, MADT_ALL_PROCESSORS);
	aml_buf_le(t, 0, 2); /* flags: conforming polarity and trigger */
	aml_buf_byte(t, 1);  /* LINT1, as a BIOS wires it */
	acpi_table_finish(t);
	return 0;
}
