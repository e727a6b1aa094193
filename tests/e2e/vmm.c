/* Which VMM the e2e tests drive, and its command line.  This is the one place to change
 * when switching the tests from QEMU to plugvm:
 *   - at build time: cmake -DPLUGVM_E2E_VMM=plugvm (sets E2E_DEFAULT_VMM), or
 *   - at run time:   E2E_VMM=plugvm|qemu (the nested bed passes plugvm.vmm=... through).
 * Tests that compare the two ask for E2E_VMM_PLUGVM / E2E_VMM_QEMU explicitly. */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef E2E_DEFAULT_VMM
#define E2E_DEFAULT_VMM "qemu"
#endif
#ifndef E2E_DEFAULT_PLUGVM
#define E2E_DEFAULT_PLUGVM "plugvm"
#endif
#ifndef E2E_DEFAULT_GUEST_KERNEL
#define E2E_DEFAULT_GUEST_KERNEL "/guest/vmlinuz"
#endif
#ifndef E2E_DEFAULT_GUEST_INITRD
#define E2E_DEFAULT_GUEST_INITRD "/guest/initramfs.img"
#endif

const char *e2e_getenv_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

const char *e2e_vmm_name(enum e2e_vmm_kind kind)
{
    switch (kind) {
    case E2E_VMM_PLUGVM:
        return "plugvm";
    case E2E_VMM_QEMU:
        return "qemu";
    default:
        return e2e_vmm_name(e2e_vmm_default());
    }
}

enum e2e_vmm_kind e2e_vmm_default(void)
{
    const char *v = e2e_getenv_or("E2E_VMM", E2E_DEFAULT_VMM);
    return strcmp(v, "plugvm") == 0 ? E2E_VMM_PLUGVM : E2E_VMM_QEMU;
}

char **e2e_vmm_argv(const struct e2e_vm_opts *o)
{
    static char smp[16];
    size_t nextra = 0;
    while (o->extra && o->extra[nextra])
        nextra++;
    char **argv = calloc(32 + nextra, sizeof(*argv));
    if (!argv)
        abort();
    size_t n = 0;
    enum e2e_vmm_kind kind = o->vmm == E2E_VMM_DEFAULT ? e2e_vmm_default() : o->vmm;

    snprintf(smp, sizeof(smp), "%d", o->smp > 0 ? o->smp : 2);
#define ARG(s) (argv[n++] = (char *)(s))
    if (kind == E2E_VMM_PLUGVM) {
        ARG(e2e_getenv_or("E2E_PLUGVM", E2E_DEFAULT_PLUGVM));
    } else {
        ARG(e2e_getenv_or("E2E_QEMU", "qemu-system-x86_64"));
        ARG("-enable-kvm");
        ARG("-cpu");
        ARG("host");
        ARG("-machine");
        ARG("pc");
        ARG("-nodefaults");
        ARG("-serial");
        ARG("stdio");
        ARG("-no-reboot");
    }
    ARG("-kernel");
    ARG(o->kernel ? o->kernel : e2e_getenv_or("E2E_GUEST_KERNEL", E2E_DEFAULT_GUEST_KERNEL));
    ARG("-initrd");
    ARG(o->initrd ? o->initrd : e2e_getenv_or("E2E_GUEST_INITRD", E2E_DEFAULT_GUEST_INITRD));
    ARG("-append");
    ARG(o->append ? o->append : E2E_DEFAULT_APPEND);
    ARG("-m");
    ARG(o->mem ? o->mem : "512M,slots=16,maxmem=64G");
    ARG("-smp");
    ARG(smp);
    ARG("-nographic");
    bool sandbox_given = false;
    for (size_t i = 0; i < nextra; i++) {
        sandbox_given = sandbox_given || strcmp(o->extra[i], "-sandbox") == 0;
        ARG(o->extra[i]);
    }
    /* plugvm runs with its sandbox on by default. E2E_PLUGVM_SANDBOX=1 says so on every
     * command line (-sandbox on), E2E_PLUGVM_SANDBOX=0 turns it off (-sandbox off), for
     * telling a sandbox problem from another (docs/testing.md). */
    const char *sandbox = e2e_getenv_or("E2E_PLUGVM_SANDBOX", "");
    if (kind == E2E_VMM_PLUGVM && !sandbox_given &&
        (strcmp(sandbox, "1") == 0 || strcmp(sandbox, "0") == 0)) {
        ARG("-sandbox");
        ARG(strcmp(sandbox, "1") == 0 ? "on" : "off");
    }
#undef ARG
    argv[n] = NULL;
    return argv;
}
