/*
 * The BIOS-style memory map handed to the guest in boot_params (zero page
 * 0x2D0, at most 128 entries). Only boot RAM and the firmware areas below
 * 1 MiB appear; the hotplug window is left out entirely (docs/linux-facts.md, "Physical layout and e820").
 */
#ifndef PLUGVM_E820_H
#define PLUGVM_E820_H

#include <stdint.h>

#include "mm/layout.h"

#define E820_TYPE_RAM      1
#define E820_TYPE_RESERVED 2

/* The zero page's e820_table[] holds this many entries. */
#define E820_MAX_ENTRIES 128

/* Same layout as Linux's struct boot_e820_entry: 20 bytes. */
struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

/* Fills out[] (at most max entries) in ascending address order and returns
 * how many it wrote; the map never has more than 5 entries, and 0 is
 * returned when max is too small to hold them all. */
unsigned e820_build(const struct guest_layout *l, struct e820_entry *out, unsigned max);

#endif
