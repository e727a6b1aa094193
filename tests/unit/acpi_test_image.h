/*
 * The guest's view of plugvm's ACPI tables for the unit tests: the RSDP below
 * 1 MiB and the other tables from ACPI_TABLES_GPA (docs/acpi.md, "Where the
 * tables are"), as acpi_build writes them.
 */
#ifndef PLUGVM_TEST_ACPI_IMAGE_H
#define PLUGVM_TEST_ACPI_IMAGE_H

#include <stdint.h>
#include <stdlib.h>

#include "acpi/acpi.h"
#include "arch/x86/platform.h"

struct acpi_image {
	uint8_t rsdp[ACPI_RSDP_LEN];
	uint8_t tables[ACPI_TABLES_MAX_SIZE];
	size_t used; /* bytes of tables[] */
};

/* Builds m's tables into a new image (free() it); NULL with err on failure. */
static inline struct acpi_image *acpi_image_build(const struct acpi_machine *m, char *err, size_t errlen)
{
	struct acpi_image *img = calloc(1, sizeof(*img));

	if (!img)
		return NULL;
	struct acpi_area a = {
		.rsdp = img->rsdp,
		.rsdp_gpa = ACPI_RSDP_GPA,
		.tables = img->tables,
		.tables_gpa = ACPI_TABLES_GPA,
		.max = sizeof(img->tables),
	};

	if (acpi_build(m, &a, &img->used, err, errlen) == 0)
		return img;
	free(img);
	return NULL;
}

/* The table at guest address gpa, or NULL when it is not among the tables. */
static inline const uint8_t *acpi_image_at(const struct acpi_image *img, uint64_t gpa)
{
	if (gpa < ACPI_TABLES_GPA || gpa - ACPI_TABLES_GPA >= img->used)
		return NULL;
	return img->tables + (gpa - ACPI_TABLES_GPA);
}

#endif
