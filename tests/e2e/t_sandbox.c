/* -sandbox on: a plugvm whose every thread runs under the seccomp allowlist still does
 * the whole memory-hotplug loop.  Helpers: t_unplug.h. */
#include "t_unplug.h"

#include <dirent.h>
#include <unistd.h>
#include <fcntl.h>
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

/* The unprivileged user the sandbox test runs plugvm as, and the group that may open
 * /dev/kvm, as Debian's udev rule sets it up (root:kvm, 0660) for users in group kvm. */
#define E2E_USER_UID 1000
#define E2E_KVM_GID 1000

/* /dev/kvm for group gid (mode 0660); the old owner and mode in *old, for kvm_restore. */
static bool kvm_for_group(gid_t gid, struct stat *old)
{
    if (stat("/dev/kvm", old) < 0)
        return e2e_fail("stat /dev/kvm: %s", strerror(errno));
    if (chown("/dev/kvm", 0, gid) < 0 || chmod("/dev/kvm", 0660) < 0)
        return e2e_fail("/dev/kvm for group %u: %s", (unsigned)gid, strerror(errno));
    return true;
}

static void kvm_restore(const struct stat *old)
{
    if (chown("/dev/kvm", old->st_uid, old->st_gid) < 0 || chmod("/dev/kvm", old->st_mode & 07777) < 0)
        e2e_log("cannot restore /dev/kvm's owner and mode: %s", strerror(errno));
}

/* The plugvm binary the tests run, as a path (E2E_PLUGVM, else plugvm looked up in PATH). */
static bool plugvm_path(char *buf, size_t len)
{
    const char *name = e2e_getenv_or("E2E_PLUGVM", "plugvm");
    if (strchr(name, '/')) {
        snprintf(buf, len, "%s", name);
        return access(buf, X_OK) == 0;
    }
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    bool found = false;
    for (char *save = NULL, *dir = strtok_r(path, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        snprintf(buf, len, "%s/%s", dir, name);
        found = access(buf, X_OK) == 0;
    }
    free(path);
    return found;
}

static bool copy_file(const char *from, const char *to, mode_t mode)
{
    char chunk[65536];
    ssize_t n = 0;
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    bool ok = in >= 0 && out >= 0;
    while (ok && (n = read(in, chunk, sizeof(chunk))) > 0)
        ok = write(out, chunk, (size_t)n) == n;
    ok = ok && n == 0 && fchmod(out, mode) == 0;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) < 0)
        ok = false;
    return ok || e2e_fail("copy %s to %s: %s", from, to, strerror(errno));
}

/* A root-owned setuid copy of plugvm, started by the unprivileged user, refuses to run:
 * exit 1 and one line naming the setuid bit, before it reads its command line. */
static bool setuid_refused(void)
{
    char bin[512], copy[512];
    struct e2e_vm vm = E2E_VM_INIT;
    int status;
    bool ok = false;

    if (!plugvm_path(bin, sizeof(bin)))
        return e2e_fail("cannot find the plugvm binary");
    snprintf(copy, sizeof(copy), "%s/plugvm-setuid", e2e_tmpdir());
    if (!copy_file(bin, copy, 04755))
        return false;
    char *argv[] = {copy, "-kernel", "/nonexistent", NULL};
    if (!e2e_vm_spawn_as(&vm, argv, E2E_USER_UID, E2E_KVM_GID) ||
        !e2e_vm_wait_exit(&vm, 30, &status))
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 ||
        !strstr(vm.con.buf, "plugvm: refusing to run setuid (user 1000 running as 0)")) {
        e2e_fail("a setuid-root plugvm run by uid %d: status 0x%x, output:\n%.*s",
                 E2E_USER_UID, status, (int)vm.con.len, vm.con.buf ? vm.con.buf : "");
        goto out;
    }
    e2e_log("a setuid-root copy of plugvm run by uid %d: exit 1, 'refusing to run setuid'",
            E2E_USER_UID);
    ok = true;
out:
    e2e_vm_destroy(&vm);
    unlink(copy);
    return ok;
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
 * "sandbox: blocked". plugvm runs as an unprivileged user (uid 1000, no supplementary
 * groups) whose only right is group access to /dev/kvm, as docs/options.md says a user
 * runs it: every step above works without root. Before that, a root-owned setuid copy of
 * plugvm started by that user refuses to run (exit 1, "refusing to run setuid"). */
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
    /* The user's own directories: its sockets and its file backends. */
    if (chown(e2e_tmpdir(), E2E_USER_UID, E2E_KVM_GID) < 0 ||
        chown(memdir, E2E_USER_UID, E2E_KVM_GID) < 0)
        return e2e_fail("chown %s: %s", e2e_tmpdir(), strerror(errno));
    struct stat kvm_old;
    if (!kvm_for_group(E2E_KVM_GID, &kvm_old))
        return false;
    snprintf(sarg, sizeof(sarg), "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
             "resourcecontrol=deny,mem-path=%s", memdir);
    const char *extra[] = {"-qmp", qarg, "-monitor", harg, "-sandbox", sarg, NULL};
    if (!setuid_refused())
        goto out;
    struct e2e_vm_opts o = {.vmm = E2E_VMM_PLUGVM, .mem = "512M,slots=4,maxmem=4G",
                            .extra = extra, .uid = E2E_USER_UID, .gid = E2E_KVM_GID};
    if (!e2e_vm_boot(&t.vm, &o, 120) || !uq_open(&t.q, t.qsock, 10) ||
        !uh_open(&t.h, t.hsock, 10))
        goto out;
    if (proc_status(t.vm.pid, "Uid") != E2E_USER_UID || proc_status(t.vm.pid, "Gid") != E2E_KVM_GID) {
        e2e_fail("plugvm runs as uid %ld gid %ld, not the unprivileged %d/%d",
                 proc_status(t.vm.pid, "Uid"), proc_status(t.vm.pid, "Gid"), E2E_USER_UID,
                 E2E_KVM_GID);
        goto out;
    }
    e2e_log("plugvm runs as uid %d gid %d, /dev/kvm root:%d 0660", E2E_USER_UID, E2E_KVM_GID,
            E2E_KVM_GID);
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
    kvm_restore(&kvm_old);
    return ok;
}
