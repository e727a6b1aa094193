/*
 * The DSDT: revision 2, so AML integers are 64 bits wide (DIMM addresses
 * are above 4 GiB). Each device supplies its own AML; this file only
 * decides the order.
 */
#include "acpi/dsdt.h"
#include "acpi/tables.h"

#include "platform.h"
#include "util.h"

int dsdt_build(struct aml_buf *t, const struct acpi_machine *m, char *err, size_t errlen)
{
	if (m->dimm_piece_size & (m->dimm_piece_size - 1)) {
		pv_format(err, errlen, "DSDT: DIMM piece size 0x%llx is not a power of two",
			  (unsigned long long)m->dimm_piece_size);
		return -1;
	}
	if (m->nr_slots > DSDT_MAX_SLOTS) {
		pv_format(err, errlen, "DSDT: %u memory slots, at most %u", m->nr_slots, DSDT_MAX_SLOTS);
		return -1;
	}
	if (m->nr_virtio_mmio > PLUGVM_MAX_VIRTIO_MEM) {
		pv_format(err, errlen, "DSDT: %u virtio-mmio devices, at most %u", m->nr_virtio_mmio,
			  PLUGVM_MAX_VIRTIO_MEM);
		return -1;
	}
	for (unsigned i = 0; i < m->nr_virtio_mmio; i++) {
		if (m->virtio_mmio[i].base + VIRTIO_MMIO_WINDOW_SIZE > 0x100000000ULL) {
			pv_format(err, errlen, "DSDT: virtio-mmio window 0x%llx is not below 4 GiB",
				  (unsigned long long)m->virtio_mmio[i].base);
			return -1;
		}
	}
	acpi_table_begin(t, "DSDT", ACPI_DSDT_REVISION, "PVDSDT");
	sleep_aml(t);
	aml_mark sb = aml_scope_begin(t, "\\_SB");
	uart_aml(t);
	pvpanic_aml(t);
	for (unsigned i = 0; i < m->nr_virtio_mmio; i++)
		virtio_mmio_aml(t, i, m->virtio_mmio[i].base, m->virtio_mmio[i].gsi);
	/* Without slots there is no hotplug controller at all; the GED stays
	 * so the guest's view of the machine does not change shape. */
	if (m->nr_slots) {
		memhp_aml(t, m->nr_slots, m->dimm_piece_size);
		for (unsigned i = 0; i < m->nr_slots; i++)
			dimm_aml(t, i);
	}
	power_button_aml(t);
	ged_aml(t, m->nr_slots > 0);
	aml_end(t, sb);
	acpi_table_finish(t);
	if (aml_buf_failed(t)) {
		pv_format(err, errlen, "DSDT: AML encoding failed (out of memory or bad term)");
		return -1;
	}
	return 0;
}
