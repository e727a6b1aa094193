/* Buffered reading with expect() over any file descriptor (pty, pipe, socket). */
#include "e2e.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TAIL_LINES 40

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void e2e_stream_init(struct e2e_stream *s, int fd, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->name = name;
    s->at_bol = true;
    s->echo = getenv("E2E_VERBOSE") && *getenv("E2E_VERBOSE") && strcmp(getenv("E2E_VERBOSE"), "0");
}

void e2e_stream_free(struct e2e_stream *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    s->buf = NULL;
    s->fd = -1;
    s->len = s->cap = s->pos = 0;
}

static void echo_bytes(struct e2e_stream *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->at_bol) {
            printf("%s| ", s->name);
            s->at_bol = false;
        }
        unsigned char c = (unsigned char)p[i];
        if (c == '\n') {
            putchar('\n');
            s->at_bol = true;
        } else if (c == '\r') {
            /* dropped: CRLF on the console */
        } else if (c < 0x20 && c != '\t') {
            printf("^%c", c + '@');
        } else {
            putchar(c);
        }
    }
    fflush(stdout);
}

int e2e_stream_fill(struct e2e_stream *s, int timeout_ms)
{
    if (s->eof)
        return -1;
    struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -1;
    if (r == 0)
        return 0;
    if (s->cap - s->len < 4097) {
        size_t cap = s->cap ? s->cap * 2 : 65536;
        char *nb = realloc(s->buf, cap);
        if (!nb) {
            perror("e2e: realloc");
            abort();
        }
        s->buf = nb;
        s->cap = cap;
    }
    ssize_t n = read(s->fd, s->buf + s->len, 4096);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) { /* EIO on a pty whose other side is closed */
        s->eof = true;
        if (s->buf)
            s->buf[s->len] = '\0';
        return -1;
    }
    if (s->echo)
        echo_bytes(s, s->buf + s->len, (size_t)n);
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
    return (int)n;
}

/* NUL bytes on a console would stop strstr; search with memmem. */
static const char *find_from(const struct e2e_stream *s, const char *needle)
{
    if (!s->buf || s->pos > s->len)
        return NULL;
    return memmem(s->buf + s->pos, s->len - s->pos, needle, strlen(needle));
}

int e2e_stream_expect_any(struct e2e_stream *s, const char *const *needles, size_t n,
                          double timeout_s)
{
    double deadline = now_s() + timeout_s;
    for (;;) {
        const char *best = NULL;
        int which = -1;
        for (size_t i = 0; i < n; i++) {
            const char *m = find_from(s, needles[i]);
            if (m && (!best || m < best)) {
                best = m;
                which = (int)i;
            }
        }
        if (best) {
            s->pos = (size_t)(best - s->buf) + strlen(needles[which]);
            return which;
        }
        double left = deadline - now_s();
        if (left <= 0 || s->eof) {
            char what[512];
            size_t off = 0;
            for (size_t i = 0; i < n && off < sizeof(what) - 8; i++)
                off += (size_t)snprintf(what + off, sizeof(what) - off, "%s\"%s\"",
                                        i ? " or " : "", needles[i]);
            e2e_fail("%s: %s while waiting %.1f s for %s", s->name,
                     s->eof ? "end of stream" : "timeout", timeout_s, what);
            e2e_stream_tail(s, TAIL_LINES);
            return -1;
        }
        int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
        e2e_stream_fill(s, ms);
    }
}

bool e2e_stream_expect(struct e2e_stream *s, const char *needle, double timeout_s)
{
    return e2e_stream_expect_any(s, &needle, 1, timeout_s) == 0;
}

int e2e_stream_try_write(struct e2e_stream *s, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(s->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            e2e_stream_fill(s, 10); /* let the other side drain */
            continue;
        }
        if (n <= 0)
            return n < 0 ? errno : EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

bool e2e_stream_write(struct e2e_stream *s, const void *data, size_t len)
{
    int err = e2e_stream_try_write(s, data, len);
    return err ? e2e_fail("%s: write: %s", s->name, strerror(err)) : true;
}

bool e2e_stream_puts(struct e2e_stream *s, const char *str)
{
    return e2e_stream_write(s, str, strlen(str));
}

void e2e_stream_tail(const struct e2e_stream *s, int lines)
{
    printf("---- last %d lines of %s ----\n", lines, s->name);
    if (s->buf && s->len) {
        size_t start = s->len;
        int seen = 0;
        /* A trailing partial line counts as a line. */
        while (start > 0) {
            if (s->buf[start - 1] == '\n' && start != s->len && ++seen >= lines)
                break;
            start--;
        }
        for (size_t i = start; i < s->len; i++) {
            unsigned char c = (unsigned char)s->buf[i];
            if (c == '\r')
                continue;
            if (c == '\n' || c == '\t' || c >= 0x20)
                putchar(c);
            else
                printf("^%c", c + '@');
        }
        if (s->buf[s->len - 1] != '\n')
            putchar('\n');
    }
    printf("---- end of %s (%zu bytes, %s) ----\n", s->name, s->len,
           s->eof ? "closed" : "open");
    fflush(stdout);
}
