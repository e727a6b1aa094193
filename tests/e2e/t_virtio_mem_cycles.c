/* virtio-mem resized again and again in one guest: data in the guest survives every
 * shrink (the guest migrates it out of the blocks it gives back), and partial shrinks
 * leave the guest, QMP and plugvm's RSS agreeing on the size. docs/virtio-mem.md "Tests",
 * docs/testing.md "virtio-mem". Helpers: t_virtio_mem.h. */
#include "t_virtio_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL_KB (64 * VM_MIB_KB)

static bool data_sum(struct ut *t, char *sum, size_t n)
{
    return vm_file_md5(t, "/mnt/v/data", 240, sum, n);
}

/* The guest's data must still hash to want. */
static bool data_intact(struct ut *t, const char *want, const char *when)
{
    char sum[80];
    if (!data_sum(t, sum, sizeof(sum)))
        return false;
    if (strcmp(sum, want) != 0)
        return e2e_fail("data changed %s: md5 %s, was %s", when, sum, want);
    return true;
}

/* requested-size, then MemTotal = base + bytes and qom-get size = bytes. */
static bool resize(struct ut *t, long base, long long bytes, double timeout_s)
{
    return vm_request(t, "vm0", bytes) &&
           qc_wait_memtotal(&t->vm, base + bytes / 1024, TOL_KB, timeout_s) &&
           vm_wait_size(t, "vm0", bytes, 30);
}

/* virtio_mem_cycles: one guest, a 4 GiB device. Grow to 640 MiB, write 128 MiB of data
 * into tmpfs (movable allocations: they land on the device's Movable blocks first, which
 * the test checks) and take its md5. Then E2E_VMEM_CYCLES (default 5: a cycle takes ~43 s
 * in the bed, docs/testing.md "virtio-mem") cycles of shrink to
 * 128 MiB (the guest must migrate most of the data out of the blocks it gives back) and
 * grow to 640 MiB, the md5 unchanged after every shrink; finally 0: no virtio_mem block
 * left in /proc/iomem, MemTotal as at boot, md5 unchanged, plugvm's fds and threads as at
 * the start, poweroff exits 0. */
bool test_virtio_mem_cycles(void)
{
    struct ut t = UT_INIT;
    const char *extra[] = {"-object", "memory-backend-ram,id=vmem0,size=4G", "-device",
                           "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0", NULL};
    const long long big = 640 * VM_MIB, small = 128 * VM_MIB;
    int cycles = vm_env_int("E2E_VMEM_CYCLES", 5);
    char sum0[80];
    bool ok = false;

    if (!vm_boot_with(&t, "1G,maxmem=5G", extra))
        goto out;
    long base = qc_memtotal(&t.vm);
    int fds0 = proc_fds(t.vm.pid);
    long thr0 = proc_status(t.vm.pid, "Threads");
    e2e_log("MemTotal %ld kB; plugvm fds %d, threads %ld; %d cycles", base, fds0, thr0, cycles);
    if (base < 0 || !resize(&t, base, big, 120))
        goto out;
    /* 128 MiB: a 4 MiB random seed written 32 times behind chunk headers (/dev/urandom
     * itself is far too slow in the bed, docs/testing.md). */
    long free0 = movable_free_kb(&t);
    if (!e2e_vm_sh(&t.vm, "mkdir -p /mnt/v && mount -t tmpfs -o size=256M tmpfs /mnt/v && "
                          "dd if=/dev/urandom of=/run/seed bs=1M count=4 2>/dev/null && "
                          "i=0; while [ $i -lt 32 ]; do echo chunk $i; cat /run/seed; "
                          "i=$((i+1)); done > /mnt/v/data; rm /run/seed", NULL, 240) ||
        !data_sum(&t, sum0, sizeof(sum0)))
        goto out;
    long free1 = movable_free_kb(&t);
    e2e_log("128 MiB written, md5 %s; Movable free %ld -> %ld kB", sum0, free0, free1);
    /* The data must sit on the device's blocks, or the shrinks would not move it. */
    if (free0 < 0 || free1 < 0 || free0 - free1 < 96 * VM_MIB_KB) {
        e2e_fail("the data did not land on the device's Movable blocks (free %ld -> %ld kB)",
                 free0, free1);
        goto out;
    }

    double t_all = e2e_elapsed();
    for (int i = 1; i <= cycles; i++) {
        char when[64];
        snprintf(when, sizeof(when), "after shrink %d", i);
        if (!resize(&t, base, small, 180) || !data_intact(&t, sum0, when) ||
            !resize(&t, base, big, 120)) {
            e2e_fail("cycle %d of %d failed", i, cycles);
            goto out;
        }
        if (i % 5 == 0 || i == cycles)
            e2e_log("cycle %d/%d done, data intact (mean %.1f s a cycle)", i, cycles,
                    (e2e_elapsed() - t_all) / i);
    }
    /* At size 0 the guest may still hold its last block for a while (docs/virtio-mem.md). */
    if (!resize(&t, base, 0, 180) || !vm_wait_iomem_empty(&t, 120) ||
        !data_intact(&t, sum0, "after the shrink to 0"))
        goto out;
    int fds1 = proc_fds(t.vm.pid);
    long thr1 = proc_status(t.vm.pid, "Threads");
    e2e_log("end: data intact; plugvm fds %d, threads %ld", fds1, thr1);
    if (fds1 != fds0 || thr1 != thr0) {
        e2e_fail("plugvm leaks: fds %d -> %d, threads %ld -> %ld", fds0, fds1, thr0, thr1);
        goto out;
    }
    ok = ut_poweroff(&t);
out:
    ut_destroy(&t);
    return ok;
}

/* The device's entry in query-memory-devices says requested-size and size. */
static bool query_says(struct ut *t, long long requested, long long size)
{
    char *r = NULL, want[160];
    bool ok = false;
    if (!uq_ok(&t->q, "{\"execute\":\"query-memory-devices\"}", &r, 10))
        return false;
    snprintf(want, sizeof(want), "\"requested-size\":%lld,\"size\":%lld,", requested, size);
    char *obj = qc_object_with(r, "\"id\":\"vm0\"");
    ok = obj && strstr(obj, want);
    if (!ok)
        e2e_fail("query-memory-devices: %s, want %s", r, want);
    free(obj);
    free(r);
    return ok;
}

/* virtio_mem_partial: one guest, a 4 GiB device with prealloc=on (plugvm's RSS holds
 * exactly the plugged blocks plus what the guest touched of boot RAM). 0 -> 1 GiB ->
 * 640 MiB -> 1.5 GiB -> 0, and at each size: MemTotal = boot + size, qom-get size and
 * query-memory-devices say it, and plugvm's VmRSS minus its value at boot lies in
 * [size - 32 MiB, size + 96 MiB] (the upper bound fails when unplugged blocks are not
 * given back: 1 GiB -> 640 MiB frees 384 MiB). At 0, /proc/iomem has no virtio_mem block
 * left. */
bool test_virtio_mem_partial(void)
{
    struct ut t = UT_INIT;
    const char *extra[] = {"-object", "memory-backend-ram,id=vmem0,size=4G", "-device",
                           "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0,prealloc=on",
                           NULL};
    const long long steps[] = {1024 * VM_MIB, 640 * VM_MIB, 1536 * VM_MIB, 0};
    bool ok = false;

    if (!vm_boot_with(&t, "1G,maxmem=5G", extra))
        goto out;
    long base = qc_memtotal(&t.vm), rss0 = proc_status(t.vm.pid, "VmRSS");
    e2e_log("MemTotal %ld kB, plugvm VmRSS %ld kB", base, rss0);
    if (base < 0 || rss0 < 0)
        goto out;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        long long size = steps[i];
        double t0 = e2e_elapsed();
        if (!resize(&t, base, size, 180))
            goto out;
        if (size == 0 && !vm_wait_iomem_empty(&t, 120))
            goto out;
        if (!query_says(&t, size, size))
            goto out;
        long rss = proc_status(t.vm.pid, "VmRSS"), d = rss - rss0;
        e2e_log("%lld MiB after %.1f s: MemTotal +%ld MiB, VmRSS %+ld MiB", size / VM_MIB,
                e2e_elapsed() - t0, (qc_memtotal(&t.vm) - base) / 1024, d / 1024);
        if (d < size / 1024 - 32 * VM_MIB_KB || d > size / 1024 + 96 * VM_MIB_KB) {
            e2e_fail("plugvm's VmRSS is %+ld MiB from boot with %lld MiB plugged (want %lld "
                     "- 32 .. + 96)", d / 1024, size / VM_MIB, size / VM_MIB);
            goto out;
        }
    }
    ok = ut_poweroff(&t);
out:
    ut_destroy(&t);
    return ok;
}
