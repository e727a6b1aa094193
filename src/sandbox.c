#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/landlock.h>
#include <seccomp.h>

#include "exit_status.h"
#include "keyval.h"
#include "util.h"

/* Landlock rights newer than the oldest uapi header plugvm builds with (Linux 6.1). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3, Linux 6.2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5, Linux 6.10 */
#endif

/* ---- the plan ------------------------------------------------------------------------ */

void sandbox_plan_init(struct sandbox_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->tty_fd = -1;
}

void sandbox_plan_free(struct sandbox_plan *p)
{
	for (unsigned i = 0; i < p->nr_mem_dirs; i++)
		free(p->mem_dirs[i]);
	for (unsigned i = 0; i < p->nr_socket_dirs; i++)
		free(p->socket_dirs[i]);
	p->nr_mem_dirs = p->nr_socket_dirs = 0;
}

int sandbox_plan_add_dir(struct sandbox_plan *p, const char *dir, bool remove_only)
{
	char **dirs = remove_only ? p->socket_dirs : p->mem_dirs;
	unsigned *nr = remove_only ? &p->nr_socket_dirs : &p->nr_mem_dirs;

	for (unsigned i = 0; i < *nr; i++)
		if (strcmp(dirs[i], dir) == 0)
			return 0;
	if (*nr == SANDBOX_MAX_DIRS || !(dirs[*nr] = strdup(dir)))
		return -1;
	(*nr)++;
	return 0;
}

/* The directory a file path lives in ("." for a bare name); NULL for "/" itself, which
 * would open the whole file system. */
static char *parent_dir(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return NULL;
	while ((slash = strrchr(dir, '/')) && slash[1] == '\0' && slash != dir)
		*slash = '\0'; /* "a/b/" is "a/b" */
	slash = strrchr(dir, '/');
	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == dir) {
		free(dir);
		return NULL;
	} else {
		*slash = '\0';
	}
	return dir;
}

/* A mem-path: a directory is a root itself, a file opens its directory. */
static int add_mem_path(struct sandbox_plan *p, const char *path)
{
	struct stat st;
	char *dir;
	int ret;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return sandbox_plan_add_dir(p, path, false);
	dir = parent_dir(path);
	if (!dir) {
		pv_debug("sandbox: mem-path %s: no directory rule for it (its directory is /)", path);
		return 0;
	}
	ret = sandbox_plan_add_dir(p, dir, false);
	free(dir);
	return ret;
}

static int add_socket(struct sandbox_plan *p, const struct chardev_config *c)
{
	char *dir;
	int ret;

	if (c->kind != CHARDEV_UNIX)
		return 0;
	dir = parent_dir(c->path);
	if (!dir) {
		pv_debug("sandbox: unix:%s stays behind at exit (its directory is /)", c->path);
		return 0;
	}
	ret = sandbox_plan_add_dir(p, dir, true);
	free(dir);
	return ret;
}

/* mountinfo escapes blanks, tabs, newlines and backslashes as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Every hugetlbfs mount: where huge page backed mem-path files are made. */
static int add_hugetlbfs_mounts(struct sandbox_plan *p)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool whole = true;
	int ret = 0;

	if (!f)
		return 0;
	while (ret == 0 && fgets(line, sizeof(line), f)) {
		bool was_whole = whole;
		char *sep, *mnt, *end;

		whole = strchr(line, '\n') != NULL;
		if (!was_whole)
			continue; /* the rest of a line too long to be a mount we want */
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE ... */
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "hugetlbfs ", 10) != 0)
			continue;
		mnt = line;
		for (int field = 0; field < 4 && mnt; field++)
			if ((mnt = strchr(mnt, ' ')))
				mnt++;
		if (!mnt || !(end = strchr(mnt, ' ')))
			continue;
		*end = '\0';
		unescape_octal(mnt);
		ret = sandbox_plan_add_dir(p, mnt, false);
	}
	fclose(f);
	return ret;
}

int sandbox_plan_for_config(struct sandbox_plan *p, const struct plugvm_config *cfg, char *err,
			    size_t errlen)
{
	const char *landlock = getenv("PLUGVM_SANDBOX_LANDLOCK");
	int ret = 0;

	sandbox_plan_init(p);
	/* PLUGVM_SANDBOX_LANDLOCK=0: as on a kernel without Landlock (a test switch,
	 * docs/options.md). */
	p->seccomp_only = landlock && strcmp(landlock, "0") == 0;
	for (unsigned i = 0; i < cfg->nr_objects && ret == 0; i++) {
		const char *type = keyval_get(&cfg->objects[i], "qom-type");
		const char *path = keyval_get(&cfg->objects[i], "mem-path");

		if (type && strcmp(type, "memory-backend-file") == 0 && path && *path)
			ret = add_mem_path(p, path);
	}
	if (ret == 0 && cfg->sandbox_mem_path)
		ret = sandbox_plan_add_dir(p, cfg->sandbox_mem_path, false);
	if (ret == 0)
		ret = sandbox_plan_add_dir(p, "/dev/shm", false);
	if (ret == 0)
		ret = sandbox_plan_add_dir(p, "/dev/hugepages", false);
	if (ret == 0)
		ret = add_hugetlbfs_mounts(p);
	for (unsigned i = 0; i < cfg->nr_qmp && ret == 0; i++)
		ret = add_socket(p, &cfg->qmp[i]);
	for (unsigned i = 0; i < cfg->nr_monitor && ret == 0; i++)
		ret = add_socket(p, &cfg->monitor[i]);
	if (ret == 0)
		ret = add_socket(p, &cfg->serial);
	if (ret < 0) {
		pv_format(err, errlen, "-sandbox: more than %u directories for the file rules, or "
			  "out of memory", SANDBOX_MAX_DIRS);
		sandbox_plan_free(p);
	}
	return ret;
}

/* ---- Landlock ------------------------------------------------------------------------ */

/* Rights Landlock knows at abi: all of them are handled, so what no rule grants is
 * denied. */
static uint64_t landlock_handled(int abi)
{
	uint64_t fs = LANDLOCK_ACCESS_FS_MAKE_SYM | (LANDLOCK_ACCESS_FS_MAKE_SYM - 1); /* ABI 1 */

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

/* The rights that make sense on a file rather than a directory. */
#define LANDLOCK_FILE_RIGHTS                                                                \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                       \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                       \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* mem-path: create a file (mkostemp, O_CREAT), open an existing one read-write, size it
 * (O_TRUNC, ftruncate) and remove plugvm's temporary file. */
#define MEM_DIR_RIGHTS                                                                      \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |                     \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE |                     \
	 LANDLOCK_ACCESS_FS_TRUNCATE)

/* A rule for path and what lies beneath it; a path that cannot be opened gets none. */
static int add_rule(int ruleset, int abi, const char *path, uint64_t rights)
{
	struct landlock_path_beneath_attr rule = { 0 };
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), ret;

	if (fd < 0) {
		pv_debug("sandbox: %s: %s; no file rule for it", path, strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= LANDLOCK_FILE_RIGHTS;
	rule.allowed_access = rights & landlock_handled(abi);
	rule.parent_fd = fd;
	ret = rule.allowed_access ?
		      (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) :
		      0;
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int sandbox_prepare(struct sandbox *sb, const struct sandbox_plan *plan, char *err,
		    size_t errlen)
{
	struct landlock_ruleset_attr attr = { 0 };
	int abi, ret = 0;

	sb->ruleset_fd = -1;
	sb->landlock_abi = 0;
	if (plan->seccomp_only)
		return 0;
	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		pv_debug("sandbox: no Landlock (%s): file access is limited by seccomp alone "
			 "(no writing to existing files; new files and removal anywhere the user may)",
			 strerror(errno));
		return 0;
	}
	attr.handled_access_fs = landlock_handled(abi);
	sb->ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (sb->ruleset_fd < 0) {
		pv_format(err, errlen, "-sandbox: Landlock ruleset: %s", strerror(errno));
		return -1;
	}
	sb->landlock_abi = abi;
	for (unsigned i = 0; i < plan->nr_mem_dirs && ret == 0; i++)
		ret = add_rule(sb->ruleset_fd, abi, plan->mem_dirs[i], MEM_DIR_RIGHTS);
	for (unsigned i = 0; i < plan->nr_socket_dirs && ret == 0; i++)
		ret = add_rule(sb->ruleset_fd, abi, plan->socket_dirs[i],
			       LANDLOCK_ACCESS_FS_REMOVE_FILE);
	/* The default huge page size, for memory-backend-memfd,hugetlb=on without a size. */
	if (ret == 0)
		ret = add_rule(sb->ruleset_fd, abi, "/proc/meminfo", LANDLOCK_ACCESS_FS_READ_FILE);
	if (ret < 0) {
		pv_format(err, errlen, "-sandbox: Landlock rule: %s", strerror(-ret));
		close(sb->ruleset_fd);
		sb->ruleset_fd = -1;
		return -1;
	}
	pv_debug("sandbox: Landlock ABI %d, %u mem-path and %u socket directories", abi,
		 plan->nr_mem_dirs, plan->nr_socket_dirs);
	return 0;
}

int sandbox_restrict_thread(const struct sandbox *sb)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (sb->ruleset_fd < 0)
		return 0;
	return syscall(SYS_landlock_restrict_self, sb->ruleset_fd, 0) < 0 ? -1 : 0;
}

/* ---- seccomp ------------------------------------------------------------------------- */

/* What a running plugvm does, found by tracing every monitor command, every backend
 * kind, hot-add, hot-remove and shutdown, and checked by running those paths under the
 * filter (tests/unit/test_sandbox*.c). Setup-only calls (opening /dev/kvm, creating the
 * VM and vCPUs, binding sockets, thread creation) are done by the time the filter is
 * loaded, so they are not here. */
static const int plain_syscalls[] = {
	/* descriptors plugvm already has: consoles, monitor sockets, eventfd, signalfd */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(fcntl), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	/* monitor clients on the listening sockets */
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(shutdown),
	/* memory backends: memfd, files under mem-path (Landlock says where), hugetlbfs
	 * checks; socket files removed at exit (Landlock: only in their directories) */
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(statfs),
	SCMP_SYS(fstatfs), SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(ftruncate),
	SCMP_SYS(fallocate), SCMP_SYS(memfd_create), SCMP_SYS(sysinfo),
	/* memory, minus executable mappings (mmap and mprotect below); mincore: the memmap
	 * warm-up looks for boot RAM the guest never touched */
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(mincore), SCMP_SYS(brk),
	/* threads: locks, signal masks (blocking SIGSYS does not help: the kernel unblocks
	 * it and kills), joining at exit (tgkill, kill, rt_sigaction below) */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(sched_yield), SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* time (the vDSO falls back to the system call for clocksources it cannot read) */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	/* mkostemp's names; the JSON library's hash seed is drawn before (vm_run) */
	SCMP_SYS(getrandom),
};

/* ioctl requests of a running VM; everything else (KVM_CREATE_*, vCPU state setters,
 * TIOCSTI on the terminal, ...) is refused. */
static const unsigned long ioctl_requests[] = {
	KVM_RUN, KVM_SET_USER_MEMORY_REGION, KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS,
	KVM_GET_REGS, KVM_GET_SREGS, KVM_CHECK_EXTENSION,
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONBIO, FIONREAD,
};

/* The signals plugvm sends itself: the vCPU kick (vcpu.c: SIGUSR1, pthread_kill) and
 * abort()'s SIGABRT (glibc's own checks, sanitizers). */
static const int own_signals[] = { SIGUSR1, SIGABRT };

/* What sandbox_file_hint says once a filter is loaded. */
static const char *file_hint = "";

/* For the handler, which cannot be given arguments: the terminal to hand back. Written
 * before the filter is loaded, read only by the handler. */
static int violation_tty_fd = -1;
static struct termios violation_tty_mode;

/* Async-signal-safe: tcsetattr, one write(2), then exit. No indirect call: the handler's
 * path cannot be bent by overwriting a pointer. */
static void on_blocked_call(int sig, siginfo_t *info, void *ucontext)
{
	static const char head[] = "plugvm: sandbox: blocked system call ";
	static const char tail[] =
		" (x86-64 number; `ausyscall NUMBER` names it); plugvm stops. This is a plugvm bug "
		"unless the process was compromised: please report it\n";
	char line[sizeof(head) + sizeof(tail) + 16], digits[12];
	unsigned nr = (unsigned)info->si_syscall, n = 0, len = 0;

	(void)sig, (void)ucontext;
	if (violation_tty_fd >= 0)
		tcsetattr(violation_tty_fd, TCSANOW, &violation_tty_mode);
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

/* Without Landlock, openat cannot be told where; its flags can. Reading is allowed, and
 * creating a new file (O_CREAT|O_EXCL: mem-path's mkostemp and new files); opening an
 * existing file for writing or truncating (/proc/self/mem, the user's files) fails with
 * EACCES, as Landlock would fail it. The flags are an int: only their low 32 bits count,
 * and every rule looks at exactly those bits, so the rules never overlap. */
static int add_openat_flag_rules(scmp_filter_ctx ctx)
{
	const unsigned mask = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC;
	int rc;

	for (unsigned v = 0; v <= mask; v++) {
		bool read_only = (v & (O_ACCMODE | O_CREAT | O_TRUNC)) == O_RDONLY;
		bool create_new = (v & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) &&
				  (v & O_ACCMODE) != O_ACCMODE;

		if ((v & ~mask) != 0)
			continue;
		rc = seccomp_rule_add(ctx, read_only || create_new ? SCMP_ACT_ALLOW :
				      SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, mask, v));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int build_rules(scmp_filter_ctx ctx, bool landlock)
{
	const scmp_datum_t pid = (scmp_datum_t)getpid();
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(plain_syscalls); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain_syscalls[i], 0)) < 0)
			return rc;
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_requests); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					   SCMP_A1(SCMP_CMP_EQ, ioctl_requests[i], 0))) < 0)
			return rc;
	/* Files: Landlock decides where; without it, the flags decide. */
	rc = landlock ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 0) :
			add_openat_flag_rules(ctx);
	if (rc < 0)
		return rc;
	/* Signals: only to this process, only the ones plugvm sends. Another process, even
	 * of the same user, cannot be signalled; tkill, which names no process, not at all. */
	for (size_t i = 0; i < ARRAY_SIZE(own_signals); i++) {
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2,
					   SCMP_A0(SCMP_CMP_EQ, pid, 0),
					   SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)own_signals[i], 0))) < 0)
			return rc;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 2,
					   SCMP_A0(SCMP_CMP_EQ, pid, 0),
					   SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)own_signals[i], 0))) < 0)
			return rc;
	}
	/* Signal handlers, but never SIGSYS's: a handler of its own would let a compromised
	 * plugvm live on past a blocked call. Trying ends the process at once (the kernel
	 * reads only the low 32 bits of the signal number, so the rule does too); signals
	 * from 1 to 30 may be set up (abort() resets SIGABRT's), the real-time ones not. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(rt_sigaction), 1,
				   SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, SIGSYS))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1,
				   SCMP_A0(SCMP_CMP_LT, SIGSYS, 0))) < 0)
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

/* A leak check at exit stops the world with clone and ptrace, which the filter refuses:
 * under the sandbox the sanitizers' end-of-process leak check is off (use -sandbox off
 * to look for leaks). LeakSanitizer asks this function before it checks. */
#if defined(__SANITIZE_ADDRESS__)
#define PLUGVM_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLUGVM_HAVE_LSAN 1
#endif
#endif
#ifdef PLUGVM_HAVE_LSAN
static volatile int sandbox_loaded;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return sandbox_loaded;
}
#endif

int sandbox_enter(struct sandbox *sb, const struct sandbox_plan *plan, char *err,
		  size_t errlen)
{
	struct sigaction sa = { .sa_sigaction = on_blocked_call, .sa_flags = SA_SIGINFO };
	bool landlock = sb->ruleset_fd >= 0;
	scmp_filter_ctx ctx;
	int rc;

	if (landlock) {
		close(sb->ruleset_fd);
		sb->ruleset_fd = -1;
	}
	violation_tty_fd = plan->tty_fd;
	violation_tty_mode = plan->tty_mode;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		pv_format(err, errlen, "-sandbox: SIGSYS handler: %s", strerror(errno));
		return -1;
	}
	/* SIGSYS reaches the thread that made the call, whatever it blocks. */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		pv_format(err, errlen, "-sandbox: libseccomp could not start a filter");
		return -1;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	/* A call through the 32-bit or x32 entry points: never plugvm's, no line. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = build_rules(ctx, landlock);
#ifdef PLUGVM_HAVE_LSAN
	sandbox_loaded = 1;
#endif
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
#ifdef PLUGVM_HAVE_LSAN
		sandbox_loaded = 0;
#endif
		pv_format(err, errlen, "-sandbox: loading the seccomp filter failed: %s "
			  "(a kernel without seccomp filters, or a container that forbids them; "
			  "-sandbox off runs without)", strerror(-rc));
		return -1;
	}
	file_hint = landlock ?
		" (the sandbox lets plugvm make files only under the directories of -object "
		"mem-path, -sandbox mem-path=DIR, /dev/shm, /dev/hugepages and hugetlbfs mounts)" :
		" (the sandbox, without Landlock on this kernel, lets plugvm create new files but "
		"not open existing ones to write)";
	return 0;
}

const char *sandbox_file_hint(void)
{
	return file_hint;
}

int sandbox_apply(const struct sandbox_plan *plan, char *err, size_t errlen)
{
	struct sandbox sb;

	if (sandbox_prepare(&sb, plan, err, errlen) < 0)
		return -1;
	if (sandbox_restrict_thread(&sb) < 0) {
		pv_format(err, errlen, "-sandbox: Landlock: %s", strerror(errno));
		if (sb.ruleset_fd >= 0)
			close(sb.ruleset_fd);
		return -1;
	}
	return sandbox_enter(&sb, plan, err, errlen);
}

int sandbox_check(char *err, size_t errlen)
{
	/* API level 2: the kernel has seccomp filters and SECCOMP_FILTER_FLAG_TSYNC. */
	if (seccomp_api_get() >= 2)
		return 0;
	pv_format(err, errlen, "-sandbox on: this kernel cannot load seccomp filters for all "
		  "threads (libseccomp API level %u, 2 needed); -sandbox off runs without",
		  seccomp_api_get());
	return -1;
}
