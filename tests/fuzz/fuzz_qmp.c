/*
 * QMP: the input is what a client writes to plugvm's QMP socket. It goes through the real
 * server (src/monitor/qmp_server.c: framing, per-client buffers, dispatch, every command,
 * human-monitor-command into HMP) over a socketpair, driven by the real event loop, with
 * the fake VM of fuzz_fake_vm.h behind control_ops.
 *
 * Input bytes that also steer the run (they stay part of the stream):
 *   first byte: 0x40 set: written in one piece; else in pieces of 1 + (byte % 61) bytes,
 *               each handled by the server before the next is written;
 *   last byte:  0b10xxxxxx: the fake VM lacks the operations of mask xxxxxx.
 *
 * Invariants, after the connection is done:
 *   - everything the server sent is a sequence of "<JSON object>\r\n" lines: the greeting,
 *     then replies that have "return" or an "error" with string "class" and "desc";
 *   - one reply per request: the server's count equals the number of JSON texts that
 *     json_frame finds in the whole input framed at once (plus one error when the input
 *     passes a framing limit, after which the server hangs up), so framing in pieces
 *     agrees with framing in one go and no request goes unanswered.
 */
#include <errno.h>
#include <jansson.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event_loop.h"
#include "fuzz_common.h"
#include "fuzz_fake_vm.h"
#include "monitor/hmp.h"
#include "monitor/json_frame.h"
#include "monitor/qmp.h"
#include "strbuf.h"

static struct event_loop loop;

/* The replies the server owes for the whole input: one per framed text, and one error if
 * the input passes a framing limit. */
static unsigned owed_replies(const uint8_t *data, size_t size, bool *hangs_up)
{
	struct json_frame f;
	const char *buf = (const char *)data;
	unsigned n = 0;

	*hangs_up = false;
	json_frame_init(&f, QMP_REQUEST_MAX, QMP_NESTING_MAX);
	for (;;) {
		size_t start, end;

		switch (json_frame_scan(&f, buf, size, &start, &end)) {
		case JSON_FRAME_TEXT:
			FUZZ_CHECK(start < end && end <= size, "text [%zu, %zu) of %zu", start, end,
				   size);
			n++;
			buf += end;
			size -= end;
			continue;
		case JSON_FRAME_MORE:
			return n;
		case JSON_FRAME_TOO_LONG:
		case JSON_FRAME_TOO_DEEP:
			*hangs_up = true;
			return n + 1;
		}
	}
}

/* Reads what the server sent so far; false once it hung up. */
static bool drain(int fd, struct strbuf *out)
{
	for (;;) {
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			strbuf_append(out, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return !(n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
	}
}

/* Runs the main loop until nothing is ready, reading the replies meanwhile. */
static bool pump(int fd, struct strbuf *out)
{
	bool open = true;

	for (unsigned i = 0; i < 10000; i++) {
		open = drain(fd, out);
		if (event_loop_run_once(&loop, 0) <= 0)
			break;
	}
	return drain(fd, out) && open;
}

static void check_message(const char *line, size_t len, unsigned index)
{
	json_error_t jerr;
	json_t *msg = json_loadb(line, len, 0, &jerr), *error;

	FUZZ_CHECK(msg && json_is_object(msg), "message %u is not a JSON object: %.*s (%s)", index,
		   (int)len, line, msg ? "not an object" : jerr.text);
	if (index == 0) {
		FUZZ_CHECK(json_object_get(msg, "QMP"), "the first message is not the greeting");
	} else if ((error = json_object_get(msg, "error"))) {
		FUZZ_CHECK(json_is_string(json_object_get(error, "class")) &&
				   json_is_string(json_object_get(error, "desc")),
			   "error reply %u lacks class or desc: %.*s", index, (int)len, line);
	} else {
		FUZZ_CHECK(json_object_get(msg, "return"), "reply %u has neither return nor error: %.*s",
			   index, (int)len, line);
	}
	json_decref(msg);
}

/* Checks every "\r\n"-terminated message; returns how many there were. */
static unsigned check_output(const struct strbuf *out)
{
	const char *p = out->buf, *end = out->buf + out->len;
	unsigned n = 0;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);

		FUZZ_CHECK(eol, "output ends inside a message: %.*s", (int)(end - p), p);
		check_message(p, (size_t)(eol - p), n++);
		p = eol + 2;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t first = size ? data[0] : 0, last = size ? data[size - 1] : 0;
	size_t piece = (first & 0x40) ? (size ? size : 1) : 1 + first % 61;
	struct control_ops ops = fake_vm_ops((last & 0xc0) == 0x80 ? last & 0x3f : 0);
	struct strbuf out = { 0 };
	bool hangs_up, open = true;
	unsigned owed = owed_replies(data, size, &hangs_up), got;
	char err[256];
	int sv[2];

	fake_vm_reset();
	hmp_set_vm_name("fuzz-vm");
	fuzz_quiet();
	event_loop_init(&loop);
	FUZZ_CHECK(qmp_init(&loop, &ops, (first & 1) ? "fuzz-vm" : NULL, err, sizeof(err)) == 0,
		   "qmp_init: %s", err);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
		   strerror(errno));
	FUZZ_CHECK(qmp_attach_fd(sv[0]) == 0, "qmp_attach_fd refused the client");
	open = pump(sv[1], &out);
	for (size_t off = 0; off < size && open; off += piece) {
		size_t len = size - off < piece ? size - off : piece;
		ssize_t n = send(sv[1], data + off, len, MSG_NOSIGNAL);

		if (n < 0)
			break; /* the server hung up (a framing limit) */
		FUZZ_CHECK((size_t)n == len, "short write to the socketpair");
		open = pump(sv[1], &out);
	}
	/* The client stays connected while the last replies are read. */
	pump(sv[1], &out);
	qmp_close();
	close(sv[1]);
	fuzz_stdio_restore();

	FUZZ_CHECK(!out.oom, "out of memory");
	got = check_output(&out);
	FUZZ_CHECK(got == owed + 1, "%u messages (greeting included) for %u framed requests%s", got,
		   owed, hangs_up ? " (then a framing limit)" : "");
	FUZZ_CHECK(qmp_client_count() == 0, "clients left after qmp_close");
	strbuf_free(&out);
	return 0;
}
