/* A VMM process with its stdio on a pty: start, talk to the guest console, wait. */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

bool e2e_vm_spawn(struct e2e_vm *vm, char *const argv[])
{
    return e2e_vm_spawn_as(vm, argv, 0, 0);
}

bool e2e_vm_spawn_as(struct e2e_vm *vm, char *const argv[], uid_t uid, gid_t gid)
{
    int master, slave;
    struct termios tio;

    memset(vm, 0, sizeof(*vm));
    vm->pid = -1;
    vm->con.fd = -1;
    vm->fails_before = e2e_fail_count();
    if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
        return e2e_fail("openpty: %s", strerror(errno));
    /* Raw: bytes pass through untouched (no echo, no ^C -> SIGINT, no CRLF mangling),
     * whatever the VMM does with its terminal. */
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    fcntl(master, F_SETFD, FD_CLOEXEC);

    char line[1024];
    size_t off = 0;
    for (size_t i = 0; argv[i] && off < sizeof(line) - 4; i++) {
        bool quote = strchr(argv[i], ' ') != NULL;
        off += (size_t)snprintf(line + off, sizeof(line) - off, quote ? "%s'%s'" : "%s%s",
                                i ? " " : "", argv[i]);
    }
    if (uid)
        e2e_log("spawn as uid %u gid %u: %s", (unsigned)uid, (unsigned)gid, line);
    else
        e2e_log("spawn: %s", line);

    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(master);
        close(slave);
        return e2e_fail("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        setsid();
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        if (slave > 2)
            close(slave);
        signal(SIGPIPE, SIG_DFL);
        /* Group first: once the user is no longer root, it cannot change groups. */
        if (uid && (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)) {
            fprintf(stderr, "e2e: cannot become user %u group %u: %s\n", (unsigned)uid,
                    (unsigned)gid, strerror(errno));
            _exit(127);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "e2e: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(slave);
    vm->pid = pid;
    e2e_track_pid(pid);
    e2e_stream_init(&vm->con, master, "console");
    return true;
}

bool e2e_vm_start(struct e2e_vm *vm, const struct e2e_vm_opts *opts)
{
    static const struct e2e_vm_opts defaults;
    if (!opts)
        opts = &defaults;
    char **argv = e2e_vmm_argv(opts);
    bool ok = e2e_vm_spawn_as(vm, argv, opts->uid, opts->gid);
    vm->kind = opts->vmm == E2E_VMM_DEFAULT ? e2e_vmm_default() : opts->vmm;
    free(argv);
    return ok;
}

bool e2e_vm_boot(struct e2e_vm *vm, const struct e2e_vm_opts *opts, double timeout_s)
{
    double t0 = e2e_elapsed();
    if (!e2e_vm_start(vm, opts))
        return false;
    if (!e2e_vm_expect(vm, E2E_GUEST_READY, timeout_s))
        return false;
    e2e_log("%s: guest userspace ready after %.2f s", e2e_vmm_name(vm->kind),
            e2e_elapsed() - t0);
    /* The shell prompt ("/ # ") comes after the inventory lines. */
    return e2e_vm_expect(vm, "# ", 30);
}

bool e2e_vm_expect(struct e2e_vm *vm, const char *needle, double timeout_s)
{
    return e2e_stream_expect(&vm->con, needle, timeout_s);
}

bool e2e_vm_send(struct e2e_vm *vm, const char *text)
{
    return e2e_stream_puts(&vm->con, text);
}

bool e2e_vm_run(struct e2e_vm *vm, const char *cmd, char **out, int *rc, double timeout_s)
{
    unsigned n = ++vm->seq;
    char begin[32], end[32], *line;
    /* The echoed command line shows E2E''<n>B, which does not match E2E<n>B. */
    snprintf(begin, sizeof(begin), "E2E%uB", n);
    snprintf(end, sizeof(end), "E2E%uE ", n);
    if (asprintf(&line, "echo E2E''%uB; { %s\n}; echo E2E''%uE\" $?\"\n", n, cmd, n) < 0)
        abort();
    e2e_log("guest$ %s", cmd);
    bool ok = e2e_vm_send(vm, line);
    free(line);
    if (!ok)
        return false;

    /* Output starts on the line after the begin marker. */
    if (!e2e_stream_expect(&vm->con, begin, timeout_s) || !e2e_stream_expect(&vm->con, "\n", 10))
        return false;
    size_t start = vm->con.pos;
    if (!e2e_stream_expect(&vm->con, end, timeout_s))
        return false;
    size_t stop = vm->con.pos - strlen(end);
    if (!e2e_stream_expect(&vm->con, "\n", 10))
        return false;
    int status = atoi(vm->con.buf + stop + strlen(end));

    if (out) {
        char *o = malloc(stop - start + 1);
        size_t k = 0;
        if (!o)
            abort();
        for (size_t i = start; i < stop; i++)
            if (vm->con.buf[i] != '\r')
                o[k++] = vm->con.buf[i];
        o[k] = '\0';
        *out = o;
    }
    if (rc)
        *rc = status;
    return true;
}

bool e2e_vm_sh(struct e2e_vm *vm, const char *cmd, char **out, double timeout_s)
{
    int rc;
    char *o = NULL;
    if (!e2e_vm_run(vm, cmd, &o, &rc, timeout_s))
        return false;
    if (rc != 0) {
        e2e_fail("guest command exited %d: %s\n%s", rc, cmd, o);
        free(o);
        return false;
    }
    if (out)
        *out = o;
    else
        free(o);
    return true;
}

bool e2e_vm_wait_exit(struct e2e_vm *vm, double timeout_s, int *status)
{
    double deadline = e2e_elapsed() + timeout_s;
    while (!vm->exited) {
        pid_t r = waitpid(vm->pid, &vm->status, WNOHANG);
        if (r == vm->pid) {
            vm->exited = true;
            e2e_untrack_pid(vm->pid);
            break;
        }
        if (r < 0 && errno != EINTR)
            return e2e_fail("waitpid: %s", strerror(errno));
        if (e2e_elapsed() > deadline) {
            e2e_fail("%s (pid %d) did not exit within %.1f s; killing it",
                     e2e_vmm_name(vm->kind), (int)vm->pid, timeout_s);
            e2e_stream_tail(&vm->con, 40);
            e2e_vm_destroy(vm);
            return false;
        }
        if (e2e_stream_fill(&vm->con, 50) < 0)
            usleep(20000);
    }
    while (e2e_stream_fill(&vm->con, 0) > 0) /* drain what is left */
        ;
    if (status)
        *status = vm->status;
    if (WIFEXITED(vm->status))
        e2e_log("%s exited with status %d", e2e_vmm_name(vm->kind), WEXITSTATUS(vm->status));
    else if (WIFSIGNALED(vm->status))
        e2e_log("%s killed by signal %d", e2e_vmm_name(vm->kind), WTERMSIG(vm->status));
    return true;
}

/* Where each thread of a VMM that is still running sits (state, kernel wait channel,
 * system call, kernel stack) and whether its VM still exits to KVM (KVM's debugfs
 * counters, sampled twice one second apart): after a failure this tells a VMM blocked in
 * user space from a guest stuck on its own and from a vCPU looping inside KVM. */
static void dump_threads(pid_t pid)
{
    static const char script[] =
        "p=$1\n"
        "for t in /proc/$p/task/*; do\n"
        "  echo \"${t##*/} $(cut -d' ' -f2-3 $t/stat 2>/dev/null) wchan=$(cat $t/wchan 2>/dev/null)"
        " syscall=$(cut -d' ' -f1-3 $t/syscall 2>/dev/null)\"\n"
        "  sed 's/^/    /' $t/stack 2>/dev/null | head -n 12\n"
        "done\n"
        "for d in /sys/kernel/debug/kvm/$p-*; do\n"
        "  [ -d \"$d\" ] || continue\n"
        "  for i in 1 2; do\n"
        "    line=\"kvm counters ($i):\"\n"
        "    for f in exits io_exits mmio_exits halt_exits halt_wakeup irq_exits irq_injections"
        " nmi_injections pf_taken pf_fixed pf_spurious hypercalls request_irq_exits; do\n"
        "      [ -r \"$d/$f\" ] && line=\"$line $f=$(cat $d/$f)\"\n"
        "    done\n"
        "    echo \"$line\"\n"
        "    [ $i = 1 ] && sleep 1\n"
        "  done\n"
        "done\n"
        /* Which exits, at which guest addresses, for one second: a guest that loops
         * somewhere shows its RIP here (all of L1's VMs; the VMM under test is the one
         * still running). */
        "T=/sys/kernel/debug/tracing\n"
        "if [ -w $T/events/kvm/kvm_exit/enable ]; then\n"
        "  echo > $T/trace\n"
        "  echo 1 > $T/events/kvm/kvm_exit/enable\n"
        "  sleep 1\n"
        "  echo 0 > $T/events/kvm/kvm_exit/enable\n"
        "  echo 'kvm exits in one second (count, vCPU, reason, guest RIP):'\n"
        "  sed -n 's/.*kvm_exit: vcpu \\([0-9]*\\) reason \\([^ ]*\\) rip \\(0x[0-9a-f]*\\).*/"
        "vcpu\\1 \\2 \\3/p' $T/trace | sort | uniq -c | sort -rn | head -n 16\n"
        "  echo > $T/trace\n"
        "fi\n";
    char arg[16];

    snprintf(arg, sizeof(arg), "%d", (int)pid);
    e2e_log("threads of the VMM (pid %d) at the failure:", (int)pid);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", script, "sh", arg, (char *)NULL);
        _exit(127);
    }
    if (child > 0)
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
}

void e2e_vm_destroy(struct e2e_vm *vm)
{
    /* Diagnostics only for a VM that was running when something failed: a benchmark
     * goes on after a failed round, and its later VMs need no post-mortem. */
    if (vm->pid > 0 && !vm->exited && e2e_fail_count() > vm->fails_before) {
        /* A VMM that ended on its own said why on its console. */
        if (waitpid(vm->pid, &vm->status, WNOHANG) == vm->pid) {
            vm->exited = true;
            e2e_untrack_pid(vm->pid);
            if (WIFEXITED(vm->status))
                e2e_log("%s had exited with status %d", e2e_vmm_name(vm->kind),
                        WEXITSTATUS(vm->status));
            else if (WIFSIGNALED(vm->status))
                e2e_log("%s had been killed by signal %d", e2e_vmm_name(vm->kind),
                        WTERMSIG(vm->status));
        } else {
            dump_threads(vm->pid);
        }
        for (int i = 0; i < 20 && e2e_stream_fill(&vm->con, 50) > 0; i++)
            ;
        e2e_log("the VMM's console at the failure:");
        e2e_stream_tail(&vm->con, 30);
    }
    if (e2e_fail_count() > vm->fails_before && vm->con.buf &&
        strstr(vm->con.buf, "guest triple fault (shutdown) at RIP 0xfff0"))
        e2e_note_bed_fault("the guest triple-faulted (plugvm: RIP 0xfff0)");
    if (vm->pid > 0 && !vm->exited) {
        kill(vm->pid, SIGKILL);
        while (waitpid(vm->pid, &vm->status, 0) < 0 && errno == EINTR)
            ;
        vm->exited = true;
        e2e_untrack_pid(vm->pid);
    }
    e2e_stream_free(&vm->con);
}
