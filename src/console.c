#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fault_inject.h"
#include "machine.h"
#include "util.h"

static const char escape_help[] =
	"\r\nC-a h    print this help\r\n"
	"C-a x    exit plugvm\r\n"
	"C-a c    switch between console and monitor\r\n"
	"C-a C-a  sends C-a\r\n";

/* stdio and file: a blocking write, as a terminal or file has always been
 * written; a stalled terminal is the user's to resume. */
static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (fd >= 0 && len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* a vanished reader must not stop the guest */
		p += n;
		len -= (size_t)n;
	}
}

/* One non-blocking send to the unix client: bytes taken, 0 when its socket
 * is full, -1 when the client cannot take output any more. MSG_NOSIGNAL:
 * a client gone away is an error here, not a SIGPIPE. */
static ssize_t client_send(int fd, const uint8_t *buf, size_t len)
{
	for (;;) {
		ssize_t n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	}
}

/*
 * Appends to the queue; when it is full the oldest bytes make room. Like a
 * serial line without flow control, a client that does not read loses
 * output; dropping the oldest means that once it reads again it gets the
 * guest's latest output (the prompt, the last kernel messages) rather than
 * output from whenever it stalled. Called with out_lock held.
 */
static void queue_push(struct console *c, const uint8_t *buf, size_t len)
{
	size_t tail, first;

	if (len >= CONSOLE_OUT_QUEUE) {
		c->out_dropped += c->out_len + (len - CONSOLE_OUT_QUEUE);
		buf += len - CONSOLE_OUT_QUEUE;
		len = CONSOLE_OUT_QUEUE;
		c->out_head = c->out_len = 0;
	} else if (c->out_len + len > CONSOLE_OUT_QUEUE) {
		size_t drop = c->out_len + len - CONSOLE_OUT_QUEUE;

		c->out_head = (c->out_head + drop) % CONSOLE_OUT_QUEUE;
		c->out_len -= drop;
		c->out_dropped += drop;
	}
	tail = (c->out_head + c->out_len) % CONSOLE_OUT_QUEUE;
	first = CONSOLE_OUT_QUEUE - tail < len ? CONSOLE_OUT_QUEUE - tail : len;
	memcpy(c->out_queue + tail, buf, first);
	memcpy(c->out_queue, buf + first, len - first);
	c->out_len += len;
}

static void queue_clear(struct console *c)
{
	c->out_head = c->out_len = 0;
	c->out_dropped = 0;
}

/* A client that shut down its reading side: stop writing to it (its input
 * still reaches the guest until it hangs up). Called with out_lock held. */
static void client_output_gone(struct console *c)
{
	c->out_fd = -1;
	c->out_head = c->out_len = 0;
}

/* Any thread, out_lock held: what the socket does not take now is queued,
 * and the main loop is asked to flush it when the socket drains. */
static void client_output(struct console *c, const uint8_t *buf, size_t len)
{
	bool was_empty = c->out_len == 0;
	uint64_t one = 1;

	if (c->out_fd < 0)
		return; /* no client: nobody to see it, as with QEMU's wait=off */
	if (was_empty) {
		/* Nothing queued, so writing now keeps the order. */
		ssize_t n = client_send(c->out_fd, buf, len);

		if (n < 0) {
			client_output_gone(c);
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (!len)
		return;
	queue_push(c, buf, len);
	if (was_empty && write(c->kick_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with 1 per kick; nothing to do. */
	}
}

static void console_output(struct console *c, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&c->out_lock);
	if (c->cfg.kind == CHARDEV_UNIX)
		client_output(c, buf, len);
	else
		write_all(c->out_fd, buf, len);
	pthread_mutex_unlock(&c->out_lock);
}

void console_transmit(struct console *c, uint8_t byte)
{
	console_output(c, &byte, 1);
}

void console_print(struct console *c, const char *text, size_t len)
{
	console_output(c, (const uint8_t *)text, len);
}

/* Main thread: sends what the socket takes and polls for POLLOUT while
 * anything is left. Returns the bytes dropped since the last call, for
 * the caller to report once out_lock is released. */
static uint64_t flush_queue_locked(struct console *c)
{
	uint64_t dropped;

	while (c->out_fd >= 0 && c->out_len) {
		size_t chunk = CONSOLE_OUT_QUEUE - c->out_head;
		ssize_t n;

		if (chunk > c->out_len)
			chunk = c->out_len;
		n = client_send(c->out_fd, c->out_queue + c->out_head, chunk);
		if (n < 0) {
			client_output_gone(c);
			break;
		}
		if (n == 0)
			break;
		c->out_head = (c->out_head + (size_t)n) % CONSOLE_OUT_QUEUE;
		c->out_len -= (size_t)n;
	}
	if (c->in_fd >= 0)
		event_loop_set_events(&c->m->loop, c->in_fd, c->out_len ? POLLIN | POLLOUT : POLLIN);
	if (c->out_len)
		return 0; /* reported once the client has caught up */
	dropped = c->out_dropped;
	c->out_dropped = 0;
	return dropped;
}

/* Main thread, out_lock released (stderr may block; the guest must not). */
static void report_dropped(struct console *c, uint64_t dropped)
{
	if (dropped)
		pv_info("-serial unix:%s: the client did not read; %llu bytes of guest output "
			"were dropped", c->cfg.path, (unsigned long long)dropped);
}

static void flush_queue(struct console *c)
{
	uint64_t dropped;

	pthread_mutex_lock(&c->out_lock);
	dropped = flush_queue_locked(c);
	pthread_mutex_unlock(&c->out_lock);
	report_dropped(c, dropped);
}

/* A vCPU queued output behind a full socket: start polling for POLLOUT
 * (only this thread may change the poll set). */
static void kick_ready(void *opaque, int fd, short revents)
{
	uint64_t count;

	(void)revents;
	if (read(fd, &count, sizeof(count)) < 0) {
		/* Spurious wake-up: the queue is checked anyway. */
	}
	flush_queue(opaque);
}

void console_set_monitor(struct console *c, const struct console_monitor *mon)
{
	c->monitor = *mon;
}

static void to_guest(struct console *c, const uint8_t *buf, size_t len)
{
	if (len && c->monitor_focused && c->monitor.input)
		c->monitor.input(c->monitor.opaque, buf, len);
	else if (len)
		uart_receive(c->uart, buf, len);
}

static void handle_escape(struct console *c, uint8_t ch)
{
	uint8_t esc = CONSOLE_ESCAPE;

	switch (ch) {
	case 'x':
		console_print(c, "\r\nplugvm: terminated\r\n", 22);
		machine_request_shutdown(c->m, STOP_HOST_UI, EXIT_GUEST_DONE,
					 "quit from the console (C-a x)");
		break;
	case 'h':
		console_print(c, escape_help, sizeof(escape_help) - 1);
		break;
	case 'c':
		if (!c->monitor.input) {
			console_print(c, "\r\nplugvm: no monitor on this console\r\n", 38);
			break;
		}
		c->monitor_focused = !c->monitor_focused;
		if (c->monitor.focus)
			c->monitor.focus(c->monitor.opaque, c->monitor_focused);
		break;
	case CONSOLE_ESCAPE:
		to_guest(c, &esc, 1);
		break;
	default:
		break; /* as in QEMU, other escapes are ignored */
	}
}

void console_handle_input(struct console *c, const uint8_t *buf, size_t len)
{
	size_t start = 0;

	if (!c->mux) {
		to_guest(c, buf, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (c->escape_pending) {
			c->escape_pending = false;
			handle_escape(c, buf[i]);
			start = i + 1;
		} else if (buf[i] == CONSOLE_ESCAPE) {
			to_guest(c, buf + start, i - start);
			c->escape_pending = true;
			start = i + 1;
		}
	}
	if (start < len)
		to_guest(c, buf + start, len - start);
}

static void input_ready(void *opaque, int fd, short revents)
{
	struct console *c = opaque;
	uint8_t buf[4096];
	ssize_t n;

	(void)revents;
	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		console_handle_input(c, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	/* End of input: stop reading; a unix client is replaced by the next one. */
	event_loop_remove(&c->m->loop, fd);
	if (c->cfg.kind == CHARDEV_UNIX) {
		uint64_t dropped;

		/* Closed under out_lock, so no vCPU writes to a reused fd number. */
		pthread_mutex_lock(&c->out_lock);
		close(fd);
		c->in_fd = c->out_fd = -1;
		dropped = c->out_dropped + c->out_len;
		queue_clear(c); /* its output is of no use to the next client */
		pthread_mutex_unlock(&c->out_lock);
		report_dropped(c, dropped);
	} else {
		c->in_fd = -1;
	}
}

static void client_ready(void *opaque, int fd, short revents)
{
	if (revents & POLLOUT)
		flush_queue(opaque);
	if (revents & (POLLIN | POLLHUP | POLLERR))
		input_ready(opaque, fd, revents);
}

static void client_connected(void *opaque, int fd, short revents)
{
	struct console *c = opaque;
	int client;

	(void)fd, (void)revents;
	client = unix_listener_accept(&c->listener); /* non-blocking */
	if (client < 0)
		return;
	if (c->in_fd >= 0) {
		close(client); /* one client at a time, as QEMU's socket chardev */
		return;
	}
	if (event_loop_add(&c->m->loop, client, POLLIN, client_ready, c) < 0) {
		close(client); /* no room to poll it: it would never be served */
		return;
	}
	pthread_mutex_lock(&c->out_lock);
	c->in_fd = c->out_fd = client;
	queue_clear(c);
	pthread_mutex_unlock(&c->out_lock);
}

/* The socket file is created by unix_listener_open, as for the monitors: a
 * file that is not a socket or a live socket is refused, never removed. */
static int open_unix_server(struct console *c, char *err, size_t errlen)
{
	if (unix_listener_open(&c->listener, "-serial", c->cfg.path, err, errlen) < 0)
		return EXIT_BAD_USAGE; /* no socket can be made at the path */
	c->kick_fd = fault_eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->kick_fd < 0) {
		pv_format(err, errlen, "-serial unix:%s: eventfd: %s", c->cfg.path, strerror(errno));
		goto fail;
	}
	if (event_loop_add(&c->m->loop, c->kick_fd, POLLIN, kick_ready, c) < 0 ||
	    unix_listener_watch(&c->listener, &c->m->loop, client_connected, c) < 0) {
		pv_format(err, errlen, "-serial unix:%s: the event loop is full", c->cfg.path);
		goto fail;
	}
	return 0;
fail:
	/* Leaves nothing behind: no socket file, no fd, no poll entry. */
	if (c->kick_fd >= 0) {
		event_loop_remove(&c->m->loop, c->kick_fd);
		close(c->kick_fd);
		c->kick_fd = -1;
	}
	unix_listener_close(&c->listener);
	return EXIT_VMM_FAILURE;
}

static void enter_raw_mode(struct console *c)
{
	struct termios t;

	if (!isatty(c->in_fd) || tcgetattr(c->in_fd, &c->saved_termios) < 0)
		return;
	t = c->saved_termios;
	cfmakeraw(&t);
	/* With plain stdio, Ctrl-C still stops plugvm, as in QEMU; the
	 * multiplexer passes it to the guest and offers C-a x instead. */
	if (!c->mux)
		t.c_lflag |= ISIG;
	/* Output stays raw: the guest sends its own \r\n, and so do plugvm's messages. */
	if (tcsetattr(c->in_fd, TCSANOW, &t) == 0)
		c->raw = true;
}

int console_open(struct console *c, struct machine *m, const struct chardev_config *cfg,
		 struct uart *uart, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->out_lock, NULL);
	c->m = m;
	c->cfg = *cfg;
	c->uart = uart;
	c->in_fd = c->out_fd = c->kick_fd = -1;
	c->listener.fd = -1;

	switch (cfg->kind) {
	case CHARDEV_MON_STDIO:
		c->mux = true;
		/* fall through */
	case CHARDEV_STDIO:
		c->in_fd = STDIN_FILENO;
		c->out_fd = STDOUT_FILENO;
		enter_raw_mode(c);
		if (event_loop_add(&m->loop, c->in_fd, POLLIN, input_ready, c) < 0) {
			pv_format(err, errlen, "-serial stdio: the event loop is full");
			return EXIT_VMM_FAILURE;
		}
		return 0;
	case CHARDEV_FILE:
		c->out_fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			pv_format(err, errlen, "-serial file:%s: %s", cfg->path, strerror(errno));
			return EXIT_BAD_USAGE;
		}
		return 0;
	case CHARDEV_UNIX:
		return open_unix_server(c, err, errlen);
	case CHARDEV_NONE:
	default:
		return 0;
	}
}

void console_restore_terminal(struct console *c)
{
	if (c->raw) {
		tcsetattr(c->in_fd, TCSANOW, &c->saved_termios);
		c->raw = false;
	}
}

void console_close(struct console *c)
{
	console_restore_terminal(c);
	if (c->cfg.kind == CHARDEV_FILE && c->out_fd >= 0)
		close(c->out_fd);
	if (c->cfg.kind == CHARDEV_UNIX) {
		/* The guest's last words, if the socket takes them now. */
		flush_queue(c);
		if (c->in_fd >= 0) {
			event_loop_remove(&c->m->loop, c->in_fd);
			close(c->in_fd);
		}
		unix_listener_close(&c->listener); /* removes the socket file if still ours */
		if (c->kick_fd >= 0) {
			event_loop_remove(&c->m->loop, c->kick_fd);
			close(c->kick_fd);
		}
	}
	c->in_fd = c->out_fd = c->kick_fd = -1;
}
