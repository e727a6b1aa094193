/*
 * How many connections a monitor server (QMP, HMP) serves at once, and a
 * bounded log of the ones it turns away.
 *
 * All monitors share the main loop's poll table (EVENT_LOOP_MAX_FDS) with
 * the console, the signal and wake-up fds: without a cap, idle clients
 * could fill it and lock out the console and every new client. Each
 * server's cap (QMP_MAX_CLIENTS, HMP_MAX_CLIENTS) leaves the rest of the
 * table free; monitors.c checks the sum at compile time. Main thread only.
 */
#ifndef PLUGVM_MONITOR_CONN_LIMIT_H
#define PLUGVM_MONITOR_CONN_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* A client hammering a full server must not fill the log: at most one
 * line per interval, which says how many it left out. */
#define CONN_LIMIT_LOG_INTERVAL_MS 10000

struct log_throttle {
	uint64_t next_ns;  /* no line before this (pv_now_ns clock) */
	unsigned skipped;  /* lines left out since the last one printed */
};

/* True when a line may be printed now; it should then mention *skipped
 * (the lines left out before it). False: leave this one out (counted). */
bool log_throttle_allow(struct log_throttle *t, unsigned *skipped);

struct conn_limit {
	const char *what;  /* "QMP", "HMP": starts the log line */
	unsigned max;
	unsigned open;
	struct log_throttle log;
};

/* Claims a connection slot. False when max are open: the caller refuses
 * the client (telling it why) and the refusal is logged, rate-limited. */
bool conn_limit_admit(struct conn_limit *l);
/* Frees the slot of a connection admitted earlier. */
void conn_limit_release(struct conn_limit *l);

#endif
