#include "event_loop.h"

#include <errno.h>
#include <string.h>

#include "util.h"

#define NS_PER_MS 1000000ULL

void event_loop_init(struct event_loop *loop)
{
	memset(loop, 0, sizeof(*loop));
}

int event_loop_add(struct event_loop *loop, int fd, short events, event_fn fn, void *opaque)
{
	if (loop->nr == EVENT_LOOP_MAX_FDS)
		return -1;
	loop->fds[loop->nr] = (struct pollfd){ .fd = fd, .events = events };
	loop->fns[loop->nr] = fn;
	loop->opaques[loop->nr] = opaque;
	loop->nr++;
	return 0;
}

void event_loop_remove(struct event_loop *loop, int fd)
{
	for (unsigned i = 0; i < loop->nr; i++) {
		if (loop->fds[i].fd != fd)
			continue;
		/* Mark only: callbacks may remove fds while the loop walks the table. */
		loop->fds[i].fd = -1;
		loop->fds[i].events = 0;
		loop->fns[i] = NULL;
		return;
	}
}

void event_loop_set_events(struct event_loop *loop, int fd, short events)
{
	for (unsigned i = 0; i < loop->nr; i++)
		if (loop->fds[i].fd == fd)
			loop->fds[i].events = events;
}

int event_loop_add_timer(struct event_loop *loop, unsigned delay_ms, event_timer_fn fn,
			 void *opaque)
{
	for (unsigned i = 0; i < EVENT_LOOP_MAX_TIMERS; i++) {
		struct event_timer *t = &loop->timers[i];

		if (t->fn)
			continue;
		t->due_ns = pv_now_ns() + delay_ms * NS_PER_MS;
		t->fn = fn;
		t->opaque = opaque;
		return 0;
	}
	return -1;
}

void event_loop_cancel_timer(struct event_loop *loop, event_timer_fn fn, void *opaque)
{
	for (unsigned i = 0; i < EVENT_LOOP_MAX_TIMERS; i++)
		if (loop->timers[i].fn == fn && loop->timers[i].opaque == opaque)
			loop->timers[i].fn = NULL;
}

/* Shortens the caller's poll timeout so the earliest timer is not late;
 * rounds up so poll never returns just before a timer is due. */
static int poll_timeout(const struct event_loop *loop, int timeout_ms)
{
	uint64_t now = pv_now_ns();

	for (unsigned i = 0; i < EVENT_LOOP_MAX_TIMERS; i++) {
		const struct event_timer *t = &loop->timers[i];
		uint64_t wait_ms;

		if (!t->fn)
			continue;
		wait_ms = t->due_ns > now ? (t->due_ns - now + NS_PER_MS - 1) / NS_PER_MS : 0;
		if (timeout_ms < 0 || wait_ms < (uint64_t)timeout_ms)
			timeout_ms = (int)wait_ms;
	}
	return timeout_ms;
}

static void run_timers(struct event_loop *loop)
{
	uint64_t now = pv_now_ns();

	for (unsigned i = 0; i < EVENT_LOOP_MAX_TIMERS; i++) {
		struct event_timer t = loop->timers[i];

		if (!t.fn || t.due_ns > now)
			continue;
		/* Freed before the call, so the callback may arm it again. */
		loop->timers[i].fn = NULL;
		t.fn(t.opaque);
	}
}

static void compact(struct event_loop *loop)
{
	unsigned j = 0;

	for (unsigned i = 0; i < loop->nr; i++) {
		if (!loop->fns[i])
			continue;
		loop->fds[j] = loop->fds[i];
		loop->fns[j] = loop->fns[i];
		loop->opaques[j] = loop->opaques[i];
		j++;
	}
	loop->nr = j;
}

int event_loop_run_once(struct event_loop *loop, int timeout_ms)
{
	unsigned n;
	int ret;

	compact(loop);
	ret = poll(loop->fds, loop->nr, poll_timeout(loop, timeout_ms));
	if (ret < 0 && errno != EINTR)
		return -1;
	n = ret > 0 ? loop->nr : 0; /* fds added by callbacks wait for the next round */
	for (unsigned i = 0; i < n; i++) {
		short rev = loop->fds[i].revents;

		loop->fds[i].revents = 0;
		if (rev && loop->fns[i])
			loop->fns[i](loop->opaques[i], loop->fds[i].fd, rev);
	}
	run_timers(loop);
	return ret < 0 ? 0 : ret;
}
