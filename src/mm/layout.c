/*
 * Guest-physical layout: boot RAM below and above the 32-bit hole, split per
 * NUMA node, and the DIMM hotplug window above it. docs/memory.md explains
 * the choices; docs/linux-facts.md gives the Linux rules behind them.
 */
#include "mm/layout.h"

#include <inttypes.h>

#include "arch/x86/platform.h"
#include "util.h"

/*
 * Smallest boot RAM we accept. The decompressor runs at 16 MiB and needs
 * init_size (about 52 MiB for the Debian 6.1 kernel) of free RAM above it,
 * the initramfs goes below 3 GiB beside it, and the booted kernel still
 * needs memory for its own tables. Below 128 MiB a Debian kernel runs out
 * of memory before userspace; 128 MiB is also one memory block.
 */
#define LAYOUT_MIN_RAM (128 * MiB)

/*
 * Boot RAM and node sizes must be multiples of 2 MiB: each ram_range then
 * starts and ends on a 2 MiB boundary, so a range's gpa and its host
 * mapping can stay congruent mod 2 MiB and KVM can map host huge pages.
 * QEMU only rounds -m to 8 KiB, but nobody sizes a VM in odd kilobytes.
 */
#define LAYOUT_RAM_ALIGN (2 * MiB)

/* MAX_PHYSMEM_BITS with 4-level paging: Linux cannot add memory above it. */
#define LAYOUT_MAX_PHYS_END (64 * TiB)

/* Linux's memory block size bounds (arch/x86/mm/init_64.c). */
#define BLOCK_SIZE_MIN (128 * MiB)
#define BLOCK_SIZE_MAX (2 * GiB)
#define LARGE_BLOCK_RAM_END (64 * GiB)

uint64_t layout_guest_block_size(uint64_t boot_mem_end)
{
	uint64_t bz;

	if (boot_mem_end < LARGE_BLOCK_RAM_END)
		return BLOCK_SIZE_MIN;
	/* The hypervisor bit is set (docs/linux-facts.md, "The hypervisor bit"), so Linux picks the
	 * largest size that divides the end of boot RAM. */
	for (bz = BLOCK_SIZE_MAX; bz > BLOCK_SIZE_MIN; bz >>= 1)
		if (is_aligned(boot_mem_end, bz))
			break;
	return bz;
}

/* Offset o into the flat boot RAM [0, ram_size) -> guest-physical address. */
static uint64_t ram_offset_to_gpa(const struct guest_layout *l, uint64_t o)
{
	return o < l->low_ram_end ? o : HIGH_RAM_START + (o - l->low_ram_end);
}

static void add_range(struct guest_layout *l, uint64_t gpa, uint64_t size, unsigned node,
		      uint64_t backend_offset)
{
	struct ram_range *r = &l->ram[l->nr_ram++];

	r->gpa = gpa;
	r->size = size;
	r->node = node;
	r->backend_offset = backend_offset;
}

/* Lays node `node`'s RAM, [start, start + size) in flat RAM offsets, out as
 * one range, or two when it crosses the low RAM end. */
static void add_node_ranges(struct guest_layout *l, unsigned node, uint64_t start, uint64_t size)
{
	uint64_t end = start + size;

	if (size == 0)
		return; /* a memoryless node: CPUs only */
	if (start < l->low_ram_end && end > l->low_ram_end) {
		uint64_t below = l->low_ram_end - start;

		add_range(l, start, below, node, 0);
		add_range(l, HIGH_RAM_START, size - below, node, below);
		return;
	}
	add_range(l, ram_offset_to_gpa(l, start), size, node, 0);
}

static int check_sizes(const struct plugvm_config *cfg, char *err, size_t errlen)
{
	uint64_t sum = 0;

	if (cfg->ram_size < LAYOUT_MIN_RAM) {
		pv_format(err, errlen, "RAM size %" PRIu64 " MiB is below the minimum of %llu MiB",
			  (uint64_t)(cfg->ram_size / MiB), LAYOUT_MIN_RAM / MiB);
		return -1;
	}
	if (!is_aligned(cfg->ram_size, LAYOUT_RAM_ALIGN)) {
		pv_format(err, errlen, "RAM size 0x%" PRIx64 " is not a multiple of 2 MiB",
			  cfg->ram_size);
		return -1;
	}
	for (unsigned i = 0; i < cfg->nr_numa; i++) {
		if (!is_aligned(cfg->numa[i].mem_size, LAYOUT_RAM_ALIGN) &&
		    cfg->numa[i].mem_size != 0) {
			pv_format(err, errlen, "NUMA node %u memory 0x%" PRIx64
				  " is not a multiple of 2 MiB", cfg->numa[i].nodeid,
				  cfg->numa[i].mem_size);
			return -1;
		}
		sum += cfg->numa[i].mem_size;
	}
	if (cfg->nr_numa && sum != cfg->ram_size) {
		pv_format(err, errlen, "NUMA nodes hold %" PRIu64 " MiB but RAM size is %" PRIu64
			  " MiB", (uint64_t)(sum / MiB), (uint64_t)(cfg->ram_size / MiB));
		return -1;
	}
	if (cfg->maxmem < cfg->ram_size) {
		pv_format(err, errlen, "maxmem (%" PRIu64 " MiB) is below the RAM size (%" PRIu64
			  " MiB)", (uint64_t)(cfg->maxmem / MiB), (uint64_t)(cfg->ram_size / MiB));
		return -1;
	}
	if (cfg->slots > PLUGVM_MAX_SLOTS) {
		pv_format(err, errlen, "%u memory slots requested, at most %d are supported",
			  cfg->slots, PLUGVM_MAX_SLOTS);
		return -1;
	}
	if (cfg->slots && cfg->maxmem == cfg->ram_size) {
		pv_format(err, errlen, "memory slots were given but maxmem equals the RAM size");
		return -1;
	}
	if (!cfg->slots && !cfg->nr_virtio_mem && cfg->maxmem > cfg->ram_size) {
		pv_format(err, errlen, "maxmem is above the RAM size but no memory slots or "
			  "virtio-mem devices were given");
		return -1;
	}
	return 0;
}

/* The window (or, without one, boot RAM) must end where the guest can
 * address it: below 2^phys_bits (the CPU) and 64 TiB (Linux's direct map). */
static int check_phys_limit(const struct guest_layout *l, char *err, size_t errlen)
{
	uint64_t end = l->high_ram_end ? l->high_ram_end : l->low_ram_end;
	uint64_t cpu_limit = l->phys_bits >= 64 ? UINT64_MAX : 1ULL << l->phys_bits;
	uint64_t limit = cpu_limit < LAYOUT_MAX_PHYS_END ? cpu_limit : LAYOUT_MAX_PHYS_END;
	/* A window past 2^64 (maxmem near UINT64_MAX) would wrap to a small end. */
	bool wraps = l->hotplug_size &&
		     __builtin_add_overflow(l->hotplug_base, l->hotplug_size, &end);

	if (wraps) {
		pv_format(err, errlen, "guest memory would end beyond 2^64 bytes, above the %s "
			  "limit of %" PRIu64 " GiB; reduce maxmem",
			  cpu_limit < LAYOUT_MAX_PHYS_END ? "CPU physical address" : "Linux 64 TiB",
			  (uint64_t)(limit / GiB));
		return -1;
	}
	if (end > limit) {
		pv_format(err, errlen, "guest memory would end at 0x%" PRIx64 " (%" PRIu64
			  " GiB), above the %s limit of %" PRIu64 " GiB; reduce maxmem",
			  end, (uint64_t)(end / GiB),
			  cpu_limit < LAYOUT_MAX_PHYS_END ? "CPU physical address" : "Linux 64 TiB",
			  (uint64_t)(limit / GiB));
		return -1;
	}
	return 0;
}

int layout_compute(const struct plugvm_config *cfg, unsigned phys_bits,
		   struct guest_layout *out, char *err, size_t errlen)
{
	struct guest_layout *l = out;
	uint64_t boot_end, offset = 0;

	*l = (struct guest_layout){0};
	if (phys_bits < 36 || phys_bits > 52) {
		pv_format(err, errlen, "unexpected guest physical address width %u", phys_bits);
		return -1;
	}
	if (check_sizes(cfg, err, errlen) < 0)
		return -1;

	l->ram_size = cfg->ram_size;
	l->phys_bits = phys_bits;
	l->low_ram_end = cfg->ram_size < LOW_RAM_MAX_END ? cfg->ram_size : LOW_RAM_MAX_END;
	if (cfg->ram_size > l->low_ram_end)
		l->high_ram_end = HIGH_RAM_START + (cfg->ram_size - l->low_ram_end);

	/* Nodes take boot RAM in node id order, each one contiguous in the flat
	 * RAM space, so the first node with memory owns the memory below 1 MiB. */
	l->nr_nodes = config_nr_nodes(cfg);
	if (!cfg->nr_numa) {
		add_node_ranges(l, 0, 0, cfg->ram_size);
	} else {
		for (unsigned i = 0; i < cfg->nr_numa; i++) {
			add_node_ranges(l, config_node_id(cfg, i), offset, cfg->numa[i].mem_size);
			offset += cfg->numa[i].mem_size;
		}
	}

	boot_end = l->high_ram_end ? l->high_ram_end : l->low_ram_end;
	l->block_size = layout_guest_block_size(boot_end);
	l->hotplug_base = align_up(boot_end > HIGH_RAM_START ? boot_end : HIGH_RAM_START, GiB);
	/* The device-memory window: DIMMs and virtio-mem regions share it (dimm_alloc.h). */
	l->hotplug_size = cfg->slots || cfg->nr_virtio_mem ? cfg->maxmem - cfg->ram_size : 0;

	return check_phys_limit(l, err, errlen);
}
