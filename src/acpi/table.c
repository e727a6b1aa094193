/* The parts every ACPI table shares: header, checksum, generic address. */
#include "acpi/tables.h"

#include <string.h>

/* Copies s into a fixed-width header field, space padded as firmware does. */
static void table_put_padded(struct aml_buf *t, const char *s, size_t width)
{
	for (size_t i = 0; i < width; i++)
		aml_buf_byte(t, (uint8_t)(i < strlen(s) ? s[i] : ' '));
}

void acpi_table_begin(struct aml_buf *t, const char *sig, uint8_t revision, const char *oem_table_id)
{
	table_put_padded(t, sig, 4);
	aml_buf_le(t, 0, 4); /* length, patched by acpi_table_finish() */
	aml_buf_byte(t, revision);
	aml_buf_byte(t, 0);  /* checksum, patched by acpi_table_finish() */
	table_put_padded(t, ACPI_OEM_ID, 6);
	table_put_padded(t, oem_table_id, 8);
	aml_buf_le(t, 1, 4); /* OEM revision */
	table_put_padded(t, ACPI_CREATOR_ID, 4);
	aml_buf_le(t, 1, 4); /* creator revision */
}

uint8_t acpi_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0x100 - sum);
}

void acpi_table_finish(struct aml_buf *t)
{
	if (aml_buf_failed(t) || aml_buf_len(t) < ACPI_HEADER_LEN)
		return;
	aml_buf_patch_le(t, 4, aml_buf_len(t), 4);
	aml_buf_patch_le(t, 9, 0, 1);
	aml_buf_patch_le(t, 9, acpi_checksum(aml_buf_data(t), aml_buf_len(t)), 1);
}

void acpi_gas(struct aml_buf *t, uint8_t space, uint8_t bit_width, uint8_t access_size, uint64_t address)
{
	aml_buf_byte(t, space);
	aml_buf_byte(t, bit_width);
	aml_buf_byte(t, 0); /* bit offset */
	aml_buf_byte(t, access_size);
	aml_buf_le(t, address, 8);
}
