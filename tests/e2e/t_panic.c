/*
 * A guest kernel panic that pvpanic cannot report (docs/options.md, "-action: when the guest
 * panics"): plugvm reads it off the serial line. And -action panic=pause: the vCPUs
 * stop, the monitor answers, query-status says guest-panicked, quit exits 3.
 */
#include "t_unplug.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* The default guest loads pvpanic-mmio from its initramfs; without it a panic
 * reaches plugvm only as text on ttyS0. */
#define NO_PVPANIC "rmmod pvpanic_mmio && rmmod pvpanic && ! grep -q pvpanic /proc/modules"

struct panic_vm {
    struct e2e_vm vm;
    struct uq q;
    char qsock[256];
};

static bool panic_vm_boot(struct panic_vm *p, const char *append, const char *action)
{
    static char qarg[320];
    const char *extra[] = {"-qmp", qarg, action ? "-action" : NULL, action, NULL};

    snprintf(p->qsock, sizeof(p->qsock), "%s/panic-qmp.sock", e2e_tmpdir());
    unlink(p->qsock);
    snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", p->qsock);
    struct e2e_vm_opts o = {.vmm = E2E_VMM_PLUGVM, .mem = "512M", .smp = 2, .append = append,
                            .extra = extra};
    return e2e_vm_boot(&p->vm, &o, 120) && uq_open(&p->q, p->qsock, 10);
}

static void panic_vm_destroy(struct panic_vm *p)
{
    uq_close(&p->q);
    e2e_vm_destroy(&p->vm);
}

static bool exits_with(struct panic_vm *p, int want, const char *message)
{
    int status;

    if (!e2e_vm_expect(&p->vm, message, 60) || !e2e_vm_wait_exit(&p->vm, 60, &status))
        return false;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != want)
        return e2e_fail("plugvm status 0x%x, expected exit %d", status, want);
    return true;
}

/* Drains the socket to EOF (plugvm has exited) and checks the events in order. */
static bool events_say(struct panic_vm *p, const char *action, const char *reason)
{
    char want_action[64], want_reason[64];

    snprintf(want_action, sizeof(want_action), "\"action\":\"%s\"", action);
    snprintf(want_reason, sizeof(want_reason), "\"reason\":\"%s\"", reason);
    const char *ca[] = {want_action, NULL}, *cr[] = {want_reason, NULL};
    p->q.may_close = true;
    int panicked = uq_wait_event(&p->q, 0, "GUEST_PANICKED", ca, 10);
    int shutdown = uq_wait_event(&p->q, 0, "SHUTDOWN", cr, 10);
    if (panicked < 0 || shutdown < 0)
        return false;
    if (shutdown < panicked)
        return e2e_fail("SHUTDOWN came before GUEST_PANICKED");
    if (uq_count_events(&p->q, 0, "GUEST_PANICKED", NULL) != 1)
        return e2e_fail("GUEST_PANICKED sent %d times", uq_count_events(&p->q, 0, "GUEST_PANICKED", NULL));
    return true;
}

bool test_panic_serial(void)
{
    struct panic_vm p = {.vm = E2E_VM_INIT};
    bool ok = false;

    /* 1. The panic's last line ends plugvm: status 3, QEMU's events. */
    if (!panic_vm_boot(&p, NULL, NULL) || !e2e_vm_sh(&p.vm, NO_PVPANIC, NULL, 20) ||
        !e2e_vm_send(&p.vm, "echo c > /proc/sysrq-trigger\n") ||
        !exits_with(&p, 3, "plugvm: guest panicked (kernel panic on the serial line)") ||
        !events_say(&p, "poweroff", "guest-panic"))
        goto out;
    /* The backtrace was not cut short: the end line came before plugvm stopped. */
    if (!strstr(p.vm.con.buf, "end Kernel panic - not syncing"))
        goto out_fail;
    panic_vm_destroy(&p);
    e2e_log("panic on the serial line: exit 3, GUEST_PANICKED poweroff, SHUTDOWN guest-panic");

    /* 2. panic=1: the kernel resets instead of printing the end line. */
    p = (struct panic_vm){.vm = E2E_VM_INIT};
    if (!panic_vm_boot(&p, E2E_DEFAULT_APPEND " panic=1", NULL) ||
        !e2e_vm_sh(&p.vm, NO_PVPANIC, NULL, 20) ||
        !e2e_vm_send(&p.vm, "echo c > /proc/sysrq-trigger\n") ||
        !exits_with(&p, 3, "plugvm: guest panicked (kernel panic on the serial line), then rebooted"))
        goto out;
    p.q.may_close = true;
    const char *cr[] = {"\"reason\":\"guest-panic\"", NULL};
    if (uq_wait_event(&p.q, 0, "SHUTDOWN", cr, 10) < 0)
        goto out;
    e2e_log("panic=1: the reset after the panic line exits 3, SHUTDOWN guest-panic");
    ok = true;
    goto out;
out_fail:
    e2e_fail("the console lacks the panic's end line");
    e2e_stream_tail(&p.vm.con, 40);
out:
    panic_vm_destroy(&p);
    return ok;
}

bool test_panic_pause(void)
{
    struct panic_vm p = {.vm = E2E_VM_INIT};
    char *r = NULL;
    bool ok = false;

    if (!panic_vm_boot(&p, NULL, "panic=pause") ||
        !e2e_vm_send(&p.vm, "echo c > /proc/sysrq-trigger\n"))
        goto out;
    const char *ca[] = {"\"action\":\"pause\"", NULL};
    if (uq_wait_event(&p.q, 0, "GUEST_PANICKED", ca, 60) < 0 ||
        !e2e_vm_expect(&p.vm, "plugvm: guest panicked (pvpanic); vCPUs stopped", 20))
        goto out;
    /* plugvm stays, and says what it saw. */
    sleep(3);
    if (waitpid(p.vm.pid, NULL, WNOHANG) != 0) {
        e2e_fail("plugvm ended after a panic with -action panic=pause");
        goto out;
    }
    if (!uq_ok(&p.q, "{\"execute\":\"query-status\"}", &r, 10))
        goto out;
    if (!strstr(r, "\"running\":false") || !strstr(r, "\"status\":\"guest-panicked\"")) {
        e2e_fail("query-status after the panic: %s", r);
        goto out;
    }
    free(r);
    r = NULL;
    if (!uq_ok(&p.q, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info status\"}}",
               &r, 10))
        goto out;
    if (!strstr(r, "VM status: paused (guest-panicked)")) {
        e2e_fail("info status after the panic: %s", r);
        goto out;
    }
    if (!uq_send(&p.q, "{\"execute\":\"quit\"}\n"))
        goto out;
    int status;
    if (!e2e_vm_wait_exit(&p.vm, 30, &status))
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 3) {
        e2e_fail("quit after a panic: plugvm status 0x%x, expected exit 3", status);
        goto out;
    }
    p.q.may_close = true;
    const char *cq[] = {"\"reason\":\"host-qmp-quit\"", NULL};
    if (uq_wait_event(&p.q, 0, "SHUTDOWN", cq, 10) < 0)
        goto out;
    e2e_log("panic=pause: GUEST_PANICKED pause, guest-panicked, plugvm alive, quit exits 3");
    ok = true;
out:
    free(r);
    panic_vm_destroy(&p);
    return ok;
}
