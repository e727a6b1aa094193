#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "machine.h"
#include "util.h"

static const char escape_help[] =
	"\r\nC-a h    print this help\r\n"
	"C-a x    exit plugvm\r\n"
	"C-a c    switch between console and monitor\r\n"
	"C-a C-a  sends C-a\r\n";

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

void console_transmit(struct console *c, uint8_t byte)
{
	pthread_mutex_lock(&c->out_lock);
	write_all(c->out_fd, &byte, 1);
	pthread_mutex_unlock(&c->out_lock);
}

void console_print(struct console *c, const char *text, size_t len)
{
	pthread_mutex_lock(&c->out_lock);
	write_all(c->out_fd, text, len);
	pthread_mutex_unlock(&c->out_lock);
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
		machine_request_stop(c->m, EXIT_GUEST_DONE, "quit from the console (C-a x)");
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
		pthread_mutex_lock(&c->out_lock);
		close(fd);
		c->in_fd = c->out_fd = -1;
		pthread_mutex_unlock(&c->out_lock);
		event_loop_set_events(&c->m->loop, c->listen_fd, POLLIN);
	} else {
		c->in_fd = -1;
	}
}

static void client_connected(void *opaque, int fd, short revents)
{
	struct console *c = opaque;
	int client;

	(void)revents;
	client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (client < 0)
		return;
	if (c->in_fd >= 0) {
		close(client); /* one client at a time, as QEMU's socket chardev */
		return;
	}
	pthread_mutex_lock(&c->out_lock);
	c->in_fd = c->out_fd = client;
	pthread_mutex_unlock(&c->out_lock);
	event_loop_add(&c->m->loop, client, POLLIN, input_ready, c);
}

static int open_unix_server(struct console *c, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		pv_format(err, errlen, "-serial unix:%s: %s", c->cfg.path, strerror(errno));
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", c->cfg.path);
	unlink(c->cfg.path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
		pv_format(err, errlen, "-serial unix:%s: %s", c->cfg.path, strerror(errno));
		close(fd);
		return -1;
	}
	chmod(c->cfg.path, 0600);
	c->listen_fd = fd;
	return event_loop_add(&c->m->loop, fd, POLLIN, client_connected, c);
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
	c->in_fd = c->out_fd = c->listen_fd = -1;

	switch (cfg->kind) {
	case CHARDEV_MON_STDIO:
		c->mux = true;
		/* fall through */
	case CHARDEV_STDIO:
		c->in_fd = STDIN_FILENO;
		c->out_fd = STDOUT_FILENO;
		enter_raw_mode(c);
		return event_loop_add(&m->loop, c->in_fd, POLLIN, input_ready, c);
	case CHARDEV_FILE:
		c->out_fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			pv_format(err, errlen, "-serial file:%s: %s", cfg->path, strerror(errno));
			return -1;
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
		if (c->in_fd >= 0)
			close(c->in_fd);
		if (c->listen_fd >= 0) {
			close(c->listen_fd);
			unlink(c->cfg.path);
		}
	}
	c->in_fd = c->out_fd = c->listen_fd = -1;
}
