/* QMP / HMP client and guest memory helpers for the e2e tests (qmp_client.h). */
#include "qmp_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- JSON text helpers ------------------------------------------------------------------ */

static char *compact_n(const char *p, size_t n)
{
    char *o = malloc(n + 1);
    size_t k = 0;
    bool str = false, esc = false;
    if (!o)
        abort();
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (str) {
            o[k++] = c;
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                str = false;
        } else if (c == '"') {
            str = true;
            o[k++] = c;
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            o[k++] = c;
        }
    }
    o[k] = '\0';
    return o;
}

char *qc_compact(const char *text)
{
    return compact_n(text, strlen(text));
}

/* Does a compacted object have the top-level member key? */
static bool toplevel_has(const char *m, const char *key)
{
    int depth = 0;
    bool str = false, esc = false;
    size_t kl = strlen(key);
    for (const char *p = m; *p; p++) {
        if (str) {
            if (esc)
                esc = false;
            else if (*p == '\\')
                esc = true;
            else if (*p == '"')
                str = false;
            continue;
        }
        if (*p == '"') {
            if (depth == 1 && (p[-1] == '{' || p[-1] == ',') && strncmp(p + 1, key, kl) == 0 &&
                p[1 + kl] == '"' && p[2 + kl] == ':')
                return true;
            str = true;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        }
    }
    return false;
}

bool qc_json_int(const char *msg, const char *key, long long *out)
{
    char pat[80];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(msg, pat);
    if (!p)
        return false;
    p += strlen(pat);
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p)
        return false;
    *out = v;
    return true;
}

char *qc_object_with(const char *msg, const char *needle)
{
    const char *hit = strstr(msg, needle);
    if (!hit)
        return NULL;
    /* Walk back to the unmatched '{' and forward to its '}' (outside strings: the
     * compacted server output has no braces inside our strings). */
    int depth = 0;
    const char *b = hit;
    while (b > msg) {
        b--;
        if (*b == '}')
            depth++;
        else if (*b == '{' && depth-- == 0)
            break;
    }
    depth = 0;
    const char *e = hit;
    for (; *e; e++) {
        if (*e == '{')
            depth++;
        else if (*e == '}' && depth-- == 0)
            break;
    }
    if (*b != '{' || *e != '}')
        return NULL;
    char *o = strndup(b, (size_t)(e - b + 1));
    if (!o)
        abort();
    return o;
}

int qc_count(const char *s, const char *needle)
{
    int n = 0;
    size_t l = strlen(needle);
    for (const char *p = s; (p = strstr(p, needle)); p += l)
        n++;
    return n;
}

/* ---- QMP -------------------------------------------------------------------------------- */

/* Splits complete lines of s.buf into messages. */
static void split(struct qc *q)
{
    for (;;) {
        char *nl = q->s.buf ? memchr(q->s.buf + q->scan, '\n', q->s.len - q->scan) : NULL;
        if (!nl)
            return;
        char *text = compact_n(q->s.buf + q->scan, (size_t)(nl - (q->s.buf + q->scan)));
        q->scan = (size_t)(nl - q->s.buf) + 1;
        if (!*text) {
            free(text);
            continue;
        }
        if (q->n == q->cap) {
            q->cap = q->cap ? q->cap * 2 : 32;
            q->m = realloc(q->m, (size_t)q->cap * sizeof(*q->m));
            if (!q->m)
                abort();
        }
        q->m[q->n++] = (struct qc_msg){.text = text, .event = toplevel_has(text, "event")};
    }
}

static bool pump(struct qc *q, int ms)
{
    int r = e2e_stream_fill(&q->s, ms);
    split(q);
    return r >= 0;
}

static char *next_reply(struct qc *q, double timeout_s)
{
    double deadline = e2e_elapsed() + timeout_s;
    for (;;) {
        for (int i = 0; i < q->n; i++)
            if (!q->m[i].event && !q->m[i].taken) {
                q->m[i].taken = true;
                char *r = strdup(q->m[i].text);
                if (!r)
                    abort();
                return r;
            }
        if (e2e_elapsed() > deadline || q->s.eof) {
            e2e_fail("qmp: %s while waiting %.1f s for a reply",
                     q->s.eof ? "connection closed" : "timeout", timeout_s);
            e2e_stream_tail(&q->s, 10);
            return NULL;
        }
        pump(q, 100);
    }
}

bool qc_open(struct qc *q, const char *path, double timeout_s)
{
    int fd = e2e_unix_connect(path, timeout_s);
    if (fd < 0)
        return false;
    e2e_stream_init(&q->s, fd, "qmp");
    q->scan = 0;
    char *g = next_reply(q, timeout_s);
    if (!g)
        return false;
    bool greeting = strstr(g, "{\"QMP\":") == g;
    free(g);
    if (!greeting)
        return e2e_fail("qmp: the first message is not a QMP greeting");
    return qc_ok(q, "{\"execute\":\"qmp_capabilities\"}", NULL, timeout_s);
}

void qc_close(struct qc *q)
{
    e2e_stream_free(&q->s);
    for (int i = 0; i < q->n; i++)
        free(q->m[i].text);
    free(q->m);
    q->m = NULL;
    q->n = q->cap = 0;
    q->scan = 0;
}

char *qc_exec(struct qc *q, const char *json, double timeout_s)
{
    e2e_log("qmp> %s", json);
    pump(q, 0);
    /* Any reply still unread belongs to an earlier request: drop it. */
    for (int i = 0; i < q->n; i++)
        if (!q->m[i].event)
            q->m[i].taken = true;
    if (!e2e_stream_puts(&q->s, json) || !e2e_stream_puts(&q->s, "\n"))
        return NULL;
    char *r = next_reply(q, timeout_s);
    if (r)
        e2e_log("qmp< %.600s%s", r, strlen(r) > 600 ? "..." : "");
    return r;
}

bool qc_ok(struct qc *q, const char *json, char **reply, double timeout_s)
{
    char *r = qc_exec(q, json, timeout_s);
    if (!r)
        return false;
    if (strncmp(r, "{\"return\":", 10) != 0 && !toplevel_has(r, "return")) {
        e2e_fail("qmp: %s failed: %s", json, r);
        free(r);
        return false;
    }
    if (reply)
        *reply = r;
    else
        free(r);
    return true;
}

bool qc_err(struct qc *q, const char *json, char **desc, double timeout_s)
{
    char *r = qc_exec(q, json, timeout_s);
    if (!r)
        return false;
    if (!toplevel_has(r, "error")) {
        e2e_fail("qmp: %s was expected to fail, reply: %s", json, r);
        free(r);
        return false;
    }
    if (desc) {
        const char *d = strstr(r, "\"desc\":\"");
        if (!d) {
            e2e_fail("qmp: error without desc: %s", r);
            free(r);
            return false;
        }
        d += 8;
        const char *e = d;
        while (*e && !(*e == '"' && e[-1] != '\\'))
            e++;
        *desc = strndup(d, (size_t)(e - d));
        if (!*desc)
            abort();
    }
    free(r);
    return true;
}

int qc_mark(struct qc *q)
{
    pump(q, 0);
    return q->n;
}

const char *qc_msg(struct qc *q, int i)
{
    return i >= 0 && i < q->n ? q->m[i].text : "";
}

static bool event_matches(const char *m, const char *name, const char *const *conds)
{
    char pat[128];
    snprintf(pat, sizeof(pat), "\"event\":\"%s\"", name);
    if (!strstr(m, pat))
        return false;
    for (size_t i = 0; conds && conds[i]; i++)
        if (!strstr(m, conds[i]))
            return false;
    return true;
}

int qc_wait_event(struct qc *q, int from, const char *name, const char *const *conds,
                  double timeout_s)
{
    double deadline = e2e_elapsed() + timeout_s;
    for (;;) {
        for (int i = from; i < q->n; i++)
            if (q->m[i].event && event_matches(q->m[i].text, name, conds))
                return i;
        if (e2e_elapsed() > deadline || q->s.eof)
            break;
        pump(q, 100);
    }
    char want[512];
    size_t off = (size_t)snprintf(want, sizeof(want), "%s", name);
    for (size_t i = 0; conds && conds[i] && off < sizeof(want) - 8; i++)
        off += (size_t)snprintf(want + off, sizeof(want) - off, " with %s", conds[i]);
    e2e_fail("qmp: no event %s within %.1f s%s; events since #%d:", want, timeout_s,
             q->s.eof ? " (connection closed)" : "", from);
    for (int i = from; i < q->n; i++)
        if (q->m[i].event)
            e2e_log("  event #%d: %s", i, q->m[i].text);
    return -1;
}

/* ---- HMP -------------------------------------------------------------------------------- */

bool qc_hmp_open(struct qc_hmp *h, const char *path, const char *prompt, double timeout_s)
{
    int fd = e2e_unix_connect(path, timeout_s);
    if (fd < 0)
        return false;
    e2e_stream_init(&h->s, fd, "hmp");
    h->prompt = prompt;
    return e2e_stream_expect(&h->s, prompt, timeout_s);
}

void qc_hmp_close(struct qc_hmp *h)
{
    e2e_stream_free(&h->s);
}

char *qc_hmp_cmd(struct qc_hmp *h, const char *line, double timeout_s)
{
    e2e_log("hmp> %s", line);
    size_t start = h->s.len;
    h->s.pos = start;
    /* "\n" alone: QEMU's readline takes "\r" and "\n" each as Enter. */
    if (!e2e_stream_puts(&h->s, line) || !e2e_stream_puts(&h->s, "\n"))
        return NULL;
    if (!e2e_stream_expect(&h->s, h->prompt, timeout_s))
        return NULL;
    size_t stop = h->s.pos - strlen(h->prompt);
    /* The first line is the echo of the command. */
    const char *nl = memchr(h->s.buf + start, '\n', stop - start);
    size_t from = nl ? (size_t)(nl - h->s.buf) + 1 : start;
    char *o = malloc(stop - from + 1);
    size_t k = 0;
    if (!o)
        abort();
    for (size_t i = from; i < stop; i++)
        if (h->s.buf[i] != '\r')
            o[k++] = h->s.buf[i];
    o[k] = '\0';
    e2e_log("hmp< %s", o);
    return o;
}

/* ---- guest memory ----------------------------------------------------------------------- */

long qc_memtotal(struct e2e_vm *vm)
{
    char *out = NULL;
    long kb = -1;
    if (e2e_vm_sh(vm, "awk '/^MemTotal:/ {print $2}' /proc/meminfo", &out, 30))
        kb = strtol(out, NULL, 10);
    free(out);
    return kb;
}

long qc_node_memtotal(struct e2e_vm *vm, int node)
{
    char cmd[160], *out = NULL;
    long kb = -1;
    snprintf(cmd, sizeof(cmd),
             "awk '/MemTotal:/ {print $4}' /sys/devices/system/node/node%d/meminfo", node);
    if (e2e_vm_sh(vm, cmd, &out, 30))
        kb = strtol(out, NULL, 10);
    free(out);
    return kb;
}

bool qc_wait_memtotal(struct e2e_vm *vm, long want_kb, long tol_kb, double timeout_s)
{
    double deadline = e2e_elapsed() + timeout_s;
    long kb;
    do {
        if ((kb = qc_memtotal(vm)) < 0)
            return false;
        if (labs(kb - want_kb) <= tol_kb)
            return true;
        usleep(300000);
    } while (e2e_elapsed() < deadline);
    return e2e_fail("guest MemTotal is %ld kB after %.0f s, expected %ld kB (+-%ld)", kb,
                    timeout_s, want_kb, tol_kb);
}

uint64_t qc_block_size(struct e2e_vm *vm)
{
    char *out = NULL;
    uint64_t bs = 0;
    if (e2e_vm_sh(vm, "cat /sys/devices/system/memory/block_size_bytes", &out, 30))
        bs = strtoull(out, NULL, 16);
    free(out);
    return bs;
}

bool qc_blocks_online(struct e2e_vm *vm, uint64_t addr, uint64_t size, const char *zone,
                      double timeout_s)
{
    uint64_t bs = qc_block_size(vm);
    E2E_CHECK(bs, "cannot read the guest's memory block size");
    E2E_CHECK(addr % bs == 0 && size % bs == 0 && size,
              "range 0x%" PRIx64 "+0x%" PRIx64 " is not made of 0x%" PRIx64 " blocks", addr,
              size, bs);
    uint64_t first = addr / bs, last = (addr + size) / bs - 1;
    char cmd[512];
    /* One line per block: "N state zones"; a missing block prints "N missing". */
    snprintf(cmd, sizeof(cmd),
             "for i in $(seq %" PRIu64 " %" PRIu64 "); do d=/sys/devices/system/memory/memory$i; "
             "if [ -d $d ]; then echo \"$i $(cat $d/state) $(cat $d/valid_zones)\"; "
             "else echo \"$i missing\"; fi; done",
             first, last);
    double deadline = e2e_elapsed() + timeout_s;
    char *out = NULL;
    for (;;) {
        free(out);
        out = NULL;
        if (!e2e_vm_sh(vm, cmd, &out, 30))
            return false;
        unsigned good = 0;
        char want[96], *lines;
        /* Whole lines only: "\n32 online Movable\n" must not match "132 online ...". */
        if (asprintf(&lines, "\n%s", out) < 0)
            abort();
        for (uint64_t b = first; b <= last; b++) {
            snprintf(want, sizeof(want), "\n%" PRIu64 " online %s\n", b, zone);
            if (strstr(lines, want))
                good++;
        }
        free(lines);
        if (good == last - first + 1) {
            e2e_log("memory blocks %" PRIu64 "-%" PRIu64 " (0x%" PRIx64 "+0x%" PRIx64
                    ") are online, zone %s",
                    first, last, addr, size, zone);
            free(out);
            return true;
        }
        if (e2e_elapsed() > deadline)
            break;
        usleep(300000);
    }
    e2e_fail("memory blocks %" PRIu64 "-%" PRIu64 " are not all 'online %s':\n%s", first, last,
             zone, out);
    free(out);
    return false;
}
