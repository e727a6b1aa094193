/* How a guest ends: reboot, kernel panic, and the console's Ctrl-a x. */
#include "e2e.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Boots, types `command` into the guest shell and checks the VMM's exit
 * status and its last message. */
static bool expect_end(const char *command, int smp, int want_status, const char *want_message)
{
    struct e2e_vm vm = E2E_VM_INIT;
    struct e2e_vm_opts opts = {.mem = "512M", .smp = smp};
    int status;
    bool ok = false;

    if (!e2e_vm_boot(&vm, &opts, 120))
        goto out;
    if (!e2e_vm_send(&vm, command) || !e2e_vm_expect(&vm, want_message, 60) ||
        !e2e_vm_wait_exit(&vm, 60, &status))
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != want_status) {
        e2e_fail("'%s': VMM status 0x%x, expected exit %d", command, status, want_status);
        e2e_stream_tail(&vm.con, 40);
        goto out;
    }
    e2e_log("'%s' ended plugvm with status %d: %s", command, want_status, want_message);
    ok = true;
out:
    e2e_vm_destroy(&vm);
    return ok;
}

bool test_reboot_exits(void)
{
    /* A HW-reduced guest without EFI reboots through the real-mode reset
     * vector; plugvm's reset stub there must end the VM (boot.c). */
    return expect_end("reboot\n", 2, 0, "plugvm: guest rebooted");
}

bool test_panic_exits(void)
{
    /* The default guest loads pvpanic-mmio; a panic must end plugvm with status 3. */
    return expect_end("echo c > /proc/sysrq-trigger\n", 2, 3, "plugvm: guest panicked (pvpanic)");
}

bool test_console_quit(void)
{
    /* -nographic multiplexes the monitor: Ctrl-a x quits, Ctrl-a c reaches HMP. */
    struct e2e_vm vm = E2E_VM_INIT;
    struct e2e_vm_opts opts = {.mem = "512M", .smp = 2};
    int status;
    bool ok = false;

    if (!e2e_vm_boot(&vm, &opts, 120))
        goto out;
    if (!e2e_vm_send(&vm, "\001c") || !e2e_vm_expect(&vm, "(plugvm)", 20))
        goto out;
    if (!e2e_vm_send(&vm, "info status\r") || !e2e_vm_expect(&vm, "VM status: running", 20))
        goto out;
    if (!e2e_vm_send(&vm, "\001c") || !e2e_vm_send(&vm, "echo back $((40+2))\n") ||
        !e2e_vm_expect(&vm, "back 42", 20))
        goto out;
    if (!e2e_vm_send(&vm, "\001x") || !e2e_vm_wait_exit(&vm, 30, &status))
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        e2e_fail("C-a x: VMM status 0x%x, expected exit 0", status);
        goto out;
    }
    ok = true;
out:
    e2e_vm_destroy(&vm);
    return ok;
}
