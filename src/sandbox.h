/* -sandbox on (the default): what a compromised plugvm can still do once the VM runs.
 *
 * Two layers, both in force before the first guest instruction runs (vm_run):
 * - Landlock (Linux 5.13+), file access: plugvm may create, write, size and remove files
 *   only under the mem-path directories (memory backends added at run time), remove files
 *   in the directories of its own sockets (at exit), and read /proc/meminfo. Nothing else
 *   can be opened, read or written by path: not /proc/self/mem, not the user's files.
 *   Landlock applies per thread, so every thread is restricted (sandbox_restrict_thread).
 * - seccomp (libseccomp), system calls, loaded into all threads at once (TSYNC): an
 *   allowlist of what serving a running VM takes, with argument filters on ioctl (KVM's
 *   run-time requests), mmap/mprotect (never PROT_EXEC), tgkill/kill (plugvm's own
 *   process, its own signals), rt_sigaction (never SIGSYS) and, without Landlock, openat
 *   (no writing to an existing file). No process creation, exec, new sockets, ptrace,
 *   mounts or privilege changes.
 *
 * A blocked call ends plugvm with one line naming it; rt_sigaction(SIGSYS), which could
 * take that handler away, ends it at once (docs/options.md, "-sandbox"). */
#ifndef PLUGVM_SANDBOX_H
#define PLUGVM_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#include "config.h"

#define SANDBOX_MAX_DIRS 32

/* What the sandbox lets a running plugvm touch. */
struct sandbox_plan {
	/* Create, write, size and remove regular files beneath these (mem-path). */
	char *mem_dirs[SANDBOX_MAX_DIRS];
	unsigned nr_mem_dirs;
	/* Remove files beneath these (the monitors' and the serial line's socket files). */
	char *socket_dirs[SANDBOX_MAX_DIRS];
	unsigned nr_socket_dirs;
	/* The terminal a blocked call hands back in this mode (tty_fd -1: none). */
	int tty_fd;
	struct termios tty_mode;
	/* Leave Landlock out, as on a kernel without it (tests of the fallback). */
	bool seccomp_only;
};

/* An empty plan: no directories, no terminal. */
void sandbox_plan_init(struct sandbox_plan *p);
/* Adds dir (copied; a duplicate is ignored). 0, or -1 when full or out of memory. */
int sandbox_plan_add_dir(struct sandbox_plan *p, const char *dir, bool remove_only);
/* The plan for a plugvm started with cfg: the directory of every -object
 * memory-backend-file's mem-path (the mem-path itself when it is a directory), -sandbox
 * mem-path=DIR, /dev/shm, /dev/hugepages and every hugetlbfs mount; the directories of the
 * unix sockets of -qmp, -monitor and -serial. 0, or -1 with err. */
int sandbox_plan_for_config(struct sandbox_plan *p, const struct plugvm_config *cfg, char *err,
			    size_t errlen);
void sandbox_plan_free(struct sandbox_plan *p);

/* A sandbox being set up: the Landlock ruleset between sandbox_prepare and sandbox_enter. */
struct sandbox {
	int ruleset_fd; /* -1: no Landlock (kernel without it, or plan->seccomp_only) */
	int landlock_abi;
};

/* Builds the Landlock ruleset for plan (nothing is enforced yet); without Landlock says
 * so in a debug line and carries on with seccomp alone. 0, or -1 with err. */
int sandbox_prepare(struct sandbox *sb, const struct sandbox_plan *plan, char *err,
		    size_t errlen);
/* The calling thread: no_new_privs, then the Landlock ruleset; threads it creates later
 * inherit both. Every thread that exists before sandbox_enter must call it (the main
 * thread, then the memmap warm-up thread; vCPU threads are created after the main thread
 * did). 0, or -1 with errno. */
int sandbox_restrict_thread(const struct sandbox *sb);
/* Loads the seccomp filter into every thread of the process (TSYNC), with no_new_privs,
 * and drops the ruleset. From here on a blocked call restores plan's terminal, prints
 * "plugvm: sandbox: blocked system call N ..." and exits EXIT_VMM_FAILURE. 0, or -1 with
 * err. */
int sandbox_enter(struct sandbox *sb, const struct sandbox_plan *plan, char *err,
		  size_t errlen);
/* All three steps for a process with one thread (tests). */
int sandbox_apply(const struct sandbox_plan *plan, char *err, size_t errlen);
/* A note for an EACCES from opening or creating a file at run time ("" when no sandbox
 * is loaded): where the sandbox lets plugvm make files. */
const char *sandbox_file_hint(void);
/* Whether this kernel can take such a filter (seccomp filters with TSYNC), asked before
 * the VM is built so that the sandbox fails before the guest starts. 0 or -1 with err. */
int sandbox_check(char *err, size_t errlen);

#endif
