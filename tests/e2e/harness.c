/* What every program built on the e2e library provides to it (e2e-runner and plugvm-bench):
 * timestamped logging under a label, the failure flag, the per-process scratch directory
 * and the list of VMM processes to kill when the program is told to stop. */
#include "e2e.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRACKED 64

static const char *label = "e2e";
static struct timespec t_start;
static unsigned fail_count; /* every e2e_fail of the process, never reset */
static bool bed_fault;      /* a failure came with the bed's known L2 fault */
static char tmpdir[256];
static volatile pid_t tracked[MAX_TRACKED];

static void kill_tracked(void)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i] > 0)
            kill(tracked[i], SIGKILL);
}

static void on_term(int sig)
{
    (void)sig;
    kill_tracked();
    _exit(2);
}

void e2e_harness_start(const char *name, const struct timespec *t0)
{
    label = name;
    if (t0)
        t_start = *t0;
    else
        clock_gettime(CLOCK_MONOTONIC, &t_start);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
}

void e2e_harness_finish(void)
{
    kill_tracked();
    if (tmpdir[0]) {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "%s: could not remove %s\n", label, tmpdir);
        tmpdir[0] = '\0';
    }
    fflush(stdout);
}

double e2e_elapsed(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - t_start.tv_sec) + (double)(ts.tv_nsec - t_start.tv_nsec) / 1e9;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    printf("[%s +%.2fs] %s", label, e2e_elapsed(), prefix);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

void e2e_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

bool e2e_fail(const char *fmt, ...)
{
    va_list ap;

    fail_count++;
    va_start(ap, fmt);
    vlog("FAIL: ", fmt, ap);
    va_end(ap);
    return false;
}

unsigned e2e_fail_count(void)
{
    return fail_count;
}

void e2e_note_bed_fault(const char *what)
{
    bed_fault = true;
    e2e_log("the failure came with the test bed's known L2 fault: %s", what);
}

bool e2e_bed_fault_seen(void)
{
    return bed_fault;
}

void e2e_track_pid(pid_t pid)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i] == 0) {
            tracked[i] = pid;
            return;
        }
}

void e2e_untrack_pid(pid_t pid)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i] == pid)
            tracked[i] = 0;
}

const char *e2e_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "%s/e2e-%s-XXXXXX", e2e_getenv_or("TMPDIR", "/tmp"),
                 label);
        if (!mkdtemp(tmpdir)) {
            e2e_fail("mkdtemp %s: %s", tmpdir, strerror(errno));
            abort();
        }
    }
    return tmpdir;
}
