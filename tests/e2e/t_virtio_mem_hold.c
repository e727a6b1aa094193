/* virtio-mem shrunk while the guest holds memory it cannot give up (issue 14): the device
 * reports the size the guest really reached, plugvm keeps every plugged block's data, and
 * once the guest lets go it reaches the request. docs/virtio-mem.md "Tests",
 * docs/testing.md "virtio-mem". Helpers: t_virtio_mem.h. */
#include "t_virtio_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REGION (2048 * VM_MIB)   /* the backend: the device's whole region */
#define GROWN (1024 * VM_MIB)    /* what the device is grown to first */
#define DATA_MIB 900             /* tmpfs data: more than the 512 MiB of boot RAM */
#define MEMBLOCK (128 * VM_MIB)  /* the guest's memory block (x86 below 64 GiB) */
#define QUIET_S 40.0             /* no size change for this long: the guest has stopped */

static bool data_sum(struct ut *t, char *sum, size_t n)
{
    return vm_file_md5(t, "/mnt/h/data", 600, sum, n);
}

/* plugvm's host mapping of the device's region, from /proc/PID/smaps: the backend is one
 * anonymous mapping with MADV_HUGEPAGE ("hg") that plugvm splits with mprotect, plugged
 * blocks read-write and unplugged ones PROT_NONE. The region is the run of
 * address-contiguous "hg" mappings that adds up to exactly REGION bytes (boot RAM is
 * 512 MiB). rw_bytes: its read-write part (must be the plugged size); rw_rss_kb and
 * none_rss_kb: resident memory under plugged and unplugged blocks. */
struct region_map {
    long long rw_bytes;
    long rw_rss_kb, none_rss_kb;
    int vmas;
};

struct vma {
    unsigned long long start, end;
    bool rw, hg;
    long rss_kb;
};

static bool region_map(pid_t pid, struct region_map *m)
{
    char path[64], line[512];
    struct vma *v = NULL;
    int n = 0, cap = 0;
    snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return e2e_fail("cannot open %s", path);
    while (fgets(line, sizeof(line), f)) {
        unsigned long long a, b;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) == 3 && strchr(line, '-') &&
            line[0] != ' ' && strlen(perms) == 4) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                v = realloc(v, (size_t)cap * sizeof(*v));
                if (!v)
                    abort();
            }
            v[n++] = (struct vma){.start = a, .end = b, .rw = perms[0] == 'r' && perms[1] == 'w'};
        } else if (n && strncmp(line, "Rss:", 4) == 0) {
            v[n - 1].rss_kb = strtol(line + 4, NULL, 10);
        } else if (n && strncmp(line, "VmFlags:", 8) == 0) {
            v[n - 1].hg = strstr(line, " hg") != NULL;
        }
    }
    fclose(f);
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        if (!v[i].hg || (i > 0 && v[i - 1].hg && v[i - 1].end == v[i].start))
            continue; /* not the start of a run */
        int j = i;
        while (j + 1 < n && v[j + 1].hg && v[j + 1].start == v[j].end)
            j++;
        if ((long long)(v[j].end - v[i].start) != REGION)
            continue;
        *m = (struct region_map){.vmas = j - i + 1};
        for (int k = i; k <= j; k++) {
            if (v[k].rw) {
                m->rw_bytes += (long long)(v[k].end - v[k].start);
                m->rw_rss_kb += v[k].rss_kb;
            } else {
                m->none_rss_kb += v[k].rss_kb;
            }
        }
        found = true;
    }
    free(v);
    if (!found)
        return e2e_fail("no %lld MiB run of MADV_HUGEPAGE mappings in %s", REGION / VM_MIB,
                        path);
    return true;
}

/* The guest's view, with qom-get size read before and after so that the three numbers
 * belong to one moment: *memtotal_kb, the "System RAM (virtio_mem)" ranges of /proc/iomem
 * (*ranges, *iomem_bytes) and *size. Retries while the size moves. */
static bool snapshot(struct ut *t, long long *size, long *memtotal_kb, int *ranges,
                     long long *iomem_bytes)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        char *out = NULL;
        long long s0 = vm_qom_int(t, "vm0", "size");
        if (s0 < 0 ||
            !e2e_vm_sh(&t->vm, "awk '/^MemTotal:/ {print $2}' /proc/meminfo; "
                               "grep 'System RAM (virtio_mem)' /proc/iomem | "
                               "sed 's/^ *//; s/ .*//' | tr '-' ' '", &out, 30))
            return false;
        long long s1 = vm_qom_int(t, "vm0", "size");
        char *p = out, *end;
        *memtotal_kb = strtol(p, &end, 10);
        *ranges = 0;
        *iomem_bytes = 0;
        for (p = end;;) {
            unsigned long long a, b;
            int used;
            if (sscanf(p, " %llx %llx%n", &a, &b, &used) != 2)
                break;
            (*ranges)++;
            *iomem_bytes += (long long)(b - a + 1);
            p += used;
        }
        free(out);
        if (s1 < 0)
            return false;
        if (s0 == s1) {
            *size = s0;
            return true;
        }
        e2e_log("size moved from %lld to %lld during the snapshot; again", s0, s1);
        sleep(2);
    }
    return e2e_fail("the device's size kept moving");
}

/* Polls qom-get size until it has not changed for quiet_s; returns it, or -1. *last_change
 * gets the time of the last change. Logs every change of 64 MiB or more. */
static long long wait_settled(struct ut *t, double quiet_s, double timeout_s,
                              double *last_change)
{
    double t0 = e2e_elapsed(), deadline = t0 + timeout_s, changed = t0;
    long long last = vm_qom_int(t, "vm0", "size"), logged = last;
    int changes = 0;
    while (last >= 0 && e2e_elapsed() < deadline) {
        sleep(2);
        long long v = vm_qom_int(t, "vm0", "size");
        if (v < 0)
            return -1;
        if (v != last) {
            changes++;
            changed = e2e_elapsed();
            last = v;
            if (llabs(logged - v) >= 64 * VM_MIB) {
                e2e_log("size %lld MiB at +%.1f s", v / VM_MIB, changed - t0);
                logged = v;
            }
        } else if (e2e_elapsed() - changed >= quiet_s) {
            *last_change = changed;
            e2e_log("size settled at %lld bytes (%lld MiB): last change at +%.1f s, %d "
                    "changes seen, quiet for %.0f s", v, v / VM_MIB, changed - t0, changes,
                    quiet_s);
            return v;
        }
    }
    if (last >= 0)
        e2e_fail("size still moving after %.0f s (%lld)", timeout_s, last);
    return -1;
}

/* Every MEMORY_DEVICE_SIZE_CHANGE of vm0 from index from on: sizes never grow (the guest
 * only unplugs) and the last one says size. */
static bool size_events(struct ut *t, int from, long long size)
{
    const char *c[] = {"\"id\":\"vm0\"", NULL};
    char sz[64];
    snprintf(sz, sizeof(sz), "size=%lld", size);
    const char *cs[] = {"\"id\":\"vm0\"", sz, NULL};
    /* The events are rate-limited to one a second: the last one may still be on its way. */
    if (uq_wait_event(&t->q, from, "MEMORY_DEVICE_SIZE_CHANGE", cs, 5) < 0)
        return false;
    uq_pump(&t->q, 1500);
    long long prev = GROWN, v = -1;
    int n = 0;
    for (int i = from; i < t->q.nev; i++) {
        if (!strstr(t->q.ev[i], "\"MEMORY_DEVICE_SIZE_CHANGE\"") || !strstr(t->q.ev[i], c[0]))
            continue;
        const char *d = strstr(t->q.ev[i], "\"data\"");
        if (!d || !qc_json_int(d, "size", &v))
            return e2e_fail("event without a size: %s", t->q.ev[i]);
        if (v > prev)
            return e2e_fail("size event #%d grew from %lld to %lld during a shrink", i, prev, v);
        prev = v;
        n++;
    }
    if (v != size)
        return e2e_fail("the last size event says %lld, qom-get size %lld", v, size);
    e2e_log("%d MEMORY_DEVICE_SIZE_CHANGE events, never growing, the last with %lld", n, v);
    return true;
}

/* query-memory-devices and HMP info memory-devices: requested-size 0 and size, one try. */
static bool monitors_once(struct ut *t, long long size, bool report)
{
    char *r = NULL, want[160];
    bool ok = false;
    if (!uq_ok(&t->q, "{\"execute\":\"query-memory-devices\"}", &r, 10))
        return false;
    snprintf(want, sizeof(want), "\"requested-size\":0,\"size\":%lld,", size);
    char *obj = qc_object_with(r, "\"id\":\"vm0\"");
    if (!obj || !strstr(obj, want)) {
        if (report)
            e2e_fail("query-memory-devices: %s, want %s", r, want);
        goto out;
    }
    free(r);
    r = uh_cmd(&t->h, "info memory-devices", 10);
    snprintf(want, sizeof(want), "  requested-size: 0\n  size: %lld\n", size);
    if (!r || !strstr(r, want)) {
        if (report)
            e2e_fail("info memory-devices lacks '%s':\n%s", want, r ? r : "");
        goto out;
    }
    ok = vm_qom_int(t, "vm0", "requested-size") == 0;
    if (!ok && report)
        e2e_fail("qom-get requested-size is not 0");
out:
    free(obj);
    free(r);
    return ok;
}

/* The same against qom-get size read before and after (the guest's retry timer may unplug
 * a block meanwhile); the size they agreed on, or -1. */
static long long monitors_say(struct ut *t)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        long long s0 = vm_qom_int(t, "vm0", "size");
        if (s0 < 0)
            return -1;
        bool ok = monitors_once(t, s0, false);
        long long s1 = vm_qom_int(t, "vm0", "size");
        if (s0 == s1)
            return ok || monitors_once(t, s0, true) ? s0 : -1;
        e2e_log("size moved from %lld to %lld while asking the monitors; again", s0, s1);
        sleep(2);
    }
    e2e_fail("the device's size kept moving");
    return -1;
}

/* The host mapping agrees with the device's size: the read-write part of the region is
 * exactly size, unplugged blocks hold nothing, and plugged ones still hold all but
 * slack_kb of it (nothing discarded under the guest's data). size is read before and
 * after smaps. */
static bool host_says(struct ut *t, long slack_kb, const char *when)
{
    struct region_map m;
    long long size = -1;
    for (int attempt = 0; attempt < 5 && size < 0; attempt++) {
        long long s0 = vm_qom_int(t, "vm0", "size");
        if (s0 < 0 || !region_map(t->vm.pid, &m))
            return false;
        long long s1 = vm_qom_int(t, "vm0", "size");
        if (s1 < 0)
            return false;
        if (s0 == s1)
            size = s0;
        else
            sleep(2);
    }
    if (size < 0)
        return e2e_fail("the device's size kept moving");
    e2e_log("%s: size %lld MiB; region in %d mappings, %lld MiB read-write with %ld MiB "
            "resident, %ld kB resident in PROT_NONE; plugvm VmRSS %ld MiB", when,
            size / VM_MIB, m.vmas, m.rw_bytes / VM_MIB, m.rw_rss_kb / 1024, m.none_rss_kb,
            proc_status(t->vm.pid, "VmRSS") / 1024);
    if (m.rw_bytes != size)
        return e2e_fail("plugvm maps %lld bytes of the region read-write, the device's size "
                        "is %lld", m.rw_bytes, size);
    if (m.none_rss_kb != 0)
        return e2e_fail("%ld kB resident under unplugged blocks", m.none_rss_kb);
    if (m.rw_rss_kb < size / 1024 - slack_kb)
        return e2e_fail("only %ld kB resident under %lld kB of plugged blocks (freed under "
                        "the guest?)", m.rw_rss_kb, size / 1024);
    return true;
}

/* virtio_mem_hold: 512 MiB of boot RAM (2 vCPUs, no swap), a 2 GiB device. Grow it to
 * 1 GiB, write DATA_MIB (900) MiB to a tmpfs (it lands on the device's Movable blocks
 * first) and md5 it. Request 0: the guest migrates what fits into boot RAM and unplugs
 * those blocks, then cannot go on and retries on its back-off timer (50 s doubling to
 * 300 s); Linux 6.1 stopped at 640 MiB in the bed, in whole 128 MiB memory blocks with
 * ~100 MiB of the guest free (docs/virtio-mem.md, "A shrink the guest cannot honour").
 * Once qom-get size has not changed for QUIET_S s: size > 0 and at least DATA_MIB -
 * 512 MiB; MemTotal = boot + size; the guest's "System RAM (virtio_mem)" bytes in
 * /proc/iomem cover it in whole 128 MiB blocks, none empty (adjacent ranges merge into
 * one line, so bytes count, not lines); query-memory-devices, info memory-devices and the last
 * MEMORY_DEVICE_SIZE_CHANGE say requested 0 and this size (the events never grew);
 * plugvm's mapping of the region is read-write for exactly size bytes and those are
 * resident, the rest PROT_NONE and empty; the md5 is unchanged. Then the file goes: the
 * driver's own retry takes the device to 0 (E2E_VMEM_HOLD_OWN_S, default 420 s, covers
 * the longest back-off); only if it does not is requested-size 0 set again, which is
 * logged. At 0: no virtio_mem range, MemTotal as at boot, nothing read-write or resident
 * in the region; poweroff exits 0. */
bool test_virtio_mem_hold(void)
{
    struct ut t = UT_INIT;
    const char *extra[] = {"-object", "memory-backend-ram,id=vmem0,size=2G", "-device",
                           "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0", NULL};
    char sum0[80], sum1[80];
    bool ok = false;

    if (!vm_boot_with(&t, "512M,maxmem=3G", extra))
        goto out;
    long base = qc_memtotal(&t.vm);
    e2e_log("MemTotal %ld kB at boot; plugvm VmRSS %ld kB", base,
            proc_status(t.vm.pid, "VmRSS"));
    double t0 = e2e_elapsed();
    if (base < 0 || !vm_request(&t, "vm0", GROWN) ||
        !qc_wait_memtotal(&t.vm, base + GROWN / 1024, 4 * VM_MIB_KB, 180) ||
        !vm_wait_size(&t, "vm0", GROWN, 30))
        goto out;
    e2e_log("1 GiB plugged and online after %.1f s", e2e_elapsed() - t0);

    /* DATA_MIB MiB: a 4 MiB seed repeated behind chunk headers, as virtio_mem_cycles. */
    long free0 = movable_free_kb(&t);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p /mnt/h && mount -t tmpfs -o size=%dM tmpfs /mnt/h && "
             "dd if=/dev/urandom of=/run/seed bs=1M count=4 2>/dev/null && "
             "i=0; while [ $i -lt %d ]; do echo chunk $i; cat /run/seed; i=$((i+1)); done "
             "> /mnt/h/data; rm /run/seed; ls -l /mnt/h/data | awk '{print $5}'",
             DATA_MIB + 100, DATA_MIB / 4);
    t0 = e2e_elapsed();
    if (!e2e_vm_sh(&t.vm, cmd, NULL, 900) || !data_sum(&t, sum0, sizeof(sum0)))
        goto out;
    long free1 = movable_free_kb(&t);
    e2e_log("%d MiB written and summed in %.1f s, md5 %s; Movable free %ld -> %ld kB",
            DATA_MIB, e2e_elapsed() - t0, sum0, free0, free1);
    if (free0 < 0 || free1 < 0 || free0 - free1 < 768 * VM_MIB_KB) {
        e2e_fail("the data did not fill the device's Movable blocks (free %ld -> %ld kB)",
                 free0, free1);
        goto out;
    }
    long rss_full = proc_status(t.vm.pid, "VmRSS");
    if (!host_says(&t, 256 * VM_MIB_KB, "1 GiB plugged, data written"))
        goto out;

    /* Everything back, please: the guest cannot. */
    int from = t.q.nev;
    t0 = e2e_elapsed();
    double last_change = 0;
    if (!vm_request(&t, "vm0", 0))
        goto out;
    long long held = wait_settled(&t, QUIET_S, 900, &last_change);
    if (held < 0)
        goto out;
    e2e_log("shrink stopped %.1f s after the request at %lld MiB (requested 0)",
            last_change - t0, held / VM_MIB);
    long long size = -1, iomem = 0;
    long mt = 0;
    int ranges = 0;
    if (!snapshot(&t, &size, &mt, &ranges, &iomem))
        goto out;
    e2e_log("guest: MemTotal %ld kB (boot %+ld kB), %d virtio_mem ranges of %lld MiB; size "
            "%lld", mt, mt - base, ranges, iomem / VM_MIB, size);
    char *mi = NULL;
    if (e2e_vm_sh(&t.vm, "awk '/^(MemFree|Shmem):/ {printf \"%s %s kB, \", $1, $2}' "
                         "/proc/meminfo; echo oom-kills $(dmesg | grep -c 'invoked oom-killer')",
                  &mi, 30))
        e2e_log("guest: %s", mi);
    free(mi);
    if (size <= 0 || size < (DATA_MIB - 512) * VM_MIB) {
        e2e_fail("size %lld with %d MiB held and 512 MiB of boot RAM", size, DATA_MIB);
        goto out;
    }
    if (size % (2 * VM_MIB) != 0 || size > GROWN) {
        e2e_fail("size %lld is not whole 2 MiB blocks up to 1 GiB", size);
        goto out;
    }
    /* Linux's driver takes an unplugged 2 MiB block out of MemTotal (adjust_managed_page_count)
     * and removes a 128 MiB memory block once none of it is plugged. */
    if (labs(mt - base - (long)(size / 1024)) > 2 * VM_MIB_KB) {
        e2e_fail("MemTotal is boot %+ld kB, the device's size %lld kB", mt - base, size / 1024);
        goto out;
    }
    if (iomem % MEMBLOCK != 0 || iomem < size || (long long)ranges > GROWN / MEMBLOCK ||
        iomem > size / (2 * VM_MIB) * MEMBLOCK) {
        e2e_fail("/proc/iomem's %d virtio_mem ranges (%lld bytes) do not hold size %lld in "
                 "whole memory blocks", ranges, iomem, size);
        goto out;
    }
    long long agreed = monitors_say(&t);
    if (agreed < 0 || !size_events(&t, from, agreed))
        goto out;
    if (agreed != size)
        e2e_log("size %lld -> %lld after the snapshot (the guest's retry)", size, agreed);
    long rss_held = proc_status(t.vm.pid, "VmRSS");
    e2e_log("plugvm VmRSS %ld MiB with 1 GiB and the data, %ld MiB at %lld MiB held",
            rss_full / 1024, rss_held / 1024, size / VM_MIB);
    if (!host_says(&t, 32 * VM_MIB_KB, "held") || !data_sum(&t, sum1, sizeof(sum1)))
        goto out;
    if (strcmp(sum0, sum1) != 0) {
        e2e_fail("data changed during the shrink: md5 %s, was %s", sum1, sum0);
        goto out;
    }
    /* The md5 read every page of it; the size must not have moved meanwhile. */
    long long after = vm_qom_int(&t, "vm0", "size");
    e2e_log("md5 intact; size %lld after reading it back", after);
    if (after < 0)
        goto out;

    /* The guest lets go: the driver's retry timer finishes the job. */
    from = t.q.nev;
    t0 = e2e_elapsed();
    if (!e2e_vm_sh(&t.vm, "rm /mnt/h/data && umount /mnt/h", NULL, 60))
        goto out;
    double own_s = vm_env_int("E2E_VMEM_HOLD_OWN_S", 420);
    double deadline = t0 + own_s;
    long long v;
    while ((v = vm_qom_int(&t, "vm0", "size")) > 0 && e2e_elapsed() < deadline)
        sleep(2);
    if (v < 0)
        goto out;
    if (v == 0) {
        e2e_log("the guest's driver reached 0 on its own %.1f s after the file was deleted",
                e2e_elapsed() - t0);
    } else {
        e2e_log("still %lld MiB %.0f s after the file was deleted: requested-size 0 again",
                v / VM_MIB, own_s);
        if (!vm_request(&t, "vm0", 0) || !vm_wait_size(&t, "vm0", 0, 240))
            goto out;
        e2e_log("0 %.1f s after the second request", e2e_elapsed() - deadline);
    }
    if (!vm_wait_iomem_empty(&t, 120) || !qc_wait_memtotal(&t.vm, base, 0, 30) ||
        monitors_say(&t) != 0 || !size_events(&t, from, 0) || !host_says(&t, 0, "at 0"))
        goto out;
    ok = ut_poweroff(&t);
out:
    ut_destroy(&t);
    return ok;
}
