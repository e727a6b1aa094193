/* system_powerdown (QMP and HMP): an ACPI power-button press that the guest acts on, as
 * in QEMU. The default guest has button.ko, evdev.ko and busybox acpid, which runs
 * poweroff; plugvm must then end with status 0 and the events QEMU sends. */
#include "e2e.h"
#include "t_unplug.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* The guest side is in place: the power button device is bound and acpid runs. */
static bool guest_has_power_button(struct ut *t)
{
    char *out = NULL;
    bool ok = e2e_vm_sh(&t->vm,
                        "grep -c 'Power Button' /proc/bus/input/devices; pidof acpid >/dev/null "
                        "&& echo acpid-running",
                        &out, 30) &&
              out && strstr(out, "acpid-running") && atoi(out) >= 1;
    if (!ok)
        e2e_fail("guest has no power button input device or no acpid: '%s'", out ? out : "");
    else
        e2e_log("guest: ACPI power button bound, acpid running");
    free(out);
    return ok;
}

static bool ends_with_status_0(struct ut *t, const char *how)
{
    int status;

    if (!e2e_vm_expect(&t->vm, "plugvm: guest powered off", 90) ||
        !e2e_vm_wait_exit(&t->vm, 30, &status))
        return false;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return e2e_fail("%s: plugvm status 0x%x, expected exit 0", how, status);
    e2e_log("%s: the guest powered off, plugvm exited 0", how);
    return true;
}

bool test_powerdown(void)
{
    struct ut t = UT_INIT;
    bool ok = false;

    /* QMP: {} at once, POWERDOWN, the guest shuts down, SHUTDOWN {guest: true}. */
    if (!ut_boot(&t, NULL, false) || !guest_has_power_button(&t))
        goto out;
    int from = t.q.nev;
    if (!uq_ok(&t.q, "{\"execute\":\"system_powerdown\"}", NULL, 10) ||
        uq_wait_event(&t.q, from, "POWERDOWN", NULL, 10) < 0)
        goto out;
    /* The VM keeps running until the guest acts: a query still answers. */
    if (!uq_ok(&t.q, "{\"execute\":\"query-status\"}", NULL, 10))
        goto out;
    if (!ends_with_status_0(&t, "QMP system_powerdown"))
        goto out;
    const char *guest[] = {"\"guest\":true", "\"reason\":\"guest-shutdown\"", NULL};
    if (uq_wait_event(&t.q, from, "SHUTDOWN", guest, 5) < 0)
        goto out;
    ut_destroy(&t);

    /* HMP: the same command on the monitor socket. */
    t = (struct ut)UT_INIT;
    if (!ut_boot(&t, NULL, true))
        goto out;
    char *reply = uh_cmd(&t.h, "system_powerdown", 10);
    if (!reply)
        goto out;
    free(reply);
    if (!ends_with_status_0(&t, "HMP system_powerdown"))
        goto out;
    ok = true;
out:
    ut_destroy(&t);
    return ok;
}
