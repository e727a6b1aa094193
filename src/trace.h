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
/* Appends "<now_ns> <formatted text>\n" to the trace file with one write(). */
void pv_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
