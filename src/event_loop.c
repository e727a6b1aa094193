#include "event_loop.h"

#include <errno.h>
#include <string.h>

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
	ret = poll(loop->fds, loop->nr, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -1;
	n = loop->nr; /* fds added by callbacks wait for the next round */
	for (unsigned i = 0; i < n; i++) {
		short rev = loop->fds[i].revents;

		loop->fds[i].revents = 0;
		if (rev && loop->fns[i])
			loop->fns[i](loop->opaques[i], loop->fds[i].fd, rev);
	}
	return ret;
}
