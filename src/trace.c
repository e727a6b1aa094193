#include "trace.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Process-wide on purpose: one trace (PLUGVM_TRACE) that every thread writes. */
static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
static int trace_fd = -1;

/* Lines logged while this thread holds the trace: written by the last pv_trace_release,
 * so that a timed step does not include the trace's own write() calls. */
static _Thread_local unsigned hold_depth;
static _Thread_local size_t held_len;
static _Thread_local char held[4096];

static void trace_open(void)
{
	const char *path = getenv("PLUGVM_TRACE");

	if (path && *path)
		trace_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

bool pv_trace_on(void)
{
	pthread_once(&trace_once, trace_open);
	return trace_fd >= 0;
}

/* O_APPEND and whole lines per write(): lines from several threads never interleave. */
static void write_lines(const char *buf, size_t len)
{
	if (len && write(trace_fd, buf, len) < 0)
		return;
}

static void flush_held(void)
{
	write_lines(held, held_len);
	held_len = 0;
}

void pv_trace(const char *fmt, ...)
{
	char line[256];
	int n, m;
	va_list ap;

	if (!pv_trace_on())
		return;
	n = snprintf(line, sizeof(line), "%llu ", (unsigned long long)pv_now_ns());
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m < (int)sizeof(line) - n - 1 ? m : (int)sizeof(line) - n - 2;
	line[n++] = '\n';
	if (!hold_depth) {
		write_lines(line, (size_t)n);
		return;
	}
	if (held_len + (size_t)n > sizeof(held))
		flush_held(); /* a full buffer costs one write inside the step, never a line */
	memcpy(held + held_len, line, (size_t)n);
	held_len += (size_t)n;
}

void pv_trace_hold(void)
{
	hold_depth++;
}

void pv_trace_release(void)
{
	if (hold_depth && --hold_depth == 0 && held_len && pv_trace_on())
		flush_held();
}
