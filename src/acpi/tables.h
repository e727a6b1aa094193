/*
 * Builders for the individual ACPI tables. Each writes one complete table
 * (header, body, length and checksum) into an empty struct aml_buf; acpi.c
 * places them in guest memory and links them together.
 */
#ifndef PLUGVM_ACPI_TABLES_H
#define PLUGVM_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"
#include "acpi/aml.h"

#define ACPI_HEADER_LEN 36
#define ACPI_OEM_ID "PLUGVM"   /* 6 characters */
#define ACPI_CREATOR_ID "PLVM" /* 4 characters */

#define ACPI_FADT_LEN 276
#define ACPI_FADT_REVISION 6
#define ACPI_DSDT_REVISION 2 /* >= 2: 64-bit AML integers, needed above 4 GiB */
#define ACPI_MADT_REVISION 5
#define ACPI_SRAT_REVISION 3

/* Starts a table with the standard 36-byte header; length and checksum are
 * left zero until acpi_table_finish(). oem_table_id is up to 8 characters. */
void acpi_table_begin(struct aml_buf *t, const char *sig, uint8_t revision, const char *oem_table_id);
/* Writes the final length (at 4) and the checksum (at 9). */
void acpi_table_finish(struct aml_buf *t);
/* The byte that makes the n bytes at p sum to zero, when stored in a
 * checksum field that currently holds 0. */
uint8_t acpi_checksum(const uint8_t *p, size_t n);
/* Generic Address Structure (12 bytes). */
#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_ACCESS_BYTE 1
void acpi_gas(struct aml_buf *t, uint8_t space, uint8_t bit_width, uint8_t access_size, uint64_t address);

void rsdp_build(struct aml_buf *t, uint64_t xsdt_gpa);
void xsdt_build(struct aml_buf *t, const uint64_t *table_gpas, size_t n);
void fadt_build(struct aml_buf *t, uint64_t dsdt_gpa);
int madt_build(struct aml_buf *t, const struct acpi_machine *m, char *err, size_t errlen);
int srat_build(struct aml_buf *t, const struct acpi_machine *m, char *err, size_t errlen);
int dsdt_build(struct aml_buf *t, const struct acpi_machine *m, char *err, size_t errlen);

#endif
