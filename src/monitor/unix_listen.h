/* Listening unix sockets for the monitors (-qmp, -monitor unix:...). */
#ifndef PLUGVM_MONITOR_UNIX_LISTEN_H
#define PLUGVM_MONITOR_UNIX_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "event_loop.h"
#include "monitor/conn_limit.h"

/* How long a listener rests after accept failed for want of descriptors
 * or memory: long enough that the loop sleeps, short enough that a
 * client is served soon after a descriptor frees up. */
#define UNIX_LISTEN_BACKOFF_MS 100

struct unix_listener {
	int fd;
	char path[108];
	dev_t dev; /* identity of the socket file we created, so close only */
	ino_t ino; /* removes it if nobody has replaced it meanwhile */
	const char *what;          /* "-qmp": prefixes messages */
	struct event_loop *loop;   /* set by unix_listener_watch */
	bool resting;              /* out of the poll set until its timer */
	struct log_throttle log;   /* accept failures */
};

/* Creates the socket file at path with mode 0600 and listens on it.
 * A leftover socket nobody listens on is replaced; a live one, or any
 * other kind of file, is an error. what ("-qmp") prefixes messages.
 * The fd is non-blocking and close-on-exec. Returns 0 or -1 with err. */
int unix_listener_open(struct unix_listener *l, const char *what, const char *path, char *err,
		       size_t errlen);
/* Polls l in loop: fn(opaque, ...) runs when a client waits. -1 when the
 * loop's table is full. */
int unix_listener_watch(struct unix_listener *l, struct event_loop *loop, event_fn fn,
			void *opaque);
/* A monitor's listener: unix_listener_open, then unix_listener_watch(l, loop, fn, l).
 * 0, or an exit status (exit_status.h) with err: EXIT_BAD_USAGE when no socket can be
 * made at path, EXIT_VMM_FAILURE when the loop's table is full (the socket is closed
 * again). */
int unix_listener_start(struct unix_listener *l, const char *what, const char *path,
			struct event_loop *loop, event_fn fn, char *err, size_t errlen);
/* Stops watching, closes the fd and removes the socket file (if still ours). */
void unix_listener_close(struct unix_listener *l);
/* accept4 wrapper: non-blocking, close-on-exec client fd, or -1. When the
 * process is out of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM) the client stays queued and the socket stays readable, so a
 * watched listener leaves the poll set for UNIX_LISTEN_BACKOFF_MS instead
 * of waking the loop at once, again and again (logged, rate-limited). */
int unix_listener_accept(struct unix_listener *l);

#endif
