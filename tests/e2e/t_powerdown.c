/* system_powerdown as in QEMU: an ACPI power-button press that the guest acts on.
 *
 * One plugvm boot with QMP and HMP sockets:
 *  1. The default guest has its button handler (acpid) running and the button device
 *     bound to Linux's button driver, which made an input device of it.
 *  2. With acpid stopped, HMP system_powerdown: POWERDOWN on QMP, the guest sees the
 *     press (its GED interrupt on the power-button GSI counts one more) and ignores it;
 *     plugvm and the guest keep running.
 *  3. acpid started again, QMP system_powerdown: POWERDOWN, then the guest powers off:
 *     SHUTDOWN with guest true, and plugvm exits 0. */
#include "e2e.h"
#include "t_unplug.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The guest's count of interrupts on the power-button GSI (21; the GED's IRQ is shown as
 * "IO-APIC 21-edge ACPI:Ged"), or -1. */
static long button_irqs(struct e2e_vm *vm)
{
    char *out = NULL;
    long n = -1;
    if (!e2e_vm_sh(vm,
                   "awk '/ 21-edge/ && /ACPI:Ged/ {s = 0; for (i = 2; $i ~ /^[0-9]+$/; i++) "
                   "s += $i; print s; f = 1} END {if (!f) print \"none\"}' /proc/interrupts",
                   &out, 30))
        return -1;
    if (strncmp(out, "none", 4) == 0)
        e2e_fail("/proc/interrupts has no ACPI:Ged line for GSI 21");
    else
        n = strtol(out, NULL, 10);
    free(out);
    return n;
}

/* Waits until the guest has seen more than `before` power-button interrupts. */
static bool wait_button_irq(struct e2e_vm *vm, long before, double timeout_s)
{
    double deadline = e2e_elapsed() + timeout_s;
    long n;
    while ((n = button_irqs(vm)) >= 0 && n <= before) {
        if (e2e_elapsed() > deadline)
            return e2e_fail("the guest saw no power-button interrupt in %.0f s (count %ld)",
                            timeout_s, n);
        usleep(200 * 1000);
    }
    return n > before;
}

bool test_powerdown(void)
{
    struct ut t = UT_INIT;
    char *out = NULL, *reply = NULL;
    int status, from;
    long irqs;
    bool ok = false;

    if (!ut_boot(&t, NULL, true))
        goto out;

    /* 1. The guest's side: PNP0C0C bound to "button", acpid running. */
    if (!e2e_vm_sh(&t.vm,
                   "readlink /sys/bus/acpi/devices/PNP0C0C:00/driver | sed 's,.*/,,'; "
                   "dmesg | grep -q 'Power Button \\[PWRB\\]' && echo pwrb-input; "
                   "pidof acpid >/dev/null && echo acpid-running",
                   &out, 30))
        goto out;
    if (!strstr(out, "button\n") || !strstr(out, "pwrb-input") || !strstr(out, "acpid-running")) {
        e2e_fail("guest: want PNP0C0C:00 bound to 'button' (dmesg 'Power Button [PWRB]') and "
                 "acpid running, got:\n%s", out);
        goto out;
    }
    free(out);
    out = NULL;
    if ((irqs = button_irqs(&t.vm)) < 0)
        goto out;

    /* 2. No handler: the press reaches the guest, nothing else happens. */
    if (!e2e_vm_sh(&t.vm, "kill $(pidof acpid) && while pidof acpid >/dev/null; do sleep 0.1; done",
                   NULL, 30))
        goto out;
    from = t.q.nev;
    if (!(out = uh_cmd(&t.h, "system_powerdown", 10)))
        goto out;
    if (strstr(out, "rror")) {
        e2e_fail("hmp system_powerdown printed an error: %s", out);
        goto out;
    }
    if (uq_wait_event(&t.q, from, "POWERDOWN", NULL, 10) < 0 ||
        !wait_button_irq(&t.vm, irqs, 10))
        goto out;
    e2e_log("hmp system_powerdown: POWERDOWN, the guest saw the press; waiting 3 s");
    sleep(3);
    uq_pump(&t.q, 100);
    if (uq_count_events(&t.q, from, "SHUTDOWN", NULL) != 0) {
        e2e_fail("SHUTDOWN although the guest has no power-button handler");
        goto out;
    }
    if (!e2e_vm_sh(&t.vm, "echo still $((40+2))", &out, 30) || !strstr(out, "still 42")) {
        e2e_fail("guest shell does not answer after an ignored powerdown");
        goto out;
    }
    free(out);
    out = NULL;
    if (!uq_ok(&t.q, "{\"execute\":\"query-status\"}", &reply, 10))
        goto out;
    if (!strstr(reply, "\"status\":\"running\"")) {
        e2e_fail("query-status after an ignored powerdown: %s", reply);
        goto out;
    }
    e2e_log("ignored powerdown: plugvm and the guest still running");

    /* 3. With the handler: the guest powers off. */
    if (!e2e_vm_sh(&t.vm, "acpid -l /run/acpid.log && pidof acpid", NULL, 30))
        goto out;
    from = t.q.nev;
    if (!uq_ok(&t.q, "{\"execute\":\"system_powerdown\"}", NULL, 10) ||
        uq_wait_event(&t.q, from, "POWERDOWN", NULL, 10) < 0)
        goto out;
    const char *guest[] = {"\"guest\":true", "\"reason\":\"guest-shutdown\"", NULL};
    if (uq_wait_event(&t.q, from, "SHUTDOWN", guest, 60) < 0)
        goto out;
    if (!e2e_vm_wait_exit(&t.vm, 30, &status))
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        e2e_fail("qmp system_powerdown: plugvm status 0x%x, expected exit 0", status);
        e2e_stream_tail(&t.vm.con, 40);
        goto out;
    }
    e2e_log("qmp system_powerdown: POWERDOWN, SHUTDOWN guest=true, plugvm exited 0");
    ok = true;
out:
    free(out);
    free(reply);
    ut_destroy(&t);
    return ok;
}
