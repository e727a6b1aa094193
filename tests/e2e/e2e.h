/* e2e: a small library to drive a VM through its serial console.
 *
 * A test spawns a VMM (plugvm or QEMU) with its stdio on a pty, waits for strings with a
 * timeout, sends input, runs shell commands in the guest and waits for the VMM to exit.
 * Every wait has a timeout; a timeout is a failure that prints the last lines of the
 * console.  Tests are registered in tests.def and run by e2e-runner.
 */
#ifndef PLUGVM_E2E_H
#define PLUGVM_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- harness (harness.c): logging, failure flag, scratch directory --------------------- */

struct timespec;
/* Starts a test (or a benchmark) called name at t0 (NULL: now): the log label, the clock
 * of e2e_elapsed(), a cleared failure flag, and SIGTERM/SIGINT handlers that kill the
 * tracked VMMs. */
void e2e_harness_start(const char *name, const struct timespec *t0);
/* Kills the tracked VMMs and removes the scratch directory. */
void e2e_harness_finish(void);

/* "[<test> +12.34s] message" on stdout. */
void e2e_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs "FAIL: message" and returns false, so `return e2e_fail(...)` reads naturally. */
bool e2e_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many failures this process has logged so far (a VM's own share: compare). */
unsigned e2e_fail_count(void);
/* TCG's nested SVM now and then resets an L2 guest (a triple fault at the reset vector,
 * docs/testing.md). A test that failed with it exits with E2E_EXIT_BED_FAULT, and the
 * runner runs it once more; a second failure counts. */
#define E2E_EXIT_BED_FAULT 75
void e2e_note_bed_fault(const char *what);
bool e2e_bed_fault_seen(void);
/* Seconds since the current test started. */
double e2e_elapsed(void);

#define E2E_CHECK(cond, ...)                                                          \
    do {                                                                              \
        if (!(cond))                                                                  \
            return e2e_fail(__VA_ARGS__);                                             \
    } while (0)

/* ---- streams: a file descriptor with a buffer you can expect() on -------------------- */

struct e2e_stream {
    int fd;
    const char *name; /* "console", "qmp", ... used in diagnostics */
    char *buf;        /* everything read so far, NUL-terminated */
    size_t len, cap;
    size_t pos;       /* expect() searches from here; a match moves it past the match */
    bool eof;
    bool echo;        /* copy everything read to stdout, prefixed "<name>| " */
    bool at_bol;      /* echo state: at the beginning of a line */
};

void e2e_stream_init(struct e2e_stream *s, int fd, const char *name);
void e2e_stream_free(struct e2e_stream *s);
/* Waits up to timeout_ms for data and appends it.  >0 bytes read, 0 timeout, -1 EOF. */
int e2e_stream_fill(struct e2e_stream *s, int timeout_ms);
/* Waits until needle appears after pos; on success pos moves past it.  On timeout or
 * EOF it fails and prints the last 40 lines of the stream. */
bool e2e_stream_expect(struct e2e_stream *s, const char *needle, double timeout_s);
/* Like expect, but returns the index (0..n-1) of the first of several needles to appear,
 * or -1 on timeout/EOF (with diagnostics). */
int e2e_stream_expect_any(struct e2e_stream *s, const char *const *needles, size_t n,
                          double timeout_s);
bool e2e_stream_write(struct e2e_stream *s, const void *data, size_t len);
/* The same without counting a failure: 0, or the errno of the write that failed. */
int e2e_stream_try_write(struct e2e_stream *s, const void *data, size_t len);
bool e2e_stream_puts(struct e2e_stream *s, const char *str);
/* Prints the last `lines` lines of the stream (control characters made visible). */
void e2e_stream_tail(const struct e2e_stream *s, int lines);

/* ---- the VMM under test ---------------------------------------------------------------- */

enum e2e_vmm_kind { E2E_VMM_DEFAULT = 0, E2E_VMM_PLUGVM, E2E_VMM_QEMU };

struct e2e_vm_opts {
    enum e2e_vmm_kind vmm;    /* DEFAULT: E2E_VMM env, else the build's default */
    const char *kernel;       /* NULL: the default guest (E2E_GUEST_KERNEL) */
    const char *initrd;       /* NULL: E2E_GUEST_INITRD */
    const char *append;       /* NULL: E2E_DEFAULT_APPEND */
    const char *mem;          /* NULL: "512M,slots=16,maxmem=64G" */
    int smp;                  /* 0: 2 */
    const char *const *extra; /* NULL-terminated extra VMM arguments, or NULL */
    uid_t uid;                /* run the VMM as this user and group (without */
    gid_t gid;                /* supplementary groups) when uid is not 0 */
};

#define E2E_DEFAULT_APPEND "console=ttyS0 quiet memhp_default_state=online_movable"
#define E2E_GUEST_READY "plugvm-guest: ready"

struct e2e_vm {
    pid_t pid;
    enum e2e_vmm_kind kind;
    struct e2e_stream con; /* the serial console (VMM stdin/stdout/stderr on a pty) */
    unsigned seq;          /* marker counter for e2e_vm_run */
    bool exited;
    int status;            /* waitpid status once exited */
    unsigned fails_before; /* e2e_fail_count() when it was spawned */
};

/* Initialise every struct e2e_vm with this so e2e_vm_destroy() is always safe. */
#define E2E_VM_INIT {.pid = -1, .con = {.fd = -1}}

const char *e2e_vmm_name(enum e2e_vmm_kind kind);
enum e2e_vmm_kind e2e_vmm_default(void);
/* Builds the argv for a VMM (the one place that knows each VMM's command line).  Returns
 * a malloc'ed NULL-terminated array whose strings point into opts/static storage. */
char **e2e_vmm_argv(const struct e2e_vm_opts *opts);

/* Spawns the VMM with its stdio on a fresh raw pty. */
bool e2e_vm_start(struct e2e_vm *vm, const struct e2e_vm_opts *opts);
/* Spawns an arbitrary command the same way. */
bool e2e_vm_spawn(struct e2e_vm *vm, char *const argv[]);
/* The same, as user uid and group gid (uid 0: as the runner itself). */
bool e2e_vm_spawn_as(struct e2e_vm *vm, char *const argv[], uid_t uid, gid_t gid);
/* Starts and waits for E2E_GUEST_READY and the shell prompt. */
bool e2e_vm_boot(struct e2e_vm *vm, const struct e2e_vm_opts *opts, double timeout_s);
bool e2e_vm_expect(struct e2e_vm *vm, const char *needle, double timeout_s);
bool e2e_vm_send(struct e2e_vm *vm, const char *text);
/* Runs a shell command line in the guest shell and captures its output (without \r)
 * between unique markers.  *out (malloc'ed, may be NULL) and *rc (may be NULL) are set on
 * success. */
bool e2e_vm_run(struct e2e_vm *vm, const char *cmd, char **out, int *rc, double timeout_s);
/* e2e_vm_run that also requires exit status 0; output is optional. */
bool e2e_vm_sh(struct e2e_vm *vm, const char *cmd, char **out, double timeout_s);
/* Waits for the VMM to exit, draining the console meanwhile.  *status gets the raw
 * waitpid status.  A timeout kills the VMM and fails. */
bool e2e_vm_wait_exit(struct e2e_vm *vm, double timeout_s, int *status);
/* SIGKILLs (if running), reaps and frees. Safe to call twice. */
void e2e_vm_destroy(struct e2e_vm *vm);

/* ---- helpers --------------------------------------------------------------------------- */

/* A fresh private directory for this test (sockets, files); removed by the runner. */
const char *e2e_tmpdir(void);
/* Connects to a unix stream socket, retrying until it exists or the timeout passes. */
int e2e_unix_connect(const char *path, double timeout_s);
/* getenv(name) if set and non-empty, else fallback. */
const char *e2e_getenv_or(const char *name, const char *fallback);

/* ---- the runner ------------------------------------------------------------------------ */

struct e2e_test {
    const char *name;
    bool (*fn)(void);
    double timeout_s; /* the runner kills the test after this */
    const char *doc;
};

/* Internal: used by vm.c to register VMM pids so a killed test does not leak them. */
void e2e_track_pid(pid_t pid);
void e2e_untrack_pid(pid_t pid);

#endif
