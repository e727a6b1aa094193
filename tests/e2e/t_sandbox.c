/* -sandbox on: a plugvm whose every thread runs under the seccomp allowlist still does
 * the whole memory-hotplug loop.  Helpers: t_unplug.h. */
#include "t_unplug.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define MIB_KB 1024L
#define TOL_KB (64 * MIB_KB)

/* Every thread of pid: "Seccomp: 2" (filter mode) and "NoNewPrivs: 1". */
static bool all_threads_filtered(pid_t pid, int *threads)
{
    char path[64];
    struct dirent *e;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    d = opendir(path);
    if (!d)
        return e2e_fail("%s: cannot list the threads", path);
    *threads = 0;
    while ((e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0)
            continue;
        (*threads)++;
        if (proc_status(tid, "Seccomp") != 2 || proc_status(tid, "NoNewPrivs") != 1) {
            closedir(d);
            return e2e_fail("thread %d: Seccomp %ld, NoNewPrivs %ld (want 2 and 1)", (int)tid,
                            proc_status(tid, "Seccomp"), proc_status(tid, "NoNewPrivs"));
        }
    }
    closedir(d);
    return true;
}

/* sandbox: plugvm -sandbox on (with QEMU's four deny switches and plugvm's mem-path=DIR)
 * boots the default guest; every plugvm thread is in seccomp filter mode with
 * no_new_privs; a RAM, a memfd and a shared file DIMM (mem-path the directory named by
 * -sandbox mem-path=) are hot-added and come online (MemTotal +768 MiB); a file backend
 * in a directory the sandbox does not open is refused with "Permission denied" (Landlock;
 * the L1 kernel has it) and plugvm goes on; HMP answers info memory-devices; all three
 * are removed again through the guest's _EJ0 (the KVM slot removal and memory release
 * run in a vCPU thread under the filter) with DEVICE_DELETED each, object-del frees the
 * backends, MemTotal is back; poweroff ends plugvm with 0 and the console never shows
 * "sandbox: blocked". */
bool test_sandbox(void)
{
    static char qarg[320], harg[320], sarg[400], memdir[256];
    struct ut t = UT_INIT;
    char obj[640], *out = NULL;
    bool ok = false;
    int threads;

    snprintf(t.qsock, sizeof(t.qsock), "%s/qmp.sock", e2e_tmpdir());
    snprintf(t.hsock, sizeof(t.hsock), "%s/hmp.sock", e2e_tmpdir());
    snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", t.qsock);
    snprintf(harg, sizeof(harg), "unix:%s,server=on,wait=off", t.hsock);
    snprintf(memdir, sizeof(memdir), "%s/mem", e2e_tmpdir());
    if (mkdir(memdir, 0700) < 0)
        return e2e_fail("mkdir %s: %s", memdir, strerror(errno));
    snprintf(sarg, sizeof(sarg), "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
             "resourcecontrol=deny,mem-path=%s", memdir);
    const char *extra[] = {"-qmp", qarg, "-monitor", harg, "-sandbox", sarg, NULL};
    struct e2e_vm_opts o = {.vmm = E2E_VMM_PLUGVM, .mem = "512M,slots=4,maxmem=4G",
                            .extra = extra};
    if (!e2e_vm_boot(&t.vm, &o, 120) || !uq_open(&t.q, t.qsock, 10) ||
        !uh_open(&t.h, t.hsock, 10))
        goto out;
    if (!all_threads_filtered(t.vm.pid, &threads))
        goto out;
    e2e_log("all %d plugvm threads: Seccomp 2 (filter), NoNewPrivs 1", threads);

    long base = qc_memtotal(&t.vm);
    if (base < 0 || !ut_plug(&t, "mram", "dram", 256))
        goto out;
    if (!ut_plug_backend(&t, "{\"qom-type\":\"memory-backend-memfd\",\"id\":\"mfd\","
                             "\"size\":268435456}", "mfd", "dfd"))
        goto out;
    snprintf(obj, sizeof(obj),
             "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\","
             "\"id\":\"mout\",\"size\":268435456,\"mem-path\":\"%s\"}}", e2e_tmpdir());
    if (!uq_err(&t.q, obj, "Permission denied", 10))
        goto out;
    e2e_log("a file backend outside the sandbox's directories: refused, plugvm goes on");
    snprintf(obj, sizeof(obj),
             "{\"qom-type\":\"memory-backend-file\",\"id\":\"mfile\",\"size\":268435456,"
             "\"mem-path\":\"%s\",\"share\":true}", memdir);
    if (!ut_plug_backend(&t, obj, "mfile", "dfile") ||
        !qc_wait_memtotal(&t.vm, base + 768 * MIB_KB, TOL_KB, 30))
        goto out;
    e2e_log("three DIMMs (ram, memfd, file) online under the sandbox");
    out = uh_cmd(&t.h, "info memory-devices", 10);
    if (!out || !strstr(out, "\"dram\"") || !strstr(out, "\"dfd\"") || !strstr(out, "\"dfile\"")) {
        e2e_fail("HMP info memory-devices: %s", out ? out : "(no answer)");
        goto out;
    }
    if (!ut_unplug(&t, "mram", "dram", 60) || !ut_unplug(&t, "mfd", "dfd", 60) ||
        !ut_unplug(&t, "mfile", "dfile", 60) || !qc_wait_memtotal(&t.vm, base, TOL_KB, 30))
        goto out;
    if (ut_dimm_count(&t) != 0) {
        e2e_fail("DIMMs left after removing all three");
        goto out;
    }
    e2e_log("all three removed through _EJ0, backends freed, MemTotal back to %ld kB", base);
    if (!all_threads_filtered(t.vm.pid, &threads) || !ut_poweroff(&t))
        goto out;
    if (strstr(t.vm.con.buf, "sandbox: blocked")) {
        e2e_fail("plugvm reported a blocked system call");
        goto out;
    }
    ok = true;
out:
    free(out);
    ut_destroy(&t);
    return ok;
}
