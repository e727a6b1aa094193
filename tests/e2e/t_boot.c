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

/* One boot with the given -kernel-unpack mode: what the guest kernel says about how it was
 * entered. The decompressor sets KASLR_FLAG (bit 1 of boot_params.hdr.loadflags, at byte
 * 0x211 of /sys/kernel/boot_params/data) when it randomised the kernel's place; a kernel
 * plugvm unpacked runs unrandomised at its link address, _text = 0xffffffff81000000. */
static bool boot_and_inspect(const char *mode, bool expect_host)
{
    const char *extra[] = {"-kernel-unpack", mode, NULL};
    struct e2e_vm vm = E2E_VM_INIT;
    struct e2e_vm_opts opts = {.vmm = E2E_VMM_PLUGVM, .mem = "512M", .smp = 2, .extra = extra};
    char *flags = NULL, *text = NULL;
    bool ok = false;

    e2e_log("-kernel-unpack %s", mode);
    if (!e2e_vm_boot(&vm, &opts, 120))
        goto out;
    if (!e2e_vm_sh(&vm, "dd if=/sys/kernel/boot_params/data bs=1 skip=529 count=1 2>/dev/null"
                        " | od -An -tu1 | tr -d ' '", &flags, 30) ||
        !e2e_vm_sh(&vm, "grep -w _text /proc/kallsyms | cut -d' ' -f1", &text, 30))
        goto out;
    int loadflags = atoi(flags);
    bool kaslr = loadflags & 2;
    bool linked_address = strcmp(text, "ffffffff81000000\n") == 0;
    e2e_log("loadflags 0x%02x (KASLR_FLAG %d), _text %s", loadflags, kaslr, text);
    if (expect_host && (kaslr || !linked_address)) {
        e2e_fail("-kernel-unpack %s: the kernel was not entered unrandomised at its link "
                 "address (plugvm did not unpack it)", mode);
        goto out;
    }
    if (!expect_host && !kaslr) {
        e2e_fail("-kernel-unpack %s: no KASLR_FLAG: the guest's decompressor did not run", mode);
        goto out;
    }
    ok = true;
out:
    free(flags);
    free(text);
    e2e_vm_destroy(&vm);
    return ok;
}

bool test_kernel_unpack(void)
{
    /* Default (host) and -kernel-unpack guest both boot the same bzImage. */
    return boot_and_inspect("host", true) && boot_and_inspect("guest", false);
}
