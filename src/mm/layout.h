/*
 * Where boot RAM, the holes and the hotplug window sit in guest-physical
 * space, computed once from the configuration. The e820 map, the SRAT, the
 * KVM boot memory slots and the DIMM allocator all read this one description.
 */
#ifndef PLUGVM_LAYOUT_H
#define PLUGVM_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define LAYOUT_MAX_RAM_RANGES (2 * PLUGVM_MAX_NUMA_NODES + 2)

/* A piece of boot RAM with one owner node and one backing mapping. A node
 * whose RAM crosses the 32-bit hole has two ranges. */
struct ram_range {
	uint64_t gpa;
	uint64_t size;
	unsigned node;          /* NUMA node id, also its index into config numa[] (config.h) */
	uint64_t backend_offset; /* offset of gpa into the node's backing memory */
};

struct guest_layout {
	uint64_t ram_size;
	uint64_t low_ram_end;   /* boot RAM below 4 GiB is [0, low_ram_end) */
	uint64_t high_ram_end;  /* boot RAM above 4 GiB is [4 GiB, high_ram_end), or 0 */
	struct ram_range ram[LAYOUT_MAX_RAM_RANGES];
	unsigned nr_ram;
	uint64_t hotplug_base;  /* the device-memory window (DIMMs, virtio-mem); not in e820 */
	uint64_t hotplug_size;  /* maxmem - ram_size (0 without slots or virtio-mem devices) */
	uint64_t block_size;    /* the guest's memory block size (docs/linux-facts.md, "Memory block size") */
	unsigned phys_bits;     /* guest physical address bits */
	unsigned nr_nodes;      /* config_nr_nodes: at least 1 */
};

/* Computes the layout; -1 with a one-line error when the memory sizes do
 * not fit (window above 2^phys_bits, RAM too small, ...). */
int layout_compute(const struct plugvm_config *cfg, unsigned phys_bits,
		   struct guest_layout *out, char *err, size_t errlen);

/* Linux's memory block size for a guest whose highest boot RAM ends at
 * boot_mem_end, with the CPUID hypervisor bit set (arch/x86/mm/init_64.c). */
uint64_t layout_guest_block_size(uint64_t boot_mem_end);

#endif
