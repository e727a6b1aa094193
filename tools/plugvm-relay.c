/*
 * plugvm-relay: many QMP connections over one byte channel.
 *
 *   plugvm-relay listen SOCKET CHANNEL     on the host
 *   plugvm-relay forward PORT TARGET       inside the nested test bed (L1)
 *
 * tools/demo runs plugvm inside a QEMU guest, so its QMP socket (TARGET) is in
 * there, and the only pipe between the host and L1 is one virtio-serial port,
 * whose host end is QEMU's chardev socket CHANNEL. That chardev takes one
 * connection at a time, so `listen` carries every client of SOCKET as a
 * stream over CHANNEL, and `forward` gives each stream its own connection to
 * TARGET. Both are one poll() loop with no threads.
 *
 * Framing: an 8-byte header, fields big-endian, then `length` payload bytes.
 *
 *   offset 0  u8   type    'R' RESET, 'O' OPEN, 'D' DATA, 'E' EOF, 'C' CLOSE
 *          1  u8   0       reserved
 *          2  u16  length  payload bytes: 1..4096 for DATA, 0 for the others
 *          4  u32  stream  chosen by listen, counting up from 1, never reused
 *                          while it runs; 0 only (and always) for RESET
 *
 *   RESET  the sender started afresh: forget every stream, answering nothing.
 *          listen sends it when it connects; forward when it opens a port
 *          whose host end is already there (a listen that may hold streams
 *          of an earlier forward).
 *   OPEN   (listen to forward) a client arrived: connect it to TARGET, or
 *          answer CLOSE.
 *   DATA   bytes for the stream's socket at the receiving end.
 *   EOF    the sender's socket reached end of file: the receiver shuts down
 *          the write side of its socket once the queued bytes are out. This
 *          half-close lets a client that shuts down its write side after a
 *          command (socat, nc -N) still get the reply. A stream ends, with no
 *          further frame, at each end that has sent and received EOF.
 *   CLOSE  the stream is gone (socket error, refused connect, a reader too
 *          slow): drop it now. Never answered.
 *
 * DATA or EOF for an unknown stream is answered with CLOSE; a header that
 * breaks the rules above means the ends are out of step (one restarted in the
 * middle of a frame), and the receiver skips bytes to the next valid header.
 *
 * Queues: each local socket is non-blocking with its own output queue; a
 * queue past QUEUE_MAX drops that stream (CLOSE), so one client that stops
 * reading never holds up the others. Channel writes wait until the frame is
 * out instead: both ends read the channel as soon as it is readable and only
 * queue what they read, and QMP traffic is small, so a wait is short.
 *
 * The virtio-serial port (Linux drivers/char/virtio_console.c): while no
 * host is connected, poll() reports POLLHUP (and POLLIN) and read() returns 0
 * at once, so the port cannot be waited on with poll(); the driver instead
 * sends SIGIO to the owner (F_SETOWN, O_ASYNC) whenever the host connects or
 * disconnects. forward keeps SIGIO blocked and waits for it with
 * sigtimedwait(), re-checking the port at least once a second in case a
 * signal was missed. The port is non-blocking, so a write while the host is
 * away sees POLLHUP instead of blocking until some later host comes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor/unix_listen.h"
#include "strbuf.h"
#include "util.h"

#define HDR_LEN 8
#define PAYLOAD_MAX 4096
#define MAX_STREAMS 64
#define QUEUE_MAX (1024 * 1024)
#define CHANNEL_WAIT_MS 30000 /* listen: QEMU creates CHANNEL when it starts */
#define PORT_WAIT_MS 10000    /* forward: udev-less L1 boots, devtmpfs adds the node */
#define RETRY_MS 100
#define PORTS_DIR "/sys/class/virtio-ports"

enum { T_RESET = 'R', T_OPEN = 'O', T_DATA = 'D', T_EOF = 'E', T_CLOSE = 'C' };

struct stream {
	uint32_t id; /* 0: the slot is free */
	int fd;
	struct strbuf out; /* bytes the socket did not take yet */
	bool sent_eof;     /* our socket hit EOF; no more reading */
	bool got_eof;      /* the far end did: shut our write side once out is empty */
	bool shut;
};

struct relay {
	int chan;
	bool chan_down;
	bool port; /* chan is a virtio-serial port, not a unix socket */
	struct unix_listener clients; /* listen mode; fd -1 in forward mode */
	const char *target;           /* forward mode */
	uint32_t next_id;
	struct stream s[MAX_STREAMS];
	unsigned char in[HDR_LEN + PAYLOAD_MAX]; /* channel bytes not yet a whole frame */
	size_t in_len;
	bool skipping;
};

static volatile sig_atomic_t stop;
static sigset_t run_mask; /* the signal mask while waiting in ppoll() */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("plugvm-relay: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleeps, but a stop signal ends the nap at once. */
static void nap(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	ppoll(NULL, 0, &ts, &run_mask);
}

static void on_stop_signal(int sig)
{
	stop = sig;
}

/* TERM, INT and HUP are only delivered inside ppoll(), so a check of `stop`
 * never races with them. SIGIO (virtio port driver) is never delivered, only
 * collected by sigtimedwait(): its default action would kill us. */
static void signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	static const int stops[] = { SIGTERM, SIGINT, SIGHUP };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGIO);
	for (size_t i = 0; i < ARRAY_SIZE(stops); i++)
		sigaddset(&block, stops[i]);
	sigprocmask(SIG_BLOCK, &block, &run_mask);
	sigaddset(&run_mask, SIGIO);
	for (size_t i = 0; i < ARRAY_SIZE(stops); i++) {
		sigdelset(&run_mask, stops[i]);
		sigaction(stops[i], &sa, NULL);
	}
	/* A client gone meanwhile shows up as EPIPE from write(). */
	signal(SIGPIPE, SIG_IGN);
}

/* A non-blocking, close-on-exec connection to the unix socket at path. */
static int unix_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* The channel may not exist yet: its creator starts alongside us. */
static int connect_retry(const char *path, int wait_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)wait_ms;

	for (;;) {
		int fd = unix_connect(path);

		if (fd >= 0 || errno == ENAMETOOLONG || stop || now_ms() >= deadline)
			return fd;
		nap(RETRY_MS);
	}
}

/* ---- frames --------------------------------------------------------------- */

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Waits for room on the non-blocking channel; false when its other end is
 * gone or a signal asks us to stop. */
static bool chan_writable(struct relay *r)
{
	struct pollfd p = { .fd = r->chan, .events = POLLOUT };

	while (ppoll(&p, 1, NULL, &run_mask) < 0)
		if (errno != EINTR || stop)
			return false;
	/* A port without host says POLLHUP and never POLLOUT. */
	return p.revents & POLLOUT;
}

/* Sends one frame whole (see the head comment on why waiting is fine). */
static void chan_send(struct relay *r, int type, uint32_t id, const void *data, size_t len)
{
	unsigned char f[HDR_LEN + PAYLOAD_MAX];
	size_t off = 0, total = HDR_LEN + len;

	if (r->chan_down)
		return;
	f[0] = (unsigned char)type;
	f[1] = 0;
	put16(f + 2, (unsigned)len);
	put32(f + 4, id);
	if (len)
		memcpy(f + HDR_LEN, data, len);
	while (off < total) {
		ssize_t n = write(r->chan, f + off, total - off);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN && chan_writable(r))
			continue;
		else
			break;
	}
	if (off < total)
		r->chan_down = true;
}

/* ---- streams -------------------------------------------------------------- */

static struct stream *stream_find(struct relay *r, uint32_t id)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (r->s[i].id == id)
			return &r->s[i];
	return NULL;
}

static struct stream *stream_add(struct relay *r, uint32_t id, int fd)
{
	struct stream *s = stream_find(r, 0);

	if (s)
		*s = (struct stream){ .id = id, .fd = fd };
	return s;
}

/* Forgets the stream without telling the far end. */
static void stream_free(struct stream *s)
{
	close(s->fd);
	strbuf_free(&s->out);
	*s = (struct stream){ .fd = -1 };
}

static void stream_abort(struct relay *r, struct stream *s)
{
	chan_send(r, T_CLOSE, s->id, NULL, 0);
	stream_free(s);
}

static void drop_all(struct relay *r)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (r->s[i].id)
			stream_free(&r->s[i]);
}

/* Passes the far end's EOF on once our queue is out; ends the stream when
 * both directions are done. */
static void stream_settle(struct stream *s)
{
	if (s->got_eof && !s->shut && s->out.len == 0) {
		/* An error here means the peer is gone; its read shows that. */
		shutdown(s->fd, SHUT_WR);
		s->shut = true;
	}
	if (s->shut && s->sent_eof)
		stream_free(s);
}

static void stream_flush(struct relay *r, struct stream *s)
{
	while (s->out.len) {
		ssize_t n = write(s->fd, s->out.buf, s->out.len);

		if (n > 0) {
			strbuf_consume(&s->out, (size_t)n);
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else if (!(n < 0 && errno == EINTR)) {
			stream_abort(r, s);
			return;
		}
	}
	stream_settle(s);
}

static void stream_queue(struct relay *r, struct stream *s, const void *data, size_t len)
{
	strbuf_append(&s->out, data, len);
	if (s->out.oom || s->out.len > QUEUE_MAX) {
		say("stream %u: its socket is not reading (%zu bytes queued): closing it",
		    (unsigned)s->id, s->out.len);
		stream_abort(r, s);
		return;
	}
	stream_flush(r, s);
}

static void stream_read(struct relay *r, struct stream *s)
{
	char buf[PAYLOAD_MAX];
	ssize_t n = read(s->fd, buf, sizeof(buf));

	if (n > 0) {
		chan_send(r, T_DATA, s->id, buf, (size_t)n);
	} else if (n == 0) {
		s->sent_eof = true;
		chan_send(r, T_EOF, s->id, NULL, 0);
		stream_settle(s);
	} else if (errno != EAGAIN && errno != EINTR) {
		stream_abort(r, s);
	}
}

static void stream_event(struct relay *r, struct stream *s, short revents)
{
	if (s->out.len && (revents & (POLLOUT | POLLERR | POLLHUP)))
		stream_flush(r, s);
	if (s->id && !s->sent_eof && (revents & (POLLIN | POLLERR | POLLHUP)))
		stream_read(r, s);
}

/* ---- incoming frames ------------------------------------------------------ */

static void on_open(struct relay *r, uint32_t id)
{
	struct stream *old = stream_find(r, id);
	int fd;

	/* Ids are not reused, so an old one is a leftover of a lost RESET. */
	if (old)
		stream_free(old);
	if (!r->target) { /* only listen opens streams */
		chan_send(r, T_CLOSE, id, NULL, 0);
		return;
	}
	fd = unix_connect(r->target);
	if (fd < 0)
		say("stream %u: cannot connect to %s: %s", (unsigned)id, r->target, strerror(errno));
	else if (!stream_add(r, id, fd))
		close(fd);
	else
		return;
	chan_send(r, T_CLOSE, id, NULL, 0);
}

static void on_frame(struct relay *r, int type, uint32_t id, const unsigned char *p, size_t len)
{
	struct stream *s = id ? stream_find(r, id) : NULL;

	if (type == T_RESET)
		drop_all(r);
	else if (type == T_OPEN)
		on_open(r, id);
	else if (!s && type != T_CLOSE)
		chan_send(r, T_CLOSE, id, NULL, 0);
	else if (type == T_DATA)
		stream_queue(r, s, p, len);
	else if (type == T_CLOSE && s)
		stream_free(s);
	else if (type == T_EOF) {
		s->got_eof = true;
		stream_settle(s);
	}
}

static bool header_ok(const unsigned char *h)
{
	unsigned len = get16(h + 2);
	uint32_t id = get32(h + 4);

	if (h[1] != 0)
		return false;
	switch (h[0]) {
	case T_RESET:
		return len == 0 && id == 0;
	case T_DATA:
		return len > 0 && len <= PAYLOAD_MAX && id != 0;
	case T_OPEN:
	case T_EOF:
	case T_CLOSE:
		return len == 0 && id != 0;
	}
	return false;
}

/* Handles every whole frame in r->in and keeps the rest. */
static void parse(struct relay *r)
{
	size_t off = 0, len;

	while (r->in_len - off >= HDR_LEN && !r->chan_down) {
		const unsigned char *h = r->in + off;

		if (!header_ok(h)) {
			if (!r->skipping)
				say("the channel is out of step: skipping to the next frame");
			r->skipping = true;
			off++;
			continue;
		}
		len = get16(h + 2);
		if (r->in_len - off < HDR_LEN + len)
			break;
		r->skipping = false;
		on_frame(r, h[0], get32(h + 4), h + HDR_LEN, len);
		off += HDR_LEN + len;
	}
	memmove(r->in, r->in + off, r->in_len - off);
	r->in_len -= off;
}

/* After parse() at most one partial frame remains, so there is always room. */
static void chan_read(struct relay *r)
{
	ssize_t n = read(r->chan, r->in + r->in_len, sizeof(r->in) - r->in_len);

	if (n > 0) {
		r->in_len += (size_t)n;
		parse(r);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		r->chan_down = true;
	}
}

/* ---- the loop ------------------------------------------------------------- */

/* Ids count up from 1 and skip 0 (RESET's) should they ever wrap. */
static uint32_t new_id(struct relay *r)
{
	if (r->next_id == 0)
		r->next_id = 1;
	return r->next_id++;
}

static void accept_clients(struct relay *r)
{
	int fd;

	while ((fd = unix_listener_accept(&r->clients)) >= 0) {
		uint32_t id = new_id(r);

		if (!stream_add(r, id, fd)) {
			say("%d clients already: closing a new one", MAX_STREAMS);
			close(fd);
			continue;
		}
		chan_send(r, T_OPEN, id, NULL, 0);
	}
}

/* Fills pfd: the channel, the listener (if any), then the streams, with
 * owner[i] the stream of pfd[i]. Returns the count. */
static nfds_t poll_set(struct relay *r, struct pollfd *pfd, struct stream **owner)
{
	nfds_t n = 0;

	pfd[n++] = (struct pollfd){ .fd = r->chan, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = r->clients.fd, .events = POLLIN };
	for (int i = 0; i < MAX_STREAMS; i++) {
		struct stream *s = &r->s[i];
		short ev = (short)((s->sent_eof ? 0 : POLLIN) | (s->out.len ? POLLOUT : 0));

		/* With nothing to do, even POLLHUP must not wake us (it would spin). */
		if (!s->id || !ev)
			continue;
		owner[n] = s;
		pfd[n++] = (struct pollfd){ .fd = s->fd, .events = ev };
	}
	return n;
}

/* Runs until the channel is gone or a signal asks us to stop. The streams
 * go first: the channel and the listener may then reuse their slots. */
static void serve(struct relay *r)
{
	struct pollfd pfd[2 + MAX_STREAMS];
	struct stream *owner[2 + MAX_STREAMS];

	while (!stop && !r->chan_down) {
		nfds_t n = poll_set(r, pfd, owner);

		if (ppoll(pfd, n, NULL, &run_mask) < 0) {
			if (errno == EINTR)
				continue;
			say("poll: %s", strerror(errno));
			return;
		}
		for (nfds_t i = 2; i < n; i++)
			if (pfd[i].revents && owner[i]->fd == pfd[i].fd)
				stream_event(r, owner[i], pfd[i].revents);
		/* A port's POLLHUP means no host: its bytes are stale, do not read them. */
		if (pfd[0].revents & POLLHUP)
			r->chan_down = true;
		else if (pfd[0].revents)
			chan_read(r);
		if (pfd[1].revents)
			accept_clients(r);
	}
}

/* ---- listen ---------------------------------------------------------------- */

static int run_listen(const char *sock, const char *chan)
{
	static struct relay r;
	char err[300];
	struct stat st;
	bool was_absent = lstat(sock, &st) < 0 && errno == ENOENT;

	if (unix_listener_open(&r.clients, "plugvm-relay: listen", sock, err, sizeof(err)) < 0) {
		/* unix_listener_open leaves the file when listen() fails after bind(). */
		if (was_absent && lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(sock);
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	r.chan = connect_retry(chan, CHANNEL_WAIT_MS);
	if (r.chan < 0) {
		if (!stop)
			say("cannot connect to the channel %s: %s (waited %d s)", chan, strerror(errno),
			    CHANNEL_WAIT_MS / 1000);
		unix_listener_close(&r.clients);
		return stop ? 0 : 1;
	}
	chan_send(&r, T_RESET, 0, NULL, 0);
	serve(&r);
	drop_all(&r);
	close(r.chan);
	unix_listener_close(&r.clients);
	return 0;
}

/* ---- forward --------------------------------------------------------------- */

/* The /dev node of the virtio-serial port called name, or -1. */
static int find_port(const char *name, char *dev, size_t devlen)
{
	DIR *d = opendir(PORTS_DIR);
	struct dirent *e;
	int found = -1;

	while (d && found < 0 && (e = readdir(d))) {
		char path[PATH_MAX], buf[256] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PORTS_DIR "/%s/name", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
		if (strcmp(buf, name) == 0) {
			snprintf(dev, devlen, "/dev/%s", e->d_name);
			found = 0;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* The port shows up (and devtmpfs adds its node) as L1 boots. */
static int open_port(const char *name)
{
	uint64_t deadline = now_ms() + PORT_WAIT_MS;
	char dev[PATH_MAX] = "";
	int fd = -1;

	while (fd < 0 && !stop) {
		if (find_port(name, dev, sizeof(dev)) == 0)
			fd = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0 || now_ms() >= deadline)
			break;
		nap(RETRY_MS);
	}
	if (fd < 0 && !stop && !dev[0])
		say("no virtio-serial port named %s in " PORTS_DIR " (waited %d s)", name,
		    PORT_WAIT_MS / 1000);
	else if (fd < 0 && !stop)
		say("cannot open %s (port %s): %s", dev, name, strerror(errno));
	return fd;
}

/* The driver tells us about host (dis)connection with SIGIO. */
static int port_notify(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETOWN, getpid()) < 0 || fcntl(fd, F_SETFL, fl | O_ASYNC) < 0) {
		say("cannot ask the port for SIGIO: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool port_has_host(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP);
}

/* Drops what the old host left, then sleeps until a host connects.
 * False when a stop signal came instead. */
static bool port_wait_host(int fd)
{
	static const struct timespec fallback = { .tv_sec = 1 };
	char junk[PAYLOAD_MAX];
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	while (!port_has_host(fd)) {
		/* Without a host, read() returns stale bytes, then 0 at once. */
		if (read(fd, junk, sizeof(junk)) > 0)
			continue;
		sig = sigtimedwait(&set, NULL, &fallback);
		if (sig > 0 && sig != SIGIO) {
			stop = sig;
			return false;
		}
	}
	return true;
}

static int forward_open(struct relay *r, const char *port)
{
	r->port = port[0] != '/';
	if (!r->port) {
		r->chan = connect_retry(port, PORT_WAIT_MS);
		if (r->chan < 0 && !stop)
			say("cannot connect to the channel %s: %s", port, strerror(errno));
		return r->chan;
	}
	r->chan = open_port(port);
	if (r->chan < 0)
		return -1;
	if (port_notify(r->chan) < 0) {
		close(r->chan);
		return r->chan = -1;
	}
	/* A host already there may hold streams of an earlier forward. */
	if (port_has_host(r->chan))
		chan_send(r, T_RESET, 0, NULL, 0);
	return r->chan;
}

static int run_forward(const char *port, const char *target)
{
	static struct relay r = { .clients.fd = -1 };

	r.target = target;
	if (forward_open(&r, port) < 0)
		return stop ? 0 : 1;
	for (;;) {
		serve(&r);
		drop_all(&r);
		r.in_len = 0;
		r.skipping = false;
		if (stop || !r.port || !port_wait_host(r.chan))
			break;
		r.chan_down = false;
	}
	close(r.chan);
	return 0;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    plugvm-relay - carry QMP connections over one virtio-serial port\n"
		"\n"
		"SYNOPSIS\n"
		"    plugvm-relay listen SOCKET CHANNEL\n"
		"    plugvm-relay forward PORT TARGET\n"
		"    plugvm-relay --help\n"
		"\n"
		"DESCRIPTION\n"
		"    listen   On the host: accepts clients on the unix socket SOCKET (mode 0600)\n"
		"             and carries each over CHANNEL, the unix socket of QEMU's\n"
		"             -chardev socket,path=CHANNEL,server=on behind a virtserialport.\n"
		"             Waits up to %d s for CHANNEL. Ends, removing SOCKET, when QEMU\n"
		"             closes CHANNEL or on SIGTERM, SIGINT or SIGHUP.\n"
		"    forward  In the guest: PORT is the name of the virtio-serial port\n"
		"             (virtserialport,name=PORT; waits up to %d s for it) or, for tests,\n"
		"             the path of a unix socket. Each client becomes a connection to\n"
		"             the unix socket TARGET (plugvm's -qmp socket). While the host end\n"
		"             is not connected it waits for it; with a socket path, the end of\n"
		"             the channel ends the program.\n"
		"\n"
		"    At most %d clients at a time; one whose output passes %d KiB is dropped.\n"
		"    The framing is described at the top of tools/plugvm-relay.c.\n"
		"\n"
		"EXIT STATUS\n"
		"    0  the channel closed, or a signal asked to stop\n"
		"    1  CHANNEL or PORT cannot be reached\n"
		"    2  bad usage, or SOCKET cannot be created\n",
		CHANNEL_WAIT_MS / 1000, PORT_WAIT_MS / 1000, MAX_STREAMS, QUEUE_MAX / 1024);
}

static bool path_fits(const char *what, const char *path)
{
	if (strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path))
		return true;
	say("%s %s: the path is too long for a unix socket", what, path);
	return false;
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 4 || (strcmp(argv[1], "listen") && strcmp(argv[1], "forward"))) {
		say("usage: plugvm-relay listen SOCKET CHANNEL | forward PORT TARGET (see --help)");
		return 2;
	}
	signals_init();
	if (!strcmp(argv[1], "listen")) {
		if (!path_fits("CHANNEL", argv[3]))
			return 2;
		return run_listen(argv[2], argv[3]);
	}
	if ((argv[2][0] == '/' && !path_fits("PORT", argv[2])) || !path_fits("TARGET", argv[3]))
		return 2;
	return run_forward(argv[2], argv[3]);
}
