/* virtio-mem against the real guest: -device virtio-mem-pci with QEMU's spelling, resized
 * with qom-set over QMP and HMP; and its command-line errors. One guest boot in all.
 * Helpers: t_unplug.h (the QMP and HMP clients). */
#include "t_unplug.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define GIB_KB (1024L * 1024)
#define MIB_KB 1024L
#define TOL_KB (64 * MIB_KB)
#define VM_WINDOW "0x100000000" /* the device-memory window starts at 4 GiB (1 GiB boot RAM) */

/* plugvm as docs/virtio-mem.md spells it: 1 GiB boot RAM, maxmem 17G, one 16 GiB virtio-mem device
 * with nothing requested; prealloc=on, so what the guest plugs is in plugvm's RSS at once
 * (the guest need not write it) and leaves it when unplugged. */
static bool vmem_boot(struct ut *t)
{
    static char qarg[320], harg[320];
    snprintf(t->qsock, sizeof(t->qsock), "%s/qmp.sock", e2e_tmpdir());
    snprintf(t->hsock, sizeof(t->hsock), "%s/hmp.sock", e2e_tmpdir());
    snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", t->qsock);
    snprintf(harg, sizeof(harg), "unix:%s,server=on,wait=off", t->hsock);
    const char *extra[] = {"-object", "memory-backend-ram,id=vmem0,size=16G",
                           "-device",
                           "virtio-mem-pci,id=vm0,memdev=vmem0,node=0,requested-size=0,prealloc=on",
                           "-qmp", qarg, "-monitor", harg, NULL};
    struct e2e_vm_opts o = {.vmm = E2E_VMM_PLUGVM, .mem = "1G,maxmem=17G", .smp = 2,
                            .extra = extra};
    return e2e_vm_boot(&t->vm, &o, 120) && uq_open(&t->q, t->qsock, 10) &&
           uh_open(&t->h, t->hsock, 10);
}

/* Logs the console line holding needle (the console is not in the log by default). */
static void log_console_line(struct ut *t, const char *needle)
{
    const char *p = strstr(t->vm.con.buf, needle), *start = p, *end;
    if (!p)
        return;
    while (start > t->vm.con.buf && start[-1] != '\n')
        start--;
    end = strpbrk(p, "\r\n");
    e2e_log("console: %.*s", (int)(end ? end - start : (long)strlen(start)), start);
}

/* The guest's plugged size as qom-get says it, or -1. */
static long long qom_size(struct ut *t, const char *property)
{
    char cmd[200], *r = NULL;
    long long v = -1;
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"vm0\","
             "\"property\":\"%s\"}}", property);
    if (uq_ok(&t->q, cmd, &r, 10) && !qc_json_int(r, "return", &v))
        e2e_fail("qom-get %s: %s", property, r);
    free(r);
    return v;
}

/* Waits for MEMORY_DEVICE_SIZE_CHANGE {id vm0, size, qom-path} with this size (the guest
 * plugs in steps; the rate-limited events carry the latest size). */
static bool wait_size_event(struct ut *t, int from, long long size, double timeout_s)
{
    char sz[64];
    snprintf(sz, sizeof(sz), "size=%lld", size);
    const char *c[] = {"\"id\":\"vm0\"", "\"qom-path\":\"/machine/peripheral/vm0\"", sz, NULL};
    int i = uq_wait_event(&t->q, from, "MEMORY_DEVICE_SIZE_CHANGE", c, timeout_s);
    if (i >= 0)
        e2e_log("event #%d: %s (%d size events since #%d)", i, t->q.ev[i],
                uq_count_events(&t->q, from, "MEMORY_DEVICE_SIZE_CHANGE", NULL), from);
    return i >= 0;
}

/* The virtio-mem entry of query-memory-devices must say this. */
static bool check_query(struct ut *t, long long requested, long long size)
{
    char *r = NULL, want[512];
    bool ok;
    if (!uq_ok(&t->q, "{\"execute\":\"query-memory-devices\"}", &r, 10))
        return false;
    snprintf(want, sizeof(want),
             "{\"type\":\"virtio-mem\",\"data\":{\"id\":\"vm0\",\"memaddr\":4294967296,"
             "\"requested-size\":%lld,\"size\":%lld,\"max-size\":17179869184,"
             "\"block-size\":2097152,\"node\":0,\"memdev\":\"/objects/vmem0\"}}",
             requested, size);
    ok = strstr(r, want) != NULL;
    if (!ok)
        e2e_fail("query-memory-devices: %s, want %s", r, want);
    else
        e2e_log("query-memory-devices: %s", r);
    free(r);
    return ok;
}

/* virtio_mem: boot with requested-size=0 (the guest binds LNRO0005 and virtio_mem);
 * device_add of a virtio-mem device is refused; QMP qom-set requested-size 1 GiB: MemTotal
 * +1 GiB, MEMORY_DEVICE_SIZE_CHANGE {vm0, 1073741824, /machine/peripheral/vm0},
 * query-memory-devices, qom-get size, query-memory-size-summary, HMP info memory-devices
 * agree, and plugvm's RSS grew by the plugged GiB (prealloc=on); HMP qom-set to 256M:
 * MemTotal back to +256 MiB, the size event, RSS down by about 768 MiB; then 0, the guest
 * module removed, and a read of the region (now nobody's) through /dev/mem stops the VM
 * with the 'guest touched unplugged virtio-mem memory' line, exit 1. */
bool test_virtio_mem(void)
{
    struct ut t = UT_INIT;
    char *r = NULL, *out = NULL;
    bool ok = false;

    if (!vmem_boot(&t))
        goto out;
    /* /init's line for the device it found. */
    if (!strstr(t.vm.con.buf, "plugvm-guest: virtio-mem virtio0 on LNRO0005:00")) {
        e2e_fail("the guest did not report its virtio-mem device");
        e2e_stream_tail(&t.vm.con, 40);
        goto out;
    }
    log_console_line(&t, "plugvm-guest: virtio-mem virtio0");
    long base = qc_memtotal(&t.vm), rss0 = proc_status(t.vm.pid, "VmRSS");
    e2e_log("MemTotal %ld kB, plugvm VmRSS %ld kB", base, rss0);
    if (base < 0 || rss0 < 0 || !check_query(&t, 0, 0))
        goto out;
    if (!uq_err(&t.q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-mem-pci\","
                "\"id\":\"vm1\",\"memdev\":\"vmem0\"}}", "only be given on the command line", 10))
        goto out;

    /* Grow to 1 GiB over QMP, in QEMU's words. */
    int from = t.q.nev;
    double t0 = e2e_elapsed();
    if (!uq_ok(&t.q, "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"vm0\",\"property\":"
               "\"requested-size\",\"value\":1073741824}}", NULL, 10) ||
        !qc_wait_memtotal(&t.vm, base + GIB_KB, TOL_KB, 120) ||
        !wait_size_event(&t, from, 1073741824LL, 30))
        goto out;
    e2e_log("1 GiB plugged and online after %.2f s", e2e_elapsed() - t0);
    if (qom_size(&t, "size") != 1073741824LL || qom_size(&t, "requested-size") != 1073741824LL ||
        qom_size(&t, "block-size") != 2097152 || !check_query(&t, 1073741824LL, 1073741824LL))
        goto out;
    if (!uq_ok(&t.q, "{\"execute\":\"query-memory-size-summary\"}", &r, 10))
        goto out;
    if (!strstr(r, "\"plugged-memory\":1073741824")) {
        e2e_fail("query-memory-size-summary: %s", r);
        goto out;
    }
    free(r);
    r = NULL;
    out = uh_cmd(&t.h, "info memory-devices", 10);
    if (!out || !strstr(out, "Memory device [virtio-mem]: \"vm0\"\n  memaddr: " VM_WINDOW "\n"
                             "  node: 0\n  requested-size: 1073741824\n  size: 1073741824\n"
                             "  max-size: 17179869184\n  block-size: 2097152\n"
                             "  memdev: /objects/vmem0\n")) {
        e2e_fail("info memory-devices is not QEMU 7.2's text for the device");
        goto out;
    }
    free(out);
    out = NULL;
    long rss1 = proc_status(t.vm.pid, "VmRSS");
    e2e_log("plugvm VmRSS with 1 GiB plugged: %ld kB (+%ld MiB)", rss1, (rss1 - rss0) / 1024);
    if (rss1 - rss0 < GIB_KB * 3 / 4) {
        e2e_fail("plugvm's RSS grew only %ld MiB for 1 GiB plugged with prealloc=on",
                 (rss1 - rss0) / 1024);
        goto out;
    }

    /* Shrink to 256 MiB over HMP: the guest gives 768 MiB back, and so does plugvm. */
    from = t.q.nev;
    t0 = e2e_elapsed();
    out = uh_cmd(&t.h, "qom-set vm0 requested-size 256M", 10);
    if (!out || strstr(out, "Error"))
        goto out;
    free(out);
    out = NULL;
    if (!qc_wait_memtotal(&t.vm, base + 256 * MIB_KB, TOL_KB, 180) ||
        !wait_size_event(&t, from, 268435456LL, 30))
        goto out;
    e2e_log("shrunk to 256 MiB after %.2f s", e2e_elapsed() - t0);
    out = uh_cmd(&t.h, "qom-get vm0 size", 10);
    if (!out || !strstr(out, "\n268435456\n")) {
        e2e_fail("HMP qom-get vm0 size did not print 268435456");
        goto out;
    }
    free(out);
    out = NULL;
    if (!check_query(&t, 268435456LL, 268435456LL))
        goto out;
    long rss2 = proc_status(t.vm.pid, "VmRSS");
    e2e_log("plugvm VmRSS at 256 MiB: %ld kB (-%ld MiB)", rss2, (rss1 - rss2) / 1024);
    if (rss1 - rss2 < 768 * MIB_KB * 3 / 4) {
        e2e_fail("plugvm's RSS fell only %ld MiB after the guest unplugged 768 MiB",
                 (rss1 - rss2) / 1024);
        goto out;
    }

    /* Everything back, the driver gone: the region is nobody's in the guest, and a read
     * of it is a guest touching unplugged memory. */
    from = t.q.nev;
    if (!uq_ok(&t.q, "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/peripheral/vm0\","
               "\"property\":\"requested-size\",\"value\":0}}", NULL, 10) ||
        !qc_wait_memtotal(&t.vm, base, TOL_KB, 180) || !wait_size_event(&t, from, 0, 30))
        goto out;
    /* The size reaching 0 means every block is unplugged, not that the guest has removed
     * the last memory block yet: offline_and_remove_memory() can fail with EBUSY and the
     * driver retries later, and rmmod cancels that retry, leaving a "System RAM
     * (virtio_mem)" range that keeps /dev/mem away from the window. So wait for the guest
     * to remove it before unloading the driver. */
    if (!e2e_vm_sh(&t.vm, "i=0; while grep -q '(virtio_mem)' /proc/iomem && [ $i -lt 120 ]; do "
                   "sleep 0.5; i=$((i+1)); done; echo $i; grep -c '(virtio_mem)' /proc/iomem; true",
                   &out, 90))
        goto out;
    int polls = -1, left = -1;
    if (sscanf(out, "%d %d", &polls, &left) != 2 || left != 0) {
        e2e_fail("the guest still has virtio-mem memory added 60 s after unplugging all: "
                 "%s", out);
        char *dmesg = NULL;
        if (e2e_vm_sh(&t.vm, "dmesg | grep -i virtio_mem | tail -5", &dmesg, 20))
            e2e_log("the guest's virtio_mem messages:\n%s", dmesg);
        free(dmesg);
        goto out;
    }
    e2e_log("the guest removed its last virtio-mem memory block %.1f s after the size "
            "reached 0", polls * 0.5);
    free(out);
    out = NULL;
    if (!e2e_vm_sh(&t.vm, "rmmod virtio_mem && grep -c virtio_mem /proc/iomem; true", &out, 60))
        goto out;
    e2e_log("virtio_mem removed; iomem lines left: %s", out);
    free(out);
    out = NULL;
    t.q.may_close = true;
    if (!e2e_vm_send(&t.vm, "devmem " VM_WINDOW " 32\n"))
        goto out;
    int status;
    if (!e2e_vm_wait_exit(&t.vm, 60, &status))
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
        e2e_fail("plugvm status 0x%x after the guest read unplugged memory, expected exit 1",
                 status);
        goto out;
    }
    if (!strstr(t.vm.con.buf, "guest touched unplugged virtio-mem memory")) {
        e2e_fail("no 'guest touched unplugged virtio-mem memory' line");
        e2e_stream_tail(&t.vm.con, 20);
        goto out;
    }
    log_console_line(&t, "guest touched unplugged virtio-mem memory");
    e2e_log("the guest's read of unplugged memory stopped plugvm: exit 1");
    ok = true;
out:
    free(r);
    free(out);
    ut_destroy(&t);
    return ok;
}

/* One plugvm command line that must end before the guest runs: exit 2, one line with want. */
static bool expect_refused(const char *what, const char *const *args, const char *want)
{
    const char *argv[32];
    size_t n = 0;
    struct e2e_vm vm = E2E_VM_INIT;
    int status;
    bool ok = false;

    argv[n++] = e2e_getenv_or("E2E_PLUGVM", "plugvm");
    argv[n++] = "-kernel";
    argv[n++] = e2e_getenv_or("E2E_GUEST_KERNEL", "/guest/vmlinuz");
    argv[n++] = "-initrd";
    argv[n++] = e2e_getenv_or("E2E_GUEST_INITRD", "/guest/initramfs.img");
    argv[n++] = "-nographic";
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    e2e_log("case: %s", what);
    if (!e2e_vm_spawn(&vm, (char *const *)argv) || !e2e_vm_wait_exit(&vm, 60, &status))
        goto out;
    char *text = strndup(vm.con.buf ? vm.con.buf : "", vm.con.len);
    if (!text)
        abort();
    size_t k = 0;
    for (size_t i = 0; text[i]; i++)
        if (text[i] != '\r')
            text[k++] = text[i];
    text[k] = '\0';
    char *nl = strchr(text, '\n');
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
        e2e_fail("%s: plugvm status 0x%x, expected exit 2; output:\n%s", what, status, text);
    else if (!nl || nl[1] || strncmp(text, "plugvm: ", 8) != 0 || !strstr(text, want))
        e2e_fail("%s: expected one line 'plugvm: ...%s...', got:\n%s", what, want, text);
    else {
        e2e_log("%s: exit 2, %s", what, strtok(text, "\n"));
        ok = true;
    }
    free(text);
out:
    e2e_vm_destroy(&vm);
    return ok;
}

/* virtio_mem_errors: each bad virtio-mem command line is refused with one line and exit 2,
 * before any guest runs: region size not a multiple of block-size, block-size below the
 * backend's page size (a 2 MiB hugetlb memfd), memdev in use by a DIMM or another
 * virtio-mem device, maxmem too small for boot RAM and the region, requested-size above
 * the region, maxmem without slots and without a virtio-mem device. */
bool test_virtio_mem_errors(void)
{
    bool ok = true;
    const char *not_multiple[] = {"-m", "1G,maxmem=4G", "-object",
                                  "memory-backend-ram,id=v,size=1025M", "-device",
                                  "virtio-mem-pci,id=vm0,memdev=v", NULL};
    ok &= expect_refused("size not a multiple of block-size", not_multiple,
                         "has to be multiples of 'block-size'");
    const char *page[] = {"-m", "1G,maxmem=4G", "-object",
                          "memory-backend-memfd,id=v,size=64M,hugetlb=on,hugetlbsize=2M,reserve=off",
                          "-device", "virtio-mem-pci,id=vm0,memdev=v,block-size=1M", NULL};
    ok &= expect_refused("block-size below the backend's page size", page,
                         "has to be at least the page size (0x200000)");
    const char *dimm_busy[] = {"-m", "1G,slots=2,maxmem=4G", "-object",
                               "memory-backend-ram,id=v,size=1G", "-device",
                               "pc-dimm,id=d0,memdev=v", "-device",
                               "virtio-mem-pci,id=vm0,memdev=v", NULL};
    ok &= expect_refused("memdev in use by a DIMM", dimm_busy, "busy memdev: v");
    const char *vmem_busy[] = {"-m", "1G,maxmem=4G", "-object", "memory-backend-ram,id=v,size=1G",
                               "-device", "virtio-mem-pci,id=vm0,memdev=v", "-device",
                               "virtio-mem-pci,id=vm1,memdev=v", NULL};
    ok &= expect_refused("memdev in use by another virtio-mem device", vmem_busy,
                         "busy memdev: v");
    const char *small[] = {"-m", "1G,maxmem=8G", "-object", "memory-backend-ram,id=v,size=16G",
                           "-device", "virtio-mem-pci,id=vm0,memdev=v", NULL};
    ok &= expect_refused("maxmem too small for boot RAM and the region", small,
                         "not enough space");
    const char *too_much[] = {"-m", "1G,maxmem=17G", "-object", "memory-backend-ram,id=v,size=16G",
                              "-device", "virtio-mem-pci,id=vm0,memdev=v,requested-size=17G",
                              NULL};
    ok &= expect_refused("requested-size above the region", too_much,
                         "'requested-size' cannot exceed the memory backend size");
    const char *no_device[] = {"-m", "1G,maxmem=17G", NULL};
    ok &= expect_refused("maxmem without slots or a virtio-mem device", no_device,
                         "no hotplug slots");
    return ok;
}
