/* plugvm-relay end to end: the real binary in both modes. The test plays
 * QEMU (a channel socket; two threads pump bytes between the connection
 * from `listen` and the one from `forward`) and plugvm (a TARGET socket
 * served by a thread that greets each connection and echoes its lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/unix_listen.h"
#include "strbuf.h"

#define TIMEOUT_MS 5000
#define FAKE_MAX 80
#define FLOOD_BYTES (4 * 1024 * 1024)

static char dir[64], sock_path[96], chan_path[96], target_path[96], relay[PATH_MAX];
static pid_t listen_pid, forward_pid;

/* ---- processes ------------------------------------------------------------ */

/* Starts the relay with args; out/err replace stdout/stderr unless -1.
 * umask 0, so the socket's mode is the relay's doing alone. */
static pid_t spawn(const char *const *args, int out, int err)
{
	const char *argv[8] = { relay };
	pid_t pid;

	for (int i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	pid = fork();
	if (pid == 0) {
		umask(0);
		if (out >= 0)
			dup2(out, 1);
		if (err >= 0)
			dup2(err, 2);
		execv(relay, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Exit status of *pid (then *pid = 0), -1 if it is still running after ms,
 * -2 if a signal ended it. */
static int wait_exit(pid_t *pid, int ms)
{
	int status;

	for (int waited = 0; waited <= ms; waited += 10) {
		pid_t r = waitpid(*pid, &status, WNOHANG);

		if (r == *pid) {
			*pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
		}
		usleep(10000);
	}
	return -1;
}

static void reap(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

struct run {
	int status;
	struct strbuf out, err;
};

static void drain(int fd, struct strbuf *sb)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_append(sb, buf, (size_t)n);
	strbuf_append(sb, "", 0);
	close(fd);
}

/* Runs the relay to its end (a few seconds at most) and collects its output. */
static struct run run(const char *const *args)
{
	struct run r = { 0 };
	int out[2], err[2];
	pid_t pid;

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid = spawn(args, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	r.status = wait_exit(&pid, TIMEOUT_MS);
	reap(&pid);
	drain(out[0], &r.out);
	drain(err[0], &r.err);
	return r;
}

static void run_free(struct run *r)
{
	strbuf_free(&r->out);
	strbuf_free(&r->err);
}

static bool one_line(const char *text)
{
	const char *nl = strchr(text, '\n');

	return nl && nl[1] == '\0';
}

/* ---- the fake plugvm -------------------------------------------------------- */

struct fake_conn {
	int fd; /* -1: closed */
	int n;  /* 1, 2, ... in accept order */
	struct strbuf line;
};

static struct {
	struct unix_listener l;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	struct fake_conn c[FAKE_MAX];
	atomic_int accepted;
	atomic_bool eof[FAKE_MAX + 1]; /* by connection number */
} fake;

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Writes until the relay drops the stream (or FLOOD_BYTES are out). */
static void fake_flood(struct fake_conn *c)
{
	static char chunk[65536];

	memset(chunk, 'f', sizeof(chunk));
	for (size_t sent = 0; sent < FLOOD_BYTES; sent += sizeof(chunk))
		if (send(c->fd, chunk, sizeof(chunk), MSG_NOSIGNAL) <= 0)
			return;
}

static void fake_close(struct fake_conn *c)
{
	close(c->fd);
	c->fd = -1;
	strbuf_free(&c->line);
}

/* "close" closes, "flood" floods, anything else comes back as "N:line". */
static void fake_line(struct fake_conn *c, const char *line)
{
	struct strbuf reply = { 0 };

	if (!strcmp(line, "close")) {
		fake_close(c);
		return;
	}
	if (!strcmp(line, "flood")) {
		fake_flood(c);
		return;
	}
	strbuf_printf(&reply, "%d:%s\n", c->n, line);
	send_all(c->fd, reply.buf, reply.len);
	strbuf_free(&reply);
}

static void fake_input(struct fake_conn *c)
{
	char buf[65536], *nl;
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n <= 0) {
		char bye[32];

		atomic_store(&fake.eof[c->n], true);
		snprintf(bye, sizeof(bye), "%d:bye\n", c->n);
		send_all(c->fd, bye, strlen(bye));
		fake_close(c);
		return;
	}
	strbuf_append(&c->line, buf, (size_t)n);
	while (c->fd >= 0 && (nl = memchr(c->line.buf, '\n', c->line.len))) {
		size_t len = (size_t)(nl - c->line.buf);

		*nl = '\0';
		fake_line(c, c->line.buf);
		if (c->fd >= 0)
			strbuf_consume(&c->line, len + 1);
	}
}

static void fake_accept(void)
{
	int fd = unix_listener_accept(&fake.l);
	int n = atomic_load(&fake.accepted) + 1;
	char hello[32];

	if (fd < 0)
		return;
	if (n > FAKE_MAX) {
		close(fd);
		return;
	}
	/* Blocking: a flood must wait for the relay, not spin. */
	fcntl(fd, F_SETFL, 0);
	fake.c[n - 1] = (struct fake_conn){ .fd = fd, .n = n };
	atomic_store(&fake.accepted, n);
	snprintf(hello, sizeof(hello), "hello %d\n", n);
	send_all(fd, hello, strlen(hello));
}

static void *fake_run(void *arg)
{
	struct pollfd pfd[FAKE_MAX + 1];
	struct fake_conn *owner[FAKE_MAX + 1];

	(void)arg;
	while (!atomic_load(&fake.stop)) {
		nfds_t n = 1;

		pfd[0] = (struct pollfd){ .fd = fake.l.fd, .events = POLLIN };
		for (int i = 0; i < atomic_load(&fake.accepted); i++) {
			if (fake.c[i].fd < 0)
				continue;
			owner[n] = &fake.c[i];
			pfd[n++] = (struct pollfd){ .fd = fake.c[i].fd, .events = POLLIN };
		}
		if (poll(pfd, n, 20) <= 0)
			continue;
		for (nfds_t i = 1; i < n; i++)
			if (pfd[i].revents)
				fake_input(owner[i]);
		if (pfd[0].revents)
			fake_accept();
	}
	return NULL;
}

static int fake_start(void)
{
	char err[256];

	memset(&fake, 0, sizeof(fake));
	if (unix_listener_open(&fake.l, "fake plugvm", target_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	fake.running = pthread_create(&fake.thread, NULL, fake_run, NULL) == 0;
	return fake.running ? 0 : -1;
}

static void fake_stop(void)
{
	if (!fake.running)
		return;
	atomic_store(&fake.stop, true);
	pthread_join(fake.thread, NULL);
	for (int i = 0; i < atomic_load(&fake.accepted); i++)
		if (fake.c[i].fd >= 0)
			fake_close(&fake.c[i]);
	unix_listener_close(&fake.l);
	fake.running = false;
}

/* ---- the fake QEMU: the channel ------------------------------------------- */

struct pump {
	int from, to;
	pthread_t thread;
	bool running;
};

static struct unix_listener chan;
static int host_conn = -1, fwd_conn = -1;
static struct pump up, down; /* host to forward, forward to host */

/* Copies bytes one way; the end of input is passed on as a half-close, so
 * the other relay sees the channel end as it would when QEMU exits. */
static void *pump_run(void *arg)
{
	struct pump *p = arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(p->from, buf, sizeof(buf))) > 0)
		send_all(p->to, buf, (size_t)n);
	shutdown(p->to, SHUT_WR);
	return NULL;
}

static void pump_start(struct pump *p, int from, int to)
{
	*p = (struct pump){ .from = from, .to = to };
	p->running = pthread_create(&p->thread, NULL, pump_run, p) == 0;
}

static int accept_within(struct unix_listener *l, int ms)
{
	struct pollfd p = { .fd = l->fd, .events = POLLIN };
	int fd;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	fd = unix_listener_accept(l);
	if (fd >= 0)
		fcntl(fd, F_SETFL, 0);
	return fd;
}

/* ---- fixtures ------------------------------------------------------------- */

static int setup_dir(void **state)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)state;
	if (n < 0)
		return -1;
	self[n] = '\0';
	/* Tests live in build/tests, tools in build/. */
	snprintf(relay, sizeof(relay), "%s/../plugvm-relay", dirname(self));
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/plugvm-relay-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/qmp.sock", dir);
	snprintf(chan_path, sizeof(chan_path), "%s/chan.sock", dir);
	snprintf(target_path, sizeof(target_path), "%s/target.sock", dir);
	chan.fd = -1;
	if (access(relay, X_OK) == 0)
		return 0;
	fprintf(stderr, "%s is not built (it is part of the default build)\n", relay);
	return -1;
}

/* Both relays joined by the channel, with or without a plugvm at TARGET. */
static int start_relays(bool with_target)
{
	char err[256];

	if (with_target && fake_start() < 0)
		return -1;
	if (unix_listener_open(&chan, "channel", chan_path, err, sizeof(err)) < 0)
		return -1;
	listen_pid = spawn((const char *const[]){ "listen", sock_path, chan_path, NULL }, -1, -1);
	/* listen makes SOCKET before it connects, so SOCKET is there after this. */
	host_conn = accept_within(&chan, TIMEOUT_MS);
	forward_pid = spawn((const char *const[]){ "forward", chan_path, target_path, NULL }, -1, -1);
	fwd_conn = accept_within(&chan, TIMEOUT_MS);
	if (host_conn < 0 || fwd_conn < 0)
		return -1;
	pump_start(&up, host_conn, fwd_conn);
	pump_start(&down, fwd_conn, host_conn);
	return 0;
}

static int teardown(void **state);

/* cmocka skips the teardown of a failed setup: clean up here then. */
static int setup_relays(void **state, bool with_target)
{
	if (setup_dir(state) < 0)
		return -1;
	if (start_relays(with_target) == 0)
		return 0;
	teardown(state);
	return -1;
}

static int setup(void **state)
{
	return setup_relays(state, true);
}

static int setup_no_target(void **state)
{
	return setup_relays(state, false);
}

static void pump_stop(struct pump *p)
{
	if (p->running)
		pthread_join(p->thread, NULL);
	p->running = false;
}

static int teardown(void **state)
{
	(void)state;
	reap(&listen_pid);
	reap(&forward_pid);
	/* Ends the pumps' reads whatever state the relays left behind. */
	if (host_conn >= 0)
		shutdown(host_conn, SHUT_RDWR);
	if (fwd_conn >= 0)
		shutdown(fwd_conn, SHUT_RDWR);
	pump_stop(&up);
	pump_stop(&down);
	if (host_conn >= 0)
		close(host_conn);
	if (fwd_conn >= 0)
		close(fwd_conn);
	host_conn = fwd_conn = -1;
	unix_listener_close(&chan);
	fake_stop();
	unlink(sock_path);
	return rmdir(dir);
}

/* ---- clients -------------------------------------------------------------- */

static int client(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* One read() that must not take more than TIMEOUT_MS. */
static ssize_t read_within(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, TIMEOUT_MS) != 1)
		fail_msg("nothing to read after %d ms", TIMEOUT_MS);
	return read(fd, buf, len);
}

static void expect_text(int fd, const char *want)
{
	size_t len = strlen(want), got = 0;
	char *buf = malloc(len + 1);

	assert_non_null(buf);
	while (got < len) {
		ssize_t n = read_within(fd, buf + got, len - got);

		if (n <= 0)
			fail_msg("connection ended after %zu of %zu bytes", got, len);
		got += (size_t)n;
	}
	buf[got] = '\0';
	assert_string_equal(buf, want);
	free(buf);
}

static void expect_eof(int fd)
{
	char c;

	assert_int_equal(read_within(fd, &c, 1), 0);
}

static void wait_flag(atomic_bool *flag)
{
	for (int waited = 0; !atomic_load(flag); waited += 10) {
		if (waited > TIMEOUT_MS)
			fail_msg("the fake plugvm saw no end of file");
		usleep(10000);
	}
}

/* Stops listen with SIGTERM: it removes SOCKET and exits 0, and forward
 * follows when the channel ends. Both must be leak-free (ASan build). */
static void finish(void)
{
	kill(listen_pid, SIGTERM);
	assert_int_equal(wait_exit(&listen_pid, TIMEOUT_MS), 0);
	assert_int_equal(access(sock_path, F_OK), -1);
	assert_int_equal(wait_exit(&forward_pid, TIMEOUT_MS), 0);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_two_clients_isolated(void **state)
{
	size_t big_len = 200000;
	char *big = malloc(big_len + 4);
	int c1, c2;

	(void)state;
	assert_non_null(big);
	c1 = client();
	expect_text(c1, "hello 1\n");
	c2 = client();
	expect_text(c2, "hello 2\n");
	send_str(c1, "a1\n");
	send_str(c2, "b1\n");
	send_str(c1, "a2\n");
	send_str(c2, "b2\n");
	expect_text(c1, "1:a1\n1:a2\n");
	expect_text(c2, "2:b1\n2:b2\n");
	/* Many frames each way, still in order. */
	memset(big, 'x', big_len);
	strcpy(big + big_len, "\n");
	send_str(c2, big);
	expect_text(c2, "2:");
	expect_text(c2, big);
	send_str(c1, "a3\n");
	expect_text(c1, "1:a3\n");
	free(big);
	close(c1);
	close(c2);
	finish();
}

static void test_close_each_way(void **state)
{
	int c1, c2, c3, c4;

	(void)state;
	c1 = client();
	expect_text(c1, "hello 1\n");
	c2 = client();
	expect_text(c2, "hello 2\n");
	c3 = client();
	expect_text(c3, "hello 3\n");
	/* The client closes: plugvm sees end of file. */
	close(c3);
	wait_flag(&fake.eof[3]);
	/* plugvm closes: the client sees end of file. */
	send_str(c1, "close\n");
	expect_eof(c1);
	send_str(c2, "still\n");
	expect_text(c2, "2:still\n");
	/* A client that only shuts its write side still gets every reply. */
	c4 = client();
	expect_text(c4, "hello 4\n");
	send_str(c4, "last\n");
	shutdown(c4, SHUT_WR);
	expect_text(c4, "4:last\n4:bye\n");
	expect_eof(c4);
	assert_true(atomic_load(&fake.eof[4]));
	send_str(c2, "again\n");
	expect_text(c2, "2:again\n");
	close(c1);
	close(c2);
	close(c4);
	finish();
}

static void test_no_target(void **state)
{
	int c;

	(void)state;
	c = client();
	expect_eof(c);
	close(c);
	finish();
}

static void test_slow_reader(void **state)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;
	int c1, c2;

	(void)state;
	c1 = client();
	expect_text(c1, "hello 1\n");
	c2 = client();
	expect_text(c2, "hello 2\n");
	/* c1 reads nothing while plugvm floods it: the relay drops c1 alone. */
	send_str(c1, "flood\n");
	send_str(c2, "ping\n");
	expect_text(c2, "2:ping\n");
	while ((n = read_within(c1, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	assert_true(n == 0 || errno == ECONNRESET);
	assert_true(total < FLOOD_BYTES);
	send_str(c2, "pong\n");
	expect_text(c2, "2:pong\n");
	close(c1);
	close(c2);
	finish();
}

static void test_stream_limit(void **state)
{
	int c[65];
	char want[32];

	(void)state;
	for (int i = 0; i < 64; i++) {
		c[i] = client();
		snprintf(want, sizeof(want), "hello %d\n", i + 1);
		expect_text(c[i], want);
	}
	/* The 65th is closed at once; the others go on. */
	c[64] = client();
	expect_eof(c[64]);
	send_str(c[0], "x\n");
	expect_text(c[0], "1:x\n");
	send_str(c[63], "y\n");
	expect_text(c[63], "64:y\n");
	for (int i = 0; i < 65; i++)
		close(c[i]);
	finish();
}

static void test_socket_mode(void **state)
{
	struct stat st;

	(void)state;
	/* The relay ran with umask 0. */
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	finish();
}

static void test_channel_eof(void **state)
{
	(void)state;
	/* QEMU exits: listen removes SOCKET and exits 0, as does forward. */
	shutdown(host_conn, SHUT_RDWR);
	assert_int_equal(wait_exit(&listen_pid, TIMEOUT_MS), 0);
	assert_int_equal(access(sock_path, F_OK), -1);
	assert_int_equal(wait_exit(&forward_pid, TIMEOUT_MS), 0);
}

static void test_regular_file_refused(void **state)
{
	static const char keep[] = "not a socket\n";
	char buf[64] = "";
	struct run r;
	FILE *f;

	(void)state;
	f = fopen(sock_path, "w");
	assert_non_null(f);
	fputs(keep, f);
	fclose(f);
	r = run((const char *const[]){ "listen", sock_path, chan_path, NULL });
	assert_int_equal(r.status, 2);
	assert_true(one_line(r.err.buf));
	assert_non_null(strstr(r.err.buf, sock_path));
	f = fopen(sock_path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, keep);
	assert_int_equal(access(chan_path, F_OK), -1);
	run_free(&r);
	unlink(sock_path);
}

static void test_usage(void **state)
{
	static const char *const bad[][5] = {
		{ NULL },
		{ "listen", NULL },
		{ "listen", "a", NULL },
		{ "forward", "a", "b", "c", NULL },
		{ "bogus", "a", "b", NULL },
	};
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = run(bad[i]);
		assert_int_equal(r.status, 2);
		assert_true(one_line(r.err.buf));
		assert_string_equal(r.out.buf, "");
		run_free(&r);
	}
	r = run((const char *const[]){ "--help", NULL });
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out.buf, "plugvm-relay listen SOCKET CHANNEL"));
	assert_string_equal(r.err.buf, "");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_clients_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_each_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_target, setup_no_target, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regular_file_refused, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup_dir, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
