/* Hot-remove through the monitors: device_del over QMP and HMP, a guest that refuses,
 * a removal that stays pending, and a removal the guest starts itself (sysfs eject).
 * Helpers: t_unplug.h.  What each test asserts is listed above it. */
#include "t_unplug.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GIB_KB (1024L * 1024)
#define MIB_KB 1024L
#define TOL_KB (64 * MIB_KB)
#define APPEND_KERNEL "console=ttyS0 quiet memhp_default_state=online_kernel"

static const char *const dimm1_del[] = {"\"device\":\"dimm1\"",
                                        "\"path\":\"/machine/peripheral/dimm1\"", NULL};
static const char *const dimm1_84[] = {"\"device\":\"dimm1\"", "source=3", "status=0x84", NULL};
static const char *const dimm1_82[] = {"\"device\":\"dimm1\"", "source=3", "status=0x82", NULL};
static const char *const ost_3_0[] = {"source=3", "status=0", NULL};

#define DEL_DIMM1 "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"dimm1\"}}"
#define OBJDEL_MEM1 "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"mem1\"}}"

/* Free memory of one zone of the guest (node 0) in kB, or -1. */
static long zone_free_kb(struct e2e_vm *vm, const char *zone)
{
    char cmd[200], *out = NULL;
    long kb = -1;
    snprintf(cmd, sizeof(cmd), "awk '$4==\"%s\"{m=1} m&&$1==\"pages\"&&$2==\"free\"{print $3; exit}'"
             " /proc/zoneinfo", zone);
    if (e2e_vm_sh(vm, cmd, &out, 30) && out[0])
        kb = strtol(out, NULL, 10) * 4;
    free(out);
    return kb;
}

static void log_movable_free(struct e2e_vm *vm, const char *when)
{
    e2e_log("guest Movable zone free %s: %ld kB", when, zone_free_kb(vm, "Movable"));
}

/* unplug_qmp: 1 GiB DIMM, filled through a tmpfs file (plugvm's RSS must grow by most of
 * it), object-del refused while the DIMM uses its memdev, the file removed, device_del:
 * the reply comes before the guest is done (no DEVICE_DELETED yet); ACPI_DEVICE_OST(3,
 * 0x84), DEVICE_DELETED {device, path}, ACPI_DEVICE_OST(3, 0) in that order; MemTotal
 * back to the boot value; query-memory-devices empty; query-acpi-ospm-status shows (3,
 * 0); plugvm's VmRSS fell by most of the filled size; object-del mem1 succeeds; device_del
 * of the removed DIMM is DeviceNotFound. */
bool test_unplug_qmp(void)
{
    struct ut t = UT_INIT;
    char *r = NULL;
    bool ok = false;
    const long fill_mib = 768;

    if (!ut_boot(&t, NULL, false))
        goto out;
    long base = qc_memtotal(&t.vm), rss0 = proc_status(t.vm.pid, "VmRSS");
    e2e_log("MemTotal %ld kB, plugvm VmRSS %ld kB", base, rss0);
    if (base < 0 || rss0 < 0 || !ut_plug(&t, "mem1", "dimm1", 1024) ||
        !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 30))
        goto out;
    log_movable_free(&t.vm, "after hot-add");

    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p /mnt/fill && mount -t tmpfs -o size=1400m tmpfs /mnt/fill && "
             "dd if=/dev/zero of=/mnt/fill/f bs=1M count=%ld 2>&1 | tail -n 1", fill_mib);
    /* A limit for a stuck guest, not a speed check: in the bed this write took 75 s on
     * the default guest and more than 120 s on Debian's generic 6.1 kernel (every page
     * is an emulated nested page fault). */
    if (!e2e_vm_sh(&t.vm, cmd, NULL, 300))
        goto out;
    log_movable_free(&t.vm, "with the file");
    long rss_full = proc_status(t.vm.pid, "VmRSS");
    e2e_log("plugvm VmRSS with %ld MiB in the guest: %ld kB (+%ld MiB)", fill_mib, rss_full,
            (rss_full - rss0) / 1024);
    if (rss_full - rss0 < fill_mib * MIB_KB * 3 / 4) {
        e2e_fail("plugvm's RSS grew only %ld MiB for %ld MiB of guest data", (rss_full - rss0) / 1024,
                 fill_mib);
        goto out;
    }
    if (!uq_err(&t.q, OBJDEL_MEM1, "in use", 10))
        goto out;
    if (!e2e_vm_sh(&t.vm, "rm /mnt/fill/f && umount /mnt/fill", NULL, 60))
        goto out;

    int from = t.q.nev;
    double t0 = e2e_elapsed();
    if (!uq_ok(&t.q, DEL_DIMM1, NULL, 10))
        goto out;
    double t_reply = e2e_elapsed() - t0;
    if (uq_find_event(&t.q, from, "DEVICE_DELETED", NULL) >= 0) {
        e2e_fail("device_del returned only after DEVICE_DELETED: it must not wait for the guest");
        goto out;
    }
    e2e_log("device_del returned after %.3f s, before the guest finished", t_reply);
    int a = uq_wait_event(&t.q, from, "ACPI_DEVICE_OST", dimm1_84, 60);
    int b = a < 0 ? -1 : uq_wait_event(&t.q, a + 1, "DEVICE_DELETED", dimm1_del, 60);
    int c = b < 0 ? -1 : uq_wait_event(&t.q, b + 1, "ACPI_DEVICE_OST", ost_3_0, 60);
    if (c < 0)
        goto out;
    e2e_log("events in order after %.2f s: OST(3,0x84) #%d, DEVICE_DELETED #%d, OST(3,0) #%d",
            e2e_elapsed() - t0, a, b, c);
    uq_dump_events(&t.q, from);
    if (uq_count_events(&t.q, 0, "DEVICE_UNPLUG_GUEST_ERROR", NULL)) {
        e2e_fail("unexpected DEVICE_UNPLUG_GUEST_ERROR");
        goto out;
    }
    if (!qc_wait_memtotal(&t.vm, base, TOL_KB, 30))
        goto out;
    if (!uq_ok(&t.q, "{\"execute\":\"query-memory-devices\"}", &r, 10))
        goto out;
    if (strcmp(r, "{\"return\":[]}") != 0) {
        e2e_fail("query-memory-devices after removal: %s", r);
        goto out;
    }
    free(r);
    r = NULL;
    if (!uq_ok(&t.q, "{\"execute\":\"query-acpi-ospm-status\"}", &r, 10))
        goto out;
    e2e_log("query-acpi-ospm-status: %s", r);
    if (!strstr(r, "\"slot\":\"0\"") || !strstr(r, "\"source\":3") ||
        !strstr(r, "\"status\":0}") || strstr(r, "dimm1")) {
        e2e_fail("query-acpi-ospm-status should show slot 0 with source 3, status 0 and no device");
        goto out;
    }
    long rss_after = proc_status(t.vm.pid, "VmRSS");
    e2e_log("plugvm VmRSS after removal: %ld kB (-%ld MiB from the filled DIMM)", rss_after,
            (rss_full - rss_after) / 1024);
    if (rss_full - rss_after < fill_mib * MIB_KB * 3 / 4) {
        e2e_fail("plugvm's RSS fell only %ld MiB after removing a DIMM that held %ld MiB",
                 (rss_full - rss_after) / 1024, fill_mib);
        goto out;
    }
    if (!uq_ok(&t.q, OBJDEL_MEM1, NULL, 10) ||
        !uq_err(&t.q, DEL_DIMM1, "DeviceNotFound", 10))
        goto out;
    free(r);
    r = NULL;
    if (!uq_ok(&t.q, "{\"execute\":\"query-memdev\"}", &r, 10))
        goto out;
    if (strstr(r, "mem1")) {
        e2e_fail("mem1 still in query-memdev after object-del: %s", r);
        goto out;
    }
    ok = ut_poweroff(&t);
out:
    free(r);
    ut_destroy(&t);
    return ok;
}

static bool hmp_expect(struct ut *t, const char *line, const char *want, bool want_error)
{
    char *o = uh_cmd(&t->h, line, 10);
    if (!o)
        return false;
    bool is_err = strstr(o, "Error:") != NULL;
    bool ok = is_err == want_error && (!want || strstr(o, want));
    if (!ok)
        e2e_fail("hmp '%s': expected %s%s%s, got: %s", line, want_error ? "an error" : "success",
                 want ? " containing " : "", want ? want : "", o);
    free(o);
    return ok;
}

/* unplug_hmp: the same loop through the HMP socket: object_add + device_add, object_del
 * refused while in use, device_del (no output, no error), the same three events in
 * order (watched on QMP), MemTotal back, `info memory-devices` empty, object_del
 * succeeds, device_del again fails. */
bool test_unplug_hmp(void)
{
    struct ut t = UT_INIT;
    bool ok = false;

    if (!ut_boot(&t, NULL, true))
        goto out;
    long base = qc_memtotal(&t.vm);
    int from = t.q.nev;
    const char *c1[] = {"\"device\":\"dimm1\"", "source=1", "status=0", NULL};
    if (base < 0 || !hmp_expect(&t, "object_add memory-backend-ram,id=mem1,size=1G", NULL, false) ||
        !hmp_expect(&t, "device_add pc-dimm,id=dimm1,memdev=mem1", NULL, false) ||
        uq_wait_event(&t.q, from, "ACPI_DEVICE_OST", c1, 60) < 0 ||
        !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 30) ||
        !hmp_expect(&t, "info memory-devices", "dimm1", false) ||
        !hmp_expect(&t, "object_del mem1", "in use", true))
        goto out;

    from = t.q.nev;
    char *o = uh_cmd(&t.h, "device_del dimm1", 10);
    if (!o)
        goto out;
    /* Only the echo of the command line: no output, no error. */
    bool quiet = strcmp(o, "device_del dimm1\n") == 0;
    if (!quiet)
        e2e_fail("hmp device_del printed something: '%s'", o);
    free(o);
    if (!quiet)
        goto out;
    int a = uq_wait_event(&t.q, from, "ACPI_DEVICE_OST", dimm1_84, 60);
    int b = a < 0 ? -1 : uq_wait_event(&t.q, a + 1, "DEVICE_DELETED", dimm1_del, 60);
    if (b < 0 || uq_wait_event(&t.q, b + 1, "ACPI_DEVICE_OST", ost_3_0, 60) < 0)
        goto out;
    if (!qc_wait_memtotal(&t.vm, base, TOL_KB, 30))
        goto out;
    o = uh_cmd(&t.h, "info memory-devices", 10);
    if (!o)
        goto out;
    bool empty = !strstr(o, "dimm") && !strstr(o, "Error");
    if (!empty)
        e2e_fail("info memory-devices after removal: %s", o);
    free(o);
    if (!empty || !hmp_expect(&t, "object_del mem1", NULL, false) ||
        !hmp_expect(&t, "device_del dimm1", "dimm1", true) ||
        !hmp_expect(&t, "info memdev", NULL, false))
        goto out;
    ok = ut_poweroff(&t);
out:
    ut_destroy(&t);
    return ok;
}

/* Creates files until the guest holds a lot of kernel (slab) memory: with
 * online_kernel the DIMM is ZONE_NORMAL, the only Normal zone of a 512 MiB guest, so new
 * inodes and dentries land on it and cannot be migrated. */
#define MAKE_SLAB "mkdir -p /tmp/slab && cd /tmp/slab && i=0; while [ $i -lt 4000 ]; do " \
                  ": > f$i; i=$((i+1)); done; cd /; grep -E 'Slab|SUnreclaim' /proc/meminfo"

/* unplug_refused: guest booted with memhp_default_state=online_kernel and kernel objects
 * (4000 inodes) allocated after the hot-add, so offlining fails: device_del is accepted,
 * then ACPI_DEVICE_OST(3, 0x84), ACPI_DEVICE_OST(3, 0x82 = 130) and
 * DEVICE_UNPLUG_GUEST_ERROR {device, path} arrive, and no DEVICE_DELETED; the DIMM stays
 * in query-memory-devices, query-acpi-ospm-status shows (3, 130), MemTotal keeps the
 * DIMM, its memory blocks are all online, and a 300 MiB tmpfs file lands on it (the
 * Normal zone, which is only this DIMM, loses >= 200 MiB of free memory) and reads back
 * intact (the memory is still mapped); a second device_del is accepted (a retry) and refused by the guest again. */
bool test_unplug_refused(void)
{
    struct ut t = UT_INIT;
    char *r = NULL, *out = NULL;
    bool ok = false;

    if (!ut_boot(&t, APPEND_KERNEL, false))
        goto out;
    long base = qc_memtotal(&t.vm);
    if (base < 0 || !ut_plug(&t, "mem1", "dimm1", 1024) ||
        !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 30))
        goto out;
    if (!e2e_vm_sh(&t.vm, "cat /sys/devices/system/memory/auto_online_blocks; "
                          "cat /sys/devices/system/memory/memory*/state | sort | uniq -c",
                   &out, 30))
        goto out;
    e2e_log("guest onlining policy / state: %s", out);
    free(out);
    out = NULL;
    if (!e2e_vm_sh(&t.vm, MAKE_SLAB, &out, 120))
        goto out;
    e2e_log("guest after creating 4000 files: %s", out);

    for (int attempt = 1; attempt <= 2; attempt++) {
        int from = t.q.nev;
        if (!uq_ok(&t.q, DEL_DIMM1, NULL, 10))
            goto out;
        int a = uq_wait_event(&t.q, from, "ACPI_DEVICE_OST", dimm1_84, 60);
        int b = a < 0 ? -1 : uq_wait_event(&t.q, a + 1, "ACPI_DEVICE_OST", dimm1_82, 120);
        if (b < 0 || uq_wait_event(&t.q, from, "DEVICE_UNPLUG_GUEST_ERROR", dimm1_del, 10) < 0)
            goto out;
        e2e_log("attempt %d: guest refused (OST 0x82) after %d events", attempt, t.q.nev - from);
        uq_dump_events(&t.q, from);
        uq_pump(&t.q, 500);
        if (uq_count_events(&t.q, 0, "DEVICE_DELETED", NULL)) {
            e2e_fail("DEVICE_DELETED after the guest refused");
            goto out;
        }
        uint64_t addr, size;
        if (ut_dimm_count(&t) != 1 || !ut_dimm_info(&t, "dimm1", &addr, &size, NULL)) {
            e2e_fail("dimm1 must stay in query-memory-devices after a refusal");
            goto out;
        }
        if (!uq_ok(&t.q, "{\"execute\":\"query-acpi-ospm-status\"}", &r, 10))
            goto out;
        if (!strstr(r, "\"device\":\"dimm1\"") || !strstr(r, "\"status\":130")) {
            e2e_fail("query-acpi-ospm-status should show dimm1 with status 130: %s", r);
            goto out;
        }
        free(r);
        r = NULL;
        if (!qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 30))
            goto out;
        if (attempt == 2)
            break;
        /* Still mapped and usable: with online_kernel the DIMM is the guest's only
         * Normal zone, where a tmpfs file goes first; the zone's free memory must fall
         * by most of the file, and the file must read back as written. */
        long rss0 = proc_status(t.vm.pid, "VmRSS"), nfree0 = zone_free_kb(&t.vm, "Normal");
        free(out);
        out = NULL;
        if (!e2e_vm_sh(&t.vm, "cat /sys/devices/system/memory/memory*/state | sort | uniq -c; "
                              "mkdir -p /mnt/u && mount -t tmpfs -o size=1200m tmpfs /mnt/u && "
                              "dd if=/dev/zero of=/mnt/u/f bs=1M count=300 2>&1 | tail -n 1",
                       &out, 240))
            goto out;
        long nfree1 = zone_free_kb(&t.vm, "Normal");
        e2e_log("guest memory after the refusal: %s", out);
        if (strstr(out, "offline") || !strstr(out, "300+0 records out")) {
            e2e_fail("the DIMM's blocks must all be online, and the guest must write 300 MiB");
            goto out;
        }
        free(out);
        out = NULL;
        if (!e2e_vm_sh(&t.vm, "cmp /mnt/u/f /dev/zero 2>&1; rm /mnt/u/f; umount /mnt/u", &out,
                       240))
            goto out;
        long rss1 = proc_status(t.vm.pid, "VmRSS");
        e2e_log("Normal zone (the DIMM) free %ld -> %ld kB; plugvm VmRSS %ld -> %ld kB; %s",
                nfree0, nfree1, rss0, rss1, out);
        if (nfree0 < 0 || nfree1 < 0 || nfree0 - nfree1 < 200 * MIB_KB || strstr(out, "differ") ||
            !strstr(out, "EOF on")) {
            e2e_fail("the DIMM is not usable after the refusal (the 300 MiB file did not land "
                     "on it or did not read back as written)");
            goto out;
        }
    }
    ok = ut_poweroff(&t);
out:
    free(r);
    free(out);
    ut_destroy(&t);
    return ok;
}

/* unplug_pending: a removal the guest cannot finish.  pinmem (guest/tools/pinmem.c) pins
 * one page of the DIMM with vmsplice, so the guest's offlining retries its migration for
 * as long as pinmem lives and the eject stays "in progress".  Two device_del sent in one
 * write: the first is accepted, the second refused with "already in progress"; the guest
 * sends ACPI_DEVICE_OST(3, 0x84) and then nothing for 5 s (no DEVICE_DELETED, no other
 * _OST); another device_del meanwhile is refused the same way; the DIMM stays in
 * query-memory-devices; the guest shell still answers.  Killing pinmem lets the guest
 * finish: DEVICE_DELETED, ACPI_DEVICE_OST(3, 0), exactly one DEVICE_DELETED, MemTotal
 * back, and device_del is then DeviceNotFound. */
bool test_unplug_pending(void)
{
    struct ut t = UT_INIT;
    char *out = NULL, *r1 = NULL, *r2 = NULL;
    bool ok = false;
    uint64_t addr, size;

    if (!ut_boot(&t, NULL, false))
        goto out;
    long base = qc_memtotal(&t.vm);
    if (base < 0 || !ut_plug(&t, "mem1", "dimm1", 1024) ||
        !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 30) ||
        !ut_dimm_info(&t, "dimm1", &addr, &size, NULL))
        goto out;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "pinmem 0x%" PRIx64 " 0x%" PRIx64 " > /tmp/pin.log 2>&1 & "
             "echo pid $!", addr, size);
    if (!e2e_vm_sh(&t.vm, cmd, &out, 30))
        goto out;
    int pin_pid = atoi(out + 4);
    double deadline = e2e_elapsed() + 60;
    for (;;) {
        free(out);
        out = NULL;
        if (!e2e_vm_sh(&t.vm, "cat /tmp/pin.log", &out, 30))
            goto out;
        if (strstr(out, "pinned"))
            break;
        if (strstr(out, "pinmem:") || e2e_elapsed() > deadline) {
            e2e_fail("pinmem did not pin a page of the DIMM: %s", out);
            goto out;
        }
        usleep(300000);
    }
    e2e_log("guest pid %d: %s", pin_pid, out);

    int from = t.q.nev;
    e2e_log("qmp> two device_del in one write");
    if (!uq_send(&t.q, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"dimm1\"},\"id\":1}\n"
                       "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"dimm1\"},\"id\":2}") ||
        !(r1 = uq_reply(&t.q, 10)) || !(r2 = uq_reply(&t.q, 10)))
        goto out;
    e2e_log("qmp< %s", r1);
    e2e_log("qmp< %s", r2);
    if (strncmp(r1, "{\"return\":{}", 12) != 0 || !strstr(r1, "\"id\":1")) {
        e2e_fail("the first device_del must succeed");
        goto out;
    }
    if (strncmp(r2, "{\"error\":", 9) != 0 || !strstr(r2, "already in progress") ||
        !strstr(r2, "\"id\":2")) {
        e2e_fail("the second device_del must fail with 'already in progress'");
        goto out;
    }
    if (uq_wait_event(&t.q, from, "ACPI_DEVICE_OST", dimm1_84, 60) < 0)
        goto out;
    double until = e2e_elapsed() + 5;
    while (e2e_elapsed() < until)
        uq_pump(&t.q, 200);
    uq_dump_events(&t.q, from);
    if (uq_count_events(&t.q, from, "DEVICE_DELETED", NULL) ||
        uq_count_events(&t.q, from, "ACPI_DEVICE_OST", NULL) != 1) {
        e2e_fail("the guest was expected to keep the eject in progress while a page is pinned");
        goto out;
    }
    if (!uq_err(&t.q, DEL_DIMM1, "already in progress", 10))
        goto out;
    if (ut_dimm_count(&t) != 1) {
        e2e_fail("dimm1 must stay in query-memory-devices while its removal is pending");
        goto out;
    }
    free(out);
    out = NULL;
    if (!e2e_vm_sh(&t.vm, "echo shell-alive; cat /sys/devices/system/memory/memory*/state "
                          "| sort | uniq -c", &out, 30) || !strstr(out, "shell-alive"))
        goto out;
    e2e_log("guest during the pending removal: %s", out);

    snprintf(cmd, sizeof(cmd), "kill %d", pin_pid);
    if (!e2e_vm_sh(&t.vm, cmd, NULL, 30))
        goto out;
    int b = uq_wait_event(&t.q, from, "DEVICE_DELETED", dimm1_del, 120);
    if (b < 0 || uq_wait_event(&t.q, b + 1, "ACPI_DEVICE_OST", ost_3_0, 60) < 0)
        goto out;
    e2e_log("guest finished the removal once pinmem was gone");
    if (uq_count_events(&t.q, 0, "DEVICE_DELETED", NULL) != 1) {
        e2e_fail("expected exactly one DEVICE_DELETED");
        uq_dump_events(&t.q, 0);
        goto out;
    }
    if (!qc_wait_memtotal(&t.vm, base, TOL_KB, 30) || ut_dimm_count(&t) != 0 ||
        !uq_err(&t.q, DEL_DIMM1, "DeviceNotFound", 10) || !uq_ok(&t.q, OBJDEL_MEM1, NULL, 10))
        goto out;
    ok = ut_poweroff(&t);
out:
    free(out);
    free(r1);
    free(r2);
    ut_destroy(&t);
    return ok;
}

/* unplug_guest_eject: the guest ejects the DIMM itself (echo 1 > .../PNP0C80:NN/eject, the
 * ACPI device whose path is \_SB_.Mnnn of the DIMM's slot): DEVICE_DELETED {device,
 * path}, then ACPI_DEVICE_OST with source 0x103 (259) and status 0; no refusal, one
 * DEVICE_DELETED, and no source-3 _OST other than Linux's own (3, 0x84) "in progress";
 * query-memory-devices empty, MemTotal back, object-del succeeds. */
bool test_unplug_guest_eject(void)
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
    char cmd[320];
    snprintf(cmd, sizeof(cmd),
             "for d in /sys/bus/acpi/devices/PNP0C80:*; do "
             "[ \"$(cat $d/path)\" = '\\_SB_.M%03d' ] && echo $d; done; true", slot);
    if (!e2e_vm_sh(&t.vm, cmd, &out, 30))
        goto out;
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = 0;
    if (!strstr(out, "PNP0C80:")) {
        e2e_fail("no PNP0C80 device for slot %d in the guest", slot);
        goto out;
    }
    e2e_log("slot %d is %s in the guest", slot, out);
    int from = t.q.nev;
    snprintf(cmd, sizeof(cmd), "echo 1 > %s/eject", out);
    if (!e2e_vm_sh(&t.vm, cmd, NULL, 30))
        goto out;
    const char *c0[] = {"source=0x103", "status=0", NULL};
    int b = uq_wait_event(&t.q, from, "DEVICE_DELETED", dimm1_del, 60);
    if (b < 0 || uq_wait_event(&t.q, b + 1, "ACPI_DEVICE_OST", c0, 60) < 0)
        goto out;
    uq_dump_events(&t.q, from);
    /* Linux 6.1 reports "in progress" with source 3 even for its own eject
     * (acpi_device_hotplug hard-codes ACPI_NOTIFY_EJECT_REQUEST there); anything else
     * with source 3, or a refusal, would be wrong. */
    if (uq_count_events(&t.q, from, "ACPI_DEVICE_OST", (const char *const[]){"source=3", NULL}) !=
            uq_count_events(&t.q, from, "ACPI_DEVICE_OST", dimm1_84) ||
        uq_count_events(&t.q, from, "DEVICE_UNPLUG_GUEST_ERROR", NULL) ||
        uq_count_events(&t.q, from, "DEVICE_DELETED", NULL) != 1) {
        e2e_fail("unexpected events for a guest-initiated eject");
        goto out;
    }
    if (!qc_wait_memtotal(&t.vm, base, TOL_KB, 30) || ut_dimm_count(&t) != 0 ||
        !uq_ok(&t.q, OBJDEL_MEM1, NULL, 10))
        goto out;
    ok = ut_poweroff(&t);
out:
    free(out);
    ut_destroy(&t);
    return ok;
}
