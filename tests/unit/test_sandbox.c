/* The -sandbox filter, loaded in a forked child: what a running plugvm does still works,
 * and what it never does (new sockets, exec, executable memory, VM creation) ends the
 * process with one line naming the call. */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>

#include "machine.h"
#include "sandbox.h"

enum action { DO_ALLOWED, DO_SOCKET, DO_EXEC, DO_EXEC_MEMORY, DO_KVM_CREATE_VM, DO_FORK };

struct outcome {
	int status;         /* from waitpid */
	char stderr_text[512];
};

/* Child: load the filter, then do one thing. 0 means everything allowed worked. */
static int child(enum action what)
{
	char err[256];
	int fds[2];
	void *p;

	if (sandbox_enter(NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 90;
	}
	switch (what) {
	case DO_ALLOWED:
		/* a backend's memory, its madvise, a memfd, an eventfd-style write, time */
		p = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || madvise(p, 1 << 21, MADV_DONTNEED) < 0 || munmap(p, 1 << 21) < 0)
			return 91;
		fds[0] = memfd_create("t", MFD_CLOEXEC);
		if (fds[0] < 0 || ftruncate(fds[0], 4096) < 0 || write(fds[0], "x", 1) != 1)
			return 92;
		close(fds[0]);
		if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &(struct timespec){0}) < 0)
			return 93;
		/* the memmap warm-up's CPU count, per hot-add (a sandboxed e2e hot-add once
		 * died on it) */
		if (sched_getaffinity(0, sizeof(cpu_set_t), &(cpu_set_t){0}) < 0)
			return 104;
		/* a virtio-mem plug and unplug (src/mm/virtio_mem_devices.c): blocks made
		 * inaccessible and accessible, populated (MADV_POPULATE_WRITE, EINVAL before
		 * Linux 5.14), given back (MADV_DONTNEED, MADV_REMOVE, a memfd's hole punched,
		 * fallocate for a shared memfd's plug) */
		p = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || mprotect(p, 1 << 21, PROT_NONE) < 0 ||
		    mprotect(p, 1 << 21, PROT_READ | PROT_WRITE) < 0)
			return 105;
		if (madvise(p, 1 << 21, 23 /* MADV_POPULATE_WRITE */) < 0 && errno != EINVAL)
			return 106;
		if (madvise(p, 1 << 21, MADV_REMOVE) < 0 || madvise(p, 1 << 21, MADV_DONTNEED) < 0 ||
		    munmap(p, 1 << 21) < 0)
			return 107;
		fds[0] = memfd_create("v", MFD_CLOEXEC);
		if (fds[0] < 0 || ftruncate(fds[0], 1 << 21) < 0 || fallocate(fds[0], 0, 0, 1 << 21) < 0 ||
		    fallocate(fds[0], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1 << 21) < 0)
			return 108;
		close(fds[0]);
		return 0;
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
	}
	return 103;
}

static struct outcome run(enum action what)
{
	struct outcome o = {0};
	int pipefd[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		_exit(child(what));
	}
	close(pipefd[1]);
	n = read(pipefd[0], o.stderr_text, sizeof(o.stderr_text) - 1);
	o.stderr_text[n > 0 ? n : 0] = 0;
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

static void test_allowed_calls_work(void **state)
{
	struct outcome o;

	(void)state;
	o = run(DO_ALLOWED);
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
		fail_msg("status 0x%x, stderr '%s'", o.status, o.stderr_text);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_calls_work),
		cmocka_unit_test(test_new_socket_blocked),
		cmocka_unit_test(test_exec_blocked),
		cmocka_unit_test(test_executable_memory_blocked),
		cmocka_unit_test(test_vm_creation_blocked),
		cmocka_unit_test(test_fork_blocked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
