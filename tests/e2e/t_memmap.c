/* memmap_on_memory: a guest started with memory_hotplug.memmap_on_memory=1 keeps the
 * memmap of hot-added memory on the DIMM itself, because plugvm describes the DIMM as
 * one range per memory block (the DSDT's SCRS). What the test asserts is listed above
 * it. */
#include "t_unplug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB_KB 1024L
#define APPEND_MEMMAP                                                                        \
    "console=ttyS0 quiet memhp_default_state=online_movable memory_hotplug.memmap_on_memory=1"

/* Free kB in the zones boot RAM lives in (DMA, DMA32, Normal), or -1. */
static long boot_zones_free_kb(struct e2e_vm *vm)
{
    char *out = NULL;
    long kb = -1;
    if (e2e_vm_sh(vm,
                  "awk '$1==\"Node\"{z=$4} $1==\"pages\"&&$2==\"free\"&&(z==\"DMA\"||z==\"DMA32\"||"
                  "z==\"Normal\"){s+=$3} END{print s*4}' /proc/zoneinfo",
                  &out, 30) &&
        out[0])
        kb = strtol(out, NULL, 10);
    free(out);
    return kb;
}

static long guest_count(struct e2e_vm *vm, const char *cmd)
{
    char *out = NULL;
    long n = -1;
    if (e2e_vm_sh(vm, cmd, &out, 30) && out[0])
        n = strtol(out, NULL, 10);
    free(out);
    return n;
}

/* memmap_on_memory: the guest reports the parameter on; a 1 GiB DIMM reaches Linux as 8
 * separate "System RAM" resources of 128 MiB (one add_memory per block); MemTotal grows by
 * 1 GiB less the 16 MiB of memmap that now lives on the DIMM (exactly 1032192 kB, against
 * 1048576 with the memmap in boot RAM), and the free memory of the boot RAM zones does
 * not drop by those 16 MiB; every block is online and Movable; device_del removes it
 * all (DEVICE_DELETED, MemTotal back, no System RAM above the boot RAM left). */
bool test_memmap_on_memory(void)
{
    struct ut t = UT_INIT;
    char *out = NULL;
    bool ok = false;
    uint64_t addr = 0, size = 0;
    int slot = -1;

    if (!ut_boot(&t, APPEND_MEMMAP, false))
        goto out;
    if (!e2e_vm_sh(&t.vm, "cat /sys/module/memory_hotplug/parameters/memmap_on_memory", &out, 30))
        goto out;
    if (out[0] != 'Y') {
        e2e_fail("the guest has memmap_on_memory '%s', want Y", out);
        goto out;
    }
    long base = qc_memtotal(&t.vm), boot_free0 = boot_zones_free_kb(&t.vm);
    const char *ram_above_4g =
        "awk -F'[- :]+' '/System RAM/ && length($1) > 8 {n++} END{print n+0}' /proc/iomem";
    long ranges0 = guest_count(&t.vm, ram_above_4g);
    e2e_log("MemTotal %ld kB, boot zones free %ld kB, System RAM ranges above 4G: %ld", base,
            boot_free0, ranges0);
    if (base < 0 || boot_free0 < 0 || ranges0 < 0 || !ut_plug(&t, "mem1", "dimm1", 1024))
        goto out;
    if (!qc_wait_memtotal(&t.vm, base + 1024 * MIB_KB - 16 * MIB_KB, 0, 30))
        goto out;
    if (!ut_dimm_info(&t, "dimm1", &addr, &size, &slot) ||
        !qc_blocks_online(&t.vm, addr, size, "Movable", 30))
        goto out;
    long ranges = guest_count(&t.vm, ram_above_4g), boot_free = boot_zones_free_kb(&t.vm);
    e2e_log("after hot-add: boot zones free %ld kB (%+ld), System RAM ranges above 4G: %ld",
            boot_free, boot_free - boot_free0, ranges);
    if (ranges - ranges0 != 8) {
        e2e_fail("the DIMM reached Linux as %ld System RAM ranges, want 8 (one per block)",
                 ranges - ranges0);
        goto out;
    }
    if (boot_free < 0 || boot_free0 - boot_free > 8 * MIB_KB) {
        e2e_fail("boot RAM free fell by %ld kB: the memmap is not on the DIMM",
                 boot_free0 - boot_free);
        goto out;
    }
    if (!ut_unplug(&t, "mem1", "dimm1", 120) || !qc_wait_memtotal(&t.vm, base, 0, 30))
        goto out;
    if (guest_count(&t.vm, ram_above_4g) != ranges0) {
        e2e_fail("System RAM ranges of the removed DIMM are left in /proc/iomem");
        goto out;
    }
    ok = ut_poweroff(&t);
out:
    free(out);
    ut_destroy(&t);
    return ok;
}
