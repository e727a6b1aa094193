#include "trace.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
static int trace_fd = -1;

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
	/* O_APPEND: lines from several threads never interleave. */
	if (write(trace_fd, line, (size_t)n) < 0)
		return;
}
