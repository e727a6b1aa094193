/*
 * plugvm's ACPI tables: RSDP, XSDT, FADT (hardware-reduced), DSDT (COM1,
 * GED, memory hotplug controller and DIMM slots), MADT and SRAT.
 * docs/acpi.md explains the choices, docs/hotplug-protocol.md the
 * register interface the DSDT's AML talks to.
 */
#ifndef PLUGVM_ACPI_ACPI_H
#define PLUGVM_ACPI_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "mm/layout.h"

struct acpi_machine {
	unsigned nr_cpus;                    /* APIC id = ACPI uid = vCPU index */
	unsigned cpu_node[PLUGVM_MAX_CPUS];  /* NUMA node (= SRAT proximity domain) of each vCPU */
	unsigned nr_slots;                   /* DIMM slots, 0..PLUGVM_MAX_SLOTS (DSDT: ..DSDT_MAX_SLOTS) */
	const struct guest_layout *layout;   /* boot RAM ranges and the hotplug window */
	/* 0: each DIMM's _CRS is one range. Else the guest's memory block size: one range
	 * per block, so Linux can keep each block's memmap on it (mm/memmap_on_memory.h). */
	uint64_t dimm_piece_size;
	/* virtio-mmio devices (virtio-mem): device n's window and interrupt line. */
	unsigned nr_virtio_mmio;
	struct {
		uint64_t base;
		uint32_t gsi;
	} virtio_mmio[PLUGVM_MAX_VIRTIO_MEM];
};

#define ACPI_RSDP_LEN 36 /* revision 2 */

/* Where the tables go: the RSDP alone in the BIOS area below 1 MiB, where the legacy
 * scan finds it, and the others together in the e820 ACPI region above 1 MiB, which has
 * room for a DSDT of many slots (docs/acpi.md, "Where the tables are"). */
struct acpi_area {
	uint8_t *rsdp;       /* ACPI_RSDP_LEN bytes the guest sees at rsdp_gpa */
	uint64_t rsdp_gpa;   /* ACPI_RSDP_GPA */
	uint8_t *tables;     /* XSDT, FACP, DSDT, APIC, SRAT: at most max bytes at tables_gpa */
	uint64_t tables_gpa; /* ACPI_TABLES_GPA */
	size_t max;
};

/* Builds all tables into the area; *used (if not NULL) is how many bytes of
 * a->tables they take. Returns 0 or -1 with err. */
int acpi_build(const struct acpi_machine *m, const struct acpi_area *a, size_t *used, char *err,
	       size_t errlen);

/* Writes each table to DIR as rsdp.dat xsdt.dat facp.dat dsdt.dat apic.dat
 * srat.dat (the names `iasl -d` understands by signature). */
int acpi_dump(const struct acpi_machine *m, const char *dir, char *err, size_t errlen);

#endif
