/* Reference: memory hot-add/remove through QEMU's QMP socket.  Runs QEMU explicitly: it
 * is the baseline the plugvm hotplug tests compare with, and it exercises the framework's
 * socket path (extra VMM args + unix socket).  When plugvm's control socket lands, a
 * copy with E2E_VMM_DEFAULT and plugvm's socket option becomes the plugvm test. */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool qmp(struct e2e_stream *q, const char *cmd, double timeout_s)
{
    e2e_log("qmp> %s", cmd);
    if (!e2e_stream_puts(q, cmd) || !e2e_stream_puts(q, "\n"))
        return false;
    const char *replies[] = {"\"return\"", "\"error\""};
    int r = e2e_stream_expect_any(q, replies, 2, timeout_s);
    if (r == 1) {
        e2e_stream_tail(q, 5);
        return e2e_fail("qmp: error reply to %s", cmd);
    }
    return r == 0;
}

static long memtotal_kb(struct e2e_vm *vm)
{
    char *out = NULL;
    long kb = -1;
    if (e2e_vm_sh(vm, "awk '/MemTotal/ {print $2}' /proc/meminfo", &out, 30))
        kb = strtol(out, NULL, 10);
    free(out);
    return kb;
}

/* Polls the guest until MemTotal is within 64 MiB of want_kb. */
static bool wait_memtotal(struct e2e_vm *vm, long want_kb, double timeout_s)
{
    double deadline = e2e_elapsed() + timeout_s;
    long kb;
    do {
        kb = memtotal_kb(vm);
        if (kb < 0)
            return false;
        if (labs(kb - want_kb) < 64 * 1024)
            return true;
        usleep(200000);
    } while (e2e_elapsed() < deadline);
    return e2e_fail("guest MemTotal %ld kB, expected about %ld kB", kb, want_kb);
}

bool test_qemu_hotplug_reference(void)
{
    struct e2e_vm vm = E2E_VM_INIT;
    struct e2e_stream q = {.fd = -1};
    char sock[256], qmparg[320];
    snprintf(sock, sizeof(sock), "%s/qmp.sock", e2e_tmpdir());
    snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", sock);
    const char *extra[] = {"-qmp", qmparg, NULL};
    struct e2e_vm_opts opts = {.vmm = E2E_VMM_QEMU, .mem = "512M,slots=16,maxmem=64G",
                               .smp = 2, .extra = extra};
    bool ok = false;
    int status, fd;
    long before;
    double t;

    if (!e2e_vm_boot(&vm, &opts, 120))
        goto out;
    if ((fd = e2e_unix_connect(sock, 10)) < 0)
        goto out;
    e2e_stream_init(&q, fd, "qmp");
    if (!e2e_stream_expect(&q, "\"QMP\"", 10) ||
        !qmp(&q, "{\"execute\":\"qmp_capabilities\"}", 10))
        goto out;
    if ((before = memtotal_kb(&vm)) < 0)
        goto out;
    e2e_log("MemTotal before: %ld kB", before);

    t = e2e_elapsed();
    if (!qmp(&q, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\","
                 "\"id\":\"m1\",\"size\":1073741824}}", 10) ||
        !qmp(&q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\","
                 "\"id\":\"d1\",\"memdev\":\"m1\"}}", 10) ||
        !wait_memtotal(&vm, before + 1024 * 1024, 30))
        goto out;
    e2e_log("hot-add 1 GiB: guest sees it after %.2f s", e2e_elapsed() - t);

    t = e2e_elapsed();
    if (!qmp(&q, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"d1\"}}", 10) ||
        !e2e_stream_expect(&q, "\"DEVICE_DELETED\"", 60) || !wait_memtotal(&vm, before, 30))
        goto out;
    e2e_log("hot-remove 1 GiB: DEVICE_DELETED and MemTotal back after %.2f s", e2e_elapsed() - t);

    if (!e2e_vm_send(&vm, "poweroff\n") || !e2e_vm_wait_exit(&vm, 60, &status))
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        e2e_fail("poweroff: VMM status 0x%x, expected exit 0", status);
        goto out;
    }
    ok = true;
out:
    e2e_stream_free(&q);
    e2e_vm_destroy(&vm);
    return ok;
}
