/* The main thread's poll loop: consoles, control sockets and wake-ups from
 * vCPU threads. Used from the main thread only. */
#ifndef PLUGVM_EVENT_LOOP_H
#define PLUGVM_EVENT_LOOP_H

#include <poll.h>

#define EVENT_LOOP_MAX_FDS 128

typedef void (*event_fn)(void *opaque, int fd, short revents);

struct event_loop {
	struct pollfd fds[EVENT_LOOP_MAX_FDS];
	event_fn fns[EVENT_LOOP_MAX_FDS];
	void *opaques[EVENT_LOOP_MAX_FDS];
	unsigned nr;
};

void event_loop_init(struct event_loop *loop);
/* -1 when the table is full. */
int event_loop_add(struct event_loop *loop, int fd, short events, event_fn fn, void *opaque);
void event_loop_remove(struct event_loop *loop, int fd);
void event_loop_set_events(struct event_loop *loop, int fd, short events);
/* Waits up to timeout_ms (-1: forever) and runs the callbacks of ready fds. */
int event_loop_run_once(struct event_loop *loop, int timeout_ms);

#endif
