/* plugvm-bench: plugvm against QEMU, measured side by side in one place (the nested test
 * bed's L1, see tools/bench-boot and tools/bench-hotplug; docs/benchmarks.md).  Built from
 * the e2e library (stream.c, vm.c, vmm.c, sock.c) but not part of e2e-runner's test table:
 * it asserts nothing about time, it measures.
 *
 *   plugvm-bench boot    [--runs N] [--mem SIZE]...
 *   plugvm-bench hotplug [--runs N] [--sizes 128M,1G,8G] [--slot-runs N] [--fill N]
 *                        [--vmms plugvm,pc,q35] [--append-extra PARAM]
 *   plugvm-bench virtio-mem [--runs N] [--vmms plugvm,pc,q35]
 *
 * VMMs: "plugvm", and "pc"/"q35" for qemu-system-x86_64 -enable-kvm -cpu host -machine
 * pc|q35.  Every VMM gets the same kernel, initramfs, -append (E2E_DEFAULT_APPEND, plus
 * --append-extra), -smp 2
 * and -m.  Runs alternate between the VMMs (the first one rotates each round).
 *
 * Output: progress lines "[bench +12.3s] ...", one "BENCH ..." line per measurement, and
 * the summary as markdown, every line prefixed "BENCH-MD " (the driver scripts paste it
 * into docs/benchmarks.md).  Exit 0 when every measurement was taken.
 *
 * Environment: E2E_PLUGVM, E2E_QEMU, E2E_GUEST_KERNEL, E2E_GUEST_INITRD, E2E_VERBOSE, TMPDIR
 * (as e2e-runner). */
#include "../e2e.h"
#include "guest_rips.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- statistics ------------------------------------------------------------------------ */

#define MAX_RUNS 64

struct series {
    double v[MAX_RUNS];
    int n;
};

static void add(struct series *s, double v)
{
    if (s->n < MAX_RUNS)
        s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const struct series *s)
{
    double t[MAX_RUNS];
    if (s->n == 0)
        return -1;
    memcpy(t, s->v, sizeof(double) * (size_t)s->n);
    qsort(t, (size_t)s->n, sizeof(double), cmp_double);
    return s->n % 2 ? t[s->n / 2] : (t[s->n / 2 - 1] + t[s->n / 2]) / 2;
}

static double minimum(const struct series *s)
{
    double m = s->n ? s->v[0] : -1;
    for (int i = 1; i < s->n; i++)
        if (s->v[i] < m)
            m = s->v[i];
    return m;
}

static double maximum(const struct series *s)
{
    double m = s->n ? s->v[0] : -1;
    for (int i = 1; i < s->n; i++)
        if (s->v[i] > m)
            m = s->v[i];
    return m;
}

/* "1234 (1100–1500)" in ms, or "—" when nothing was measured. */
static const char *fmt_ms(const struct series *s, char *buf, size_t len)
{
    if (s->n == 0)
        snprintf(buf, len, "—");
    else
        snprintf(buf, len, "%.0f (%.0f–%.0f)", median(s) * 1e3, minimum(s) * 1e3,
                 maximum(s) * 1e3);
    return buf;
}

#define MD(...) (printf("BENCH-MD " __VA_ARGS__), putchar('\n'), fflush(stdout))

/* ---- the VMMs ---------------------------------------------------------------------------- */

/* V_GUEST_UNPACK: plugvm with -kernel-unpack guest, the bzImage's own decompressor in the
 * guest as under QEMU; it shows what plugvm's host-side unpacking is worth. Boot only.
 * V_PLUGVM_WARM: plugvm with PLUGVM_MEMMAP_WARMUP=always, the memmap warm-up even where
 * plugvm may use one CPU only (as before issue 12), for a before/after in one run;
 * V_PLUGVM_NOWARM: PLUGVM_MEMMAP_WARMUP=0, what the warm-up is worth where it runs. */
enum vmm {
    V_PLUGVM, V_PC, V_Q35, V_GUEST_UNPACK, V_PLUGVM_WARM, V_PLUGVM_NOWARM, V_PLUGVM_INLINE, NVMM
};
static const char *const vmm_names[NVMM] = {"plugvm", "pc", "q35", "guest-unpack",
                                            "plugvm-warm", "plugvm-nowarm", "plugvm-inline"};
static const char *const vmm_long[NVMM] = {"plugvm", "QEMU -machine pc", "QEMU -machine q35",
                                           "plugvm -kernel-unpack guest",
                                           "plugvm, warm-up forced on", "plugvm, warm-up off",
                                           "plugvm, warm-up inline on one CPU"};
static bool vmm_on[NVMM] = {true, true, true, false, false, false, false};
/* PLUGVM_MEMMAP_WARMUP for the variants that set it (a measurement switch). */
static const char *const vmm_warmup[NVMM] = {[V_PLUGVM_WARM] = "always",
                                             [V_PLUGVM_NOWARM] = "0",
                                             [V_PLUGVM_INLINE] = "inline"};
/* --smp: the guest's vCPUs, for every VMM alike. */
static const char *guest_smp = "2";

static bool is_plugvm(enum vmm v)
{
    return v == V_PLUGVM || v == V_GUEST_UNPACK || vmm_warmup[v];
}

/* --vmms a,b,c: exact names, so that "plugvm" does not also pick "plugvm-warm". */
static bool name_listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += len)
        if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
            return true;
    return false;
}

struct boot_opts {
    const char *mem;
    const char *qmp; /* socket path or NULL */
    const char *trace; /* plugvm only: PLUGVM_TRACE file or NULL */
    const char *const *extra; /* more arguments for either VMM (devices), NULL-terminated */
};

/* --append-extra: more kernel parameters for every VMM's guest alike. */
static char guest_append[512] = E2E_DEFAULT_APPEND;
/* The guest keeps hot-added memmaps on the DIMM (memory_hotplug.memmap_on_memory=1 in
 * --append-extra): a DIMM split per memory block then adds 1/64 less to MemTotal. */
static bool guest_memmap_on_memory;

/* How much a DIMM of size bytes adds to MemTotal at least, in kB (4 MiB slack). */
static long memtotal_growth_kb(uint64_t size)
{
    uint64_t kb = size >> 10;
    if (guest_memmap_on_memory)
        kb -= kb / 64;
    return (long)kb - 4096;
}

static bool vm_spawn(struct e2e_vm *vm, enum vmm v, const struct boot_opts *o)
{
    char qmparg[320];
    const char *argv[40];
    int n = 0;

    if (is_plugvm(v)) {
        argv[n++] = e2e_getenv_or("E2E_PLUGVM", "plugvm");
        if (v == V_GUEST_UNPACK) {
            argv[n++] = "-kernel-unpack";
            argv[n++] = "guest";
        }
    } else {
        argv[n++] = e2e_getenv_or("E2E_QEMU", "qemu-system-x86_64");
        argv[n++] = "-enable-kvm";
        argv[n++] = "-cpu";
        argv[n++] = "host";
        argv[n++] = "-machine";
        argv[n++] = v == V_PC ? "pc" : "q35";
        argv[n++] = "-nodefaults";
        argv[n++] = "-serial";
        argv[n++] = "stdio";
        argv[n++] = "-no-reboot";
    }
    argv[n++] = "-kernel";
    argv[n++] = e2e_getenv_or("E2E_GUEST_KERNEL", "/guest/vmlinuz");
    argv[n++] = "-initrd";
    argv[n++] = e2e_getenv_or("E2E_GUEST_INITRD", "/guest/initramfs.img");
    argv[n++] = "-append";
    argv[n++] = guest_append;
    argv[n++] = "-m";
    argv[n++] = o->mem;
    argv[n++] = "-smp";
    argv[n++] = guest_smp;
    argv[n++] = "-nographic";
    if (o->qmp) {
        snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", o->qmp);
        argv[n++] = "-qmp";
        argv[n++] = qmparg;
    }
    for (int i = 0; o->extra && o->extra[i] && n < 38; i++)
        argv[n++] = o->extra[i];
    argv[n] = NULL;
    if (v == V_PLUGVM && o->trace)
        setenv("PLUGVM_TRACE", o->trace, 1);
    const char *warm = getenv("PLUGVM_MEMMAP_WARMUP");
    char *warm_saved = warm ? strdup(warm) : NULL;
    if (vmm_warmup[v])
        setenv("PLUGVM_MEMMAP_WARMUP", vmm_warmup[v], 1);
    bool ok = e2e_vm_spawn(vm, (char *const *)argv);
    unsetenv("PLUGVM_TRACE");
    if (warm_saved)
        setenv("PLUGVM_MEMMAP_WARMUP", warm_saved, 1);
    else
        unsetenv("PLUGVM_MEMMAP_WARMUP");
    free(warm_saved);
    vm->kind = is_plugvm(v) ? E2E_VMM_PLUGVM : E2E_VMM_QEMU;
    return ok;
}

/* ---- memory of a process: /proc/PID/smaps ---------------------------------------------- */

struct mem_use {
    long rss_kb;        /* every mapping */
    long guest_rss_kb;  /* the guest RAM mapping(s) */
    long other_rss_kb;  /* the rest: the VMM's own memory */
    long other_anon_kb; /* ... of which anonymous (heap, stacks, copies) */
    long other_file_kb; /* ... of which file-backed (binary, libraries, firmware files) */
    int guest_maps;
};

/* Mappings of at least guest_min bytes are taken as guest RAM: with -m 512M the next
 * biggest mappings of either VMM are 8 MiB thread stacks and 64 MiB malloc arenas. */
static bool smaps_measure(pid_t pid, uint64_t guest_min, struct mem_use *u)
{
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return e2e_fail("open %s: %s", path, strerror(errno));
    memset(u, 0, sizeof(*u));
    bool guest = false;
    long rss = 0;
    char map[sizeof(line)] = "";
    while (fgets(line, sizeof(line), f)) {
        unsigned long long a, b;
        long kb;
        if (sscanf(line, "%llx-%llx ", &a, &b) == 2 && strchr(line, ' ') &&
            strchr(line, '-') < strchr(line, ' ')) {
            guest = b - a >= guest_min;
            snprintf(map, sizeof(map), "%s", strtok(line, "\n"));
            if (guest) {
                u->guest_maps++;
                e2e_log("guest RAM mapping: %s", map);
            }
        } else if (sscanf(line, "Rss: %ld kB", &kb) == 1) {
            rss = kb;
            /* The VMM's own biggest pieces, for docs/benchmarks.md. */
            if (!guest && kb >= 128)
                printf("BENCH map pid=%d rss_kb=%ld %s\n", (int)pid, kb, map);
            u->rss_kb += kb;
            if (guest)
                u->guest_rss_kb += kb;
            else
                u->other_rss_kb += kb;
        } else if (sscanf(line, "Anonymous: %ld kB", &kb) == 1) {
            if (!guest) {
                u->other_anon_kb += kb;
                u->other_file_kb += rss - kb;
            }
        }
    }
    fclose(f);
    return true;
}

/* ---- boot ---------------------------------------------------------------------------------- */

#define MAX_MEMS 4

static int bench_boot(int runs, const char *const *mems, int nmem)
{
    struct series ready[MAX_MEMS][NVMM] = {0}, over[MAX_MEMS][NVMM] = {0},
                  anon[MAX_MEMS][NVMM] = {0}, file[MAX_MEMS][NVMM] = {0},
                  guest[MAX_MEMS][NVMM] = {0};
    int failures = 0;

    for (int r = 0; r < runs; r++) {
        for (int mi = 0; mi < nmem; mi++) {
            for (int k = 0; k < NVMM; k++) {
                enum vmm v = (enum vmm)((k + r) % NVMM);
                if (!vmm_on[v])
                    continue;
                struct e2e_vm vm = E2E_VM_INIT;
                struct boot_opts o = {.mem = mems[mi]};
                struct mem_use u = {0};
                e2e_log("boot %s -m %s, run %d/%d", vmm_names[v], mems[mi], r + 1, runs);
                uint64_t t0 = now_ns();
                bool ok = vm_spawn(&vm, v, &o) && e2e_vm_expect(&vm, E2E_GUEST_READY, 240);
                double t = (double)(now_ns() - t0) / 1e9;
                ok = ok && e2e_vm_expect(&vm, "# ", 60) &&
                     smaps_measure(vm.pid, 256ull << 20, &u);
                if (ok && u.guest_maps != 1)
                    ok = e2e_fail("expected one guest RAM mapping of >= 256 MiB, found %d",
                                  u.guest_maps);
                if (ok) {
                    printf("BENCH boot vmm=%s mem=%s run=%d ready_s=%.3f rss_kb=%ld "
                           "guest_rss_kb=%ld overhead_kb=%ld overhead_anon_kb=%ld "
                           "overhead_file_kb=%ld\n",
                           vmm_names[v], mems[mi], r + 1, t, u.rss_kb, u.guest_rss_kb,
                           u.other_rss_kb, u.other_anon_kb, u.other_file_kb);
                    add(&ready[mi][v], t);
                    add(&over[mi][v], (double)u.other_rss_kb);
                    add(&anon[mi][v], (double)u.other_anon_kb);
                    add(&file[mi][v], (double)u.other_file_kb);
                    add(&guest[mi][v], (double)u.guest_rss_kb);
                } else {
                    failures++;
                }
                e2e_vm_destroy(&vm);
            }
        }
    }

    for (int mi = 0; mi < nmem; mi++) {
        char b1[64];
        MD("#### Boot to `plugvm-guest: ready`, `-m %s -smp %s`", mems[mi], guest_smp);
        MD("%s", "");
        MD("| VMM | runs | median s (min–max) | vs plugvm |");
        MD("| --- | --- | --- | --- |");
        for (int v = 0; v < NVMM; v++) {
            if (!ready[mi][v].n)
                continue;
            snprintf(b1, sizeof(b1), "%.2f (%.2f–%.2f)", median(&ready[mi][v]),
                     minimum(&ready[mi][v]), maximum(&ready[mi][v]));
            MD("| %s | %d | %s | %.2fx |", vmm_long[v], ready[mi][v].n, b1,
               ready[mi][V_PLUGVM].n ? median(&ready[mi][v]) / median(&ready[mi][V_PLUGVM])
                                     : 0);
        }
        MD("%s", "");
        if (ready[mi][V_PLUGVM].n && ready[mi][V_PC].n && ready[mi][V_Q35].n) {
            double best = median(&ready[mi][V_PC]) < median(&ready[mi][V_Q35])
                              ? median(&ready[mi][V_PC])
                              : median(&ready[mi][V_Q35]);
            double ratio = median(&ready[mi][V_PLUGVM]) / best;
            MD("plugvm / faster QEMU machine type = **%.2f** (target ≤ 0.5: %s)", ratio,
               ratio <= 0.5 ? "met" : "**missed**");
            MD("%s", "");
        }
        if (ready[mi][V_PLUGVM].n && ready[mi][V_GUEST_UNPACK].n) {
            MD("Unpacking the kernel in plugvm instead of the guest saves %.2f s of the median "
               "boot (plugvm %.2f s, with `-kernel-unpack guest` %.2f s).",
               median(&ready[mi][V_GUEST_UNPACK]) - median(&ready[mi][V_PLUGVM]),
               median(&ready[mi][V_PLUGVM]), median(&ready[mi][V_GUEST_UNPACK]));
            MD("%s", "");
        }
        MD("#### Memory after boot (`/proc/PID/smaps`, median kB), `-m %s`", mems[mi]);
        MD("%s", "");
        MD("| VMM | total RSS | guest RAM RSS | overhead = rest | of which anonymous | of which "
           "file-backed |");
        MD("| --- | --- | --- | --- | --- | --- |");
        for (int v = 0; v < NVMM; v++) {
            if (!over[mi][v].n)
                continue;
            MD("| %s | %.0f | %.0f | **%.0f** (%.1f MiB) | %.0f | %.0f |", vmm_long[v],
               median(&guest[mi][v]) + median(&over[mi][v]), median(&guest[mi][v]),
               median(&over[mi][v]), median(&over[mi][v]) / 1024, median(&anon[mi][v]),
               median(&file[mi][v]));
        }
        MD("%s", "");
        if (over[mi][V_PLUGVM].n) {
            double mib = median(&over[mi][V_PLUGVM]) / 1024;
            MD("plugvm overhead %.2f MiB (target ≤ 2 MiB: %s)", mib,
               mib <= 2 ? "met" : "**missed**");
            MD("%s", "");
        }
    }
    printf("BENCH-DONE boot failures=%d\n", failures);
    return failures ? 1 : 0;
}

/* ---- hotplug -------------------------------------------------------------------------------- */

/* A booted guest with a QMP connection and a MemTotal watcher on its console. */
struct hvm {
    enum vmm v;
    struct e2e_vm vm;
    struct e2e_stream q;
    size_t con_scan, q_scan; /* next unparsed byte */
    long mt_kb;              /* last MemTotal the guest printed */
    long base_kb;            /* MemTotal with no DIMM */
    char trace[300];
    long trace_off;
    unsigned next_id;
    double ready_s; /* process start -> "plugvm-guest: ready" */
};

/* What one wait saw, in ns since the command was sent (0: not seen). */
struct seen {
    uint64_t ret, ost, deleted, mt;
    bool error;
};

/* Parses newly completed lines of the console and the QMP stream. */
static void scan(struct hvm *h, uint64_t t0, const char *want_deleted, long mt_target,
                 bool mt_up, struct seen *s)
{
    uint64_t t = now_ns() - t0;
    char *nl;
    while ((nl = memchr(h->vm.con.buf + h->con_scan, '\n', h->vm.con.len - h->con_scan))) {
        char *l = h->vm.con.buf + h->con_scan;
        *nl = '\0';
        char *m = strstr(l, "MT ");
        if (m && isdigit((unsigned char)m[3])) {
            h->mt_kb = strtol(m + 3, NULL, 10);
            if (!s->mt && mt_target > 0 &&
                (mt_up ? h->mt_kb >= mt_target : h->mt_kb <= mt_target))
                s->mt = t;
        }
        *nl = '\n';
        h->con_scan = (size_t)(nl - h->vm.con.buf) + 1;
    }
    while (h->q.buf && (nl = memchr(h->q.buf + h->q_scan, '\n', h->q.len - h->q_scan))) {
        char *l = h->q.buf + h->q_scan;
        *nl = '\0';
        if (strstr(l, "\"return\"") && !s->ret)
            s->ret = t;
        if (strstr(l, "\"error\"")) {
            e2e_log("qmp error: %s", l);
            s->error = true;
        }
        char *src = strstr(l, "\"source\"");
        if (strstr(l, "ACPI_DEVICE_OST") && src && !s->ost) {
            src += strlen("\"source\"");
            while (*src == ':' || *src == ' ')
                src++;
            if (atoi(src) == 1)
                s->ost = t;
        }
        if (strstr(l, "DEVICE_DELETED") && want_deleted && strstr(l, want_deleted) && !s->deleted)
            s->deleted = t;
        *nl = '\n';
        h->q_scan = (size_t)(nl - h->q.buf) + 1;
    }
}

/* Waits until done(s) or the timeout; feeds both streams. */
static bool wait_for(struct hvm *h, uint64_t t0, const char *want_deleted, long mt_target,
                     bool mt_up, struct seen *s, bool (*done)(const struct seen *),
                     double timeout_s)
{
    uint64_t deadline = now_ns() + (uint64_t)(timeout_s * 1e9);
    for (;;) {
        scan(h, t0, want_deleted, mt_target, mt_up, s);
        if (s->error)
            return e2e_fail("QMP command failed");
        if (done(s))
            return true;
        if (now_ns() > deadline || h->vm.con.eof || h->q.eof) {
            e2e_fail("%s: timeout/EOF after %.1f s (MemTotal %ld kB, target %ld kB, ret %d "
                     "ost %d deleted %d)",
                     vmm_names[h->v], timeout_s, h->mt_kb, mt_target, s->ret != 0, s->ost != 0,
                     s->deleted != 0);
            e2e_stream_tail(&h->vm.con, 20);
            e2e_stream_tail(&h->q, 10);
            return false;
        }
        struct pollfd p[2] = {{.fd = h->vm.con.fd, .events = POLLIN},
                              {.fd = h->q.fd, .events = POLLIN}};
        if (poll(p, 2, 100) > 0) {
            if (p[0].revents)
                while (e2e_stream_fill(&h->vm.con, 0) > 0)
                    ;
            if (p[1].revents)
                while (e2e_stream_fill(&h->q, 0) > 0)
                    ;
        }
    }
}

static bool done_ret(const struct seen *s) { return s->ret; }
static bool done_add(const struct seen *s) { return s->ret && s->mt && s->ost; }
static bool done_del(const struct seen *s) { return s->ret && s->mt && s->deleted; }
static bool done_mt(const struct seen *s) { return s->mt; }
static bool done_add_mt(const struct seen *s) { return s->ret && s->mt; }

/* Sends one QMP command (no newline needed) and waits for its return. */
static bool qmp_cmd(struct hvm *h, const char *cmd)
{
    struct seen s = {0};
    if (!e2e_stream_puts(&h->q, cmd) || !e2e_stream_puts(&h->q, "\n"))
        return false;
    return wait_for(h, now_ns(), NULL, 0, true, &s, done_ret, 60);
}

static const char *watcher =
    "mkfifo /tmp/w; (exec 3<>/tmp/w; l=0; while :; do read t v u </proc/meminfo; "
    "[ \"$v\" != \"$l\" ] && { echo \"MT $v\"; l=$v; }; read -t 0.01 x <&3; done) &\n";

static bool hvm_boot_extra(struct hvm *h, enum vmm v, const char *mem,
                           const char *const *extra);

static bool hvm_boot(struct hvm *h, enum vmm v, const char *mem)
{
    return hvm_boot_extra(h, v, mem, NULL);
}

static bool hvm_boot_extra(struct hvm *h, enum vmm v, const char *mem,
                           const char *const *extra)
{
    char sock[300];
    memset(h, 0, sizeof(*h));
    h->v = v;
    h->vm = (struct e2e_vm)E2E_VM_INIT;
    h->q.fd = -1;
    snprintf(sock, sizeof(sock), "%s/%s.qmp", e2e_tmpdir(), vmm_names[v]);
    snprintf(h->trace, sizeof(h->trace), "%s/%s.trace", e2e_tmpdir(), vmm_names[v]);
    unlink(sock);
    unlink(h->trace);
    struct boot_opts o = {.mem = mem, .qmp = sock, .trace = v == V_PLUGVM ? h->trace : NULL,
                          .extra = extra};
    uint64_t t0 = now_ns();
    if (!vm_spawn(&h->vm, v, &o) || !e2e_vm_expect(&h->vm, E2E_GUEST_READY, 240))
        return false;
    h->ready_s = (double)(now_ns() - t0) / 1e9;
    if (!e2e_vm_expect(&h->vm, "# ", 60))
        return false;
    e2e_log("%s ready after %.2f s", vmm_names[v], h->ready_s);
    int fd = e2e_unix_connect(sock, 10);
    if (fd < 0)
        return false;
    e2e_stream_init(&h->q, fd, "qmp");
    if (!e2e_stream_expect(&h->q, "\"QMP\"", 10))
        return false;
    h->q_scan = h->q.pos;
    if (!qmp_cmd(h, "{\"execute\":\"qmp_capabilities\"}"))
        return false;
    h->con_scan = h->vm.con.len;
    if (!e2e_vm_send(&h->vm, watcher))
        return false;
    struct seen s = {0};
    /* Any MemTotal (>= 1 kB) will do as the first reading. */
    if (!wait_for(h, now_ns(), NULL, 1, true, &s, done_mt, 30))
        return false;
    h->base_kb = h->mt_kb;
    e2e_log("%s: MemTotal %ld kB, watcher running", vmm_names[v], h->base_kb);
    return true;
}

static void hvm_destroy(struct hvm *h)
{
    e2e_stream_free(&h->q);
    e2e_vm_destroy(&h->vm);
}

/* plugvm's own timeline of one event, from its PLUGVM_TRACE file. */
struct trace_sum {
    bool valid;
    double recv;     /* command sent -> QMP bytes read by plugvm */
    double handle;   /* QMP read -> GED raised, including the KVM_IRQ_LINE ioctls */
    double to_first; /* GED raised -> the guest's first hotplug register access */
    double io_total; /* plugvm's time inside the register accesses */
    int io_count;
    double to_end;   /* first access -> _OST (add) or _EJ0 (remove) */
    double kvm;      /* of handle + io_total: inside KVM_SET_USER_MEMORY_REGION */
    double kvm_after; /* KVM_SET_USER_MEMORY_REGION outside both (remove: the main thread
                       * drops the slot after the guest's _EJ0 exit has returned) */
};

struct trace_line {
    uint64_t t;
    size_t seq;
    char text[256];
};

/* Time order; lines logged in the same nanosecond keep their order in the file. */
static int trace_line_cmp(const void *a, const void *b)
{
    const struct trace_line *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct trace_sum trace_read(struct hvm *h, uint64_t t_send, bool add_op)
{
    struct trace_sum ts = {0};
    /* The access that ends the event (_OST, _EJ0) is logged when its exit returns, which
     * can be after the event this benchmark waited for: give it time to land (outside
     * the measured interval). */
    usleep(100 * 1000);
    FILE *f = fopen(h->trace, "r");
    if (!f)
        return ts;
    fseek(f, h->trace_off, SEEK_SET);
    /* plugvm writes a thread's lines of one timed step together once the step is over
     * (pv_trace_hold), so lines of different threads can land out of order: read them
     * all, then walk them in time order. */
    struct trace_line *lines = NULL;
    size_t nlines = 0, cap = 0;
    char text[256];
    while (fgets(text, sizeof(text), f)) {
        unsigned long long t;
        if (sscanf(text, "%llu", &t) != 1 || t < t_send)
            continue;
        if (nlines == cap) {
            cap = cap ? 2 * cap : 256;
            lines = realloc(lines, cap * sizeof(*lines));
            if (!lines)
                abort();
        }
        lines[nlines].t = t;
        lines[nlines].seq = nlines;
        snprintf(lines[nlines].text, sizeof(lines[nlines].text), "%s", text);
        nlines++;
    }
    h->trace_off = ftell(f);
    fclose(f);
    if (nlines)
        qsort(lines, nlines, sizeof(*lines), trace_line_cmp);
    uint64_t recv = 0, ged = 0, first = 0, end = 0, kvm_at = 0;
    uint64_t io_from[64], io_to[64];
    double io = 0, kvm = 0, irq = 0;
    bool kvm_seen = false, irq_seen = false;
    int nio = 0;
    for (size_t i = 0; i < nlines; i++) {
        const char *line = lines[i].text;
        unsigned long long t = lines[i].t, start, dur, size;
        unsigned slot, src;
        char what[32], rw;
        unsigned off, val;
        if (sscanf(line, "%*u %31s", what) != 1)
            continue;
        printf("TRACE %s", line); /* the raw steps, for the log (not the document) */
        if (!strcmp(what, "qmp-recv") && !recv)
            recv = t;
        else if (!strcmp(what, "ged-raise") && recv && !ged)
            ged = t;
        /* The KVM_IRQ_LINE ioctls that raise it, logged after them: plugvm's time too. */
        else if (!strcmp(what, "ged-raised") && ged && !irq_seen &&
                 sscanf(line, "%*u ged-raised %llu", &dur) == 1) {
            irq = (double)dur / 1e9;
            irq_seen = true;
        }
        /* One slot change per event: the map before the GED (add), the unmap inside
         * _EJ0, which is logged just after "eject" (remove). */
        else if (!strcmp(what, "kvm-slot") && recv && !kvm_seen &&
                 sscanf(line, "%*u kvm-slot %u %llu %llu", &slot, &size, &dur) == 3) {
            kvm = (double)dur / 1e9;
            kvm_at = t; /* logged when the ioctl returned */
            kvm_seen = true;
        }
        /* An access that began before the GED was raised belongs to an earlier event; the
         * one that ends the event (the _EJ0 write) is logged after its "eject" line. */
        else if (!strcmp(what, "io") && ged &&
                 sscanf(line, "%*u io %llu %c 0x%x 0x%x %llu", &start, &rw, &off, &val, &dur) ==
                     5 &&
                 start >= ged && (!end || start <= end)) {
            if (!first)
                first = start;
            io += (double)dur / 1e9;
            if (nio < 64) {
                io_from[nio] = start;
                io_to[nio] = start + dur;
            }
            nio++;
        } else if (add_op && !strcmp(what, "ost") && ged && !end &&
                   sscanf(line, "%*u ost %u %u", &slot, &src) == 2 && src == 1) {
            end = t;
        } else if (!add_op && !strcmp(what, "eject") && ged && !end) {
            end = t;
        }
    }
    free(lines);
    if (recv && ged && first && end) {
        ts.valid = true;
        ts.recv = (double)(recv - t_send) / 1e9;
        ts.handle = (double)(ged - recv) / 1e9 + irq;
        ts.to_first = (double)(first - ged) / 1e9;
        ts.io_total = io;
        ts.io_count = nio;
        ts.to_end = (double)(end - first) / 1e9;
        /* Inside plugvm's share when it happened before the GED (hot-add) or inside one
         * of the guest's register accesses; otherwise the guest did not wait for it. */
        bool inside = kvm_seen && kvm_at <= ged;
        for (int i = 0; i < nio && i < 64 && kvm_seen && !inside; i++)
            inside = kvm_at >= io_from[i] && kvm_at <= io_to[i];
        ts.kvm = inside ? kvm : 0;
        ts.kvm_after = inside ? 0 : kvm;
    }
    return ts;
}

struct op_stats {
    struct series total;   /* sent -> MemTotal changed */
    struct series event;   /* sent -> ACPI_DEVICE_OST source 1 (add) / DEVICE_DELETED (del) */
    struct series ret;     /* sent -> QMP return */
    struct series recv, handle, to_first, io_total, to_end, io_count, kvm, kvm_after;
    struct series npf; /* L1's nested page faults fixed during the operation */
    struct series own; /* plugvm's share of each operation: handle + io_total */
};

/* One of L1 KVM's global statistics (debugfs, summed over all VMs: the VMM under test
 * is the only one that runs, besides the bed's idle keeper VM), or 0. */
static unsigned long long kvm_global_stat(const char *name)
{
    char path[128];
    unsigned long long v = 0;
    snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s", name);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

/* CPU time the VMM's threads ran and waited runnable (/proc/PID/task/TID/schedstat:
 * run ns, wait ns, slices), summed over its threads and per thread (with its comm:
 * plugvm names its vCPU and warm-up threads): tells a guest that computes longer from
 * one whose vCPU is runnable but not running, and which thread took the CPU (issue 12). */
#define SCHED_MAX_THREADS 16
struct sched_sum {
    double run_ms, wait_ms;
    unsigned n;
    struct {
        int tid;
        char comm[16];
        double run_ms, wait_ms;
    } t[SCHED_MAX_THREADS];
};

static struct sched_sum sched_sum(pid_t pid)
{
    struct sched_sum sum = {0};
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        unsigned long long run, wait;
        char stat[sizeof(path) + sizeof(e->d_name) + 16];
        if (e->d_name[0] == '.')
            continue;
        snprintf(stat, sizeof(stat), "%s/%s/schedstat", path, e->d_name);
        FILE *f = fopen(stat, "r");
        if (f && fscanf(f, "%llu %llu", &run, &wait) == 2) {
            sum.run_ms += run / 1e6;
            sum.wait_ms += wait / 1e6;
            if (sum.n < SCHED_MAX_THREADS) {
                sum.t[sum.n].tid = atoi(e->d_name);
                sum.t[sum.n].run_ms = run / 1e6;
                sum.t[sum.n].wait_ms = wait / 1e6;
                snprintf(stat, sizeof(stat), "%s/%s/comm", path, e->d_name);
                FILE *c = fopen(stat, "r");
                if (!c || !fgets(sum.t[sum.n].comm, sizeof(sum.t[0].comm), c))
                    snprintf(sum.t[sum.n].comm, sizeof(sum.t[0].comm), "?");
                sum.t[sum.n].comm[strcspn(sum.t[sum.n].comm, "\n")] = '\0';
                if (c)
                    fclose(c);
                sum.n++;
            }
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return sum;
}

/* " threads: comm/tid=run/wait ..." in ms, for the threads in both snapshots. */
static void sched_print(const struct sched_sum *a, const struct sched_sum *b)
{
    printf(" threads:");
    for (unsigned i = 0; i < b->n; i++)
        for (unsigned j = 0; j < a->n; j++)
            if (a->t[j].tid == b->t[i].tid)
                printf(" %s/%d=%.1f/%.1f", b->t[i].comm, b->t[i].tid,
                       b->t[i].run_ms - a->t[j].run_ms, b->t[i].wait_ms - a->t[j].wait_ms);
}

/* L1 counters around one operation, to tell where a slow hot-add spends its time (issue
 * 12: plugvm's add grew VM after VM while its own share and the nested faults did not).
 * KVM's global statistics sum over every VM in L1; /proc/vmstat's say whether L1 had to
 * reclaim or compact memory, or fell back from huge pages; MemFree is L1's before. */
static const char *const l1_kvm_stats[] = {"exits", "halt_exits", "halt_wakeup", "irq_exits",
                                           "io_exits", "mmio_exits", "nmi_window_exits",
                                           "pages_4k", "pages_2m", "tlb_flush",
                                           "remote_tlb_flush", "nx_lpage_splits"};
static const char *const l1_vmstat[] = {"compact_stall", "thp_fault_alloc", "thp_fault_fallback",
                                        "pgscan_direct", "pgmajfault", "numa_hint_faults"};
#define N_L1_KVM (sizeof(l1_kvm_stats) / sizeof(l1_kvm_stats[0]))
#define N_L1_VM (sizeof(l1_vmstat) / sizeof(l1_vmstat[0]))

struct l1_snapshot {
    unsigned long long kvm[N_L1_KVM], vm[N_L1_VM];
    long memfree_kb;
};

static long l1_meminfo_kb(const char *key)
{
    char line[128];
    long v = -1;
    size_t n = strlen(key);
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, key, n) && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static struct l1_snapshot l1_snapshot(void)
{
    struct l1_snapshot s = {0};
    char name[64];
    unsigned long long v;
    for (size_t i = 0; i < N_L1_KVM; i++)
        s.kvm[i] = kvm_global_stat(l1_kvm_stats[i]);
    FILE *f = fopen("/proc/vmstat", "r");
    while (f && fscanf(f, "%63s %llu", name, &v) == 2)
        for (size_t i = 0; i < N_L1_VM; i++)
            if (!strcmp(name, l1_vmstat[i]))
                s.vm[i] = v;
    if (f)
        fclose(f);
    s.memfree_kb = l1_meminfo_kb("MemFree");
    return s;
}

/* " l1: memfree_kb=N exits=+N ... pages_2m=N" (deltas, but page counts as they are after) */
static void l1_print(const struct l1_snapshot *a, const struct l1_snapshot *b)
{
    printf(" l1: memfree_kb=%ld", a->memfree_kb);
    for (size_t i = 0; i < N_L1_KVM; i++) {
        if (!strncmp(l1_kvm_stats[i], "pages_", 6))
            printf(" %s=%llu", l1_kvm_stats[i], b->kvm[i]);
        else
            printf(" %s=%llu", l1_kvm_stats[i], b->kvm[i] - a->kvm[i]);
    }
    for (size_t i = 0; i < N_L1_VM; i++)
        printf(" %s=%llu", l1_vmstat[i], b->vm[i] - a->vm[i]);
}

static void trace_add(struct op_stats *st, const struct trace_sum *t)
{
    if (!t->valid)
        return;
    add(&st->recv, t->recv);
    add(&st->handle, t->handle);
    add(&st->to_first, t->to_first);
    add(&st->io_total, t->io_total);
    add(&st->to_end, t->to_end);
    add(&st->io_count, t->io_count);
    add(&st->kvm, t->kvm);
    add(&st->kvm_after, t->kvm_after);
    add(&st->own, t->handle + t->io_total);
}

static bool hot_add(struct hvm *h, uint64_t size, const char *label, char *id, size_t idlen,
                    struct op_stats *st)
{
    char cmd[256];
    unsigned k = ++h->next_id;
    long before = h->mt_kb;
    snprintf(id, idlen, "d%u", k);
    snprintf(cmd, sizeof(cmd),
             "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\","
             "\"id\":\"m%u\",\"size\":%" PRIu64 "}}",
             k, size);
    if (!qmp_cmd(h, cmd))
        return false;
    snprintf(cmd, sizeof(cmd),
             "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\",\"id\":\"d%u\","
             "\"memdev\":\"m%u\"}}\n",
             k, k);
    struct seen s = {0};
    unsigned long long pf0 = kvm_global_stat("pf_fixed");
    struct sched_sum cpu0 = sched_sum(h->vm.pid);
    struct l1_snapshot l1a = l1_snapshot();
    bool rips = guest_rips_start();
    uint64_t t0 = now_ns();
    if (!e2e_stream_puts(&h->q, cmd) ||
        !wait_for(h, t0, NULL, before + memtotal_growth_kb(size), true, &s, done_add, 300))
        return false;
    unsigned long long npf = kvm_global_stat("pf_fixed") - pf0;
    struct sched_sum cpu1 = sched_sum(h->vm.pid);
    struct l1_snapshot l1b = l1_snapshot();
    struct trace_sum tr = h->v == V_PLUGVM ? trace_read(h, t0, true) : (struct trace_sum){0};
    printf("BENCH add vmm=%s dimm=%s id=%s return_ms=%.1f ost_ms=%.1f memtotal_ms=%.1f "
           "memtotal_kb=%ld npf=%llu run_ms=%.1f wait_ms=%.1f",
           vmm_names[h->v], label, id, s.ret / 1e6, s.ost / 1e6, s.mt / 1e6, h->mt_kb, npf,
           cpu1.run_ms - cpu0.run_ms, cpu1.wait_ms - cpu0.wait_ms);
    if (tr.valid)
        printf(" trace: recv_ms=%.2f to_ged_ms=%.2f ged_to_first_io_ms=%.2f io_n=%d "
               "io_total_ms=%.3f first_io_to_ost_ms=%.1f kvm_slot_ms=%.3f",
               tr.recv * 1e3, tr.handle * 1e3, tr.to_first * 1e3, tr.io_count,
               tr.io_total * 1e3, tr.to_end * 1e3, tr.kvm * 1e3);
    l1_print(&l1a, &l1b);
    sched_print(&cpu0, &cpu1);
    if (rips)
        guest_rips_print(h->vm.pid);
    printf("\n");
    fflush(stdout);
    if (st) {
        add(&st->npf, (double)npf);
        add(&st->total, (double)s.mt / 1e9);
        add(&st->event, (double)s.ost / 1e9);
        add(&st->ret, (double)s.ret / 1e9);
        trace_add(st, &tr);
    }
    return true;
}

static bool hot_remove(struct hvm *h, const char *id, uint64_t size, const char *label,
                       struct op_stats *st)
{
    char cmd[256], want[64];
    long target = h->mt_kb - memtotal_growth_kb(size);
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"%s\"}}\n",
             id);
    snprintf(want, sizeof(want), "\"%s\"", id);
    struct seen s = {0};
    unsigned long long pf0 = kvm_global_stat("pf_fixed");
    uint64_t t0 = now_ns();
    if (!e2e_stream_puts(&h->q, cmd) ||
        !wait_for(h, t0, want, target, false, &s, done_del, 300))
        return false;
    unsigned long long npf = kvm_global_stat("pf_fixed") - pf0;
    struct trace_sum tr = h->v == V_PLUGVM ? trace_read(h, t0, false) : (struct trace_sum){0};
    printf("BENCH del vmm=%s dimm=%s id=%s return_ms=%.1f memtotal_ms=%.1f deleted_ms=%.1f "
           "memtotal_kb=%ld npf=%llu",
           vmm_names[h->v], label, id, s.ret / 1e6, s.mt / 1e6, s.deleted / 1e6, h->mt_kb, npf);
    if (tr.valid)
        printf(" trace: recv_ms=%.2f to_ged_ms=%.2f ged_to_first_io_ms=%.2f io_n=%d "
               "io_total_ms=%.3f first_io_to_ej0_ms=%.1f kvm_slot_ms=%.3f",
               tr.recv * 1e3, tr.handle * 1e3, tr.to_first * 1e3, tr.io_count,
               tr.io_total * 1e3, tr.to_end * 1e3, tr.kvm * 1e3);
    printf("\n");
    fflush(stdout);
    if (st) {
        add(&st->npf, (double)npf);
        add(&st->total, (double)s.mt / 1e9);
        add(&st->event, (double)s.deleted / 1e9);
        add(&st->ret, (double)s.ret / 1e9);
        trace_add(st, &tr);
    }
    /* Free the backend (QEMU keeps it otherwise); not timed. */
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m%s\"}}",
             id + 1);
    return qmp_cmd(h, cmd);
}

#define MAX_SIZES 4
enum { A_FIRST, A_64TH, NSLOTCASE };

static uint64_t parse_size(const char *s)
{
    char *end;
    uint64_t v = strtoull(s, &end, 10);
    switch (toupper((unsigned char)*end)) {
    case 'G':
        return v << 30;
    case 'M':
        return v << 20;
    default:
        return v << 20;
    }
}

static void md_op_table(const char *title, const char *event_name, const char *const *labels,
                        int nlab, struct op_stats st[][NVMM])
{
    char b1[64], b2[64], b3[64];
    MD("#### %s", title);
    MD("%s", "");
    MD("| DIMM | VMM | runs | → MemTotal, median ms (min–max) | → %s | → QMP return | vs "
       "plugvm | L1 nested page faults (median) |",
       event_name);
    MD("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (int i = 0; i < nlab; i++)
        for (int v = 0; v < NVMM; v++) {
            if (!st[i][v].total.n)
                continue;
            MD("| %s | %s | %d | %s | %s | %s | %.2fx | %.0f |", labels[i], vmm_long[v],
               st[i][v].total.n, fmt_ms(&st[i][v].total, b1, sizeof(b1)),
               fmt_ms(&st[i][v].event, b2, sizeof(b2)), fmt_ms(&st[i][v].ret, b3, sizeof(b3)),
               st[i][V_PLUGVM].total.n
                   ? median(&st[i][v].total) / median(&st[i][V_PLUGVM].total)
                   : 0,
               median(&st[i][v].npf));
        }
    MD("%s", "");
    MD("L1 nested page faults: KVM's `pf_fixed` in L1 (debugfs) from the command to the "
       "end of the measurement, each one a guest page L1 mapped for the first time (or again "
       "after a zap); about 100 µs each in this bed.");
    MD("%s", "");
}

/* What one CLOCK_MONOTONIC read costs here (median ns over 1000 pairs). plugvm's trace
 * brackets each register access with two reads, so about one read's cost of every
 * access's measured time is the measurement itself. In the TCG bed L1's clocksource is
 * not the TSC, so a read is a system call and an emulated timer access. */
static double clock_read_ns;

static void measure_clock_cost(void)
{
    struct series s = {0};
    for (int i = 0; i < MAX_RUNS; i++) {
        uint64_t a = now_ns(), b = a;
        for (int k = 0; k < 16; k++)
            b = now_ns();
        add(&s, (double)(b - a) / 16);
    }
    clock_read_ns = median(&s);
    char src[64] = "?";
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (f) {
        if (!fgets(src, sizeof(src), f))
            snprintf(src, sizeof(src), "?");
        src[strcspn(src, "\n")] = '\0';
        fclose(f);
    }
    printf("BENCH clock_read_ns=%.0f clocksource=%s\n", clock_read_ns, src);
    e2e_log("one clock read costs %.0f ns here (clocksource %s)", clock_read_ns, src);
}

static void md_trace_table(const char *title, const char *end_name, const char *const *labels,
                           int nlab, struct op_stats st[][NVMM])
{
    MD("#### %s", title);
    MD("%s", "");
    MD("| DIMM | total → MemTotal | socket → plugvm | plugvm: command → GED raised | GED → guest's "
       "first register access | plugvm in register accesses (count) | first access → %s | "
       "plugvm's share | of which KVM_SET_USER_MEMORY_REGION | plugvm's share without it | "
       "KVM slot change the guest did not wait for |",
       end_name);
    MD("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (int i = 0; i < nlab; i++) {
        struct op_stats *s = &st[i][V_PLUGVM];
        if (!s->recv.n)
            continue;
        /* The median of each operation's own share, not the sum of the two medians (one
         * slow command path and one slow register access need not be the same round). */
        double own = median(&s->own);
        double kvm = median(&s->kvm);
        MD("| %s | %.1f ms | %.2f ms | %.2f ms | %.2f ms | %.3f ms (%.0f) | %.1f ms | %.2f ms = "
           "%.2f%% | %.2f ms | %.2f ms | %.2f ms |",
           labels[i], median(&s->total) * 1e3, median(&s->recv) * 1e3,
           median(&s->handle) * 1e3, median(&s->to_first) * 1e3, median(&s->io_total) * 1e3,
           median(&s->io_count), median(&s->to_end) * 1e3, own * 1e3,
           100 * own / median(&s->total), kvm * 1e3, (own - kvm) * 1e3,
           median(&s->kvm_after) * 1e3);
    }
    MD("%s", "");
    MD("A clock read in L1 costs %.1f µs here (`clock_gettime`, median; L1's clocksource is "
       "not the TSC under TCG). Each register access above is timed between two reads, so "
       "about %.1f µs of each is the measurement itself (with 20 accesses: %.2f ms of "
       "plugvm's share).",
       clock_read_ns / 1e3, clock_read_ns / 1e3, 20 * clock_read_ns / 1e6);
    MD("%s", "");
}

static int bench_hotplug(int runs, const char *sizes_arg, int slot_runs, int fill)
{
    const char *mem = "1G,slots=64,maxmem=32G";
    char sizes_buf[128], *labels[MAX_SIZES];
    uint64_t sizes[MAX_SIZES];
    int nsizes = 0, failures = 0;
    static struct op_stats add_st[MAX_SIZES][NVMM], del_st[MAX_SIZES][NVMM],
        sadd[NSLOTCASE][NVMM], sdel[NSLOTCASE][NVMM];
    static struct series boot[NVMM];

    /* An 8 GiB backend is more than L1's RAM: without overcommit the mmap of either VMM
     * fails although the guest touches only its memmap (~128 MiB). */
    FILE *oc = fopen("/proc/sys/vm/overcommit_memory", "w");
    if (oc) {
        fputs("1\n", oc);
        fclose(oc);
        e2e_log("vm.overcommit_memory=1");
    }

    measure_clock_cost();
    snprintf(sizes_buf, sizeof(sizes_buf), "%s", sizes_arg);
    for (char *tok = strtok(sizes_buf, ","); tok && nsizes < MAX_SIZES; tok = strtok(NULL, ",")) {
        labels[nsizes] = tok;
        sizes[nsizes++] = parse_size(tok);
    }

    /* Part 1: one DIMM of each size, added and removed; every round boots each VMM. */
    for (int r = 0; r < runs; r++)
        for (int k = 0; k < NVMM; k++) {
            enum vmm v = (enum vmm)((k + r) % NVMM);
            if (!vmm_on[v])
                continue;
            struct hvm h;
            e2e_log("hotplug round %d/%d: %s -m %s", r + 1, runs, vmm_names[v], mem);
            bool ok = hvm_boot(&h, v, mem);
            if (ok)
                add(&boot[v], h.ready_s);
            for (int i = 0; ok && i < nsizes; i++) {
                char id[16];
                ok = hot_add(&h, sizes[i], labels[i], id, sizeof(id), &add_st[i][v]) &&
                     hot_remove(&h, id, sizes[i], labels[i], &del_st[i][v]);
            }
            if (!ok)
                failures++;
            hvm_destroy(&h);
        }

    /* Part 2: the 1st DIMM against the 64th: one boot per VMM; slot_runs times add and
     * remove a first 128 MiB DIMM, fill up to fill-1 DIMMs, then slot_runs times add and
     * remove the last one. */
    const uint64_t small = 128ull << 20;
    for (int k = 0; slot_runs > 0 && k < NVMM; k++) {
        enum vmm v = (enum vmm)k;
        if (!vmm_on[v])
            continue;
        struct hvm h;
        char id[16];
        e2e_log("slots: %s -m %s, DIMM 1 and DIMM %d", vmm_names[v], mem, fill);
        bool ok = hvm_boot(&h, v, mem);
        if (ok)
            add(&boot[v], h.ready_s);
        for (int r = 0; ok && r < slot_runs; r++)
            ok = hot_add(&h, small, "128M-1st", id, sizeof(id), &sadd[A_FIRST][v]) &&
                 hot_remove(&h, id, small, "128M-1st", &sdel[A_FIRST][v]);
        for (int d = 1; ok && d < fill; d++) {
            char label[32];
            snprintf(label, sizeof(label), "128M-fill-%d", d);
            ok = hot_add(&h, small, label, id, sizeof(id), NULL);
        }
        for (int r = 0; ok && r < slot_runs; r++)
            ok = hot_add(&h, small, "128M-last", id, sizeof(id), &sadd[A_64TH][v]) &&
                 hot_remove(&h, id, small, "128M-last", &sdel[A_64TH][v]);
        if (!ok)
            failures++;
        hvm_destroy(&h);
    }

    MD("Guest `-m %s -smp %s -append \"%s\"` for every VMM; a busybox loop in the guest prints "
       "MemTotal when it changes (polled every 10 ms).",
       mem, guest_smp, guest_append);
    if (guest_memmap_on_memory)
        MD("%s", "");
    if (guest_memmap_on_memory)
        MD("%s", "With `memory_hotplug.memmap_on_memory=1` a DIMM that reaches Linux as one memory "
                 "block per range (plugvm's DIMMs; QEMU's 128 MiB ones) adds 1/64 less to MemTotal "
                 "(its memmap is on it); the MemTotal targets allow for that.");
    MD("%s", "");
    MD("#### Boot to `plugvm-guest: ready` with `-m %s` (every boot of this run)", mem);
    MD("%s", "");
    MD("| VMM | boots | median s (min–max) | vs plugvm |");
    MD("| --- | --- | --- | --- |");
    for (int v = 0; v < NVMM; v++)
        if (boot[v].n)
            MD("| %s | %d | %.2f (%.2f–%.2f) | %.2fx |", vmm_long[v], boot[v].n, median(&boot[v]),
               minimum(&boot[v]), maximum(&boot[v]),
               boot[V_PLUGVM].n ? median(&boot[v]) / median(&boot[V_PLUGVM]) : 0);
    MD("%s", "");
    md_op_table("Hot-add: `device_add` sent → guest's MemTotal grown by the DIMM",
                "ACPI_DEVICE_OST (source 1)", (const char *const *)labels, nsizes, add_st);
    md_op_table("Hot-remove: `device_del` sent → guest's MemTotal back down / DEVICE_DELETED",
                "DEVICE_DELETED", (const char *const *)labels, nsizes, del_st);
    md_trace_table("Where plugvm's hot-add time goes (PLUGVM_TRACE, medians)", "_OST",
                   (const char *const *)labels, nsizes, add_st);
    md_trace_table("Where plugvm's hot-remove time goes (PLUGVM_TRACE, medians)", "_EJ0",
                   (const char *const *)labels, nsizes, del_st);
    if (slot_runs > 0) {
        char l1[32], l2[32];
        snprintf(l1, sizeof(l1), "128M, #1 of %d", fill);
        snprintf(l2, sizeof(l2), "128M, #%d of %d", fill, fill);
        const char *slabels[NSLOTCASE] = {l1, l2};
        md_op_table("The 1st DIMM against the last one (`slots=64`), hot-add",
                    "ACPI_DEVICE_OST (source 1)", slabels, NSLOTCASE, sadd);
        md_op_table("The 1st DIMM against the last one, hot-remove", "DEVICE_DELETED", slabels,
                    NSLOTCASE, sdel);
        md_trace_table("plugvm, 1st against last, hot-add (PLUGVM_TRACE)", "_OST", slabels,
                       NSLOTCASE, sadd);
    }
    printf("BENCH-DONE hotplug failures=%d\n", failures);
    return failures ? 1 : 0;
}

/* ---- virtio-mem ------------------------------------------------------------------------------ */

/* tools/bench-virtio-mem: one 4 GiB virtio-mem device per guest (QEMU's own command line,
 * plugvm's and QEMU -machine pc alike), requested-size 0 -> 1 GiB -> 0 over QMP qom-set,
 * runs times in one boot per VMM: the time from sending qom-set to the guest's MemTotal
 * (its /proc/meminfo watcher) having grown by 1 GiB - 4 MiB, or shrunk back to within
 * 4 MiB of boot; the VMM's VmRSS after each. docs/benchmarks.md, docs/virtio-mem.md. */
struct vmem_stats {
    struct series grow, shrink, rss_grown, rss_shrunk; /* s; RSS in MiB (not seconds) */
};

static long vmrss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static bool vmem_resize(struct hvm *h, uint64_t bytes, long mt_target, bool up,
                        struct series *out, const char *what)
{
    char cmd[200];
    struct seen s = {0};
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"vm0\","
             "\"property\":\"requested-size\",\"value\":%" PRIu64 "}}\n", bytes);
    uint64_t t0 = now_ns();
    if (!e2e_stream_puts(&h->q, cmd) ||
        !wait_for(h, t0, NULL, mt_target, up, &s, done_add_mt, 600))
        return false;
    long rss = vmrss_kb(h->vm.pid);
    printf("BENCH vmem vmm=%s op=%s return_ms=%.1f memtotal_ms=%.1f memtotal_kb=%ld "
           "vmrss_kb=%ld\n", vmm_names[h->v], what, s.ret / 1e6, s.mt / 1e6, h->mt_kb, rss);
    fflush(stdout);
    add(out, (double)s.mt / 1e9);
    return true;
}

static int bench_virtio_mem(int runs)
{
    const char *mem = "1G,slots=1,maxmem=5G";
    const char *const extra[] = {"-object", "memory-backend-ram,id=vmem0,size=4G", "-device",
                                 "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0", NULL};
    static struct vmem_stats st[NVMM];
    int failures = 0;
    char b1[64], b2[64];

    /* As bench_hotplug: the 4 GiB backends are mapped whole though mostly never touched. */
    FILE *oc = fopen("/proc/sys/vm/overcommit_memory", "w");
    if (oc) {
        fputs("1\n", oc);
        fclose(oc);
    }

    for (int v = 0; v < NVMM; v++) {
        if (!vmm_on[v])
            continue;
        struct hvm h;
        e2e_log("virtio-mem: %s -m %s, %d grow/shrink runs", vmm_names[v], mem, runs);
        bool ok = hvm_boot_extra(&h, (enum vmm)v, mem, extra);
        for (int r = 0; ok && r < runs; r++) {
            ok = vmem_resize(&h, 1ULL << 30, h.base_kb + memtotal_growth_kb(1ULL << 30), true,
                             &st[v].grow, "grow-1G");
            if (ok)
                add(&st[v].rss_grown, vmrss_kb(h.vm.pid) / 1024.0);
            ok = ok && vmem_resize(&h, 0, h.base_kb + 4096, false, &st[v].shrink, "shrink-0");
            if (ok)
                add(&st[v].rss_shrunk, vmrss_kb(h.vm.pid) / 1024.0);
        }
        if (!ok)
            failures++;
        hvm_destroy(&h);
    }
    double ref_g = -1, ref_s = -1;
    for (int v = 0; v < NVMM; v++)
        if (!is_plugvm((enum vmm)v) && st[v].grow.n && (ref_g < 0 || median(&st[v].grow) < ref_g))
            ref_g = median(&st[v].grow), ref_s = median(&st[v].shrink);
    MD("#### virtio-mem: `qom-set vm0 requested-size` to the guest's MemTotal, 4 GiB device, "
       "`-m %s`", mem);
    MD("%s", "");
    MD("| VMM | runs | 0 → 1 GiB, median ms (min–max) | vs QEMU | 1 GiB → 0 | vs QEMU | "
       "VmRSS at 1 GiB, MiB | VmRSS at 0, MiB |");
    MD("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (int v = 0; v < NVMM; v++) {
        if (!vmm_on[v])
            continue;
        char rg[32] = "—", rs[32] = "—";
        if (ref_g > 0 && st[v].grow.n)
            snprintf(rg, sizeof(rg), "%.2fx", median(&st[v].grow) / ref_g);
        if (ref_s > 0 && st[v].shrink.n)
            snprintf(rs, sizeof(rs), "%.2fx", median(&st[v].shrink) / ref_s);
        MD("| %s | %d | %s | %s | %s | %s | %.0f | %.0f |", vmm_long[v], st[v].grow.n,
           fmt_ms(&st[v].grow, b1, sizeof(b1)), rg, fmt_ms(&st[v].shrink, b2, sizeof(b2)), rs,
           median(&st[v].rss_grown), median(&st[v].rss_shrunk));
    }
    MD("%s", "");
    printf("BENCH-DONE virtio-mem failures=%d\n", failures);
    return failures ? 1 : 0;
}

/* ---- main ------------------------------------------------------------------------------------ */

static int usage(void)
{
    fprintf(stderr,
            "usage: plugvm-bench boot [--runs N] [--mem SIZE]... [--vmms plugvm,pc,q35,guest-unpack]\n"
            "                         [--smp N]\n"
            "       plugvm-bench hotplug|matrix [--runs N] [--sizes 128M,1G,8G] [--slot-runs N]\n"
            "                            [--fill N] [--vmms plugvm,pc,q35,plugvm-warm,plugvm-nowarm]\n"
            "                            [--append-extra PARAM] [--plugvm-env KEY=VALUE] [--smp N]\n"
            "       plugvm-bench virtio-mem [--runs N] [--vmms plugvm,pc,q35]\n");
    return 2;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    e2e_harness_start("bench", NULL);
    if (argc < 2)
        return usage();
    const char *mode = argv[1];
    int runs = 5, slot_runs = 5, fill = 64, nmem = 0;
    const char *sizes = "128M,1G,8G", *mems[MAX_MEMS];
    bool vmms_given = false;
    for (int i = 2; i < argc; i += 2) { /* an option and its value */
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val)
            return usage();
        if (!strcmp(a, "--runs"))
            runs = atoi(val);
        else if (!strcmp(a, "--mem") && nmem < MAX_MEMS)
            mems[nmem++] = val;
        else if (!strcmp(a, "--sizes"))
            sizes = val;
        else if (!strcmp(a, "--smp") && atoi(val) >= 1 && atoi(val) <= 8)
            guest_smp = val;
        else if (!strcmp(a, "--slot-runs"))
            slot_runs = atoi(val);
        else if (!strcmp(a, "--fill"))
            fill = atoi(val);
        else if (!strcmp(a, "--plugvm-env")) {
            /* KEY=VALUE for every plugvm this run starts (a measurement switch) */
            char *kv = strdup(val), *eq = kv ? strchr(kv, '=') : NULL;
            if (!eq)
                return usage();
            *eq = '\0';
            setenv(kv, eq + 1, 1);
            free(kv);
        } else if (!strcmp(a, "--append-extra")) {
            size_t used = strlen(guest_append);
            if (used + 1 + strlen(val) >= sizeof(guest_append))
                return usage();
            snprintf(guest_append + used, sizeof(guest_append) - used, " %s", val);
            guest_memmap_on_memory = strstr(val, "memory_hotplug.memmap_on_memory=1") != NULL;
        }
        else if (!strcmp(a, "--vmms")) {
            vmms_given = true;
            for (int v = 0; v < NVMM; v++)
                vmm_on[v] = name_listed(val, vmm_names[v]);
        } else
            return usage();
    }
    if (runs < 1 || runs > MAX_RUNS || slot_runs < 0 || slot_runs > MAX_RUNS || fill < 2 ||
        fill > 256)
        return usage();
    printf("BENCH-START %s\n", mode);
    int rc;
    if (!strcmp(mode, "boot")) {
        if (nmem == 0)
            mems[nmem++] = "512M";
        if (!vmms_given)
            vmm_on[V_GUEST_UNPACK] = true;
        rc = bench_boot(runs, mems, nmem);
    } else if (!strcmp(mode, "virtio-mem")) {
        /* plugvm and QEMU -machine pc unless --vmms says otherwise (tools/bench-virtio-mem) */
        if (!vmms_given)
            for (int v = 0; v < NVMM; v++)
                vmm_on[v] = v == V_PLUGVM || v == V_PC;
        rc = bench_virtio_mem(runs);
    } else if (!strcmp(mode, "hotplug")) {
        rc = bench_hotplug(runs, sizes, slot_runs, fill);
    } else if (!strcmp(mode, "matrix")) {
        /* One cell of tools/bench-matrix: boot and hotplug in one L1 configuration. */
        if (nmem == 0)
            mems[nmem++] = "512M";
        rc = bench_boot(runs, mems, nmem);
        rc |= bench_hotplug(runs, sizes, slot_runs, fill);
        printf("BENCH-DONE matrix failures=%d\n", rc);
    } else {
        return usage();
    }
    e2e_harness_finish();
    return rc;
}
