/*
 * Socket I/O of a monitor client, shared by the QMP and HMP servers (qmp_server.c,
 * hmp_server.c): reading what the client sent when the main loop says it is readable,
 * sending its queued output without blocking, and turning away a client over the
 * connection limit.
 */
#ifndef PLUGVM_MONITOR_CLIENT_IO_H
#define PLUGVM_MONITOR_CLIENT_IO_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

/* Reads into buf when revents (from the main loop) says there is input or a hang-up.
 * The bytes read; 0 when there is nothing to read now; -1 when the client hung up or
 * the read failed: close it. */
ssize_t client_io_read(int fd, short revents, void *buf, size_t len);

/* Sends what out holds without blocking and drops what went out. 0: all of it went, or
 * the socket is full (wait for POLLOUT); -1: the peer is gone. */
int client_io_flush(int fd, struct strbuf *out);

/* A client over the connection limit: tells it why (text, one short line) in place of
 * the greeting, without blocking, and closes it. */
void client_io_refuse(int fd, const char *text, size_t len);

#endif
