/* e2e-runner [-l] [NAME...]: runs the e2e tests of tests.def (all, or the named ones).
 * KERNEL.NAME runs test NAME on another guest kernel (docs/testing.md, "Guest kernels"):
 * E2E_GUEST_KERNEL and E2E_GUEST_INITRD become DIR/vmlinuz and DIR/initramfs.img, where
 * DIR is $E2E_GUEST_DIR_PREFIX KERNEL (default prefix "/guest-", as in the nested bed).
 *
 * Each test runs in its own child process with a deadline; VMMs it leaves behind are
 * killed.  Output, one block per test:
 *   E2E-BEGIN <name>
 *   [<name> +1.23s] ...diagnostics...
 *   E2E-RESULT <name> PASS|FAIL <seconds>
 * and at the end "E2E-SUMMARY: N passed, M failed".  Exit status 0 iff all passed.
 *
 * Environment: E2E_VMM (plugvm|qemu), E2E_PLUGVM, E2E_QEMU, E2E_GUEST_KERNEL,
 * E2E_GUEST_INITRD, E2E_VERBOSE=1 (copy every console byte into the log), TMPDIR. */
#include "e2e.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* E2E_MANUAL_TEST entries run only when named (not in CI, not in ctest). */
#define E2E_TEST(name, timeout, doc) bool test_##name(void);
#define E2E_MANUAL_TEST(name, timeout, doc) bool test_##name(void);
#include "tests.def"
#undef E2E_TEST
#undef E2E_MANUAL_TEST

static const struct e2e_test tests[] = {
#define E2E_TEST(name, timeout, doc) {#name, test_##name, timeout, doc},
#define E2E_MANUAL_TEST(name, timeout, doc) {#name, test_##name, timeout, "(manual) " doc},
#include "tests.def"
#undef E2E_TEST
#undef E2E_MANUAL_TEST
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static double since(const struct timespec *t0)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - t0->tv_sec) + (double)(ts.tv_nsec - t0->tv_nsec) / 1e9;
}

/* One test to run: a table entry, on the default guest or on guest kernel `kernel`. */
struct selected {
    const struct e2e_test *t;
    char name[96];      /* as reported: NAME or KERNEL.NAME */
    char kernel[32];    /* "" for the default guest */
};

static void use_guest_kernel(const char *kernel)
{
    char path[256];
    const char *prefix = e2e_getenv_or("E2E_GUEST_DIR_PREFIX", "/guest-");

    snprintf(path, sizeof(path), "%s%s/vmlinuz", prefix, kernel);
    setenv("E2E_GUEST_KERNEL", path, 1);
    snprintf(path, sizeof(path), "%s%s/initramfs.img", prefix, kernel);
    setenv("E2E_GUEST_INITRD", path, 1);
}

/* Runs one test in a child; returns true if it passed. `retry`: this is the second run
 * after the bed's known L2 fault (no new E2E-BEGIN, and no third run). */
static bool run_one(const struct selected *sel, bool retry)
{
    const struct e2e_test *t = sel->t;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!retry)
        printf("E2E-BEGIN %s\n", sel->name);
    fflush(stdout);

    pid_t pid = fork();
    if (pid < 0) {
        perror("e2e-runner: fork");
        return false;
    }
    if (pid == 0) {
        if (sel->kernel[0])
            use_guest_kernel(sel->kernel);
        e2e_harness_start(sel->name, &t0);
        bool ok = t->fn();
        e2e_harness_finish();
        _exit(ok ? 0 : e2e_bed_fault_seen() ? E2E_EXIT_BED_FAULT : 1);
    }

    int status = 0;
    bool timed_out = false;
    double next_heartbeat = 30;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            perror("e2e-runner: waitpid");
            return false;
        }
        if (!timed_out && since(&t0) > t->timeout_s) {
            timed_out = true;
            printf("[%s +%.2fs] FAIL: test exceeded its %.0f s limit; killing it\n", sel->name,
                   since(&t0), t->timeout_s);
            fflush(stdout);
            kill(pid, SIGTERM);
        } else if (timed_out && since(&t0) > t->timeout_s + 5) {
            kill(pid, SIGKILL);
        }
        /* A test may be quiet for minutes (a large copy in the guest); the bed's
         * watchdog must only catch a frozen L1, so say that the runner lives. */
        if (since(&t0) > next_heartbeat) {
            printf("[%s +%.0fs] still running\n", sel->name, since(&t0));
            fflush(stdout);
            next_heartbeat += 30;
        }
        usleep(50000);
    }
    bool ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok && !retry && !timed_out && WIFEXITED(status) &&
        WEXITSTATUS(status) == E2E_EXIT_BED_FAULT) {
        printf("E2E-RETRY %s: failed with the bed's known L2 fault after %.2f s; once more\n",
               sel->name, since(&t0));
        fflush(stdout);
        return run_one(sel, true);
    }
    if (!timed_out && !WIFEXITED(status))
        printf("[%s +%.2fs] FAIL: test process died with signal %d\n", sel->name, since(&t0),
               WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    printf("E2E-RESULT %s %s %.2f\n", sel->name, ok ? "PASS" : "FAIL", since(&t0));
    fflush(stdout);
    return ok;
}

static const struct e2e_test *find(const char *name)
{
    for (size_t i = 0; i < NTESTS; i++)
        if (strcmp(tests[i].name, name) == 0)
            return &tests[i];
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);

    if (argc > 1 && (!strcmp(argv[1], "-l") || !strcmp(argv[1], "--list"))) {
        for (size_t i = 0; i < NTESTS; i++)
            printf("%-24s %4.0fs  %s\n", tests[i].name, tests[i].timeout_s, tests[i].doc);
        return 0;
    }
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fprintf(stderr, "usage: %s [-l] [NAME...]\n", argv[0]);
        return 0;
    }

    printf("E2E-START vmm=%s\n", e2e_vmm_name(E2E_VMM_DEFAULT));
    static struct selected sel[NTESTS + 128];
    size_t nsel = 0;
    int unknown = 0;
    if (argc == 1) {
        for (size_t i = 0; i < NTESTS; i++)
            if (strncmp(tests[i].doc, "(manual) ", 9) != 0) {
                sel[nsel].t = &tests[i];
                snprintf(sel[nsel].name, sizeof(sel[nsel].name), "%s", tests[i].name);
                nsel++;
            }
    }
    for (int i = 1; i < argc && nsel < sizeof(sel) / sizeof(sel[0]); i++) {
        const char *dot = strchr(argv[i], '.');
        const struct e2e_test *t = find(dot ? dot + 1 : argv[i]);
        size_t klen = dot ? (size_t)(dot - argv[i]) : 0;
        if (!t || strlen(argv[i]) >= sizeof(sel[0].name) || klen >= sizeof(sel[0].kernel) ||
            (dot && klen == 0)) {
            printf("E2E-BEGIN %s\n[%s +0.00s] FAIL: no such test\nE2E-RESULT %s FAIL 0.00\n",
                   argv[i], argv[i], argv[i]);
            unknown++;
            continue;
        }
        sel[nsel].t = t;
        snprintf(sel[nsel].name, sizeof(sel[nsel].name), "%s", argv[i]);
        snprintf(sel[nsel].kernel, sizeof(sel[nsel].kernel), "%.*s", (int)klen, argv[i]);
        nsel++;
    }

    int passed = 0, failed = unknown;
    for (size_t i = 0; i < nsel; i++) {
        if (run_one(&sel[i], false))
            passed++;
        else
            failed++;
    }
    printf("E2E-SUMMARY: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
