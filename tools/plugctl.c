/*
 * plugctl: talk to a running plugvm over its QMP socket.
 *
 *   plugctl SOCKET 'info memory-devices'      HMP command, prints its text
 *   plugctl SOCKET '{"execute": "..."}'       raw QMP, prints the reply
 *   plugctl SOCKET --events [--count N]       prints events, one per line
 *
 * Exit statuses: see usage() (also docs/monitor.md).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor/json_frame.h"
#include "strbuf.h"

enum {
	EXIT_OK = 0,
	EXIT_COMMAND_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_CONNECTION = 3,
	EXIT_TIMEOUT = 4,
};

#define DEFAULT_REPLY_TIMEOUT 60.0

static void usage(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    plugctl - control a running plugvm through its QMP socket\n"
		"\n"
		"SYNOPSIS\n"
		"    plugctl [--timeout S] SOCKET HMP-COMMAND...\n"
		"    plugctl [--timeout S] SOCKET '{\"execute\": ...}'\n"
		"    plugctl [--count N] [--timeout S] SOCKET --events\n"
		"    plugctl --help\n"
		"\n"
		"DESCRIPTION\n"
		"    SOCKET is the path given to plugvm's -qmp unix:PATH,server=on,wait=off.\n"
		"    plugctl performs the QMP handshake (qmp_capabilities) itself.\n"
		"\n"
		"    HMP-COMMAND  A human monitor command such as 'info memory-devices' or\n"
		"                 'device_del dimm1' (several words are joined by spaces). It is\n"
		"                 sent as human-monitor-command and its text is printed with\n"
		"                 \\n line endings.\n"
		"    JSON         An argument starting with '{' is sent as a raw QMP command;\n"
		"                 the reply is printed as one line of JSON. Events that arrive\n"
		"                 meanwhile are not printed.\n"
		"    --events     Print every QMP event as one line of JSON as it arrives.\n"
		"\n"
		"OPTIONS\n"
		"    --count N    With --events: exit after N events.\n"
		"    --timeout S  Give up after S seconds (fractions allowed). For commands\n"
		"                 the default is %.0f; with --events the default is to wait\n"
		"                 for ever.\n"
		"    -h, --help   Show this text.\n"
		"\n"
		"EXIT STATUS\n"
		"    0  success (with --events: N events printed, or the timeout ended an\n"
		"       open-ended wait, or plugvm closed the connection)\n"
		"    1  the command failed: a QMP error reply (its desc is printed on stderr)\n"
		"       or HMP text reporting an error ('Error: ...', 'unknown command: ...',\n"
		"       or 'Try \"help ...\"')\n"
		"    2  bad usage\n"
		"    3  cannot connect, or the connection broke or did not speak QMP\n"
		"    4  timeout: no reply in time, or fewer than N events before --timeout\n",
		DEFAULT_REPLY_TIMEOUT);
}

struct conn {
	int fd;
	const char *path;
	struct strbuf in;
	double deadline; /* monotonic seconds; 0 = none */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_socket(struct conn *c)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "plugctl: %s: the socket path is too long\n", c->path);
		return -1;
	}
	strcpy(addr.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;

		fprintf(stderr, "plugctl: cannot connect to %s: %s%s\n", c->path, strerror(e),
			e == ENOENT || e == ECONNREFUSED ? " (is plugvm running with -qmp there?)"
							 : "");
		return -1;
	}
	return 0;
}

/* Next JSON message; NULL with *status set on timeout or failure. */
static json_t *receive(struct conn *c, int *status)
{
	for (;;) {
		size_t start, end = json_frame_next(c->in.buf, c->in.len, &start);
		char buf[4096];
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int timeout = -1, r;
		ssize_t n;

		if (end) {
			json_error_t jerr;
			json_t *msg = json_loadb(c->in.buf + start, end - start, JSON_DECODE_ANY, &jerr);

			strbuf_consume(&c->in, end);
			if (!msg || !json_is_object(msg)) {
				fprintf(stderr, "plugctl: %s: not a QMP server (bad JSON: %s)\n", c->path,
					msg ? "not an object" : jerr.text);
				json_decref(msg);
				*status = EXIT_CONNECTION;
				return NULL;
			}
			return msg;
		}
		if (c->deadline) {
			double left = c->deadline - now();

			if (left <= 0) {
				*status = EXIT_TIMEOUT;
				return NULL;
			}
			timeout = (int)(left * 1000) + 1;
		}
		r = poll(&pfd, 1, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue; /* the deadline check above reports it */
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				fprintf(stderr, "plugctl: %s: %s\n", c->path, strerror(errno));
			*status = EXIT_CONNECTION;
			return NULL;
		}
		strbuf_append(&c->in, buf, (size_t)n);
	}
}

static int send_json(struct conn *c, json_t *msg)
{
	char *text = json_dumps(msg, 0);
	size_t len, off = 0;

	if (!text)
		return -1;
	len = strlen(text);
	text[len] = '\n'; /* json_dumps left room for the NUL; the newline replaces it */
	while (off < len + 1) {
		ssize_t n = send(c->fd, text + off, len + 1 - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "plugctl: %s: %s\n", c->path, strerror(errno));
			free(text);
			return -1;
		}
		off += (size_t)n;
	}
	free(text);
	return 0;
}

static void report_timeout(const struct conn *c, const char *what)
{
	fprintf(stderr, "plugctl: %s: timed out waiting for %s\n", c->path, what);
}

/* Waits for the reply to the command just sent, skipping events. */
static json_t *reply(struct conn *c, int *status)
{
	for (;;) {
		json_t *msg = receive(c, status);

		if (!msg) {
			if (*status == EXIT_TIMEOUT)
				report_timeout(c, "the reply");
			else
				fprintf(stderr, "plugctl: %s: connection closed before the reply\n",
					c->path);
			return NULL;
		}
		if (json_object_get(msg, "return") || json_object_get(msg, "error"))
			return msg;
		json_decref(msg); /* an event */
	}
}

static const char *error_desc(json_t *msg)
{
	const char *desc = json_string_value(json_object_get(json_object_get(msg, "error"), "desc"));

	return desc ? desc : "unknown error";
}

static int handshake(struct conn *c, bool negotiate)
{
	int status;
	json_t *greeting = receive(c, &status), *cmd, *rsp;

	if (!greeting) {
		if (status == EXIT_TIMEOUT)
			report_timeout(c, "the QMP greeting");
		else
			fprintf(stderr, "plugctl: %s: connection closed before the QMP greeting\n",
				c->path);
		return status;
	}
	if (!json_object_get(greeting, "QMP")) {
		fprintf(stderr, "plugctl: %s: not a QMP server (no greeting)\n", c->path);
		json_decref(greeting);
		return EXIT_CONNECTION;
	}
	json_decref(greeting);
	if (!negotiate)
		return EXIT_OK;
	cmd = json_pack("{s:s}", "execute", "qmp_capabilities");
	if (send_json(c, cmd) < 0) {
		json_decref(cmd);
		return EXIT_CONNECTION;
	}
	json_decref(cmd);
	rsp = reply(c, &status);
	if (!rsp)
		return status;
	if (json_object_get(rsp, "error")) {
		fprintf(stderr, "plugctl: qmp_capabilities: %s\n", error_desc(rsp));
		json_decref(rsp);
		return EXIT_CONNECTION;
	}
	json_decref(rsp);
	return EXIT_OK;
}

static int run_raw(struct conn *c, const char *text)
{
	json_error_t jerr;
	json_t *cmd = json_loads(text, 0, &jerr), *rsp;
	const char *name;
	char *out;
	int status;

	if (!cmd || !json_is_object(cmd)) {
		fprintf(stderr, "plugctl: the QMP command is not a JSON object: %s\n",
			cmd ? "" : jerr.text);
		json_decref(cmd);
		return EXIT_USAGE;
	}
	name = json_string_value(json_object_get(cmd, "execute"));
	/* Negotiating first would make the user's own qmp_capabilities fail. */
	status = handshake(c, !name || strcmp(name, "qmp_capabilities") != 0);
	if (status == EXIT_OK && send_json(c, cmd) < 0)
		status = EXIT_CONNECTION;
	json_decref(cmd);
	if (status != EXIT_OK)
		return status;
	rsp = reply(c, &status);
	if (!rsp)
		return status;
	out = json_dumps(rsp, 0);
	printf("%s\n", out ? out : "");
	free(out);
	if (json_object_get(rsp, "error")) {
		fprintf(stderr, "plugctl: %s\n", error_desc(rsp));
		status = EXIT_COMMAND_FAILED;
	}
	json_decref(rsp);
	return status;
}

/* HMP reports failures only in its text; these are QEMU's wordings. */
static bool hmp_text_is_error(const char *text)
{
	static const char *const marks[] = {"Error: ", "unknown command: ", "Try \"help "};

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
			if (strncmp(line, marks[i], strlen(marks[i])) == 0)
				return true;
	return false;
}

static int run_hmp(struct conn *c, const char *line)
{
	json_t *cmd, *rsp;
	const char *text;
	int status = handshake(c, true);

	if (status != EXIT_OK)
		return status;
	cmd = json_pack("{s:s, s:{s:s}}", "execute", "human-monitor-command", "arguments",
			"command-line", line);
	if (send_json(c, cmd) < 0) {
		json_decref(cmd);
		return EXIT_CONNECTION;
	}
	json_decref(cmd);
	rsp = reply(c, &status);
	if (!rsp)
		return status;
	if (json_object_get(rsp, "error")) {
		fprintf(stderr, "plugctl: %s\n", error_desc(rsp));
		json_decref(rsp);
		return EXIT_COMMAND_FAILED;
	}
	text = json_string_value(json_object_get(rsp, "return"));
	for (const char *p = text ? text : ""; *p; p++)
		if (*p != '\r') /* QEMU sends \r\n; print plain lines */
			putchar(*p);
	status = text && hmp_text_is_error(text) ? EXIT_COMMAND_FAILED : EXIT_OK;
	json_decref(rsp);
	return status;
}

static int run_events(struct conn *c, long count)
{
	long seen = 0;
	int status = handshake(c, true);

	if (status != EXIT_OK)
		return status;
	/* A person at a terminal sees that the (silent) wait has begun; scripts reading
	 * stdout or a redirected stderr get nothing extra. */
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "plugctl: connected to %s, waiting for events (Ctrl-C stops)\n",
			c->path);
	while (count < 0 || seen < count) {
		json_t *msg = receive(c, &status);
		char *out;

		if (!msg) {
			if (status == EXIT_TIMEOUT && count >= 0) {
				report_timeout(c, "events");
				return EXIT_TIMEOUT;
			}
			/* Open-ended: a timeout or plugvm exiting just ends the stream. */
			return count >= 0 ? status : EXIT_OK;
		}
		if (!json_object_get(msg, "event")) {
			json_decref(msg);
			continue;
		}
		out = json_dumps(msg, 0);
		printf("%s\n", out ? out : "");
		fflush(stdout);
		free(out);
		json_decref(msg);
		seen++;
	}
	return EXIT_OK;
}

static int parse_number(const char *opt, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || end == arg || *end || *out < 0) {
		fprintf(stderr, "plugctl: %s: '%s' is not a non-negative number\n", opt, arg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"events", no_argument, NULL, 'e'},
		{"count", required_argument, NULL, 'c'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct conn c = { .fd = -1 };
	bool events = false, timeout_given = false;
	double timeout = DEFAULT_REPLY_TIMEOUT, count_d;
	long count = -1;
	struct strbuf cmd = {0};
	int opt, status;

	/* '+' would stop at the first operand; HMP words never start with '-'. */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			events = true;
			break;
		case 'c':
			if (parse_number("--count", optarg, &count_d) < 0 || count_d != (long)count_d)
				return EXIT_USAGE;
			count = (long)count_d;
			break;
		case 't':
			if (parse_number("--timeout", optarg, &timeout) < 0)
				return EXIT_USAGE;
			timeout_given = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'plugctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "plugctl: missing SOCKET\nTry 'plugctl --help'.\n");
		return EXIT_USAGE;
	}
	c.path = argv[optind++];
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strbuf_puts(&cmd, " ");
		strbuf_puts(&cmd, argv[i]);
	}
	if (events == (cmd.len > 0)) {
		fprintf(stderr, "plugctl: give either a command or --events\n"
				"Try 'plugctl --help'.\n");
		strbuf_free(&cmd);
		return EXIT_USAGE;
	}
	if (count >= 0 && !events) {
		fprintf(stderr, "plugctl: --count goes with --events\n");
		strbuf_free(&cmd);
		return EXIT_USAGE;
	}
	if (connect_socket(&c) < 0) {
		strbuf_free(&cmd);
		return EXIT_CONNECTION;
	}
	if (!events || timeout_given)
		c.deadline = now() + timeout;
	if (events)
		status = run_events(&c, count);
	else if (cmd.buf[strspn(cmd.buf, " \t")] == '{')
		status = run_raw(&c, cmd.buf);
	else
		status = run_hmp(&c, cmd.buf);
	fflush(stdout);
	close(c.fd);
	strbuf_free(&cmd);
	strbuf_free(&c.in);
	return status;
}
