/* Boot and lifecycle tests. */
#include "e2e.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

bool test_boot_ready(void)
{
    struct e2e_vm vm = E2E_VM_INIT;
    struct e2e_vm_opts opts = {.mem = "512M", .smp = 2};
    char *out = NULL;
    int status;
    bool ok = false;

    if (!e2e_vm_boot(&vm, &opts, 120))
        goto out;
    if (!e2e_vm_sh(&vm, "cat /sys/devices/system/cpu/online", &out, 30))
        goto out;
    if (strcmp(out, "0-1\n") != 0) {
        e2e_fail("expected CPUs 0-1 online, guest says: %s", out);
        goto out;
    }
    e2e_log("CPUs online: 0-1");
    if (!e2e_vm_send(&vm, "poweroff\n") || !e2e_vm_wait_exit(&vm, 60, &status))
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        e2e_fail("poweroff: VMM status 0x%x, expected exit 0", status);
        e2e_stream_tail(&vm.con, 40);
        goto out;
    }
    ok = true;
out:
    free(out);
    e2e_vm_destroy(&vm);
    return ok;
}
