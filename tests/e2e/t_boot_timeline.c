/* boot_timeline (manual): where the guest's boot time goes, plugvm against QEMU pc.
 *
 * Each VMM boots the default guest twice: once with the kernel's console messages
 * (no `quiet`, printk.time=1) and once with the benchmark's own command line (`quiet`).
 * The host side stamps spawn, the first console byte and `plugvm-guest: ready`, plus
 * every console line as it arrives; the guest's `dmesg` then goes into the log, so the
 * two kernel timelines can be compared phase by phase (docs/benchmarks.md). */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#define VERBOSE_APPEND "console=ttyS0 printk.time=1 memhp_default_state=online_movable"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Logs each complete console line from *done on, stamped with the host time since
 * spawn at which it was read. */
static void log_new_lines(struct e2e_vm *vm, size_t *done, double t)
{
    char *p, *nl;
    if (!vm->con.buf)
        return;
    p = vm->con.buf + *done;
    while ((nl = memchr(p, '\n', vm->con.len - (size_t)(p - vm->con.buf)))) {
        int n = (int)(nl - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        printf("host +%7.3f | %.*s\n", t, n, p);
        p = nl + 1;
    }
    *done = (size_t)(p - vm->con.buf);
}

/* KVM's global statistics (debugfs, summed over every VM; one VM runs at a time here):
 * exits by kind, NPT faults fixed, halts.  Returns how many were read into vals. */
#define KVM_STATS_DIR "/sys/kernel/debug/kvm"
#define MAX_STATS 128
struct kvm_stats {
    int n;
    char name[MAX_STATS][48];
    unsigned long long val[MAX_STATS];
};

static void read_kvm_stats(struct kvm_stats *st)
{
    DIR *d;
    struct dirent *e;

    st->n = 0;
    if (access(KVM_STATS_DIR, R_OK) != 0)
        mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
    d = opendir(KVM_STATS_DIR);
    if (!d)
        return;
    while ((e = readdir(d)) && st->n < MAX_STATS) {
        char path[512];
        FILE *f;
        if (e->d_type != DT_REG)
            continue;
        snprintf(path, sizeof(path), "%s/%s", KVM_STATS_DIR, e->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        if (fscanf(f, "%llu", &st->val[st->n]) == 1) {
            snprintf(st->name[st->n], sizeof(st->name[0]), "%.47s", e->d_name);
            st->n++;
        }
        fclose(f);
    }
    closedir(d);
}

/* One line with every statistic that changed between before and after. */
static void log_kvm_stats(const char *who, const struct kvm_stats *before,
                          const struct kvm_stats *after)
{
    printf("KVMSTATS %s:", who);
    for (int i = 0; i < after->n; i++)
        for (int j = 0; j < before->n; j++)
            if (strcmp(after->name[i], before->name[j]) == 0 &&
                after->val[i] != before->val[j] && !strstr(after->name[i], "_ns") &&
                !strstr(after->name[i], "hist"))
                printf(" %s=%llu", after->name[i], after->val[i] - before->val[j]);
    printf("\n");
}

/* plugvm's own boot steps (PLUGVM_TRACE lines "<ns> boot <step>"), relative to spawn. */
static void log_plugvm_trace(const char *path, double t0)
{
    FILE *f = fopen(path, "r");
    char line[256];
    unsigned long long ns;
    char what[200];

    if (!f) {
        e2e_log("no PLUGVM_TRACE file %s", path);
        return;
    }
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%llu boot %199s", &ns, what) == 2)
            printf("plugvm +%7.3f | %s\n", (double)ns / 1e9 - t0, what);
    fclose(f);
}

static bool one_boot(enum e2e_vmm_kind kind, const char *append, const char *mem,
                     const char *const *extra, const char *label)
{
    struct e2e_vm vm = E2E_VM_INIT;
    struct e2e_vm_opts o = {.vmm = kind, .append = append, .mem = mem, .smp = 2,
                            .extra = extra};
    double t0, first = -1, ready = -1, deadline;
    static struct kvm_stats st0, st1;
    size_t done = 0;
    char *out = NULL, trace[512];
    bool ok = false;

    snprintf(trace, sizeof(trace), "%s/trace-%s", e2e_tmpdir(), label);
    if (kind == E2E_VMM_PLUGVM)
        setenv("PLUGVM_TRACE", trace, 1);
    else
        unsetenv("PLUGVM_TRACE");
    e2e_log("=== %s, %s: -append \"%s\" -m %s", e2e_vmm_name(kind), label, append, mem);
    read_kvm_stats(&st0);
    t0 = now_s();
    if (!e2e_vm_start(&vm, &o))
        goto out;
    deadline = t0 + 180;
    while (ready < 0) {
        int r = e2e_stream_fill(&vm.con, 200);
        double t = now_s() - t0;
        if (r < 0) {
            e2e_fail("%s: console EOF before ready", e2e_vmm_name(kind));
            e2e_stream_tail(&vm.con, 40);
            goto out;
        }
        if (r > 0 && first < 0)
            first = t;
        log_new_lines(&vm, &done, t);
        if (vm.con.buf && strstr(vm.con.buf, E2E_GUEST_READY))
            ready = t;
        if (now_s() > deadline) {
            e2e_fail("%s: no ready line within 180 s", e2e_vmm_name(kind));
            e2e_stream_tail(&vm.con, 40);
            goto out;
        }
    }
    read_kvm_stats(&st1);
    vm.con.pos = done;
    if (!e2e_vm_expect(&vm, "# ", 30))
        goto out;
    e2e_log("TIMELINE %s %s: spawn -> first console byte %.3f s, -> ready %.3f s",
            e2e_vmm_name(kind), label, first, ready);
    if (kind == E2E_VMM_PLUGVM)
        log_plugvm_trace(trace, t0);
    log_kvm_stats(e2e_vmm_name(kind), &st0, &st1);
    if (!e2e_vm_sh(&vm, "dmesg", &out, 120))
        goto out;
    printf("---- dmesg %s %s ----\n%s---- end dmesg ----\n", e2e_vmm_name(kind), label, out);
    ok = true;
out:
    free(out);
    e2e_vm_destroy(&vm);
    return ok;
}

bool test_boot_timeline(void)
{
    static const enum e2e_vmm_kind kinds[] = {E2E_VMM_PLUGVM, E2E_VMM_QEMU};
    /* -m 512M is what tools/bench-boot measures; with a hotplug window the guest also
     * sets up a 64 MiB swiotlb (memory may appear above 4 GiB), for either VMM. */
    static const struct {
        const char *label, *append, *mem;
    } runs[] = {
        {"verbose", VERBOSE_APPEND, "512M"},
        {"quiet", E2E_DEFAULT_APPEND, "512M"},
        {"quiet-slots", E2E_DEFAULT_APPEND, "512M,slots=16,maxmem=64G"},
    };
    /* How much of the boot is the first touch of guest RAM: plugvm with boot RAM
     * populated on the host before the guest starts. */
    static const char *const prealloc[] = {
        "-object", "memory-backend-ram,id=ram0,size=512M,prealloc=on",
        "-numa", "node,nodeid=0,cpus=0-1,memdev=ram0", NULL};
    bool ok = true;

    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++)
        for (size_t k = 0; k < 2; k++)
            ok &= one_boot(kinds[k], runs[r].append, runs[r].mem, NULL, runs[r].label);
    ok &= one_boot(E2E_VMM_PLUGVM, E2E_DEFAULT_APPEND, "512M", prealloc, "quiet-prealloc");
    return ok;
}
