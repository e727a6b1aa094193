/* The sandbox (src/sandbox.h), loaded in a forked child: what a running plugvm does still
 * works, and what it never does ends the process with one line naming the call (new
 * sockets, exec, executable memory, VM creation), or fails as a file outside its
 * directories fails (Landlock: /proc/self/mem, the user's files), or ends it at once
 * (taking SIGSYS's handler away). Signals reach only plugvm itself. Each runs with
 * Landlock where the kernel has it and again with seccomp alone, as on a kernel without.
 * tests/unit/test_sandbox_vm.c runs a whole plugvm under it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>
#include <linux/landlock.h>

#include "machine.h"
#include "mm/backend.h"
#include "options.h"
#include "sandbox.h"
#include "util.h"

enum action {
	DO_ALLOWED, DO_SOCKET, DO_EXEC, DO_EXEC_MEMORY, DO_KVM_CREATE_VM, DO_FORK,
	DO_PROC_SELF_MEM, DO_KILL_OTHER, DO_TGKILL_OTHER, DO_TGKILL_OTHER_SIGNAL, DO_TKILL,
	DO_SIGSYS_HANDLER, DO_SIGSYS_HANDLER_HIGH_BITS, DO_SIGSYS_BLOCKED, DO_CREATE_OUTSIDE,
	DO_OVERWRITE_OUTSIDE, DO_UNLINK_OUTSIDE, DO_READ_OUTSIDE, DO_BACKENDS,
};

struct outcome {
	int status;         /* from waitpid */
	char stderr_text[1024];
};

/* inside: the plan's mem-path directory; outside: a directory of the user's that is in
 * no rule, holding the file "old". */
static char inside[64], outside[64];
static pid_t parent;
static bool seccomp_only;
static uint64_t huge_page_size; /* as read before the sandbox */

static void kick_handler(int sig)
{
	(void)sig;
}

static int expect_eacces(int ret)
{
	return ret < 0 && errno == EACCES ? 0 : 120;
}

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* What the memory backends do at run time: every kind, object-add's mem-path inside the
 * rules and outside them (an error, not the end of plugvm). */
static int backends(void)
{
	static const char *const ok[] = {
		"memory-backend-ram,id=r,size=4M",
		"memory-backend-ram,id=rp,size=4M,prealloc=on",
		"memory-backend-memfd,id=m,size=4M",
		"memory-backend-memfd,id=ms,size=4M,seal=off,share=off",
		"memory-backend-file,id=f,size=4M,mem-path=INSIDE",
		"memory-backend-file,id=fp,size=4M,mem-path=INSIDE,prealloc=on,discard-data=on,share=on",
		"memory-backend-file,id=fn,size=4M,mem-path=INSIDE/new-file",
		"memory-backend-file,id=fe,size=4M,mem-path=INSIDE/existing",
	};
	struct mem_backend *b[ARRAY_SIZE(ok)] = { 0 }, *hb = NULL, *out = NULL;
	struct keyval_list kv;
	char text[256], err[256];
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ok) && !ret; i++) {
		const char *at = strstr(ok[i], "INSIDE");

		if (seccomp_only && strstr(ok[i], "existing"))
			continue; /* without Landlock an existing file cannot be opened to write */
		if (at)
			snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - ok[i]), ok[i], inside,
				 at + 6);
		else
			snprintf(text, sizeof(text), "%s", ok[i]);
		if (keyval_parse(text, "qom-type", &kv, err, sizeof(err)) < 0)
			return 130;
		if (backend_create(&kv, &b[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", text, err);
			ret = 131;
		}
		keyval_free(&kv);
	}
	/* hugetlb: /proc/meminfo for the default size; no huge pages here is an error */
	if (keyval_parse("memory-backend-memfd,id=h,size=2M,hugetlb=on", "qom-type", &kv, err,
			 sizeof(err)) < 0)
		return 132;
	backend_create(&kv, &hb, err, sizeof(err));
	keyval_free(&kv);
	if (backend_default_huge_page_size() != huge_page_size)
		ret = ret ? ret : 133;
	/* outside the rules: refused with an error, plugvm goes on */
	snprintf(text, sizeof(text), "memory-backend-file,id=o,size=4M,mem-path=%s/old", outside);
	if (keyval_parse(text, "qom-type", &kv, err, sizeof(err)) < 0)
		return 134;
	if (backend_create(&kv, &out, err, sizeof(err)) == 0 || !strstr(err, "Permission denied") ||
	    !strstr(err, "the sandbox")) {
		fprintf(stderr, "mem-path outside: '%s'\n", err);
		ret = ret ? ret : 135;
	}
	keyval_free(&kv);
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		backend_destroy(b[i]);
	backend_destroy(hb);
	backend_destroy(out);
	return ret;
}

static int allowed_calls(void)
{
	char path[128];
	int fd;
	void *p;

	/* a backend's memory, its madvise, a memfd, an eventfd-style write, time */
	p = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || madvise(p, 1 << 21, MADV_DONTNEED) < 0 || munmap(p, 1 << 21) < 0)
		return 91;
	fd = memfd_create("t", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 4096) < 0 || write(fd, "x", 1) != 1)
		return 92;
	close(fd);
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &(struct timespec){0}) < 0)
		return 93;
	/* the memmap warm-up's CPU count, per hot-add (a sandboxed e2e hot-add once died on
	 * it) */
	if (sched_getaffinity(0, sizeof(cpu_set_t), &(cpu_set_t){0}) < 0)
		return 104;
	/* the vCPU kick, to a thread of this process */
	if (pthread_kill(pthread_self(), SIGUSR1) != 0)
		return 105;
	/* mem-path: a temporary file, sized and removed; a new file by name */
	path_in(path, sizeof(path), inside, "tmp.XXXXXX");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0 || fallocate(fd, 0, 0, 4096) < 0 || unlink(path) < 0)
		return 106;
	close(fd);
	path_in(path, sizeof(path), inside, "made");
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || statfs(inside, &(struct statfs){0}) < 0)
		return 107;
	close(fd);
	if (unlink(path) < 0)
		return 108;
	/* reading: the huge page size */
	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return 109;
	if (fd >= 0)
		close(fd);
	/* a virtio-mem plug and unplug (src/mm/virtio_mem_devices.c): blocks made
	 * inaccessible and accessible, populated (MADV_POPULATE_WRITE, EINVAL before Linux
	 * 5.14), given back (MADV_DONTNEED, MADV_REMOVE, a memfd's hole punched, fallocate
	 * for a shared memfd's plug) */
	p = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p, 1 << 21, PROT_NONE) < 0 ||
	    mprotect(p, 1 << 21, PROT_READ | PROT_WRITE) < 0)
		return 140;
	if (madvise(p, 1 << 21, 23 /* MADV_POPULATE_WRITE */) < 0 && errno != EINVAL)
		return 141;
	if (madvise(p, 1 << 21, MADV_REMOVE) < 0 || madvise(p, 1 << 21, MADV_DONTNEED) < 0 ||
	    munmap(p, 1 << 21) < 0)
		return 142;
	fd = memfd_create("v", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 1 << 21) < 0 || fallocate(fd, 0, 0, 1 << 21) < 0 ||
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1 << 21) < 0)
		return 143;
	close(fd);
	return 0;
}

/* Child: load the sandbox, then do one thing. 0 means it behaved as the test expects. */
static int child(enum action what)
{
	struct sandbox_plan plan;
	struct sigaction kick = { .sa_handler = kick_handler };
	char err[256], path[128];
	void *p;

	sigemptyset(&kick.sa_mask);
	sigaction(SIGUSR1, &kick, NULL);
	sandbox_plan_init(&plan);
	plan.seccomp_only = seccomp_only;
	if (sandbox_plan_add_dir(&plan, inside, false) < 0 || sandbox_apply(&plan, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 90;
	}
	path_in(path, sizeof(path), outside, "old");
	switch (what) {
	case DO_ALLOWED:
		return allowed_calls();
	case DO_SOCKET:
		return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 94 : 95;
	case DO_EXEC:
		execl("/bin/true", "true", (char *)NULL);
		return 96;
	case DO_EXEC_MEMORY:
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? 97 : 98;
	case DO_KVM_CREATE_VM:
		/* any descriptor will do: the request number is what the filter refuses */
		return ioctl(STDIN_FILENO, KVM_CREATE_VM, 0) < 0 ? 99 : 100;
	case DO_FORK:
		return syscall(SYS_fork) >= 0 ? 101 : 102;
	case DO_PROC_SELF_MEM:
		/* patching its own code through the page protections */
		return expect_eacces(open("/proc/self/mem", O_RDWR | O_CLOEXEC));
	case DO_KILL_OTHER:
		return kill(parent, 0) == 0 ? 111 : 112;
	case DO_TGKILL_OTHER:
		return syscall(SYS_tgkill, parent, parent, 0) == 0 ? 113 : 114;
	case DO_TGKILL_OTHER_SIGNAL:
		/* this process, but a signal plugvm never sends */
		return syscall(SYS_tgkill, getpid(), gettid(), SIGTERM) == 0 ? 115 : 116;
	case DO_TKILL:
		return syscall(SYS_tkill, gettid(), SIGUSR1) == 0 ? 117 : 118;
	case DO_SIGSYS_HANDLER: {
		struct sigaction sa = { .sa_handler = SIG_IGN };

		return sigaction(SIGSYS, &sa, NULL) == 0 ? 119 : 121;
	}
	case DO_SIGSYS_HANDLER_HIGH_BITS: {
		/* the kernel takes the low 32 bits: SIGSYS all the same */
		static const unsigned long ign[4] = { (unsigned long)SIG_IGN };

		return syscall(SYS_rt_sigaction, (1UL << 32) | SIGSYS, ign, NULL, 8) == 0 ? 122 : 123;
	}
	case DO_SIGSYS_BLOCKED: {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
		if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
			return 124;
		return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 125 : 126;
	}
	case DO_CREATE_OUTSIDE:
		path_in(path, sizeof(path), outside, "new");
		return expect_eacces(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	case DO_OVERWRITE_OUTSIDE:
		return expect_eacces(open(path, O_WRONLY | O_CLOEXEC));
	case DO_UNLINK_OUTSIDE:
		return expect_eacces(unlink(path));
	case DO_READ_OUTSIDE:
		return expect_eacces(open(path, O_RDONLY | O_CLOEXEC));
	case DO_BACKENDS:
		return backends();
	}
	return 103;
}

static struct outcome run(enum action what)
{
	struct outcome o = {0};
	size_t got = 0;
	int pipefd[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(pipefd), 0);
	parent = getpid();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		_exit(child(what));
	}
	close(pipefd[1]);
	while (got < sizeof(o.stderr_text) - 1 &&
	       (n = read(pipefd[0], o.stderr_text + got, sizeof(o.stderr_text) - 1 - got)) > 0)
		got += (size_t)n;
	o.stderr_text[got] = 0;
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &o.status, 0), pid);
	return o;
}

static void assert_blocked(enum action what, long nr)
{
	struct outcome o = run(what);
	char needle[64];

	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != EXIT_VMM_FAILURE)
		fail_msg("not stopped by the sandbox: status 0x%x, stderr '%s'", o.status,
			 o.stderr_text);
	snprintf(needle, sizeof(needle), "plugvm: sandbox: blocked system call %ld ", nr);
	if (!strstr(o.stderr_text, needle))
		fail_msg("stderr '%s' lacks '%s'", o.stderr_text, needle);
	assert_non_null(strchr(o.stderr_text, '\n'));
}

static void assert_works(enum action what)
{
	struct outcome o = run(what);

	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
		fail_msg("status 0x%x, stderr '%s'", o.status, o.stderr_text);
}

/* Ended by the kernel (SECCOMP_RET_KILL_PROCESS, or a SIGSYS it could not deliver). */
static void assert_killed(enum action what)
{
	struct outcome o = run(what);

	if (!WIFSIGNALED(o.status) || WTERMSIG(o.status) != SIGSYS)
		fail_msg("not killed by SIGSYS: status 0x%x, stderr '%s'", o.status,
			 o.stderr_text);
}

static bool kernel_has_landlock(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) >= 1;
}

static int setup(void **state)
{
	char path[128];
	int fd;

	seccomp_only = *state != NULL;
	huge_page_size = backend_default_huge_page_size();
	if (!seccomp_only && !kernel_has_landlock())
		seccomp_only = true; /* the Landlock group then tests the fallback again */
	snprintf(inside, sizeof(inside), "/tmp/plugvm-sb-in-XXXXXX");
	snprintf(outside, sizeof(outside), "/tmp/plugvm-sb-out-XXXXXX");
	assert_non_null(mkdtemp(inside));
	assert_non_null(mkdtemp(outside));
	path_in(path, sizeof(path), outside, "old");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0 && write(fd, "data", 4) == 4);
	close(fd);
	path_in(path, sizeof(path), inside, "existing");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", inside, outside);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_allowed_calls_work(void **state)
{
	(void)state;
	assert_works(DO_ALLOWED);
}

static void test_new_socket_blocked(void **state)
{
	(void)state;
	assert_blocked(DO_SOCKET, SYS_socket);
}

static void test_exec_blocked(void **state)
{
	(void)state;
	assert_blocked(DO_EXEC, SYS_execve);
}

static void test_executable_memory_blocked(void **state)
{
	(void)state;
	assert_blocked(DO_EXEC_MEMORY, SYS_mmap);
}

static void test_vm_creation_blocked(void **state)
{
	(void)state;
	assert_blocked(DO_KVM_CREATE_VM, SYS_ioctl);
}

static void test_fork_blocked(void **state)
{
	(void)state;
	assert_blocked(DO_FORK, SYS_fork);
}

/* Review finding (a): /proc/self/mem opened to write bypasses the page protections. */
static void test_proc_self_mem_refused(void **state)
{
	(void)state;
	assert_works(DO_PROC_SELF_MEM);
}

/* Review finding (b): signals to another process of the same user; tkill; a signal
 * plugvm never sends, even to itself. */
static void test_signals_only_to_itself(void **state)
{
	(void)state;
	assert_blocked(DO_KILL_OTHER, SYS_kill);
	assert_blocked(DO_TGKILL_OTHER, SYS_tgkill);
	assert_blocked(DO_TGKILL_OTHER_SIGNAL, SYS_tgkill);
	assert_blocked(DO_TKILL, SYS_tkill);
}

/* Review finding (d): a SIGSYS handler of its own would outlive a blocked call; a second
 * rt_sigaction(SIGSYS) ends the process at once, also with garbage in the high bits.
 * Blocking SIGSYS does not help either: the kernel unblocks it and kills. */
static void test_sigsys_handler_cannot_be_replaced(void **state)
{
	(void)state;
	assert_killed(DO_SIGSYS_HANDLER);
	assert_killed(DO_SIGSYS_HANDLER_HIGH_BITS);
	assert_killed(DO_SIGSYS_BLOCKED);
}

/* Review finding (c), with Landlock: no file outside the rules can be created,
 * overwritten, removed or read. */
static void test_files_outside_refused(void **state)
{
	char path[128];
	struct stat st;

	(void)state;
	if (seccomp_only) {
		/* seccomp alone cannot see paths: an existing file still cannot be opened to
		 * write (the openat flags), the rest is the documented gap */
		assert_works(DO_OVERWRITE_OUTSIDE);
		return;
	}
	assert_works(DO_CREATE_OUTSIDE);
	assert_works(DO_OVERWRITE_OUTSIDE);
	assert_works(DO_UNLINK_OUTSIDE);
	assert_works(DO_READ_OUTSIDE);
	path_in(path, sizeof(path), outside, "old");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4);
	path_in(path, sizeof(path), outside, "new");
	assert_int_equal(stat(path, &st), -1);
}

/* Item 7: every backend kind object-add makes, under the sandbox. */
static void test_backends_under_sandbox(void **state)
{
	(void)state;
	assert_works(DO_BACKENDS);
}

/* The plan of a command line: mem-path directories (a file's, a directory itself,
 * -sandbox mem-path=), the defaults, the sockets' directories. */
static void test_plan_for_config(void **state)
{
	char arg_file[160], arg_dir[160], arg_q[160], arg_sb[160], err[256];
	struct plugvm_config cfg;
	struct sandbox_plan plan;
	bool saw_file_dir = false, saw_dir = false, saw_shm = false, saw_sb = false;

	(void)state;
	snprintf(arg_file, sizeof(arg_file),
		 "memory-backend-file,id=f,size=1M,mem-path=%s/existing", inside);
	snprintf(arg_dir, sizeof(arg_dir), "memory-backend-file,id=d,size=1M,mem-path=%s", outside);
	snprintf(arg_q, sizeof(arg_q), "unix:%s/q.sock,server=on,wait=off", outside);
	snprintf(arg_sb, sizeof(arg_sb), "on,mem-path=%s/sb", outside);
	char *argv[] = { "plugvm", "-kernel", "k", "-object", arg_file, "-object", arg_dir,
			 "-qmp", arg_q, "-sandbox", arg_sb, NULL };
	assert_int_equal(options_parse(ARRAY_SIZE(argv) - 1, argv, &cfg), 0);
	assert_true(cfg.sandbox);
	assert_int_equal(sandbox_plan_for_config(&plan, &cfg, err, sizeof(err)), 0);
	for (unsigned i = 0; i < plan.nr_mem_dirs; i++) {
		saw_file_dir |= strcmp(plan.mem_dirs[i], inside) == 0;
		saw_dir |= strcmp(plan.mem_dirs[i], outside) == 0;
		saw_shm |= strcmp(plan.mem_dirs[i], "/dev/shm") == 0;
		saw_sb |= strncmp(plan.mem_dirs[i], outside, strlen(outside)) == 0 &&
			  strcmp(plan.mem_dirs[i] + strlen(outside), "/sb") == 0;
	}
	assert_true(saw_file_dir && saw_dir && saw_shm && saw_sb);
	assert_int_equal(plan.nr_socket_dirs, 1);
	assert_string_equal(plan.socket_dirs[0], outside);
	sandbox_plan_free(&plan);
	options_free(&cfg);
}

static int seccomp_alone = 1;

/* Each test with Landlock (where the kernel has it), then with seccomp alone. */
#define SANDBOX_TESTS(mode)                                                                  \
	{                                                                                    \
		T(test_allowed_calls_work, mode), T(test_new_socket_blocked, mode),          \
		T(test_exec_blocked, mode), T(test_executable_memory_blocked, mode),         \
		T(test_vm_creation_blocked, mode), T(test_fork_blocked, mode),               \
		T(test_proc_self_mem_refused, mode), T(test_signals_only_to_itself, mode),   \
		T(test_sigsys_handler_cannot_be_replaced, mode),                             \
		T(test_files_outside_refused, mode), T(test_backends_under_sandbox, mode),   \
		T(test_plan_for_config, mode),                                               \
	}
#define T(f, mode) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, mode)

int main(void)
{
	const struct CMUnitTest landlock[] = SANDBOX_TESTS(NULL);
	const struct CMUnitTest fallback[] = SANDBOX_TESTS(&seccomp_alone);

	return cmocka_run_group_tests_name("landlock+seccomp", landlock, NULL, NULL) +
	       cmocka_run_group_tests_name("seccomp-only", fallback, NULL, NULL);
}
