/* Listening unix sockets for the monitors (-qmp, -monitor unix:...). */
#ifndef PLUGVM_MONITOR_UNIX_LISTEN_H
#define PLUGVM_MONITOR_UNIX_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

struct unix_listener {
	int fd;
	char path[108];
	dev_t dev; /* identity of the socket file we created, so close only */
	ino_t ino; /* removes it if nobody has replaced it meanwhile */
};

/* Creates the socket file at path with mode 0600 and listens on it.
 * A leftover socket nobody listens on is replaced; a live one, or any
 * other kind of file, is an error. what ("-qmp") prefixes messages.
 * The fd is non-blocking and close-on-exec. Returns 0 or -1 with err. */
int unix_listener_open(struct unix_listener *l, const char *what, const char *path, char *err,
		       size_t errlen);
/* Closes the fd and removes the socket file (if still ours). */
void unix_listener_close(struct unix_listener *l);
/* accept4 wrapper: non-blocking, close-on-exec client fd, or -1. */
int unix_listener_accept(struct unix_listener *l);

#endif
