/* PLUGVM_TRACE=FILE: one line per memory-hotplug or boot step ("boot ..."), "<ns> <what> ...", where ns is
 * CLOCK_MONOTONIC (the same clock a benchmark on the same host reads), so the time
 * plugvm itself spends on an event can be told from the guest's.  Used by
 * tools/bench-hotplug (docs/benchmarks.md).  Off (one branch per call site) unless set. */
#ifndef PLUGVM_TRACE_H
#define PLUGVM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

/* True when PLUGVM_TRACE names a file that could be opened. */
bool pv_trace_on(void);
/* Appends "<now_ns> <formatted text>\n" to the trace file with one write(), or to the
 * thread's held lines (pv_trace_hold). */
void pv_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Between hold and release (they nest) the calling thread's lines are kept in memory and
 * written together at the last release, so a step that is being timed (a guest's
 * register access, a QMP command) does not also pay for the trace's writes.  Each line
 * keeps the time it was logged at; lines from different threads may land out of order. */
void pv_trace_hold(void);
void pv_trace_release(void);

#endif
