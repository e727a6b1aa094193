/*
 * RSDP (revision 2, 36 bytes) and the XSDT it points to. There is no RSDT:
 * every table pointer is 64-bit, and Linux prefers the XSDT anyway.
 */
#include "acpi/tables.h"

void rsdp_build(struct aml_buf *t, uint64_t xsdt_gpa)
{
	aml_buf_bytes(t, "RSD PTR ", 8);
	aml_buf_byte(t, 0);  /* checksum of the first 20 bytes */
	aml_buf_bytes(t, ACPI_OEM_ID, 6);
	aml_buf_byte(t, 2);  /* revision 2: ACPI 2.0+ layout with XsdtAddress */
	aml_buf_le(t, 0, 4); /* RsdtAddress: none */
	aml_buf_le(t, ACPI_RSDP_LEN, 4);
	aml_buf_le(t, xsdt_gpa, 8);
	aml_buf_byte(t, 0);  /* extended checksum of all 36 bytes */
	aml_buf_zeros(t, 3);
	if (aml_buf_failed(t))
		return;
	aml_buf_patch_le(t, 8, acpi_checksum(aml_buf_data(t), 20), 1);
	aml_buf_patch_le(t, 32, acpi_checksum(aml_buf_data(t), ACPI_RSDP_LEN), 1);
}

void xsdt_build(struct aml_buf *t, const uint64_t *table_gpas, size_t n)
{
	acpi_table_begin(t, "XSDT", 1, "PVXSDT");
	for (size_t i = 0; i < n; i++)
		aml_buf_le(t, table_gpas[i], 8);
	acpi_table_finish(t);
}
