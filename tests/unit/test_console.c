/*
 * The serial console's unix socket server (-serial unix:PATH): a client
 * that stops reading must not stall the guest or the main loop, and the
 * socket file is made the way the monitors make theirs (nothing that is
 * not a stale socket is removed, mode 0600 from the start).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "console.h"
#include "machine.h"
#include "arch/x86/platform.h"
#include "uart.h"
#include "util.h"

#define GUEST_OUTPUT (1024 * 1024)
#define DEADLINE_MS 10000

/*
 * The socket file has to be 0600 from the moment bind creates it: fixing
 * the mode afterwards leaves a window in which anyone may connect. While
 * stub_chmod is set, chmod does nothing, so only a file created 0600
 * passes; otherwise it is the real call.
 */
static bool stub_chmod;

int chmod(const char *path, mode_t mode)
{
	if (stub_chmod)
		return 0;
	return fchmodat(AT_FDCWD, path, mode, 0);
}

struct fixture {
	char dir[64];
	char path[108];
	struct machine *m;
	struct uart *u;
	struct console *c;
	bool opened;
	int client;
};

static void to_console(void *opaque, uint8_t byte)
{
	console_transmit(opaque, byte);
}

static void no_irq(void *opaque, int level)
{
	(void)opaque, (void)level;
}

static const struct uart_ops ops = { .transmit = to_console, .set_irq = no_irq };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/plugvm-console-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/serial.sock", f->dir);
	f->m = calloc(1, sizeof(*f->m));
	f->u = calloc(1, sizeof(*f->u));
	f->c = calloc(1, sizeof(*f->c));
	assert_true(f->m && f->u && f->c);
	event_loop_init(&f->m->loop);
	f->m->wake_fd = -1;
	uart_init(f->u, &ops, f->c);
	f->client = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	stub_chmod = false;
	if (f->client >= 0)
		close(f->client);
	if (f->opened)
		console_close(f->c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->c);
	free(f->u);
	free(f->m);
	free(f);
	return 0;
}

static int open_serial(struct fixture *f, char *err, size_t errlen)
{
	struct chardev_config cfg = { .kind = CHARDEV_UNIX };
	int ret;

	snprintf(cfg.path, sizeof(cfg.path), "%s", f->path);
	ret = console_open(f->c, f->m, &cfg, f->u, err, errlen);
	f->opened = ret == 0;
	return ret;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connects a client and lets the main loop accept it. */
static void attach_client(struct fixture *f)
{
	f->client = connect_to(f->path);
	assert_true(f->client >= 0);
	for (int i = 0; i < 100 && f->c->in_fd < 0; i++)
		event_loop_run_once(&f->m->loop, 10);
	assert_true(f->c->in_fd >= 0);
}

static void guest_write(struct uart *u, uint8_t byte)
{
	uart_io(u, UART_RBR_THR, true, &byte, 1);
}

struct writer {
	struct uart *u;
	const uint8_t *buf;
	size_t len;
	int done_fd; /* eventfd, written when the last byte went out */
};

/* A vCPU thread printing: every byte is one THR write. */
static void *writer_thread(void *opaque)
{
	struct writer *w = opaque;
	uint64_t one = 1;

	for (size_t i = 0; i < w->len; i++)
		guest_write(w->u, w->buf[i]);
	if (write(w->done_fd, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

/* The guest prints buf from a vCPU thread while this thread runs the main
 * loop, as in plugvm; fails if the guest is not done within DEADLINE_MS. */
static void guest_print(struct fixture *f, const uint8_t *buf, size_t len)
{
	struct writer w = { .u = f->u, .buf = buf, .len = len };
	struct pollfd done = { .events = POLLIN };
	uint64_t t0 = pv_now_ns();
	pthread_t thread;

	w.done_fd = done.fd = eventfd(0, EFD_CLOEXEC);
	assert_true(done.fd >= 0);
	assert_int_equal(pthread_create(&thread, NULL, writer_thread, &w), 0);
	while (poll(&done, 1, 0) == 0 && (pv_now_ns() - t0) / 1000000 < DEADLINE_MS)
		event_loop_run_once(&f->m->loop, 10);
	if (!done.revents) {
		/* The guest is stuck in a write: hanging up frees it. */
		close(f->client);
		f->client = -1;
		pthread_join(thread, NULL);
		close(done.fd);
		fail_msg("the guest's output blocked on a client that does not read");
	}
	pthread_join(thread, NULL);
	close(done.fd);
}

/* Runs the main loop and reads whatever the client gets, until neither has
 * anything left to do. Returns the bytes read. */
static size_t drain(struct fixture *f, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	int idle = 0;

	fcntl(f->client, F_SETFL, O_NONBLOCK);
	while (idle < 5) {
		int ready = event_loop_run_once(&f->m->loop, 20);
		ssize_t n = read(f->client, buf + got, cap - got);

		if (n > 0) {
			got += (size_t)n;
			idle = 0;
		} else {
			assert_true(n < 0 && errno == EAGAIN);
			idle = ready ? 0 : idle + 1;
		}
		assert_true(got < cap);
	}
	return got;
}

/*
 * A client that connects and never reads: the guest's 1 MiB of output
 * returns promptly, the main loop keeps serving the client's input, and
 * when the client reads at last it gets the first bytes the socket took
 * and then the newest CONSOLE_OUT_QUEUE bytes (the oldest queued ones are
 * dropped), nothing more: the queue never grew past its bound.
 */
static void test_stalled_client_never_blocks_guest(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	static uint8_t out[GUEST_OUTPUT], in[2 * GUEST_OUTPUT];
	int pending = 0;
	size_t got;

	for (size_t i = 0; i < GUEST_OUTPUT; i++)
		out[i] = (uint8_t)((i * 2654435761u) >> 13); /* no short period */
	assert_int_equal(open_serial(f, err, sizeof(err)), 0);
	attach_client(f);
	guest_print(f, out, GUEST_OUTPUT);

	/* The main loop still serves input while output is stalled. */
	assert_int_equal(write(f->client, "x", 1), 1);
	event_loop_run_once(&f->m->loop, 100);
	assert_int_equal(uart_rx_space(f->u), UART_RX_BUFFER - 1);

	/* What the socket holds, plus a full queue of the newest output. */
	assert_int_equal(ioctl(f->client, FIONREAD, &pending), 0);
	got = drain(f, in, sizeof(in));
	assert_int_equal(got, (size_t)pending + CONSOLE_OUT_QUEUE);
	assert_true(got < GUEST_OUTPUT);
	/* The start went out before the socket filled ... */
	assert_memory_equal(in, out, 64);
	/* ... and the end is what the queue kept. */
	assert_memory_equal(in + got - CONSOLE_OUT_QUEUE, out + GUEST_OUTPUT - CONSOLE_OUT_QUEUE,
			    CONSOLE_OUT_QUEUE);

	/* A client that reads again gets new output as it comes. */
	guest_print(f, (const uint8_t *)"after\r\n", 7);
	got = drain(f, in, sizeof(in));
	assert_int_equal(got, 7);
	assert_memory_equal(in, "after\r\n", 7);
}

/* Output that a queued flush and the guest produce together keeps its
 * order, and a client that goes away leaves nothing behind for the next. */
static void test_order_kept_and_next_client_starts_clean(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	uint8_t out[4000], in[8192];
	size_t got;

	/* More than the socket takes in one-byte writes, less than the queue. */
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i % 251);
	assert_int_equal(open_serial(f, err, sizeof(err)), 0);
	attach_client(f);
	guest_print(f, out, sizeof(out));
	got = drain(f, in, sizeof(in));
	assert_int_equal(got, sizeof(out));
	assert_memory_equal(in, out, sizeof(out));

	close(f->client);
	f->client = -1;
	for (int i = 0; i < 100 && f->c->in_fd >= 0; i++)
		event_loop_run_once(&f->m->loop, 10);
	assert_int_equal(f->c->in_fd, -1);
	guest_print(f, (const uint8_t *)"z", 1); /* nobody listens: dropped */
	attach_client(f);
	guest_print(f, (const uint8_t *)"a", 1);
	got = drain(f, in, sizeof(in));
	assert_int_equal(got, 1);
	assert_int_equal(in[0], 'a');
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_file_is(const char *path, const char *text, mode_t mode)
{
	char buf[256] = "";
	struct stat st;
	int fd;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
	close(fd);
	assert_string_equal(buf, text);
}

static void test_regular_file_refused_and_kept(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";

	write_file(f->path, "the user's notes\n", 0644);
	assert_int_equal(open_serial(f, err, sizeof(err)), EXIT_BAD_USAGE);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "not a socket"));
	assert_file_is(f->path, "the user's notes\n", 0644);
}

static void test_symlink_refused_and_target_kept(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", target[128], link[128] = "";
	struct stat st;

	snprintf(target, sizeof(target), "%s/target", f->dir);
	write_file(target, "precious\n", 0640);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(open_serial(f, err, sizeof(err)), EXIT_BAD_USAGE);
	assert_non_null(strstr(err, f->path));
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_true(readlink(f->path, link, sizeof(link) - 1) > 0);
	assert_string_equal(link, target);
	assert_file_is(target, "precious\n", 0640);
}

static void test_socket_created_0600_under_umask_0(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	mode_t old = umask(0);
	struct stat st;
	int ret;

	stub_chmod = true;
	ret = open_serial(f, err, sizeof(err));
	stub_chmod = false;
	umask(old);
	assert_int_equal(ret, 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_stale_socket_replaced(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char err[256] = "";
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;

	/* A socket file whose process is gone, as after a crash. */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	assert_int_equal(open_serial(f, err, sizeof(err)), 0);
	attach_client(f);
}

/* A second plugvm on the same path must not take the socket away from the
 * first one. */
static void test_live_socket_refused(void **state)
{
	struct fixture *f = *state;
	struct console *other = calloc(1, sizeof(*other));
	struct chardev_config cfg = { .kind = CHARDEV_UNIX };
	char err[256] = "";

	assert_non_null(other);
	assert_int_equal(open_serial(f, err, sizeof(err)), 0);
	snprintf(cfg.path, sizeof(cfg.path), "%s", f->path);
	if (console_open(other, f->m, &cfg, f->u, err, sizeof(err)) == 0) {
		console_close(other);
		free(other);
		fail_msg("a second server took over a live socket");
	}
	free(other);
	assert_non_null(strstr(err, f->path));
	attach_client(f); /* the first one still serves */
}

/* Close removes the socket file it made, and only that. */
static void test_close_removes_own_socket_only(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	struct stat st;

	assert_int_equal(open_serial(f, err, sizeof(err)), 0);
	console_close(f->c);
	f->opened = false;
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(open_serial(f, err, sizeof(err)), 0);
	/* Someone replaced the file while plugvm ran: it is theirs now. */
	assert_int_equal(unlink(f->path), 0);
	write_file(f->path, "someone else's\n", 0600);
	console_close(f->c);
	f->opened = false;
	assert_file_is(f->path, "someone else's\n", 0600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stalled_client_never_blocks_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_order_kept_and_next_client_starts_clean,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_regular_file_refused_and_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused_and_target_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_socket_created_0600_under_umask_0, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_socket_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_removes_own_socket_only, setup, teardown),
	};

	/* A client gone away must be an error for the writer, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
