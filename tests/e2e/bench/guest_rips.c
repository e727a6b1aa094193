#include "guest_rips.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACEFS "/sys/kernel/debug/tracing"
#define MAX_RIPS 4096
#define MAX_REASONS 32

struct count {
    char key[32];
    unsigned n;
};

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

bool guest_rips_start(void)
{
    const char *on = getenv("BENCH_GUEST_RIPS");
    if (!on || strcmp(on, "1") != 0)
        return false;
    return write_file(TRACEFS "/trace", "") &&
           write_file(TRACEFS "/events/kvm/kvm_exit/enable", "1");
}

static void bump(struct count *c, unsigned *n, unsigned max, const char *key)
{
    for (unsigned i = 0; i < *n; i++)
        if (!strcmp(c[i].key, key)) {
            c[i].n++;
            return;
        }
    if (*n < max) {
        snprintf(c[*n].key, sizeof(c[*n].key), "%s", key);
        c[(*n)++].n = 1;
    }
}

static int by_count_desc(const void *a, const void *b)
{
    const struct count *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

/* The thread ids of `pid`, so another VM's exits (the keeper's) are not counted. */
static bool is_thread_of(int pid, int tid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, tid);
    DIR *d = opendir(path);
    if (d)
        closedir(d);
    return d != NULL;
}

#define TOP 12

/* Prints the TOP most frequent of c. */
static void print_top(const char *label, struct count *c, unsigned n)
{
    qsort(c, n, sizeof(c[0]), by_count_desc);
    printf("%s", label);
    for (unsigned i = 0; i < n && i < TOP; i++)
        printf(" %s=%u", c[i].key, c[i].n);
}

void guest_rips_print(int pid)
{
    if (!write_file(TRACEFS "/events/kvm/kvm_exit/enable", "0"))
        return;
    FILE *f = fopen(TRACEFS "/trace", "r");
    if (!f)
        return;
    static struct count rips[MAX_RIPS], intr_rips[MAX_RIPS];
    struct count reasons[MAX_REASONS];
    unsigned nrips = 0, nintr = 0, nreasons = 0, total = 0;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        /* "   vcpu0-183   [000] d.... 12.3: kvm_exit: vcpu 0 reason npf rip 0xffff... " */
        char *ev = strstr(line, "kvm_exit: ");
        char *cpu = strstr(line, " [");
        if (!ev || !cpu || cpu > ev)
            continue;
        char *dash = cpu; /* comm may hold '-' itself: the pid follows the last one */
        while (dash > line && *dash != '-')
            dash--;
        if (*dash != '-' || !is_thread_of(pid, atoi(dash + 1)))
            continue;
        char reason[24];
        unsigned long long rip;
        unsigned vcpu;
        if (sscanf(ev, "kvm_exit: vcpu %u reason %23s rip 0x%llx", &vcpu, reason, &rip) != 3)
            continue;
        char key[32];
        snprintf(key, sizeof(key), "%016llx", rip);
        bump(rips, &nrips, MAX_RIPS, key);
        if (!strcmp(reason, "interrupt") || !strcmp(reason, "EXTERNAL_INTERRUPT"))
            bump(intr_rips, &nintr, MAX_RIPS, key);
        bump(reasons, &nreasons, MAX_REASONS, reason);
        total++;
    }
    fclose(f);
    write_file(TRACEFS "/trace", "");
    qsort(reasons, nreasons, sizeof(reasons[0]), by_count_desc);
    printf(" rips: exits=%u reasons:", total);
    for (unsigned i = 0; i < nreasons; i++)
        printf(" %s=%u", reasons[i].key, reasons[i].n);
    print_top(" top:", rips, nrips);
    print_top(" top_interrupt:", intr_rips, nintr);
}
