/* -sandbox on: a seccomp allowlist (libseccomp) for every plugvm thread, loaded once the
 * machine is built and the vCPUs run, before the first monitor client is served. From
 * then on plugvm can only do what serving a running VM takes: KVM's run-time ioctls,
 * I/O on the descriptors it has, accepting monitor clients, memory backends (mmap,
 * memfd, files under mem-path) and thread synchronisation. No process creation, no
 * exec, no new network sockets, no executable mappings, no privilege changes, no
 * mounts or ptrace. A blocked call ends plugvm with one line naming it (docs/options.md). */
#ifndef PLUGVM_SANDBOX_H
#define PLUGVM_SANDBOX_H

#include <stddef.h>

/* Loads the filter into all threads of the process (seccomp TSYNC) and sets
 * no_new_privs. A blocked call runs on_violation (may be NULL; it must be
 * async-signal-safe, e.g. restoring the terminal), prints one line naming the call
 * and exits with EXIT_VMM_FAILURE. 0, or -1 with a message in err. */
int sandbox_enter(void (*on_violation)(void), char *err, size_t errlen);
/* Whether this kernel can take such a filter (seccomp filters with TSYNC), asked before
 * the VM is built so -sandbox on fails before the guest starts. 0 or -1 with err. */
int sandbox_check(char *err, size_t errlen);

#endif
