/* The main thread's poll loop: consoles, control sockets and wake-ups from
 * vCPU threads, plus one-shot timers for work that must wait a little (a
 * monitor socket backing off while the process is out of descriptors).
 * Used from the main thread only. */
#ifndef PLUGVM_EVENT_LOOP_H
#define PLUGVM_EVENT_LOOP_H

#include <poll.h>
#include <stdint.h>

#define EVENT_LOOP_MAX_FDS 128
/* Timers are few and short-lived (one per paused listener at most), so a
 * small fixed table is enough and keeps adding one allocation-free. */
#define EVENT_LOOP_MAX_TIMERS 16

typedef void (*event_fn)(void *opaque, int fd, short revents);
typedef void (*event_timer_fn)(void *opaque);

struct event_timer {
	uint64_t due_ns; /* pv_now_ns() clock */
	event_timer_fn fn; /* NULL: free slot */
	void *opaque;
};

struct event_loop {
	struct pollfd fds[EVENT_LOOP_MAX_FDS];
	event_fn fns[EVENT_LOOP_MAX_FDS];
	void *opaques[EVENT_LOOP_MAX_FDS];
	unsigned nr;
	struct event_timer timers[EVENT_LOOP_MAX_TIMERS];
};

void event_loop_init(struct event_loop *loop);
/* -1 when the table is full. */
int event_loop_add(struct event_loop *loop, int fd, short events, event_fn fn, void *opaque);
void event_loop_remove(struct event_loop *loop, int fd);
/* events 0 keeps the fd's slot but stops polling it (POLLERR/POLLHUP
 * still wake it, as poll(2) always reports those). */
void event_loop_set_events(struct event_loop *loop, int fd, short events);
/* Runs fn(opaque) once from event_loop_run_once, delay_ms from now (not
 * earlier). -1 when every timer slot is taken. */
int event_loop_add_timer(struct event_loop *loop, unsigned delay_ms, event_timer_fn fn,
			 void *opaque);
/* Drops the pending timers with this fn and opaque (none: no effect). */
void event_loop_cancel_timer(struct event_loop *loop, event_timer_fn fn, void *opaque);
/* Waits up to timeout_ms (-1: forever), or less when a timer falls due
 * sooner, then runs the callbacks of ready fds and of due timers. Returns
 * the number of ready fds (0 on timeout or EINTR), or -1. */
int event_loop_run_once(struct event_loop *loop, int timeout_ms);

#endif
