/* Helpers of the hot-remove e2e tests: see t_unplug.h. */
#include "t_unplug.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- QMP ------------------------------------------------------------------------------ */

static char *compact(const char *p, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    bool in_str = false, esc = false;
    if (!out)
        abort();
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            *o++ = c;
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
            *o++ = c;
        } else if (!isspace((unsigned char)c)) {
            *o++ = c;
        }
    }
    *o = 0;
    return out;
}

static void push(char ***v, int *n, int *cap, char *m)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = realloc(*v, (size_t)*cap * sizeof(**v));
        if (!*v)
            abort();
    }
    (*v)[(*n)++] = m;
}

static void split(struct uq *q)
{
    char *nl;
    while ((nl = memchr(q->s.buf + q->scan, '\n', q->s.len - q->scan))) {
        char *m = compact(q->s.buf + q->scan, (size_t)(nl - (q->s.buf + q->scan)));
        q->scan = (size_t)(nl - q->s.buf) + 1;
        if (!m[0])
            free(m);
        else if (strstr(m, "\"event\":\"") && strstr(m, "\"timestamp\":{"))
            push(&q->ev, &q->nev, &q->cap, m);
        else
            push(&q->rep, &q->nrep, &q->repcap, m);
    }
    q->s.pos = q->s.len; /* nobody uses expect() on this stream after the greeting */
}

bool uq_pump(struct uq *q, int ms)
{
    int r = e2e_stream_fill(&q->s, ms);
    split(q);
    return r >= 0;
}

bool uq_send(struct uq *q, const char *text)
{
    if (!q->may_close)
        return e2e_stream_puts(&q->s, text) && e2e_stream_puts(&q->s, "\n");
    /* The VMM may have ended since the last reply: a refused write is the same news as
     * a closed connection (uq_reply), not a failure of its own. */
    int err = e2e_stream_try_write(&q->s, text, strlen(text));
    if (!err)
        err = e2e_stream_try_write(&q->s, "\n", 1);
    if (err) {
        q->closed = true;
        e2e_log("qmp: write: %s (the VMM ended)", strerror(err));
        return false;
    }
    return true;
}

char *uq_reply(struct uq *q, double timeout_s)
{
    double deadline = e2e_elapsed() + timeout_s;
    for (;;) {
        if (q->nrep) {
            char *m = q->rep[0];
            memmove(q->rep, q->rep + 1, (size_t)(q->nrep - 1) * sizeof(*q->rep));
            q->nrep--;
            return m;
        }
        if (e2e_elapsed() > deadline) {
            e2e_fail("qmp: no reply within %.0f s", timeout_s);
            e2e_stream_tail(&q->s, 10);
            return NULL;
        }
        if (!uq_pump(q, 100)) {
            q->closed = true;
            if (q->may_close) {
                e2e_log("qmp: connection closed (the VMM ended)");
                return NULL;
            }
            e2e_fail("qmp: connection closed");
            e2e_stream_tail(&q->s, 10);
            return NULL;
        }
    }
}

char *uq_exec(struct uq *q, const char *json, double timeout_s)
{
    e2e_log("qmp> %s", json);
    if (!uq_send(q, json))
        return NULL;
    return uq_reply(q, timeout_s);
}

bool uq_ok(struct uq *q, const char *json, char **ret, double timeout_s)
{
    char *r = uq_exec(q, json, timeout_s);
    if (!r)
        return false;
    if (strncmp(r, "{\"return\":", 10) != 0) {
        e2e_fail("qmp: %s failed: %s", json, r);
        free(r);
        return false;
    }
    if (ret)
        *ret = r;
    else
        free(r);
    return true;
}

bool uq_err(struct uq *q, const char *json, const char *want, double timeout_s)
{
    char *r = uq_exec(q, json, timeout_s);
    if (!r)
        return false;
    bool ok = strncmp(r, "{\"error\":", 9) == 0 && (!want || strstr(r, want));
    if (ok)
        e2e_log("qmp< %s", r);
    else
        e2e_fail("qmp: %s: expected an error containing '%s', got %s", json, want ? want : "",
                 r);
    free(r);
    return ok;
}

static bool matches(const char *ev, const char *name, const char *const *conds)
{
    char pat[96];
    snprintf(pat, sizeof(pat), "\"event\":\"%s\"", name);
    if (!strstr(ev, pat))
        return false;
    for (; conds && *conds; conds++) {
        const char *eq = strchr(*conds, '=');
        if (eq && (*conds)[0] != '"') {
            char key[64];
            long long v;
            snprintf(key, sizeof(key), "%.*s", (int)(eq - *conds), *conds);
            if (!qc_json_int(ev, key, &v) || v != strtoll(eq + 1, NULL, 0))
                return false;
        } else if (!strstr(ev, *conds)) {
            return false;
        }
    }
    return true;
}

int uq_find_event(struct uq *q, int from, const char *name, const char *const *conds)
{
    for (int i = from < 0 ? 0 : from; i < q->nev; i++)
        if (matches(q->ev[i], name, conds))
            return i;
    return -1;
}

int uq_count_events(struct uq *q, int from, const char *name, const char *const *conds)
{
    int n = 0;
    for (int i = from < 0 ? 0 : from; i < q->nev; i++)
        n += matches(q->ev[i], name, conds);
    return n;
}

void uq_dump_events(struct uq *q, int from)
{
    for (int i = from < 0 ? 0 : from; i < q->nev; i++)
        e2e_log("  event[%d] %s", i, q->ev[i]);
}

int uq_wait_event(struct uq *q, int from, const char *name, const char *const *conds,
                  double timeout_s)
{
    double deadline = e2e_elapsed() + timeout_s;
    int i;
    bool open = true;
    while ((i = uq_find_event(q, from, name, conds)) < 0) {
        if (!open || e2e_elapsed() > deadline) {
            char what[256] = "";
            for (const char *const *c = conds; c && *c; c++)
                snprintf(what + strlen(what), sizeof(what) - strlen(what), " %s", *c);
            e2e_fail("qmp: no event %s%s within %.0f s%s; events since #%d:", name, what,
                     timeout_s, open ? "" : " (connection closed)", from);
            uq_dump_events(q, from);
            return -1;
        }
        open = uq_pump(q, 100);
    }
    return i;
}

bool uq_open(struct uq *q, const char *path, double timeout_s)
{
    int fd = e2e_unix_connect(path, timeout_s);
    if (fd < 0)
        return false;
    e2e_stream_init(&q->s, fd, "qmp");
    if (!e2e_stream_expect(&q->s, "\"QMP\"", timeout_s) ||
        !e2e_stream_expect(&q->s, "\n", timeout_s))
        return false;
    q->scan = q->s.pos;
    return uq_ok(q, "{\"execute\":\"qmp_capabilities\"}", NULL, timeout_s);
}

void uq_close(struct uq *q)
{
    e2e_stream_free(&q->s);
    for (int i = 0; i < q->nev; i++)
        free(q->ev[i]);
    for (int i = 0; i < q->nrep; i++)
        free(q->rep[i]);
    free(q->ev);
    free(q->rep);
    q->ev = q->rep = NULL;
    q->nev = q->cap = q->nrep = q->repcap = 0;
}

/* ---- HMP ------------------------------------------------------------------------------ */

#define HMP_PROMPT "(plugvm) "

bool uh_open(struct uh *h, const char *path, double timeout_s)
{
    int fd = e2e_unix_connect(path, timeout_s);
    if (fd < 0)
        return false;
    e2e_stream_init(&h->s, fd, "hmp");
    return e2e_stream_expect(&h->s, HMP_PROMPT, timeout_s);
}

void uh_close(struct uh *h)
{
    e2e_stream_free(&h->s);
}

char *uh_cmd(struct uh *h, const char *line, double timeout_s)
{
    size_t start = h->s.pos;
    e2e_log("hmp> %s", line);
    if (!e2e_stream_puts(&h->s, line) || !e2e_stream_puts(&h->s, "\r\n") ||
        !e2e_stream_expect(&h->s, HMP_PROMPT, timeout_s))
        return NULL;
    size_t end = h->s.pos - strlen(HMP_PROMPT);
    char *out = malloc(end - start + 1), *o = out;
    if (!out)
        abort();
    for (size_t i = start; i < end; i++)
        if (h->s.buf[i] != '\r')
            *o++ = h->s.buf[i];
    *o = 0;
    e2e_log("hmp< %s", out);
    return out;
}

/* ---- the VM --------------------------------------------------------------------------- */

bool ut_boot(struct ut *t, const char *append, bool hmp)
{
    return ut_boot_on(t, E2E_VMM_PLUGVM, append, hmp);
}

enum e2e_vmm_kind ut_stress_vmm(void)
{
    return strcmp(e2e_getenv_or("E2E_STRESS_VMM", "plugvm"), "qemu") == 0 ? E2E_VMM_QEMU
                                                                          : E2E_VMM_PLUGVM;
}

bool ut_boot_on(struct ut *t, enum e2e_vmm_kind vmm, const char *append, bool hmp)
{
    return ut_boot_smp(t, vmm, append, hmp, 2);
}

int ut_stress_smp(void)
{
    int n = atoi(e2e_getenv_or("E2E_STRESS_SMP", "2"));
    return n > 0 ? n : 2;
}

bool ut_boot_smp(struct ut *t, enum e2e_vmm_kind vmm, const char *append, bool hmp, int smp)
{
    static char qarg[320], harg[320];
    snprintf(t->qsock, sizeof(t->qsock), "%s/qmp.sock", e2e_tmpdir());
    snprintf(t->hsock, sizeof(t->hsock), "%s/hmp.sock", e2e_tmpdir());
    snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", t->qsock);
    snprintf(harg, sizeof(harg), "unix:%s,server=on,wait=off", t->hsock);
    const char *extra_q[] = {"-qmp", qarg, NULL};
    const char *extra_qh[] = {"-qmp", qarg, "-monitor", harg, NULL};
    struct e2e_vm_opts o = {.vmm = vmm, .mem = "512M,slots=16,maxmem=64G",
                            .smp = smp, .append = append, .extra = hmp ? extra_qh : extra_q};
    if (!e2e_vm_boot(&t->vm, &o, 120))
        return false;
    if (!uq_open(&t->q, t->qsock, 10))
        return false;
    if (hmp && !uh_open(&t->h, t->hsock, 10))
        return false;
    return true;
}

bool ut_poweroff(struct ut *t)
{
    int status;
    if (!e2e_vm_send(&t->vm, "poweroff\n") || !e2e_vm_wait_exit(&t->vm, 60, &status))
        return false;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return e2e_fail("poweroff: plugvm status 0x%x, expected exit 0", status);
    return true;
}

void ut_destroy(struct ut *t)
{
    uq_close(&t->q);
    uh_close(&t->h);
    e2e_vm_destroy(&t->vm);
}

bool ut_plug_backend(struct ut *t, const char *object_json, const char *mem, const char *dimm)
{
    char cmd[512], dev[80];
    int from = t->q.nev;
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"object-add\",\"arguments\":%s}", object_json);
    if (!uq_ok(&t->q, cmd, NULL, 10))
        return false;
    snprintf(cmd, sizeof(cmd),
             "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\",\"id\":\"%s\","
             "\"memdev\":\"%s\"}}",
             dimm, mem);
    if (!uq_ok(&t->q, cmd, NULL, 10))
        return false;
    snprintf(dev, sizeof(dev), "\"device\":\"%s\"", dimm);
    const char *c[] = {dev, "source=1", "status=0", NULL};
    return uq_wait_event(&t->q, from, "ACPI_DEVICE_OST", c, 60) >= 0;
}

bool ut_plug(struct ut *t, const char *mem, const char *dimm, unsigned size_mib)
{
    char obj[160];
    snprintf(obj, sizeof(obj), "{\"qom-type\":\"memory-backend-ram\",\"id\":\"%s\",\"size\":%llu}",
             mem, (unsigned long long)size_mib << 20);
    return ut_plug_backend(t, obj, mem, dimm);
}

bool ut_unplug(struct ut *t, const char *mem, const char *dimm, double timeout_s)
{
    char cmd[256], dev[80], path[128];
    int from = t->q.nev;
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"%s\"}}", dimm);
    if (!uq_ok(&t->q, cmd, NULL, 10))
        return false;
    snprintf(dev, sizeof(dev), "\"device\":\"%s\"", dimm);
    snprintf(path, sizeof(path), "\"path\":\"/machine/peripheral/%s\"", dimm);
    const char *c84[] = {dev, "source=3", "status=0x84", NULL};
    const char *cdel[] = {dev, path, NULL};
    const char *c0[] = {"source=3", "status=0", NULL};
    int a = uq_wait_event(&t->q, from, "ACPI_DEVICE_OST", c84, timeout_s);
    if (a < 0)
        return false;
    int b = uq_wait_event(&t->q, a + 1, "DEVICE_DELETED", cdel, timeout_s);
    if (b < 0)
        return false;
    int c = uq_wait_event(&t->q, b + 1, "ACPI_DEVICE_OST", c0, timeout_s);
    if (c < 0)
        return false;
    if (mem) {
        snprintf(cmd, sizeof(cmd), "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"%s\"}}",
                 mem);
        if (!uq_ok(&t->q, cmd, NULL, 10))
            return false;
    }
    return true;
}

int ut_dimm_count(struct ut *t)
{
    char *r;
    if (!uq_ok(&t->q, "{\"execute\":\"query-memory-devices\"}", &r, 10))
        return -1;
    int n = 0;
    for (const char *p = r; (p = strstr(p, "\"type\":\"dimm\"")); p++)
        n++;
    free(r);
    return n;
}

bool ut_dimm_info(struct ut *t, const char *dimm, uint64_t *addr, uint64_t *size, int *slot)
{
    char *r, pat[96];
    if (!uq_ok(&t->q, "{\"execute\":\"query-memory-devices\"}", &r, 10))
        return false;
    snprintf(pat, sizeof(pat), "\"id\":\"%s\"", dimm);
    char *p = strstr(r, pat);
    if (!p) {
        e2e_fail("query-memory-devices has no %s: %s", dimm, r);
        free(r);
        return false;
    }
    /* The DIMM's "data" object holds only scalars: from its '{' to its '}'. */
    char *open = p, *close = strchr(p, '}');
    while (open > r && *open != '{')
        open--;
    if (close)
        *close = 0;
    long long a = 0, s = 0, sl = 0;
    bool ok = qc_json_int(open, "addr", &a) && qc_json_int(open, "size", &s) &&
              qc_json_int(open, "slot", &sl);
    if (ok) {
        if (addr)
            *addr = (uint64_t)a;
        if (size)
            *size = (uint64_t)s;
        if (slot)
            *slot = (int)sl;
    } else {
        e2e_fail("cannot read addr/size/slot of %s in %s", dimm, open);
    }
    free(r);
    return ok;
}

/* ---- guest and host measurements ---------------------------------------------------- */

long movable_free_kb(struct ut *t)
{
    char *out = NULL;
    long kb = -1;
    if (e2e_vm_sh(&t->vm, "awk '$4==\"Movable\"{m=1} m&&$1==\"pages\"&&$2==\"free\"{print $3; exit}'"
                          " /proc/zoneinfo", &out, 30))
        kb = strtol(out, NULL, 10) * 4;
    free(out);
    return kb;
}

long proc_status(pid_t pid, const char *key)
{
    char path[64], line[256];
    size_t kl = strlen(key);
    long v = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

int proc_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}
