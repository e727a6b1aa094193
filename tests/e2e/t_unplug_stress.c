/* Hot-remove under stress: a guest that pokes the hotplug registers itself, many
 * add/remove cycles in one guest, and data that must survive removals beside it and of
 * its own DIMM.  Helpers: t_unplug.h.  What each test asserts is listed above it. */
#include "t_unplug.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GIB_KB (1024L * 1024)
#define MIB_KB 1024L
#define TOL_KB (64 * MIB_KB)

static bool alive(struct ut *t)
{
    if (t->vm.exited)
        return false;
    int st;
    pid_t r = waitpid(t->vm.pid, &st, WNOHANG);
    if (r == t->vm.pid) {
        t->vm.exited = true;
        t->vm.status = st;
        e2e_untrack_pid(t->vm.pid);
        return false;
    }
    return true;
}

/* Runs cmd in the guest; its output must equal want exactly. */
static bool guest_says(struct ut *t, const char *cmd, const char *want)
{
    char *out = NULL;
    if (!e2e_vm_sh(&t->vm, cmd, &out, 60))
        return false;
    bool ok = strcmp(out, want) == 0;
    if (!ok)
        e2e_fail("guest '%s' printed '%s', expected '%s'", cmd, out, want);
    free(out);
    return ok;
}

/* hostile_registers: with dimm1 (1 GiB) plugged and holding a 64 MiB tmpfs file, the
 * guest drives the hotplug registers itself with guest/tools/hpregs: INFO reads 16 slots
 * version 1 and slot 0 reads 1 GiB ENABLED (the helper really reaches plugvm); selectors
 * 16, 255, 256, 0x7fffffff, 0xffffffff read all zeros in every per-slot register and
 * take EJECT/ACK/_OST writes without effect; EJECT of the empty slot 5; 20000 QUEUE
 * reads (all 0: nothing queued); 2 x 20000 random accesses to all 12 registers.  After
 * that plugvm is alive and answers QMP, no DEVICE_DELETED or DEVICE_UNPLUG_GUEST_ERROR
 * was sent, dimm1 is still in query-memory-devices and reads ENABLED, the guest's
 * MemTotal is unchanged and the file reads back intact.
 * Then the guest writes EJECT for dimm1's slot without having offlined it: plugvm obeys
 * (DEVICE_DELETED, query-memory-devices empty, object-del of its memdev succeeds) and
 * must survive for 5 s more: still running, or exited with a status and a "plugvm: "
 * message saying why (never killed by a signal).  In the bed the guest's next touch of
 * that memory is an instruction KVM cannot emulate: plugvm stops with status 1 and
 * "KVM emulation failure at guest RIP ...".  What the guest does with memory it still thinks it has is its own business
 * and is only logged. */
bool test_hostile_registers(void)
{
    struct ut t = UT_INIT;
    char *out = NULL;
    bool ok = false;
    int slot;

    if (!ut_boot(&t, NULL, false))
        goto out;
    long base = qc_memtotal(&t.vm);
    if (base < 0 || !ut_plug(&t, "mem1", "dimm1", 1024) ||
        !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 30) ||
        !ut_dimm_info(&t, "dimm1", NULL, NULL, &slot))
        goto out;
    long with_dimm = qc_memtotal(&t.vm);
    if (!e2e_vm_sh(&t.vm, "mkdir -p /mnt/h && mount -t tmpfs -o size=1200m tmpfs /mnt/h && "
                          "dd if=/dev/zero of=/mnt/h/f bs=1M count=64 2>/dev/null",
                   NULL, 120))
        goto out;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "hpregs read 0x2c; hpregs write 0 %d; hpregs read 0x0c; "
             "hpregs read 0x10; hpregs read 0x18", slot);
    if (!guest_says(&t, cmd, "0x00010010\n0x40000000\n0x00000000\n0x00000001\n"))
        goto out;
    e2e_log("hpregs reaches plugvm: INFO 16 slots v1, slot %d 1 GiB ENABLED", slot);

    static const char *const bad_sel[] = {"16", "255", "256", "0x7fffffff", "0xffffffff"};
    for (size_t i = 0; i < sizeof(bad_sel) / sizeof(bad_sel[0]); i++) {
        snprintf(cmd, sizeof(cmd),
                 "hpregs write 0 %s; for o in 0x04 0x08 0x0c 0x10 0x14 0x18; do hpregs read $o; "
                 "done; for c in 3 2 1 0xffffffff; do hpregs write 0x1c $c; done; "
                 "hpregs write 0x20 3; hpregs write 0x24 0; hpregs write 0x20 1; "
                 "hpregs write 0x24 0x82", bad_sel[i]);
        if (!guest_says(&t, cmd, "0x00000000\n0x00000000\n0x00000000\n0x00000000\n"
                                 "0x00000000\n0x00000000\n"))
            goto out;
    }
    e2e_log("out-of-range selectors read zeros and ignore EJECT/ACK/_OST");
    if (!guest_says(&t, "hpregs write 0 5; hpregs read 0x18; hpregs write 0x1c 3; "
                        "hpregs read 0x18; hpregs read 0x0c",
                    "0x00000000\n0x00000000\n0x00000000\n") ||
        !guest_says(&t, "hpregs flood 20000", "flood 20000 reads, 0 non-zero\n") ||
        !guest_says(&t, "hpregs garbage 20000 12345", "garbage 20000 accesses done\n") ||
        !guest_says(&t, "hpregs garbage 20000 987654321", "garbage 20000 accesses done\n"))
        goto out;
    e2e_log("EJECT of an empty slot, 20000 QUEUE reads, 40000 random accesses done");

    uq_pump(&t.q, 500);
    if (!alive(&t)) {
        e2e_fail("plugvm exited (status 0x%x) under register garbage", t.vm.status);
        goto out;
    }
    if (!uq_ok(&t.q, "{\"execute\":\"query-status\"}", NULL, 10))
        goto out;
    if (uq_count_events(&t.q, 0, "DEVICE_DELETED", NULL) ||
        uq_count_events(&t.q, 0, "DEVICE_UNPLUG_GUEST_ERROR", NULL)) {
        e2e_fail("the garbage made plugvm report a removal");
        uq_dump_events(&t.q, 0);
        goto out;
    }
    snprintf(cmd, sizeof(cmd), "hpregs write 0 %d; hpregs read 0x18; hpregs read 0x0c; "
             "cmp /mnt/h/f /dev/zero 2>&1 | sed 's/.*EOF.*/EOF/'", slot);
    if (ut_dimm_count(&t) != 1 ||
        !guest_says(&t, cmd, "0x00000001\n0x40000000\nEOF\n") ||
        !qc_wait_memtotal(&t.vm, with_dimm, 0, 5))
        goto out;
    e2e_log("plugvm alive, dimm1 still plugged and intact, guest MemTotal unchanged");

    /* The rogue EJECT: the guest's kernel still has this memory online. */
    if (!e2e_vm_sh(&t.vm, "rm /mnt/h/f && umount /mnt/h", NULL, 60))
        goto out;
    int from = t.q.nev;
    snprintf(cmd, sizeof(cmd), "hpregs write 0 %d; hpregs write 0x1c 3\n", slot);
    e2e_log("guest: %s", cmd);
    size_t rogue_at = t.vm.con.len;
    if (!e2e_vm_send(&t.vm, cmd))
        goto out;
    const char *del[] = {"\"device\":\"dimm1\"", NULL};
    if (uq_wait_event(&t.q, from, "DEVICE_DELETED", del, 30) < 0)
        goto out;
    e2e_log("plugvm removed dimm1 on the guest's own EJECT (DEVICE_DELETED)");
    /* The guest may touch the memory it pulled away at any moment and so end plugvm
     * (judged below); while plugvm runs, the DIMM must be gone and its memdev free. */
    t.q.may_close = true;
    int left = ut_dimm_count(&t);
    if (!t.q.closed) {
        if (left != 0) {
            e2e_fail("dimm1 still listed after its EJECT (%d DIMMs)", left);
            goto out;
        }
        if (!uq_ok(&t.q, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"mem1\"}}", NULL, 10) &&
            !t.q.closed)
            goto out;
    }
    if (t.q.closed)
        e2e_log("plugvm ended before the list and object-del could be checked");
    else
        e2e_log("query-memory-devices empty, object-del mem1 accepted");
    t.q.may_close = false;
    double until = e2e_elapsed() + 5;
    while (e2e_elapsed() < until && alive(&t))
        uq_pump(&t.q, 200);
    if (!alive(&t)) {
        int st = t.vm.status;
        if (WIFSIGNALED(st)) {
            e2e_fail("plugvm was killed by signal %d after the rogue EJECT", WTERMSIG(st));
            e2e_stream_tail(&t.vm.con, 40);
            goto out;
        }
        while (e2e_stream_fill(&t.vm.con, 300) > 0)
            ;
        e2e_log("plugvm exited with status %d after the rogue EJECT (guest's doing)",
                WEXITSTATUS(st));
        e2e_stream_tail(&t.vm.con, 5);
        /* A controlled stop must say why (e.g. "KVM emulation failure at guest RIP"). */
        if (!strstr(t.vm.con.buf + rogue_at, "plugvm: ")) {
            e2e_fail("plugvm exited after the rogue EJECT without saying why");
            goto out;
        }
    } else {
        if (!uq_ok(&t.q, "{\"execute\":\"query-status\"}", NULL, 10))
            goto out;
        int rc = -1;
        e2e_vm_send(&t.vm, "\n");
        if (e2e_vm_run(&t.vm, "echo still-alive; grep MemTotal /proc/meminfo", &out, &rc, 20))
            e2e_log("guest after the rogue EJECT (rc %d): %s", rc, out);
        else
            e2e_log("the guest shell no longer answers after the rogue EJECT (accepted)");
        if (!alive(&t) && WIFSIGNALED(t.vm.status)) {
            e2e_fail("plugvm was killed by signal %d", WTERMSIG(t.vm.status));
            goto out;
        }
        e2e_log("plugvm still running after the rogue EJECT");
    }
    ok = true;
out:
    free(out);
    ut_destroy(&t);
    return ok;
}

static int env_cycles(const char *name, int fallback)
{
    int n = atoi(e2e_getenv_or(name, ""));
    return n > 0 ? n : fallback;
}

/* endurance: in one guest, E2E_ENDURANCE_CYCLES (default 10) cycles of object-add 1 GiB +
 * device_add, guest onlines it (_OST(1,0), MemTotal +1 GiB), device_del (_OST(3,0x84),
 * DEVICE_DELETED, _OST(3,0)), MemTotal back, object-del.  One warm-up cycle first.
 * Afterwards: plugvm's open fds and threads equal their values before the first cycle,
 * VmRSS within 32 MiB of its value after the warm-up (the guest's first hot-add touches
 * boot RAM for its memmap once), no DIMM in query-memory-devices, MemTotal as at boot,
 * and the shell answers. */
bool test_endurance(void)
{
    struct ut t = UT_INIT;
    bool ok = false;
    int cycles = env_cycles("E2E_ENDURANCE_CYCLES", 10);
    enum e2e_vmm_kind vmm = ut_stress_vmm();

    if (!ut_boot_smp(&t, vmm, NULL, false, ut_stress_smp()))
        goto out;
    long base = qc_memtotal(&t.vm);
    int fds0 = proc_fds(t.vm.pid);
    long thr0 = proc_status(t.vm.pid, "Threads"), rss_boot = proc_status(t.vm.pid, "VmRSS");
    e2e_log("start: MemTotal %ld kB, plugvm fds %d threads %ld VmRSS %ld kB; %d cycles", base,
            fds0, thr0, rss_boot, cycles);
    long rss0 = 0;
    double t_all = 0, worst = 0;
    for (int i = 0; i <= cycles; i++) {
        double t0 = e2e_elapsed();
        if (!ut_plug(&t, "emem", "edimm", 1024) ||
            !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 60) ||
            !ut_unplug(&t, "emem", "edimm", 60) || !qc_wait_memtotal(&t.vm, base, TOL_KB, 60)) {
            e2e_fail("cycle %d of %d failed", i, cycles);
            goto out;
        }
        double dt = e2e_elapsed() - t0;
        if (i == 0) {
            rss0 = proc_status(t.vm.pid, "VmRSS");
            e2e_log("warm-up cycle %.2f s, VmRSS now %ld kB", dt, rss0);
            continue;
        }
        t_all += dt;
        if (dt > worst)
            worst = dt;
        if (i % 5 == 0 || i == cycles)
            e2e_log("cycle %d/%d: %.2f s (mean %.2f s), VmRSS %ld kB, fds %d, threads %ld", i,
                    cycles, dt, t_all / i, proc_status(t.vm.pid, "VmRSS"), proc_fds(t.vm.pid),
                    proc_status(t.vm.pid, "Threads"));
    }
    int fds1 = proc_fds(t.vm.pid);
    long thr1 = proc_status(t.vm.pid, "Threads"), rss1 = proc_status(t.vm.pid, "VmRSS");
    e2e_log("%d cycles in %.1f s (mean %.2f s, worst %.2f s)", cycles, t_all, t_all / cycles,
            worst);
    e2e_log("end: plugvm fds %d (start %d), threads %ld (start %ld), VmRSS %ld kB (after warm-up "
            "%ld, at boot %ld)", fds1, fds0, thr1, thr0, rss1, rss0, rss_boot);
    /* QEMU starts and ends worker threads as it likes: the leak checks are plugvm's. */
    if (vmm == E2E_VMM_PLUGVM && (fds1 != fds0 || thr1 != thr0)) {
        e2e_fail("plugvm leaks: fds %d -> %d, threads %ld -> %ld", fds0, fds1, thr0, thr1);
        goto out;
    }
    if (vmm == E2E_VMM_PLUGVM && rss1 - rss0 > 32 * MIB_KB) {
        e2e_fail("plugvm's RSS grew by %ld MiB over %d cycles", (rss1 - rss0) / 1024, cycles);
        goto out;
    }
    if (ut_dimm_count(&t) != 0 || !qc_wait_memtotal(&t.vm, base, TOL_KB, 10) ||
        !guest_says(&t, "echo shell-ok", "shell-ok\n"))
        goto out;
    ok = ut_poweroff(&t);
out:
    ut_destroy(&t);
    return ok;
}

static bool checksum(struct ut *t, char *sum, size_t n, const char *when)
{
    char *out = NULL;
    double t0 = e2e_elapsed();
    if (!e2e_vm_sh(&t->vm, "md5sum /mnt/d/data | cut -d' ' -f1", &out, 240))
        return false;
    snprintf(sum, n, "%s", out);
    free(out);
    e2e_log("md5 %s: %.32s (%.1f s)", when, sum, e2e_elapsed() - t0);
    return strlen(sum) >= 32;
}

/* data_integrity: DIMM A (1 GiB, online_movable) receives a 256 MiB tmpfs file (64 chunks
 * of a 4 MiB random block, each with its own header line); the Movable zone, which is
 * only A at that point, loses at least 200 MiB of free memory (the data is on A); its
 * md5 is recorded.  DIMM B is hot-added and removed E2E_INTEGRITY_CYCLES (default 20) times
 * beside it: md5 unchanged.
 * DIMM C is added, then A removed while the data lives there (the guest migrates it):
 * DEVICE_DELETED for A, md5 unchanged, MemTotal = boot + C. */
bool test_data_integrity(void)
{
    struct ut t = UT_INIT;
    bool ok = false;
    char sum0[64], sum[64];

    if (!ut_boot_smp(&t, ut_stress_vmm(), NULL, false, ut_stress_smp()))
        goto out;
    long base = qc_memtotal(&t.vm);
    if (base < 0 || !ut_plug(&t, "memA", "dimmA", 1024) ||
        !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 30))
        goto out;
    long free0 = movable_free_kb(&t);
    double t0 = e2e_elapsed();
    if (!e2e_vm_sh(&t.vm, "mkdir -p /mnt/d && mount -t tmpfs -o size=1500m tmpfs /mnt/d && "
                          "dd if=/dev/urandom of=/mnt/d/seed bs=1M count=4 2>/dev/null && "
                          "i=0; while [ $i -lt 64 ]; do echo chunk $i; cat /mnt/d/seed; "
                          "i=$((i+1)); done > /mnt/d/data; rm /mnt/d/seed; ls -l /mnt/d/data",
                   NULL, 240))
        goto out;
    long free1 = movable_free_kb(&t);
    e2e_log("256 MiB written in %.1f s; Movable zone (DIMM A) free %ld -> %ld kB",
            e2e_elapsed() - t0, free0, free1);
    if (free0 < 0 || free1 < 0 || free0 - free1 < 200 * MIB_KB) {
        e2e_fail("the data did not land on DIMM A (Movable free %ld -> %ld kB)", free0, free1);
        goto out;
    }
    if (!checksum(&t, sum0, sizeof(sum0), "on A"))
        goto out;
    int cycles = env_cycles("E2E_INTEGRITY_CYCLES", 20);
    for (int i = 1; i <= cycles; i++) {
        if (!ut_plug(&t, "memB", "dimmB", 1024) ||
            !qc_wait_memtotal(&t.vm, base + 2 * GIB_KB, TOL_KB, 60) ||
            !ut_unplug(&t, "memB", "dimmB", 60) ||
            !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 60)) {
            e2e_fail("B cycle %d failed", i);
            goto out;
        }
        e2e_log("B cycle %d done", i);
    }
    if (!checksum(&t, sum, sizeof(sum), "after the B cycles"))
        goto out;
    if (strcmp(sum, sum0) != 0) {
        e2e_fail("data on A changed while B came and went");
        goto out;
    }
    if (!ut_plug(&t, "memC", "dimmC", 1024) ||
        !qc_wait_memtotal(&t.vm, base + 2 * GIB_KB, TOL_KB, 60))
        goto out;
    t0 = e2e_elapsed();
    if (!ut_unplug(&t, "memA", "dimmA", 180))
        goto out;
    e2e_log("A removed with the data on it in %.1f s", e2e_elapsed() - t0);
    if (!qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 60) || ut_dimm_count(&t) != 1 ||
        !checksum(&t, sum, sizeof(sum), "after removing A"))
        goto out;
    if (strcmp(sum, sum0) != 0) {
        e2e_fail("data changed when its DIMM was removed");
        goto out;
    }
    ok = ut_poweroff(&t);
out:
    ut_destroy(&t);
    return ok;
}
