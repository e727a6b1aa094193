/* The host mappings behind boot RAM, and guest-physical to host lookups. */
#ifndef PLUGVM_BOOT_RAM_H
#define PLUGVM_BOOT_RAM_H

#include <stdint.h>

#include "mm/layout.h"

struct boot_ram_map {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct boot_ram {
	struct boot_ram_map map[LAYOUT_MAX_RAM_RANGES];
	unsigned nr;
};

/* Host address of [gpa, gpa+len), or NULL unless it lies inside one range. */
void *boot_ram_hva(const struct boot_ram *ram, uint64_t gpa, uint64_t len);

#endif
