#include "sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <seccomp.h>

#include "machine.h"
#include "util.h"

/* What a running plugvm does, found by tracing every monitor command, every backend
 * kind, hot-add, hot-remove and shutdown (docs/options.md). Setup-only calls (opening
 * /dev/kvm, creating the VM and vCPUs, binding sockets, thread creation) are done by the
 * time the filter is loaded, so they are not here. */
static const int plain_syscalls[] = {
	/* descriptors plugvm already has: consoles, monitor sockets, eventfd, signalfd */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(fcntl), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	/* monitor clients on the listening sockets */
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(shutdown),
	/* memory backends: memfd, files and directories under mem-path, hugetlbfs checks;
	 * socket files removed at exit */
	SCMP_SYS(openat), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(statfs),
	SCMP_SYS(fstatfs), SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(ftruncate),
	SCMP_SYS(fallocate), SCMP_SYS(memfd_create), SCMP_SYS(sysinfo),
	/* memory, minus executable mappings (mmap and mprotect below); mincore: the memmap
	 * warm-up looks for boot RAM the guest never touched */
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(mincore), SCMP_SYS(brk),
	/* threads: locks, the vCPU kick signal, joining at exit; a vCPU thread may still be
	 * in glibc's thread start-up (with all signals blocked, where a trap would kill
	 * without a word) when the filter arrives */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigaction), SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(sched_yield), SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* time (the vDSO falls back to the system call for clocksources it cannot read) */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	/* the JSON library's hash seed */
	SCMP_SYS(getrandom),
};

/* ioctl requests of a running VM; everything else (KVM_CREATE_*, vCPU state setters,
 * TIOCSTI on the terminal, ...) is refused. */
static const unsigned long ioctl_requests[] = {
	KVM_RUN, KVM_SET_USER_MEMORY_REGION, KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS,
	KVM_GET_REGS, KVM_GET_SREGS, KVM_CHECK_EXTENSION,
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONBIO, FIONREAD,
};

static void (*restore_on_violation)(void);

/* Async-signal-safe: one write(2), then exit. */
static void on_blocked_call(int sig, siginfo_t *info, void *ucontext)
{
	static const char head[] = "plugvm: sandbox: blocked system call ";
	static const char tail[] =
		" (x86-64 number; `ausyscall NUMBER` names it); plugvm stops. This is a plugvm bug "
		"unless the process was compromised: please report it\n";
	char line[sizeof(head) + sizeof(tail) + 16], digits[12];
	unsigned nr = (unsigned)info->si_syscall, n = 0, len = 0;

	(void)sig, (void)ucontext;
	if (restore_on_violation)
		restore_on_violation();
	do {
		digits[n++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr && n < sizeof(digits));
	memcpy(line, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	while (n)
		line[len++] = digits[--n];
	memcpy(line + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	if (write(STDERR_FILENO, line, len) < 0)
		len = 0;
	/* The raw call: an _exit() wrapper (a sanitizer's, say) may do more than the filter
	 * allows, and a second trap inside this handler would kill without the message. */
	syscall(SYS_exit_group, EXIT_VMM_FAILURE);
}

static int build_rules(scmp_filter_ctx ctx)
{
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(plain_syscalls); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain_syscalls[i], 0)) < 0)
			return rc;
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_requests); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					   SCMP_A1(SCMP_CMP_EQ, ioctl_requests[i], 0))) < 0)
			return rc;
	/* The memmap warm-up reads its own CPU mask per hot-add (mm/memmap_warmup.c): the
	 * calling thread's only (pid 0), never another process's. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_getaffinity), 1,
				   SCMP_A0(SCMP_CMP_EQ, 0, 0))) < 0)
		return rc;
	/* No new executable memory: a compromised plugvm cannot map code of its own. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				   SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0)
		return rc;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

int sandbox_enter(void (*on_violation)(void), char *err, size_t errlen)
{
	struct sigaction sa = { .sa_sigaction = on_blocked_call, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	int rc;

	restore_on_violation = on_violation;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		pv_format(err, errlen, "-sandbox: SIGSYS handler: %s", strerror(errno));
		return -1;
	}
	/* SIGSYS must reach the thread that made the call, whatever it blocks. */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		pv_format(err, errlen, "-sandbox: libseccomp could not start a filter");
		return -1;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0)
		rc = build_rules(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		pv_format(err, errlen, "-sandbox: loading the seccomp filter failed: %s "
			  "(a kernel without seccomp filters, or a container that forbids them)",
			  strerror(-rc));
		return -1;
	}
	return 0;
}

int sandbox_check(char *err, size_t errlen)
{
	/* API level 2: the kernel has seccomp filters and SECCOMP_FILTER_FLAG_TSYNC. */
	if (seccomp_api_get() >= 2)
		return 0;
	pv_format(err, errlen, "-sandbox on: this kernel cannot load seccomp filters for all "
		  "threads (libseccomp API level %u, 2 needed)", seccomp_api_get());
	return -1;
}
