/*
 * QMP, the QEMU Machine Protocol, on unix sockets (-qmp unix:PATH,...).
 * Speaks QEMU's wire format so QEMU's clients work unchanged; the commands
 * and differences are listed in docs/monitor.md.
 *
 * Threads: everything here runs on the main thread (it owns the event loop)
 * except qmp_emit_event, which any thread may call.
 */
#ifndef PLUGVM_MONITOR_QMP_H
#define PLUGVM_MONITOR_QMP_H

#include <jansson.h>
#include <stddef.h>

#include "event_loop.h"
#include "monitor/control.h"

/* The QEMU release whose interface plugvm reports and follows (flat
 * object-add, DEVICE_UNPLUG_GUEST_ERROR, query-status with "singlestep"). */
#define QMP_QEMU_MAJOR 7
#define QMP_QEMU_MINOR 2
#define QMP_QEMU_MICRO 0

/* A client whose unsent output grows past this is disconnected, so a
 * client that stops reading can neither block a vCPU nor eat memory. */
#define QMP_CLIENT_OUTBUF_MAX (1u << 20)

/* At most this many clients at once over all -qmp sockets (and
 * qmp_attach_fd); one more gets a GenericError naming the limit and is
 * closed. Well below the main loop's table, see monitor/conn_limit.h. */
#define QMP_MAX_CLIENTS 32

/* A request longer than this, or nesting brackets deeper than this, gets
 * a GenericError and its connection is closed: past either limit the
 * stream cannot be framed safely any more. No QMP command comes near
 * them; they bound what one client makes plugvm buffer and scan. */
#define QMP_REQUEST_MAX (1u << 20)
#define QMP_NESTING_MAX 64

/* Sets up the shared state (the wake-up eventfd in loop). name is
 * -name (NULL: none) for query-name; ops must outlive qmp_close. 0, or an exit status
 * (exit_status.h) with err. */
int qmp_init(struct event_loop *loop, const struct control_ops *ops, const char *name, char *err,
	     size_t errlen);
/* Listens on a unix socket (mode 0600; a stale socket is replaced, a live
 * one is an error). Up to QMP_MAX_CLIENTS clients, each negotiates on its own. 0, or an
 * exit status with err: EXIT_BAD_USAGE when the socket cannot be made at path. */
int qmp_listen(const char *path, char *err, size_t errlen);
/* Serves QMP on an already connected stream fd (taken over; closed by
 * qmp_close or when the peer hangs up). Greets it at once; over
 * QMP_MAX_CLIENTS it gets the error instead, is closed, and -1 returned. */
int qmp_attach_fd(int fd);
/* Flushes what the sockets take without blocking, closes every client and
 * listener and removes the socket files. */
void qmp_close(void);

/* Sends {"event": name, "data": data, "timestamp": {...}} to every client
 * that has completed capabilities negotiation. data may be NULL (no "data"
 * member) and is borrowed: the caller keeps its reference. Thread-safe and
 * never blocks: output is queued per client and written by the main loop. */
void qmp_emit_event(const char *name, json_t *data);

/* Number of connected clients (tests and diagnostics). */
unsigned qmp_client_count(void);

#endif
