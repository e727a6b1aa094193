/*
 * QMP connections: listening sockets, clients, output queues and events.
 *
 * Output goes through a per-client queue guarded by qmp.lock, because
 * events arrive from vCPU threads while replies come from the main thread.
 * Writers append and try a non-blocking send at once; what the socket does
 * not take waits for POLLOUT in the main loop (the eventfd tells the main
 * loop when another thread left output behind). A client whose queue passes
 * QMP_CLIENT_OUTBUF_MAX is dropped: a client that stops reading must not
 * block a vCPU nor grow plugvm without bound.
 *
 * Only the main thread adds or frees clients; other threads only walk the
 * list under the lock. The lock is a leaf: nothing is called with it held,
 * since event producers (memory hotplug) hold their own locks while emitting.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "exit_status.h"
#include "fault_inject.h"
#include "monitor/client_io.h"
#include "monitor/conn_limit.h"
#include "monitor/json_frame.h"
#include "monitor/qmp.h"
#include "monitor/qmp_internal.h"
#include "monitor/unix_listen.h"
#include "strbuf.h"
#include "trace.h"
#include "util.h"

struct qmp_client {
	int fd;
	struct qmp_session session; /* main thread */
	struct strbuf in;           /* main thread: input not framed yet */
	struct json_frame frame;    /* main thread: how far in was scanned */
	short poll_events;          /* main thread: what the loop waits for */
	bool events;                /* under lock: negotiated, so events are sent */
	bool dead;                  /* under lock: write failed or queue overflowed */
	bool closing;               /* main thread: past a framing limit, reads no more */
	struct strbuf out;          /* under lock */
	struct qmp_client *next;
};

static struct {
	pthread_mutex_t lock;
	bool ready;
	struct event_loop *loop;
	struct qmp_context ctx;
	int wake_fd;
	struct unix_listener listeners[PLUGVM_MAX_MONITORS];
	unsigned nr_listeners;
	struct qmp_client *clients;
	struct conn_limit limit; /* main thread */
} qmp = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake_fd = -1,
	.limit = { .what = "QMP", .max = QMP_MAX_CLIENTS },
};

/* ---- output (any thread, lock held) ------------------------------------ */

static void flush_locked(struct qmp_client *c)
{
	if (!c->dead && client_io_flush(c->fd, &c->out) < 0) {
		c->dead = true; /* the peer is gone; the main loop reaps it */
		strbuf_free(&c->out);
	}
}

static void queue_locked(struct qmp_client *c, const char *text, size_t len)
{
	if (c->dead)
		return;
	strbuf_append(&c->out, text, len);
	if (c->out.oom || c->out.len > QMP_CLIENT_OUTBUF_MAX) {
		pv_info("QMP client is not reading its output; disconnecting it");
		c->dead = true;
		strbuf_free(&c->out);
		return;
	}
	flush_locked(c);
}

/* QEMU ends every message with \r\n; some clients split on it. */
static char *serialize(json_t *msg, size_t *len)
{
	char *text = json_dumps(msg, JSON_ENCODE_ANY), *line;

	if (!text)
		return NULL;
	*len = strlen(text) + 2;
	line = realloc(text, *len + 1);
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line + *len - 2, "\r\n", 3);
	return line;
}

/* ---- client lifetime (main thread) ------------------------------------- */

static void close_client(struct qmp_client *c)
{
	event_loop_remove(qmp.loop, c->fd);
	pthread_mutex_lock(&qmp.lock);
	for (struct qmp_client **p = &qmp.clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&qmp.lock);
	close(c->fd);
	strbuf_free(&c->in);
	strbuf_free(&c->out);
	free(c);
	conn_limit_release(&qmp.limit);
}

/* Matches the poll set to the queue; reaps a dead client. Returns false
 * when the client was closed. */
static bool update_client(struct qmp_client *c)
{
	bool dead, pending;
	short want;

	pthread_mutex_lock(&qmp.lock);
	flush_locked(c);
	dead = c->dead;
	pending = c->out.len > 0;
	pthread_mutex_unlock(&qmp.lock);
	/* A client past a framing limit is closed once the replies it is owed, and the
	 * error that says why, have left: closing at once would drop what its socket
	 * could not take yet. */
	if (dead || (c->closing && !pending)) {
		close_client(c);
		return false;
	}
	want = (c->closing ? 0 : POLLIN) | (pending ? POLLOUT : 0);
	if (want != c->poll_events) {
		event_loop_set_events(qmp.loop, c->fd, want);
		c->poll_events = want;
	}
	return true;
}

static void send_message(struct qmp_client *c, json_t *msg)
{
	size_t len;
	char *text = serialize(msg, &len);

	if (!text)
		return;
	pthread_mutex_lock(&qmp.lock);
	queue_locked(c, text, len);
	pthread_mutex_unlock(&qmp.lock);
	free(text);
}

static json_t *generic_error(const char *desc)
{
	return json_pack("{s:{s:s, s:s}}", "error", "class", CONTROL_ERR_GENERIC, "desc", desc);
}

static void send_error(struct qmp_client *c, const char *desc)
{
	json_t *err = generic_error(desc);

	send_message(c, err);
	json_decref(err);
}

static void run_text(struct qmp_client *c, const char *text, size_t len)
{
	json_t *reply = qmp_handle_text(&qmp.ctx, &c->session, text, len);

	if (c->session.negotiated) {
		pthread_mutex_lock(&qmp.lock);
		c->events = true;
		pthread_mutex_unlock(&qmp.lock);
	}
	send_message(c, reply);
	json_decref(reply);
}

/* Runs every complete request in c->in. Returns false when the client
 * must be closed: past a framing limit the rest of the oversized request
 * would be read as new requests (a string in it could even run as one). */
static bool handle_input(struct qmp_client *c)
{
	char desc[128];

	for (;;) {
		size_t start, end;
		enum json_frame_status st =
			json_frame_scan(&c->frame, c->in.buf, c->in.len, &start, &end);

		switch (st) {
		case JSON_FRAME_TEXT:
			run_text(c, c->in.buf + start, end - start);
			strbuf_consume(&c->in, end);
			continue;
		case JSON_FRAME_MORE:
			strbuf_consume(&c->in, end); /* whitespace before any request */
			return true;
		case JSON_FRAME_TOO_LONG:
			snprintf(desc, sizeof(desc),
				 "JSON parse error, request longer than the limit of %u bytes",
				 QMP_REQUEST_MAX);
			break;
		case JSON_FRAME_TOO_DEEP:
			snprintf(desc, sizeof(desc),
				 "JSON parse error, nesting deeper than the limit of %u levels",
				 QMP_NESTING_MAX);
			break;
		}
		send_error(c, desc);
		return false;
	}
}

static void client_ready(void *opaque, int fd, short revents)
{
	struct qmp_client *c = opaque;
	char buf[4096];
	ssize_t n;

	if (c->closing) { /* only its output is waited for */
		if (revents & (POLLERR | POLLHUP | POLLNVAL))
			close_client(c);
		else
			update_client(c);
		return;
	}
	n = client_io_read(fd, revents, buf, sizeof(buf));

	if (n < 0) {
		close_client(c);
		return;
	}
	if (n > 0) {
		bool keep;

		/* The trace of a command's steps is written once it is done. */
		pv_trace_hold();
		pv_trace("qmp-recv %zd", n);
		strbuf_append(&c->in, buf, (size_t)n);
		keep = handle_input(c);
		pv_trace_release();
		if (!keep)
			c->closing = true; /* update_client closes it once its output is out */
	}
	update_client(c);
}

/* Tells a client over QMP_MAX_CLIENTS why, instead of the greeting, and
 * closes it. */
static void refuse(int fd)
{
	char desc[96];
	json_t *err;
	size_t len;
	char *text;

	snprintf(desc, sizeof(desc), "Too many QMP connections: the limit is %u", QMP_MAX_CLIENTS);
	err = generic_error(desc);
	text = serialize(err, &len);
	json_decref(err);
	if (text)
		client_io_refuse(fd, text, len);
	else
		close(fd);
	free(text);
}

int qmp_attach_fd(int fd)
{
	struct qmp_client *c = calloc(1, sizeof(*c));
	json_t *greeting;

	if (!c || !qmp.ready) {
		free(c);
		close(fd);
		return -1;
	}
	if (!conn_limit_admit(&qmp.limit)) {
		refuse(fd);
		free(c);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->poll_events = POLLIN;
	json_frame_init(&c->frame, QMP_REQUEST_MAX, QMP_NESTING_MAX);
	if (event_loop_add(qmp.loop, fd, POLLIN, client_ready, c) < 0) {
		/* Not expected: QMP_MAX_CLIENTS keeps room in the table. */
		pv_error("QMP: the main loop has no room for another client; refusing it");
		conn_limit_release(&qmp.limit);
		free(c);
		close(fd);
		return -1;
	}
	pthread_mutex_lock(&qmp.lock);
	c->next = qmp.clients;
	qmp.clients = c;
	pthread_mutex_unlock(&qmp.lock);
	greeting = qmp_greeting();
	send_message(c, greeting);
	json_decref(greeting);
	update_client(c);
	return 0;
}

static void listener_ready(void *opaque, int fd, short revents)
{
	struct unix_listener *l = opaque;
	int client;

	(void)fd, (void)revents;
	client = unix_listener_accept(l);
	if (client >= 0)
		qmp_attach_fd(client);
}

/* Another thread left output queued or a client dead: catch up here. */
static void wake_ready(void *opaque, int fd, short revents)
{
	uint64_t v;
	struct qmp_client *c, *next;

	(void)opaque, (void)revents;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	for (c = qmp.clients; c; c = next) {
		next = c->next; /* only this thread unlinks, so next stays valid */
		update_client(c);
	}
}

/* ---- public API --------------------------------------------------------- */

int qmp_init(struct event_loop *loop, const struct control_ops *ops, const char *name, char *err,
	     size_t errlen)
{
	int fd = fault_eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0) {
		pv_format(err, errlen, "QMP: eventfd: %s", strerror(errno));
		return EXIT_VMM_FAILURE;
	}
	if (event_loop_add(loop, fd, POLLIN, wake_ready, NULL) < 0) {
		pv_format(err, errlen, "QMP: the main loop has no room for another descriptor");
		close(fd);
		return EXIT_VMM_FAILURE;
	}
	qmp.loop = loop;
	qmp.ctx.ops = ops;
	qmp.ctx.name = name;
	qmp.wake_fd = fd;
	qmp.ready = true;
	return 0;
}

int qmp_listen(const char *path, char *err, size_t errlen)
{
	int status;

	if (!qmp.ready) {
		pv_format(err, errlen, "-qmp unix:%s: QMP is not set up (qmp_init)", path);
		return EXIT_VMM_FAILURE;
	}
	if (qmp.nr_listeners == ARRAY_SIZE(qmp.listeners)) {
		pv_format(err, errlen, "-qmp unix:%s: too many QMP sockets", path);
		return EXIT_BAD_USAGE;
	}
	status = unix_listener_start(&qmp.listeners[qmp.nr_listeners], "-qmp", path, qmp.loop,
				     listener_ready, err, errlen);
	if (status != 0)
		return status;
	qmp.nr_listeners++;
	return 0;
}

void qmp_close(void)
{
	if (!qmp.ready)
		return;
	while (qmp.clients) {
		pthread_mutex_lock(&qmp.lock);
		flush_locked(qmp.clients); /* e.g. the reply to "quit" */
		pthread_mutex_unlock(&qmp.lock);
		close_client(qmp.clients);
	}
	for (unsigned i = 0; i < qmp.nr_listeners; i++)
		unix_listener_close(&qmp.listeners[i]);
	qmp.nr_listeners = 0;
	event_loop_remove(qmp.loop, qmp.wake_fd);
	pthread_mutex_lock(&qmp.lock);
	close(qmp.wake_fd);
	qmp.wake_fd = -1;
	qmp.ready = false;
	pthread_mutex_unlock(&qmp.lock);
}

void qmp_emit_event(const char *name, json_t *data)
{
	struct timespec ts;
	bool wake = false;
	json_t *msg;
	char *text;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &ts); /* QEMU stamps events with wall-clock time */
	msg = json_pack("{s:s}", "event", name);
	if (!msg)
		return;
	if (data)
		json_object_set(msg, "data", data);
	json_object_set_new(msg, "timestamp",
			    json_pack("{s:I, s:I}", "seconds", (json_int_t)ts.tv_sec,
				      "microseconds", (json_int_t)(ts.tv_nsec / 1000)));
	text = serialize(msg, &len);
	json_decref(msg);
	if (!text)
		return;
	pthread_mutex_lock(&qmp.lock);
	for (struct qmp_client *c = qmp.clients; c; c = c->next) {
		if (!c->events)
			continue;
		queue_locked(c, text, len);
		wake |= c->dead || c->out.len > 0;
	}
	if (wake && qmp.wake_fd >= 0) {
		uint64_t one = 1;

		if (write(qmp.wake_fd, &one, sizeof(one)) < 0) {
			/* Counter saturated: the main loop is already due to wake. */
		}
	}
	pthread_mutex_unlock(&qmp.lock);
	free(text);
}

unsigned qmp_client_count(void)
{
	unsigned n = 0;

	pthread_mutex_lock(&qmp.lock);
	for (struct qmp_client *c = qmp.clients; c; c = c->next)
		n++;
	pthread_mutex_unlock(&qmp.lock);
	return n;
}
