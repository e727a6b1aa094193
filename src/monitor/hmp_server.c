/*
 * Where HMP users come from: unix socket servers (up to HMP_MAX_CLIENTS
 * clients, each its own session), stdin/stdout, and the mon:stdio multiplexer.
 * Everything runs on the main thread; HMP has no events, so unlike QMP no
 * other thread writes here. Socket output is still non-blocking with a
 * queue, so one stuck client cannot stall the main loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "console.h"
#include "exit_status.h"
#include "monitor/client_io.h"
#include "monitor/conn_limit.h"
#include "monitor/hmp.h"
#include "monitor/unix_listen.h"
#include "strbuf.h"
#include "util.h"

#define HMP_CLIENT_OUTBUF_MAX (1u << 20)

struct hmp_client {
	int fd;
	bool dead;
	struct strbuf out;
	struct hmp_session *session;
	struct hmp_client *next;
};

static struct {
	struct event_loop *loop;
	const struct control_ops *ops;
	struct unix_listener listeners[PLUGVM_MAX_MONITORS];
	unsigned nr_listeners;
	struct hmp_client *clients;
	struct conn_limit limit; /* socket clients */
	struct hmp_session *stdio;
	bool stdin_registered;
	struct hmp_session *mux;
	bool mux_started;
	struct console *mux_console;
} hmp = { .limit = { .what = "HMP", .max = HMP_MAX_CLIENTS } };

/* ---- unix socket clients ------------------------------------------------ */

static void client_flush(struct hmp_client *c)
{
	if (!c->dead && client_io_flush(c->fd, &c->out) < 0)
		c->dead = true;
	if (c->out.len > HMP_CLIENT_OUTBUF_MAX || c->out.oom)
		c->dead = true;
}

static void client_write(void *opaque, const char *text, size_t len)
{
	struct hmp_client *c = opaque;

	if (c->dead)
		return;
	strbuf_append(&c->out, text, len);
	client_flush(c);
}

static void client_close(struct hmp_client *c)
{
	event_loop_remove(hmp.loop, c->fd);
	for (struct hmp_client **p = &hmp.clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	close(c->fd);
	hmp_session_free(c->session);
	strbuf_free(&c->out);
	free(c);
	conn_limit_release(&hmp.limit);
}

/* Returns false when the client was closed. */
static bool client_update(struct hmp_client *c)
{
	if (c->dead) {
		client_close(c);
		return false;
	}
	event_loop_set_events(hmp.loop, c->fd, POLLIN | (c->out.len ? POLLOUT : 0));
	return true;
}

static void client_ready(void *opaque, int fd, short revents)
{
	struct hmp_client *c = opaque;

	uint8_t buf[1024];
	ssize_t n;

	if (revents & POLLOUT)
		client_flush(c);
	n = client_io_read(fd, revents, buf, sizeof(buf));
	if (n < 0) {
		client_close(c);
		return;
	}
	if (n > 0)
		hmp_session_input(c->session, buf, (size_t)n);
	client_update(c);
}

/* Tells a client over HMP_MAX_CLIENTS why, in place of the banner, and
 * closes it. */
static void refuse(int fd)
{
	char line[96];
	int len = snprintf(line, sizeof(line),
			   "Error: too many monitor connections: the limit is %u\r\n",
			   HMP_MAX_CLIENTS);

	client_io_refuse(fd, line, (size_t)len);
}

static void listener_ready(void *opaque, int fd, short revents)
{
	struct hmp_client *c;
	int client;

	(void)fd, (void)revents;
	client = unix_listener_accept(opaque);
	if (client < 0)
		return;
	if (!conn_limit_admit(&hmp.limit)) {
		refuse(client);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->session = hmp_session_new(hmp.ops, true, client_write, c);
	if (!c || !c->session || event_loop_add(hmp.loop, client, POLLIN, client_ready, c) < 0) {
		if (c)
			hmp_session_free(c->session);
		free(c);
		close(client);
		conn_limit_release(&hmp.limit);
		return;
	}
	c->fd = client;
	c->next = hmp.clients;
	hmp.clients = c;
	hmp_session_start(c->session); /* banner and prompt, as QEMU on connect */
	client_update(c);
}

static void remember(struct event_loop *loop, const struct control_ops *ops)
{
	hmp.loop = loop;
	hmp.ops = ops;
}

int hmp_listen(struct event_loop *loop, const struct control_ops *ops, const char *path,
	       char *err, size_t errlen)
{
	int status;

	remember(loop, ops);
	if (hmp.nr_listeners == ARRAY_SIZE(hmp.listeners)) {
		pv_format(err, errlen, "-monitor unix:%s: too many monitor sockets", path);
		return EXIT_BAD_USAGE;
	}
	status = unix_listener_start(&hmp.listeners[hmp.nr_listeners], "-monitor", path, loop,
				     listener_ready, err, errlen);
	if (status != 0)
		return status;
	hmp.nr_listeners++;
	return 0;
}

/* ---- stdio -------------------------------------------------------------- */

static void stdio_write(void *opaque, const char *text, size_t len)
{
	(void)opaque;
	while (len) {
		ssize_t n = write(STDOUT_FILENO, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* stdout gone: keep the VM running */
		text += n;
		len -= (size_t)n;
	}
}

static void stdin_ready(void *opaque, int fd, short revents)
{
	uint8_t buf[1024];
	/* Whatever woke us, read: input, or its end (0 bytes). */
	ssize_t n = client_io_read(fd, POLLIN, buf, sizeof(buf));

	(void)opaque, (void)revents;
	if (n > 0) {
		hmp_session_input(hmp.stdio, buf, (size_t)n);
	} else if (n < 0) {
		/* End of input ends the monitor, not the VM. */
		event_loop_remove(hmp.loop, fd);
		hmp.stdin_registered = false;
	}
}

int hmp_attach_stdio(struct event_loop *loop, const struct control_ops *ops, char *err,
		     size_t errlen)
{
	remember(loop, ops);
	if (hmp.stdio) {
		pv_format(err, errlen, "-monitor stdio: given twice");
		return EXIT_BAD_USAGE;
	}
	/* A terminal in its normal (cooked) mode echoes and edits lines
	 * itself; a pipe does not, so echo there as QEMU's readline does. */
	hmp.stdio = hmp_session_new(ops, !isatty(STDIN_FILENO), stdio_write, NULL);
	if (!hmp.stdio || event_loop_add(loop, STDIN_FILENO, POLLIN, stdin_ready, NULL) < 0) {
		pv_format(err, errlen, "-monitor stdio: out of resources");
		hmp_session_free(hmp.stdio);
		hmp.stdio = NULL;
		return EXIT_VMM_FAILURE;
	}
	hmp.stdin_registered = true;
	hmp_session_start(hmp.stdio);
	return 0;
}

/* ---- mon:stdio multiplexer ---------------------------------------------- */

static void mux_write(void *opaque, const char *text, size_t len)
{
	console_print(opaque, text, len);
}

static void mux_input(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	hmp_session_input(hmp.mux, buf, len);
}

static void mux_focus(void *opaque, bool focused)
{
	(void)opaque;
	if (!focused) {
		console_print(hmp.mux_console, "\r\n", 2);
		return;
	}
	if (!hmp.mux_started) {
		console_print(hmp.mux_console, "\r\n", 2);
		hmp_session_start(hmp.mux);
		hmp.mux_started = true;
	} else {
		console_print(hmp.mux_console, "\r\n", 2);
		hmp_session_prompt(hmp.mux);
	}
}

void hmp_attach_mux(struct console *c, const struct control_ops *ops)
{
	struct console_monitor mon = {
		.input = mux_input,
		.focus = mux_focus,
		.opaque = NULL,
	};

	hmp.ops = ops;
	/* The terminal is raw while the multiplexer runs: we echo. */
	hmp.mux = hmp_session_new(ops, true, mux_write, c);
	if (!hmp.mux)
		return;
	hmp.mux_console = c;
	hmp.mux_started = false;
	console_set_monitor(c, &mon);
}

void hmp_close(void)
{
	while (hmp.clients) {
		client_flush(hmp.clients);
		client_close(hmp.clients);
	}
	for (unsigned i = 0; i < hmp.nr_listeners; i++)
		unix_listener_close(&hmp.listeners[i]);
	hmp.nr_listeners = 0;
	if (hmp.stdin_registered)
		event_loop_remove(hmp.loop, STDIN_FILENO);
	hmp.stdin_registered = false;
	hmp_session_free(hmp.stdio);
	hmp.stdio = NULL;
	if (hmp.mux_console)
		console_set_monitor(hmp.mux_console, &(struct console_monitor){0});
	hmp_session_free(hmp.mux);
	hmp.mux = NULL;
	hmp.mux_console = NULL;
}
