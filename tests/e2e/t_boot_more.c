/* Boot tests (issue 2): a clean boot (dmesg, memory block size, interrupts), NUMA
 * topology, and command-line / host errors that must end plugvm with one line and
 * status 2 before anything boots. */
#include "e2e.h"
#include "qmp_client.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Sums the per-CPU counts of the /proc/interrupts line whose name column contains name;
 * -1 if there is no such line. */
static long irq_count(const char *interrupts, const char *name)
{
    const char *line = interrupts;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *l = strndup(line, len);
        if (!l)
            abort();
        if (strstr(l, name) && strchr(l, ':')) {
            long sum = 0;
            char *p = strchr(l, ':') + 1, *q;
            for (;;) {
                long v = strtol(p, &q, 10);
                if (q == p)
                    break;
                sum += v;
                p = q;
            }
            free(l);
            return sum;
        }
        free(l);
        line = end ? end + 1 : NULL;
    }
    return -1;
}

bool test_dmesg_clean(void)
{
    struct e2e_vm vm = E2E_VM_INIT;
    struct e2e_vm_opts opts = {.mem = "512M,slots=16,maxmem=64G", .smp = 2};
    char *out = NULL;
    int rc;
    bool ok = false;

    if (!e2e_vm_boot(&vm, &opts, 120))
        goto out;

    /* 1. No ACPI or firmware complaints, no kernel warnings. */
    if (!e2e_vm_run(&vm, QC_DMESG_PROBLEMS, &out, &rc, 30))
        goto out;
    if (rc != 1 || *out) {
        e2e_fail("dmesg has ACPI/firmware errors or kernel warnings (grep rc %d):\n%s", rc, out);
        goto out;
    }
    free(out);
    out = NULL;
    e2e_log("dmesg: no ACPI Error/Warning, Firmware Bug or kernel warning lines");

    /* 2. The memory block size the kernel chose is the one plugvm computed (its hotplug
     * window and DIMM alignment depend on it): 128 MiB for 512 MiB of boot RAM. */
    if (!e2e_vm_sh(&vm, "dmesg | grep 'x86/mm: Memory block size'", &out, 30))
        goto out;
    if (!strstr(out, "x86/mm: Memory block size: 128MB\n")) {
        e2e_fail("expected 'x86/mm: Memory block size: 128MB', dmesg says: %s", out);
        goto out;
    }
    free(out);
    out = NULL;
    if (qc_block_size(&vm) != 128u << 20) {
        e2e_fail("/sys/devices/system/memory/block_size_bytes is not 0x8000000");
        goto out;
    }
    e2e_log("memory block size 128 MiB (dmesg and sysfs)");

    /* 3. The serial port and the GED (the hotplug interrupt) have their IRQs. */
    if (!e2e_vm_sh(&vm, "cat /proc/interrupts", &out, 30))
        goto out;
    long tty = irq_count(out, "ttyS0"), ged = irq_count(out, "ACPI:Ged");
    if (tty <= 0 || ged < 0) {
        e2e_fail("/proc/interrupts: ttyS0 %ld interrupts (want > 0), ACPI:Ged %s:\n%s", tty,
                 ged < 0 ? "missing" : "present", out);
        goto out;
    }
    e2e_log("/proc/interrupts: ttyS0 (%ld interrupts) and ACPI:Ged (%ld)", tty, ged);
    free(out);
    out = NULL;

    /* 4. One ACPI memory device (PNP0C80) per slot, and the GED (ACPI0013) bound to the
     * acpi-ged platform driver. */
    if (!e2e_vm_sh(&vm,
                   "ls -d /sys/bus/acpi/devices/PNP0C80:* | wc -l; "
                   "ls /sys/bus/platform/drivers/acpi-ged | grep -c '^ACPI0013:'",
                   &out, 30))
        goto out;
    if (strcmp(out, "16\n1\n") != 0) {
        e2e_fail("expected 16 PNP0C80 memory devices (slots=16) and 1 GED bound to acpi-ged, "
                 "guest says:\n%s", out);
        goto out;
    }
    e2e_log("16 PNP0C80 memory devices (one per slot); GED bound to acpi-ged");
    ok = true;
out:
    free(out);
    e2e_vm_destroy(&vm);
    return ok;
}

bool test_numa(void)
{
    struct e2e_vm vm = E2E_VM_INIT;
    const char *extra[] = {"-object", "memory-backend-ram,id=m0,size=512M",
                           "-object", "memory-backend-ram,id=m1,size=512M",
                           "-numa", "node,nodeid=0,cpus=0,memdev=m0",
                           "-numa", "node,nodeid=1,cpus=1,memdev=m1", NULL};
    struct e2e_vm_opts opts = {.mem = "1G", .smp = 2, .extra = extra};
    char *out = NULL;
    bool ok = false;

    if (!e2e_vm_boot(&vm, &opts, 120))
        goto out;
    if (!e2e_vm_sh(&vm, "cd /sys/devices/system/node && echo node*; cat online; "
                        "cat node0/cpulist node1/cpulist; "
                        "for p in node1/cpu1 node0/cpu0 node0/cpu1 node1/cpu0; do "
                        "[ -e $p ] && echo $p; done; true",
                   &out, 30))
        goto out;
    if (strcmp(out, "node0 node1\n0-1\n0\n1\nnode1/cpu1\nnode0/cpu0\n") != 0) {
        e2e_fail("expected nodes 0 and 1 online, cpu0 on node0, cpu1 on node1; guest says:\n%s",
                 out);
        goto out;
    }
    free(out);
    out = NULL;
    e2e_log("nodes node0 node1 online; node0 cpulist 0, node1 cpulist 1");

    long kb0 = qc_node_memtotal(&vm, 0), kb1 = qc_node_memtotal(&vm, 1), total = qc_memtotal(&vm);
    if (kb0 < 0 || kb1 < 0 || total < 0)
        goto out;
    e2e_log("node0 MemTotal %ld kB, node1 MemTotal %ld kB, MemTotal %ld kB", kb0, kb1, total);
    /* Each node has 512 MiB; the kernel keeps some of node0 (image, memmap, ...). */
    if (kb0 < 350 * 1024 || kb0 > 512 * 1024 || kb1 < 450 * 1024 || kb1 > 512 * 1024) {
        e2e_fail("node MemTotal out of range: node0 %ld kB (want 350-512 MiB), node1 %ld kB "
                 "(want 450-512 MiB)", kb0, kb1);
        goto out;
    }
    if (labs(kb0 + kb1 - total) > 1024) {
        e2e_fail("node0 + node1 = %ld kB but MemTotal is %ld kB", kb0 + kb1, total);
        goto out;
    }

    /* The memory blocks: [0, 512M) is node0's, [512M, 1G) node1's (128 MiB blocks). */
    if (!e2e_vm_sh(&vm, "cd /sys/devices/system/node && echo $(ls -d node0/memory[0-9]* | sort) "
                        "&& echo $(ls -d node1/memory[0-9]* | sort)",
                   &out, 30))
        goto out;
    if (strcmp(out, "node0/memory0 node0/memory1 node0/memory2 node0/memory3\n"
                    "node1/memory4 node1/memory5 node1/memory6 node1/memory7\n") != 0) {
        e2e_fail("expected memory0-3 on node0 and memory4-7 on node1, guest says:\n%s", out);
        goto out;
    }
    e2e_log("memory blocks 0-3 on node0, 4-7 on node1");
    free(out);
    out = NULL;

    /* The CPU topology agrees with the nodes: no two CPUs of different nodes appear to
     * share a core, a package or a last-level cache (the kernel WARNs "sched: CPU #1's
     * llc-sibling CPU #0 is not on the same node"). */
    if (!e2e_vm_sh(&vm, "grep -E '^(vendor_id|cpu family|model|physical id|core id|apicid)' "
                        "/proc/cpuinfo | sort | uniq -c; "
                        "cat /sys/devices/system/cpu/cpu1/cache/index3/shared_cpu_list "
                        "/sys/devices/system/cpu/cpu1/topology/core_siblings_list 2>&1; true",
                   &out, 30))
        goto out;
    e2e_log("guest CPU topology:\n%s", out);
    free(out);
    out = NULL;
    int rc;
    if (!e2e_vm_run(&vm, QC_DMESG_PROBLEMS, &out, &rc, 30))
        goto out;
    if (rc != 1 || *out) {
        e2e_fail("dmesg of the NUMA boot has errors or warnings (grep rc %d):\n%s", rc, out);
        goto out;
    }
    e2e_log("dmesg clean: the CPU topology agrees with the NUMA nodes");
    ok = true;
out:
    free(out);
    e2e_vm_destroy(&vm);
    return ok;
}

/* Runs plugvm with argv (argv[0] is replaced by the plugvm binary), expects exit status 2
 * and exactly one line of output that starts with "plugvm: " and contains want. */
static bool expect_error(const char *what, const char **argv, const char *want)
{
    struct e2e_vm vm = E2E_VM_INIT;
    int status;
    bool ok = false;

    argv[0] = e2e_getenv_or("E2E_PLUGVM", "plugvm");
    e2e_log("case: %s", what);
    if (!e2e_vm_spawn(&vm, (char *const *)argv) || !e2e_vm_wait_exit(&vm, 30, &status))
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
    bool one_line = nl && nl[1] == '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
        e2e_fail("%s: plugvm status 0x%x, expected exit 2; output:\n%s", what, status, text);
    else if (!one_line || strncmp(text, "plugvm: ", 8) != 0 || !strstr(text, want))
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

/* half: the first half of the kernel file; corrupt: the whole file with 4 KiB of its
 * middle (inside the compressed payload) overwritten. */
static bool copy_kernel_damaged(const char *kernel, const char *half, const char *corrupt)
{
    FILE *in = fopen(kernel, "rb");
    if (!in)
        return false;
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    rewind(in);
    char *buf = size > 0 ? malloc((size_t)size) : NULL;
    bool ok = buf && fread(buf, 1, (size_t)size, in) == (size_t)size;
    fclose(in);
    FILE *h = ok ? fopen(half, "wb") : NULL, *c = ok ? fopen(corrupt, "wb") : NULL;
    if (h && c) {
        ok = fwrite(buf, 1, (size_t)size / 2, h) == (size_t)size / 2;
        memset(buf + size / 2, 0x5a, 4096);
        ok = ok && fwrite(buf, 1, (size_t)size, c) == (size_t)size;
    } else {
        ok = false;
    }
    if (h)
        ok &= fclose(h) == 0;
    if (c)
        ok &= fclose(c) == 0;
    free(buf);
    return ok;
}

bool test_errors(void)
{
    const char *kernel = e2e_getenv_or("E2E_GUEST_KERNEL", "/guest/vmlinuz");
    const char *initrd = e2e_getenv_or("E2E_GUEST_INITRD", "/guest/initramfs.img");
    char truncated[300];
    bool ok = true;

    /* The first 8 KiB of the real kernel: a valid-looking header, but cut short. */
    snprintf(truncated, sizeof(truncated), "%s/vmlinuz-8k", e2e_tmpdir());
    {
        int in = open(kernel, O_RDONLY), fd = open(truncated, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char buf[8192];
        E2E_CHECK(in >= 0 && fd >= 0, "cannot create %s from %s", truncated, kernel);
        E2E_CHECK(read(in, buf, sizeof(buf)) == (ssize_t)sizeof(buf) &&
                      write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
                  "cannot copy 8 KiB of %s", kernel);
        close(in);
        close(fd);
    }

    /* The real kernel cut inside its compressed payload, and one whose payload is
     * corrupt: both refused before the guest runs (a guest-side decompressor would hang). */
    char half[300], corrupt[300];
    snprintf(half, sizeof(half), "%s/vmlinuz-half", e2e_tmpdir());
    snprintf(corrupt, sizeof(corrupt), "%s/vmlinuz-corrupt", e2e_tmpdir());
    E2E_CHECK(copy_kernel_damaged(kernel, half, corrupt), "cannot make damaged copies of %s",
              kernel);

    const char *not_bzimage[] = {"", "-kernel", "/etc/passwd", "-initrd", initrd, "-m", "512M",
                                 NULL};
    ok &= expect_error("-kernel is not a bzImage", not_bzimage, "-kernel");
    const char *cut[] = {"", "-kernel", truncated, "-initrd", initrd, "-m", "512M", NULL};
    ok &= expect_error("-kernel is a truncated bzImage", cut, "-kernel");
    const char *cut_payload[] = {"", "-kernel", half, "-initrd", initrd, "-m", "512M", NULL};
    ok &= expect_error("-kernel cut inside its payload", cut_payload, "truncated bzImage");
    const char *bad_payload[] = {"", "-kernel", corrupt, "-initrd", initrd, "-m", "512M", NULL};
    ok &= expect_error("-kernel with a corrupt payload", bad_payload, "kernel payload");
    const char *no_kernel[] = {"", "-kernel", "/nonexistent/vmlinuz", "-m", "512M", NULL};
    ok &= expect_error("-kernel does not exist", no_kernel, "-kernel");
    const char *no_initrd[] = {"", "-kernel", kernel, "-initrd", "/nonexistent/initrd.img",
                               "-m", "512M", NULL};
    ok &= expect_error("-initrd does not exist", no_initrd, "-initrd");
    const char *huge[] = {"", "-kernel", kernel, "-initrd", initrd, "-m", "100T", NULL};
    ok &= expect_error("-m 100T", huge, "-m");
    /* L1 has 6 GiB and no swap. */
    const char *big[] = {"", "-kernel", kernel, "-initrd", initrd, "-m", "8G", NULL};
    ok &= expect_error("-m 8G (more than the host)", big, "-m");
    const char *slots[] = {"", "-kernel", kernel, "-m", "512M,slots=4", NULL};
    ok &= expect_error("-m slots without maxmem", slots, "-m");
    const char *unknown[] = {"", "-kernel", kernel, "-frobnicate", NULL};
    ok &= expect_error("unknown option", unknown, "-frobnicate");
    return ok;
}
