/*
 * The guest kernel's memory_hotplug.memmap_on_memory. With it, Linux keeps the
 * struct pages (the memmap) of a hot-added memory block at the start of that block
 * instead of allocating them from boot RAM, so hot-adding memory no longer eats the
 * guest's boot RAM (1/64 of every DIMM: 512 MiB of memmap for 32 GiB). Linux 6.1 does
 * this only for an add_memory() call that covers exactly one memory block, so when the
 * guest asks for it plugvm describes each DIMM as one range per block (the DSDT's
 * SCRS, acpi/memhp_aml.c) and warms the memmap part of each block on the host while the
 * guest handles the hotplug event (mm/memmap_warmup.h). docs/memory.md has the details.
 */
#ifndef PLUGVM_MEMMAP_ON_MEMORY_H
#define PLUGVM_MEMMAP_ON_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

/* Whether the kernel command line turns memory_hotplug.memmap_on_memory on, read the
 * way the kernel reads it: the last occurrence before "--" wins; no value, 1, y, Y, on
 * and (Linux 6.6+) force mean on. */
bool memmap_on_memory_requested(const char *cmdline);

/* Bytes of memmap Linux puts at the start of a hot-added block of block_size bytes:
 * one 64-byte struct page per 4 KiB page. */
uint64_t memmap_on_memory_bytes(uint64_t block_size);

#endif
