/*
 * The BIOS-style memory map handed to the guest in boot_params (zero page
 * 0x2D0, at most 128 entries). Only boot RAM, the firmware areas below
 * 1 MiB and the ACPI tables above it appear; the hotplug window is left out
 * entirely (docs/memory.md, "e820").
 */
#ifndef PLUGVM_E820_H
#define PLUGVM_E820_H

#include <stdint.h>

#include "mm/layout.h"

#define E820_TYPE_RAM      1
#define E820_TYPE_RESERVED 2
#define E820_TYPE_ACPI     3 /* ACPI tables: reclaimable once read, kept by Linux */

/* The zero page's e820_table[] holds this many entries. */
#define E820_MAX_ENTRIES 128

/* Same layout as Linux's struct boot_e820_entry: 20 bytes. */
struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

/* Fills out[] (at most max entries) in ascending address order and returns
 * how many it wrote; the map never has more than 6 entries, and 0 is
 * returned when max is too small to hold them all. acpi_size: bytes of ACPI
 * tables at ACPI_TABLES_GPA (acpi_build's used), taken from RAM in whole pages. */
unsigned e820_build(const struct guest_layout *l, uint64_t acpi_size, struct e820_entry *out,
		    unsigned max);

#endif
