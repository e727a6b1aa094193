/* QMP over real unix sockets with a fake VM: protocol, commands, events,
 * the socket file's life cycle, and the limits that keep clients from
 * starving the main loop (these also cover HMP's socket server, which
 * shares them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "exit_status.h"
#include "monitor/hmp.h"
#include "monitor/json_frame.h"
#include "monitor/memory_device_events.h"
#include "monitor/qmp.h"
#include "strbuf.h"
#include "test_qmp_fake.h"
#include "util.h"

static struct event_loop loop;
static char dir[64], path[96];

struct client {
	int fd;
	struct strbuf in;
};

static int setup(void **state)
{
	char err[256];

	(void)state;
	fake_reset_state();
	snprintf(dir, sizeof(dir), "/tmp/plugvm-qmp-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	event_loop_init(&loop);
	assert_int_equal(qmp_init(&loop, &fake_ops, "vm1", err, sizeof(err)), 0);
	if (qmp_listen(path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return 0;
}

static int saved_stderr = -1;
static char log_path[128];

/* Sends stderr (plugvm's log) to a file in dir until stderr_release. */
static void stderr_capture(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "%s/stderr.log", dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Restores stderr (also after a failed test, from teardown) and returns
 * what was logged meanwhile (malloc'd). */
static char *stderr_release(void)
{
	struct strbuf log = { 0 };
	int fd;

	if (saved_stderr < 0)
		return NULL;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	fd = open(log_path, O_RDONLY);
	for (;;) {
		char buf[4096];
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : 0;

		if (n <= 0)
			break;
		strbuf_append(&log, buf, (size_t)n);
	}
	if (fd >= 0)
		close(fd);
	unlink(log_path);
	return strbuf_steal(&log);
}

static int teardown(void **state)
{
	char *log = stderr_release(); /* a test failed while it was caught */

	(void)state;
	if (log && *log)
		fprintf(stderr, "%s", log);
	free(log);
	hmp_close(); /* test_hmp_connection_limit's server, should it fail */
	qmp_close();
	unlink(path);
	rmdir(dir);
	return 0;
}

static int connect_to(const char *p)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", p);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void pump(int rounds)
{
	for (int i = 0; i < rounds; i++)
		event_loop_run_once(&loop, 2);
}

/* Next message, running the server's loop while waiting; NULL if none
 * arrives within about a second. */
static json_t *try_recv(struct client *c, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		size_t start, end = json_frame_next(c->in.buf, c->in.len, &start);
		char buf[4096];
		ssize_t n;

		if (end) {
			json_t *msg = json_loadb(c->in.buf + start, end - start, 0, NULL);

			assert_non_null(msg);
			/* QEMU ends every message with \r\n. */
			assert_true(c->in.len >= end + 2);
			assert_memory_equal(c->in.buf + end, "\r\n", 2);
			strbuf_consume(&c->in, end + 2);
			return msg;
		}
		event_loop_run_once(&loop, 2);
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			strbuf_append(&c->in, buf, (size_t)n);
	}
	return NULL;
}

static json_t *recv_msg(struct client *c)
{
	json_t *msg = try_recv(c, 500);

	if (!msg)
		fail_msg("no message from the server");
	return msg;
}

static void send_text(struct client *c, const char *text)
{
	assert_int_equal(write(c->fd, text, strlen(text)), (ssize_t)strlen(text));
}

static struct client open_client(bool negotiate)
{
	struct client c = { .fd = connect_to(path) };
	json_t *greeting;

	assert_true(c.fd >= 0);
	greeting = recv_msg(&c);
	assert_non_null(json_object_get(greeting, "QMP"));
	json_decref(greeting);
	if (negotiate) {
		json_t *r;

		send_text(&c, "{\"execute\": \"qmp_capabilities\"}");
		r = recv_msg(&c);
		assert_non_null(json_object_get(r, "return"));
		json_decref(r);
	}
	return c;
}

static void close_client(struct client *c)
{
	close(c->fd);
	strbuf_free(&c->in);
	pump(3);
}

/* Sends text and returns the reply (events are not expected here). */
static json_t *call(struct client *c, const char *text)
{
	send_text(c, text);
	return recv_msg(c);
}

static void assert_error(json_t *reply, const char *cls, const char *desc)
{
	json_t *err = json_object_get(reply, "error");

	if (!err)
		fail_msg("not an error: %s", json_dumps(reply, 0));
	assert_string_equal(json_string_value(json_object_get(err, "class")), cls);
	assert_string_equal(json_string_value(json_object_get(err, "desc")), desc);
}

static void assert_reply_json(json_t *reply, const char *want)
{
	json_t *expected = json_loads(want, 0, NULL);

	assert_non_null(expected);
	if (!json_equal(reply, expected))
		fail_msg("got %s, want %s", json_dumps(reply, 0), want);
	json_decref(expected);
}

static void test_greeting(void **state)
{
	struct client c = { .fd = connect_to(path) };
	json_t *g, *version;

	(void)state;
	g = recv_msg(&c);
	version = json_object_get(json_object_get(g, "QMP"), "version");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(version, "qemu"), "major")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(version, "qemu"), "minor")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(version, "qemu"), "micro")), 0);
	assert_string_equal(json_string_value(json_object_get(version, "package")), "plugvm " PLUGVM_VERSION);
	assert_true(json_is_array(json_object_get(json_object_get(g, "QMP"), "capabilities")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(g, "QMP"), "capabilities")), 0);
	json_decref(g);
	close_client(&c);
}

static void test_negotiation(void **state)
{
	struct client c = open_client(false);
	json_t *r;

	(void)state;
	r = call(&c, "{\"execute\": \"query-status\", \"id\": 7}");
	assert_error(r, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	json_decref(r);
	r = call(&c, "{\"execute\": \"no-such-command\"}");
	assert_error(r, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
	assert_error(r, "GenericError", "Capability oob not available");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": []}}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qmp_capabilities\"}");
	assert_error(r, "CommandNotFound", "Capabilities negotiation is already complete, command ignored");
	json_decref(r);
	r = call(&c, "{\"execute\": \"query-status\"}");
	assert_reply_json(r, "{\"return\": {\"running\": true, \"singlestep\": false, \"status\": \"running\"}}");
	json_decref(r);
	fake.panicked = true; /* -action panic=pause after a guest panic */
	r = call(&c, "{\"execute\": \"query-status\"}");
	assert_reply_json(r, "{\"return\": {\"running\": false, \"singlestep\": false, \"status\": \"guest-panicked\"}}");
	json_decref(r);
	fake.panicked = false;
	close_client(&c);
}

static void test_request_errors(void **state)
{
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	r = call(&c, "{\"execute\": \"frobnicate\", \"id\": \"x1\"}");
	assert_error(r, "CommandNotFound", "The command frobnicate has not been found");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "x1");
	json_decref(r);
	r = call(&c, "{\"execute\": }");
	assert_non_null(json_object_get(r, "error"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "class")), "GenericError");
	assert_true(strncmp(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
			    "JSON parse error, ", 18) == 0);
	json_decref(r);
	r = call(&c, "[1, 2]");
	assert_error(r, "GenericError", "QMP input must be a JSON object");
	json_decref(r);
	r = call(&c, "{\"id\": 5}");
	assert_error(r, "GenericError", "QMP input lacks member 'execute'");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 5);
	json_decref(r);
	r = call(&c, "{\"execute\": 3}");
	assert_error(r, "GenericError", "QMP input member 'execute' must be a string");
	json_decref(r);
	r = call(&c, "{\"execute\": \"quit\", \"arguments\": []}");
	assert_error(r, "GenericError", "QMP input member 'arguments' must be an object");
	json_decref(r);
	r = call(&c, "{\"execute\": \"quit\", \"foo\": 1}");
	assert_error(r, "GenericError", "QMP input member 'foo' is unexpected");
	json_decref(r);
	r = call(&c, "{\"execute\": \"query-status\", \"arguments\": {\"x\": 1}}");
	assert_error(r, "GenericError", "Parameter 'x' is unexpected");
	json_decref(r);
	assert_int_equal(fake.quits, 0);
	/* Still usable after all that, and the id comes back verbatim. */
	r = call(&c, "{\"execute\": \"query-name\", \"id\": {\"a\": [1, \"b\"]}}");
	assert_reply_json(r, "{\"return\": {\"name\": \"vm1\"}, \"id\": {\"a\": [1, \"b\"]}}");
	json_decref(r);
	close_client(&c);
}

/* An error's description quotes the client's text and is cut at sizeof(desc) bytes; cut
 * inside a multi-byte UTF-8 character it was not valid UTF-8, jansson refused to build the
 * reply and the request got none (found by tests/fuzz/fuzz_qmp). */
static void test_long_non_ascii_name_gets_a_reply(void **state)
{
	struct client c = open_client(true);
	char name[512], req[600];
	const char *desc;
	size_t len = 0;
	json_t *r;

	(void)state;
	/* "The command " is 12 bytes: the cut at 255 falls inside the 2-byte characters. */
	while (len < 226)
		name[len++] = 'a';
	while (len < 246) {
		name[len++] = (char)0xc3; /* U+00E9 */
		name[len++] = (char)0xa9;
	}
	name[len] = '\0';
	snprintf(req, sizeof(req), "{\"execute\": \"%s\", \"id\": 9}", name);
	r = call(&c, req);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "class")),
			    "CommandNotFound");
	desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));
	assert_non_null(desc);
	assert_true(strncmp(desc, "The command aaaa", 16) == 0);
	assert_true(strlen(desc) < 256);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 9);
	json_decref(r);
	/* The same for a member name quoted in "is unexpected". */
	snprintf(req, sizeof(req), "{\"execute\": \"quit\", \"%s\": 1}", name);
	r = call(&c, req);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "class")),
			    "GenericError");
	json_decref(r);
	assert_int_equal(fake.quits, 0);
	close_client(&c);
}

/* jansson's parse error quotes the text near the error raw, up to the byte it stopped
 * at: an invalid escape before a multi-byte character cut that character, the error
 * description was not UTF-8 and the request got no reply at all (found by
 * tests/fuzz/fuzz_qmp). */
static void test_invalid_utf8_request_gets_a_reply(void **state)
{
	struct client c = open_client(true);
	const char *desc;
	json_t *r;

	(void)state;
	/* "invalid escape near '"b\<0xde>'": half of U+0782 */
	r = call(&c, "{\"execute\": \"quit\", \"id\": \"b\\\xde\x82\"}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "class")),
			    "GenericError");
	desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));
	assert_non_null(desc);
	assert_true(strncmp(desc, "JSON parse error, ", 18) == 0);
	json_decref(r);
	r = call(&c, "[\"\xed\xa0\x80\"]"); /* a UTF-16 surrogate, encoded: not UTF-8 */
	assert_non_null(json_object_get(r, "error"));
	json_decref(r);
	assert_int_equal(fake.quits, 0);
	/* The connection still works. */
	r = call(&c, "{\"execute\": \"query-name\"}");
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
	close_client(&c);
}

static void test_framing(void **state)
{
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	/* Two requests in one write, with a brace inside a string. */
	send_text(&c, "{\"execute\": \"query-name\", \"id\": \"}{\"}\n{\"execute\": \"query-version\", \"id\": 2}");
	r = recv_msg(&c);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "}{");
	json_decref(r);
	r = recv_msg(&c);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	assert_reply_json(json_object_get(r, "return"),
			  "{\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"plugvm " PLUGVM_VERSION "\"}");
	json_decref(r);
	/* One request split over several writes. */
	send_text(&c, "{\"execute\": \"query-st");
	assert_null(try_recv(&c, 20));
	send_text(&c, "atus\", \"id\"");
	pump(3);
	send_text(&c, ": 3}\r\n");
	r = recv_msg(&c);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
	json_decref(r);
	close_client(&c);
}

static void test_object_add(void **state)
{
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	r = call(&c, "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
		     "\"id\": \"mem2\", \"size\": 1073741824, \"share\": true, \"prealloc\": false, "
		     "\"policy\": \"default\"}}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	assert_string_equal(fake.last_op, "object_add");
	assert_string_equal(keyval_get(&fake.last_props, "qom-type"), "memory-backend-ram");
	assert_string_equal(keyval_get(&fake.last_props, "id"), "mem2");
	assert_string_equal(keyval_get(&fake.last_props, "size"), "1073741824");
	assert_string_equal(keyval_get(&fake.last_props, "share"), "on");
	assert_string_equal(keyval_get(&fake.last_props, "prealloc"), "off");
	assert_string_equal(keyval_get(&fake.last_props, "policy"), "default");
	assert_int_equal(fake.last_props.count, 6);
	/* The pre-6.0 "props" wrapper. */
	r = call(&c, "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
		     "\"id\": \"mem3\", \"props\": {\"size\": 4096}}}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	assert_string_equal(keyval_get(&fake.last_props, "size"), "4096");
	assert_null(keyval_get(&fake.last_props, "props"));
	r = call(&c, "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", \"size\": 1}}");
	assert_error(r, "GenericError", "Parameter 'id' is missing");
	json_decref(r);
	r = call(&c, "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": 5, \"id\": \"x\"}}");
	assert_error(r, "GenericError", "Invalid parameter type for 'qom-type', expected: string");
	json_decref(r);
	r = call(&c, "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
		     "\"id\": \"x\", \"host-nodes\": [0]}}");
	assert_error(r, "GenericError",
		     "Invalid parameter type for 'host-nodes', expected: a string, number or boolean");
	json_decref(r);
	r = call(&c, "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", \"id\": \"dup\"}}");
	assert_error(r, "GenericError", "attempt to add duplicate property 'dup' to object (type 'container')");
	json_decref(r);
	r = call(&c, "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"mem2\"}}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	assert_string_equal(fake.last_op, "object_del");
	assert_string_equal(fake.last_id, "mem2");
	close_client(&c);
}

static void test_device_add_del(void **state)
{
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	r = call(&c, "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": \"dimm2\", "
		     "\"memdev\": \"mem2\", \"node\": 1, \"slot\": 2, \"addr\": 8589934592}}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	assert_string_equal(fake.last_op, "device_add");
	assert_string_equal(keyval_get(&fake.last_props, "driver"), "pc-dimm");
	assert_string_equal(keyval_get(&fake.last_props, "id"), "dimm2");
	assert_string_equal(keyval_get(&fake.last_props, "memdev"), "mem2");
	assert_string_equal(keyval_get(&fake.last_props, "node"), "1");
	assert_string_equal(keyval_get(&fake.last_props, "slot"), "2");
	assert_string_equal(keyval_get(&fake.last_props, "addr"), "8589934592");
	r = call(&c, "{\"execute\": \"device_add\", \"arguments\": {\"id\": \"d\"}}");
	assert_error(r, "GenericError", "Parameter 'driver' is missing");
	json_decref(r);
	r = call(&c, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"dimm1\"}}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"nope\"}}");
	assert_error(r, "DeviceNotFound", "Device 'nope' not found");
	json_decref(r);
	r = call(&c, "{\"execute\": \"device_del\"}");
	assert_error(r, "GenericError", "Parameter 'id' is missing");
	json_decref(r);
	close_client(&c);
}

/* A virtio-mem device below the DIMM comes first: QEMU lists memory devices by address. */
static void test_memory_devices_by_address(void **state)
{
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	fake.vm0_memaddr = 0x100000000ULL;
	r = call(&c, "{\"execute\": \"query-memory-devices\"}");
	assert_reply_json(r, "{\"return\": [{\"type\": \"virtio-mem\", \"data\": {\"id\": \"vm0\", "
			     "\"memaddr\": 4294967296, \"requested-size\": 1073741824, \"size\": 536870912, "
			     "\"max-size\": 17179869184, \"block-size\": 2097152, \"node\": 1, "
			     "\"memdev\": \"/objects/vmem0\"}}, "
			     "{\"type\": \"dimm\", \"data\": {\"id\": \"dimm1\", "
			     "\"addr\": 5368709120, \"slot\": 0, \"node\": 1, \"size\": 1073741824, "
			     "\"memdev\": \"/objects/mem1\", \"hotplugged\": true, \"hotpluggable\": true}}]}");
	json_decref(r);
	close_client(&c);
}

static void test_queries(void **state)
{
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	r = call(&c, "{\"execute\": \"query-memory-devices\"}");
	assert_reply_json(r, "{\"return\": [{\"type\": \"dimm\", \"data\": {\"id\": \"dimm1\", "
			     "\"addr\": 5368709120, \"slot\": 0, \"node\": 1, \"size\": 1073741824, "
			     "\"memdev\": \"/objects/mem1\", \"hotplugged\": true, \"hotpluggable\": true}}, "
			     "{\"type\": \"virtio-mem\", \"data\": {\"id\": \"vm0\", \"memaddr\": 6442450944, "
			     "\"requested-size\": 1073741824, \"size\": 536870912, \"max-size\": 17179869184, "
			     "\"block-size\": 2097152, \"node\": 1, \"memdev\": \"/objects/vmem0\"}}]}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"query-memory-size-summary\"}");
	assert_reply_json(r, "{\"return\": {\"base-memory\": 1073741824, \"plugged-memory\": 1073741824}}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"query-memdev\"}");
	assert_reply_json(r, "{\"return\": [{\"id\": \"mem1\", \"size\": 1073741824, \"merge\": true, "
			     "\"dump\": true, \"prealloc\": false, \"share\": false, \"reserve\": true, "
			     "\"host-nodes\": [], \"policy\": \"default\"}]}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"query-acpi-ospm-status\"}");
	assert_reply_json(r, "{\"return\": [{\"device\": \"dimm1\", \"slot\": \"0\", \"slot-type\": \"DIMM\", "
			     "\"source\": 1, \"status\": 0}, {\"slot\": \"1\", \"slot-type\": \"DIMM\", "
			     "\"source\": 0, \"status\": 0}]}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"info status\"}}");
	assert_reply_json(r, "{\"return\": \"VM status: running\\r\\n\"}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"human-monitor-command\"}");
	assert_error(r, "GenericError", "Parameter 'command-line' is missing");
	json_decref(r);
	r = call(&c, "{\"execute\": \"query-commands\"}");
	assert_true(json_array_size(json_object_get(r, "return")) >= 17);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "return"), 0), "name")),
			    "qmp_capabilities");
	json_decref(r);
	fake.running = false;
	r = call(&c, "{\"execute\": \"query-status\"}");
	assert_reply_json(r, "{\"return\": {\"running\": false, \"singlestep\": false, \"status\": \"shutdown\"}}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"system_powerdown\"}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"system_reset\"}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"quit\"}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	assert_int_equal(fake.powerdowns, 1);
	assert_int_equal(fake.resets, 1);
	assert_int_equal(fake.quits, 1);
	close_client(&c);
}

/* qom-get and qom-set: the monitor converts, the VM decides (here the fake). */
static void test_qom(void **state)
{
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	r = call(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"requested-size\"}}");
	assert_reply_json(r, "{\"return\": 1073741824}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/vm0\", "
		     "\"property\": \"memdev\"}}");
	assert_reply_json(r, "{\"return\": \"/objects/vmem0\"}");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"prealloc\"}}");
	assert_reply_json(r, "{\"return\": true}");
	json_decref(r);
	/* QEMU's spelling: an integer value, sent to the VM as decimal text. */
	r = call(&c, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"requested-size\", \"value\": 4294967296}}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	assert_string_equal(fake.last_op, "qom-set");
	assert_string_equal(fake.last_id, "vm0");
	assert_string_equal(keyval_get(&fake.last_props, "requested-size"), "4294967296");
	/* A string goes as it is (the VM parses sizes). */
	r = call(&c, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"requested-size\", \"value\": \"4G\"}}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);
	assert_string_equal(keyval_get(&fake.last_props, "requested-size"), "4G");
	/* Errors: the VM's, and the request's. */
	r = call(&c, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"requested-size\", \"value\": \"bad\"}}");
	assert_error(r, "GenericError", "'requested-size' has to be multiples of 'block-size' (0x200000)");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm9\", "
		     "\"property\": \"size\"}}");
	assert_error(r, "DeviceNotFound", "Device 'vm9' not found");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"colour\"}}");
	assert_error(r, "GenericError", "Property 'virtio-mem-pci.colour' not found");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\"}}");
	assert_error(r, "GenericError", "Parameter 'property' is missing");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"requested-size\"}}");
	assert_error(r, "GenericError", "Parameter 'value' is missing");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"requested-size\", \"value\": [1]}}");
	assert_error(r, "GenericError", "Invalid parameter type for 'value', expected: a string, "
		     "number or boolean");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": 1, "
		     "\"property\": \"requested-size\", \"value\": 1}}");
	assert_error(r, "GenericError", "Invalid parameter type for 'path', expected: string");
	json_decref(r);
	r = call(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", "
		     "\"property\": \"size\", \"extra\": 1}}");
	assert_error(r, "GenericError", "Parameter 'extra' is unexpected");
	json_decref(r);
	close_client(&c);
}

/* mm/'s typed event, as the machine wires it (vm_control.c): any thread may send it. */
static void *emit_from_thread(void *arg)
{
	struct memory_device_event ev = { .kind = MEMORY_DEVICE_EVENT_DELETED, .id = "dimm1" };

	(void)arg;
	memory_device_event_send(&ev);
	return NULL;
}

/* Each typed event of mm/ as the QMP event plugvm sent before mm/ stopped building JSON:
 * QEMU's names, and the "data" member byte for byte as the monitor serializes it. */
static void test_memory_device_events_qmp(void **state)
{
	static const struct {
		struct memory_device_event ev;
		const char *name, *data;
	} cases[] = {
		{ { .kind = MEMORY_DEVICE_EVENT_DELETED, .id = "d1" }, "DEVICE_DELETED",
		  "{\"device\": \"d1\", \"path\": \"/machine/peripheral/d1\"}" },
		{ { .kind = MEMORY_DEVICE_EVENT_UNPLUG_ERROR, .id = "d2" },
		  "DEVICE_UNPLUG_GUEST_ERROR",
		  "{\"device\": \"d2\", \"path\": \"/machine/peripheral/d2\"}" },
		{ { .kind = MEMORY_DEVICE_EVENT_OST, .id = "d1", .slot = 2, .source = 3,
		    .status = 0x84 }, "ACPI_DEVICE_OST",
		  "{\"info\": {\"device\": \"d1\", \"slot\": \"2\", \"slot-type\": \"DIMM\", "
		  "\"source\": 3, \"status\": 132}}" },
		/* An _OST on an empty slot names no device. */
		{ { .kind = MEMORY_DEVICE_EVENT_OST, .id = "", .slot = 255, .source = 0x103,
		    .status = 0xffffffff }, "ACPI_DEVICE_OST",
		  "{\"info\": {\"device\": \"\", \"slot\": \"255\", \"slot-type\": \"DIMM\", "
		  "\"source\": 259, \"status\": 4294967295}}" },
		{ { .kind = MEMORY_DEVICE_EVENT_SIZE_CHANGE, .id = "vm0", .size = 4ULL << 30 },
		  "MEMORY_DEVICE_SIZE_CHANGE",
		  "{\"id\": \"vm0\", \"size\": 4294967296, \"qom-path\": "
		  "\"/machine/peripheral/vm0\"}" },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *data = memory_device_event_data(&cases[i].ev);
		char *text = json_dumps(data, JSON_ENCODE_ANY); /* as qmp_server.c's serialize */

		assert_string_equal(memory_device_event_name(&cases[i].ev), cases[i].name);
		assert_non_null(text);
		assert_string_equal(text, cases[i].data);
		free(text);
		json_decref(data);
	}
}

static void test_events(void **state)
{
	struct client a = open_client(true), b = open_client(true), quiet = open_client(false);
	pthread_t thread;
	json_t *ev, *r;
	time_t before = time(NULL);

	(void)state;
	pthread_create(&thread, NULL, emit_from_thread, NULL);
	pthread_join(thread, NULL);
	for (int i = 0; i < 2; i++) {
		ev = recv_msg(i ? &b : &a);
		assert_string_equal(json_string_value(json_object_get(ev, "event")), "DEVICE_DELETED");
		assert_reply_json(json_object_get(ev, "data"),
				  "{\"device\": \"dimm1\", \"path\": \"/machine/peripheral/dimm1\"}");
		assert_true(json_integer_value(json_object_get(json_object_get(ev, "timestamp"), "seconds")) >= before);
		assert_true(json_integer_value(json_object_get(json_object_get(ev, "timestamp"), "microseconds")) < 1000000);
		json_decref(ev);
	}
	/* No data: no "data" member. */
	qmp_emit_event("POWERDOWN", NULL);
	ev = recv_msg(&a);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "POWERDOWN");
	assert_null(json_object_get(ev, "data"));
	json_decref(ev);
	/* The client that has not negotiated saw nothing: its next message is the reply. */
	r = call(&quiet, "{\"execute\": \"qmp_capabilities\", \"id\": 1}");
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
	assert_int_equal(qmp_client_count(), 3);
	close_client(&a);
	close_client(&b);
	close_client(&quiet);
	assert_int_equal(qmp_client_count(), 0);
}

static void test_slow_client_dropped(void **state)
{
	struct client slow = open_client(true), fast = open_client(true);
	json_t *data = json_pack("{s:s}", "pad", "0123456789012345678901234567890123456789012345678901234567890123456789");

	(void)state;
	/* Far more than the socket buffer plus QMP_CLIENT_OUTBUF_MAX; never blocks. */
	for (int i = 0; i < 40000; i++) {
		qmp_emit_event("TEST", data);
		if (i % 100 == 0) {
			char buf[65536];

			while (recv(fast.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
			pump(1);
		}
	}
	json_decref(data);
	pump(5);
	assert_int_equal(qmp_client_count(), 1); /* the slow one is gone */
	close_client(&slow);
	close_client(&fast);
}

static void test_socket_file(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	qmp_close();
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_socket_mode_with_open_umask(void **state)
{
	char err[256], p2[100];
	mode_t old = umask(0);
	struct stat st;

	(void)state;
	snprintf(p2, sizeof(p2), "%s/open.sock", dir);
	assert_int_equal(qmp_listen(p2, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(p2, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_stale_and_live(void **state)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char err[256], p2[100];
	int fd;

	(void)state;
	/* The server from setup is live: a second listener must refuse. */
	assert_int_equal(qmp_listen(path, err, sizeof(err)), EXIT_BAD_USAGE);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "already listening"));
	/* A socket file nobody listens on is replaced. */
	snprintf(p2, sizeof(p2), "%s/stale.sock", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", p2);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(qmp_listen(p2, err, sizeof(err)), 0);
	fd = connect_to(p2);
	assert_true(fd >= 0);
	close(fd);
	/* A regular file is left alone. */
	snprintf(p2, sizeof(p2), "%s/plain", dir);
	fd = creat(p2, 0600);
	close(fd);
	assert_int_equal(qmp_listen(p2, err, sizeof(err)), EXIT_BAD_USAGE);
	assert_non_null(strstr(err, "is not a socket"));
	unlink(p2);
}

static unsigned long long ms_since(uint64_t t0)
{
	return (pv_now_ns() - t0) / 1000000ULL;
}

/* Everything the server sends until it closes the connection; fails if it
 * does not close within about a second. */
static void read_to_eof(int fd, struct strbuf *out)
{
	for (int i = 0; i < 500; i++) {
		char buf[4096];
		ssize_t n;

		event_loop_run_once(&loop, 2);
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			strbuf_append(out, buf, (size_t)n);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return;
	}
	fail_msg("the server did not close the connection; it sent '%s'", out->buf ? out->buf : "");
}

/* The one message a closed connection carried last: a QMP error whose
 * desc must be want. */
static void assert_closed_with_error(struct client *c, const char *want)
{
	size_t start, end;
	json_t *msg;

	read_to_eof(c->fd, &c->in);
	end = json_frame_next(c->in.buf, c->in.len, &start);
	if (!end)
		fail_msg("no complete message before the close: '%s'", c->in.buf ? c->in.buf : "");
	msg = json_loadb(c->in.buf + start, end - start, 0, NULL);
	assert_non_null(msg);
	assert_error(msg, "GenericError", want);
	json_decref(msg);
	assert_int_equal(c->in.len, end + 2); /* "\r\n" and then nothing */
	close(c->fd);
	strbuf_free(&c->in);
}

/* Sends len bytes without blocking, running the server meanwhile; stops
 * early when the server closes. Returns the bytes sent. */
static size_t send_pumping(int fd, const char *data, size_t len)
{
	size_t sent = 0;
	int idle = 0;

	while (sent < len && idle < 500) {
		ssize_t n = send(fd, data + sent, len - sent > 4096 ? 4096 : len - sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
			idle = 0;
			event_loop_run_once(&loop, 0);
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_loop_run_once(&loop, 2);
			idle++;
		} else {
			break; /* EPIPE / ECONNRESET: the server hung up */
		}
	}
	return sent;
}

/* Review finding 6: clients past the limit are told and closed, the
 * others keep working, a freed slot is reused, and the refusals are not
 * logged one line each. */
static void test_connection_limit(void **state)
{
	static struct client clients[QMP_MAX_CLIENTS];
	struct client extra = { 0 };
	unsigned log_lines = 0;
	char want[96], *log;
	json_t *r;

	(void)state;
	for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
		clients[i] = open_client(i % 2 == 0);
	assert_int_equal(qmp_client_count(), QMP_MAX_CLIENTS);
	snprintf(want, sizeof(want), "Too many QMP connections: the limit is %u", QMP_MAX_CLIENTS);

	/* 20 clients over the limit, with stderr caught to count log lines. */
	stderr_capture();
	for (int i = 0; i < 20; i++) {
		extra.fd = connect_to(path);
		if (extra.fd < 0)
			fail_msg("connect %d: %s", i, strerror(errno));
		assert_closed_with_error(&extra, want);
	}
	log = stderr_release();
	for (const char *p = log; p && (p = strstr(p, "QMP: refused a client")); p++)
		log_lines++;
	if (log_lines != 1)
		fail_msg("want 1 log line for 20 refusals, got %u: %s", log_lines, log);
	free(log);
	assert_int_equal(qmp_client_count(), QMP_MAX_CLIENTS);

	/* The first and last clients admitted still work. */
	r = call(&clients[0], "{\"execute\": \"query-name\", \"id\": 1}");
	assert_reply_json(r, "{\"return\": {\"name\": \"vm1\"}, \"id\": 1}");
	json_decref(r);
	r = call(&clients[QMP_MAX_CLIENTS - 1], "{\"execute\": \"qmp_capabilities\"}");
	assert_reply_json(r, "{\"return\": {}}");
	json_decref(r);

	/* One leaves: the next one is served. */
	close_client(&clients[3]);
	clients[3] = open_client(true);
	assert_int_equal(qmp_client_count(), QMP_MAX_CLIENTS);
	for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
		close_client(&clients[i]);
	assert_int_equal(qmp_client_count(), 0);
}

/* Review finding 6: with the process out of descriptors, accept fails
 * and the client stays queued, so the listener stays readable; the loop
 * must sleep, not call it again at once, and serve the client once
 * descriptors are back. */
static void test_accept_out_of_fds(void **state)
{
	struct client c = { .fd = connect_to(path) };
	struct rlimit old, low;
	unsigned rounds = 0;
	uint64_t t0;
	int lowest;
	json_t *g;

	(void)state;
	assert_true(c.fd >= 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	lowest = open("/dev/null", O_RDONLY); /* the fd accept would get */
	assert_true(lowest >= 0);
	close(lowest);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	t0 = pv_now_ns();
	while (ms_since(t0) < 200) {
		event_loop_run_once(&loop, 50);
		rounds++;
	}
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	print_message("%u loop rounds in 200 ms while accept failed with EMFILE\n", rounds);
	/* 200 ms of 50 ms waits is 4 rounds; a few more as the listener
	 * comes back every 100 ms and fails again. Spinning is thousands. */
	if (rounds > 40)
		fail_msg("the loop ran %u rounds in 200 ms while accept failed", rounds);
	assert_int_equal(qmp_client_count(), 0);
	g = recv_msg(&c);
	assert_non_null(json_object_get(g, "QMP"));
	json_decref(g);
	assert_int_equal(qmp_client_count(), 1);
	close_client(&c);
}

/* Review finding 7: a request past QMP_REQUEST_MAX gets an error naming
 * the limit and the connection is closed (the rest of it would otherwise
 * be read as new requests); one under the limit, arriving in many
 * pieces, is served. */
static void test_request_size_limit(void **state)
{
	static const char head[] = "{\"execute\": \"query-name\", \"id\": \"";
	size_t big = QMP_REQUEST_MAX / 2, total = QMP_REQUEST_MAX + 64 * 1024;
	char *buf = malloc(total), want[96];
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'a', total);
	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + big - 2, "\"}", 2);
	assert_int_equal(send_pumping(c.fd, buf, big), big);
	r = recv_msg(&c);
	assert_int_equal(json_string_length(json_object_get(r, "id")), big - 2 - (sizeof(head) - 1));
	json_decref(r);

	memset(buf + big - 2, 'a', 2);
	send_pumping(c.fd, buf, total);
	snprintf(want, sizeof(want), "JSON parse error, request longer than the limit of %u bytes",
		 QMP_REQUEST_MAX);
	assert_closed_with_error(&c, want);
	pump(2);
	assert_int_equal(qmp_client_count(), 0);
	free(buf);
}

static void test_nesting_limit(void **state)
{
	char text[2 * QMP_NESTING_MAX + 8], want[96];
	struct client c = open_client(true);
	json_t *r;

	(void)state;
	/* QMP_NESTING_MAX levels are framed (and refused as not an object). */
	memset(text, '[', QMP_NESTING_MAX);
	memset(text + QMP_NESTING_MAX, ']', QMP_NESTING_MAX);
	text[2 * QMP_NESTING_MAX] = '\0';
	r = call(&c, text);
	assert_error(r, "GenericError", "QMP input must be a JSON object");
	json_decref(r);
	/* One more is refused at once, before the text is complete. */
	memset(text, '[', QMP_NESTING_MAX + 1);
	text[QMP_NESTING_MAX + 1] = '\0';
	send_text(&c, text);
	snprintf(want, sizeof(want), "JSON parse error, nesting deeper than the limit of %u levels",
		 QMP_NESTING_MAX);
	assert_closed_with_error(&c, want);
	pump(2);
	assert_int_equal(qmp_client_count(), 0);
}

/* Found by fuzz_qmp: many requests and then a framing limit in one write, from a client
 * that reads nothing meanwhile. Every request still gets its reply, then the limit's
 * error, then the end: the server closes only once its output is out, although the
 * socket could not take it all at once (each small reply costs the unix socket far more
 * buffer than its bytes). */
static void test_replies_before_a_limit_are_not_lost(void **state)
{
	enum { REQUESTS = 2000 };
	size_t len = REQUESTS * 3 + QMP_NESTING_MAX + 1;
	char *text = malloc(len + 1), *p = text, *line, *eol;
	struct client c = open_client(true);
	unsigned errors = 0;
	bool eof = false;

	(void)state;
	assert_non_null(text);
	for (unsigned i = 0; i < REQUESTS; i++, p += 3)
		memcpy(p, "[]\n", 3); /* each refused: not an object */
	memset(p, '[', QMP_NESTING_MAX + 1);
	text[len] = '\0';
	assert_int_equal(write(c.fd, text, len), (ssize_t)len);
	pump(20); /* the server reads and answers while the client reads nothing */
	for (int i = 0; i < 5000 && !eof; i++) {
		char buf[4096];
		ssize_t n = recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			strbuf_append(&c.in, buf, (size_t)n);
		eof = n == 0;
		event_loop_run_once(&loop, 1);
	}
	assert_true(eof);
	strbuf_append(&c.in, "", 1); /* NUL-terminated */
	for (line = c.in.buf; (eol = strstr(line, "\r\n")); line = eol + 2) {
		json_t *r = json_loadb(line, (size_t)(eol - line), 0, NULL);
		const char *desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));

		assert_non_null(desc);
		if (strstr(desc, "must be a JSON object")) {
			errors++;
		} else {
			assert_int_equal(errors, REQUESTS);
			assert_non_null(strstr(desc, "nesting deeper than the limit"));
			errors++;
		}
		json_decref(r);
	}
	assert_int_equal(errors, REQUESTS + 1);
	pump(2);
	assert_int_equal(qmp_client_count(), 0);
	close(c.fd);
	strbuf_free(&c.in);
	free(text);
}

/* Reads from an HMP client until needle has appeared; fails after ~1 s. */
static void hmp_read_until(int fd, struct strbuf *in, const char *needle)
{
	for (int i = 0; i < 500; i++) {
		char buf[1024];
		ssize_t n;

		if (in->buf && strstr(in->buf, needle))
			return;
		event_loop_run_once(&loop, 2);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			strbuf_append(in, buf, (size_t)n);
	}
	fail_msg("no '%s' in '%s'", needle, in->buf ? in->buf : "");
}

static void test_hmp_connection_limit(void **state)
{
	static struct client clients[HMP_MAX_CLIENTS];
	char hmp_path[128], want[96], err[256];
	struct client extra = { 0 };

	(void)state;
	snprintf(hmp_path, sizeof(hmp_path), "%s/hmp.sock", dir);
	assert_int_equal(hmp_listen(&loop, &fake_ops, hmp_path, err, sizeof(err)), 0);
	for (unsigned i = 0; i < HMP_MAX_CLIENTS; i++) {
		clients[i] = (struct client){ .fd = connect_to(hmp_path) };
		assert_true(clients[i].fd >= 0);
		hmp_read_until(clients[i].fd, &clients[i].in, HMP_PROMPT);
	}
	extra.fd = connect_to(hmp_path);
	assert_true(extra.fd >= 0);
	read_to_eof(extra.fd, &extra.in);
	snprintf(want, sizeof(want), "Error: too many monitor connections: the limit is %u\r\n",
		 HMP_MAX_CLIENTS);
	assert_string_equal(extra.in.buf, want);
	close(extra.fd);
	strbuf_free(&extra.in);
	/* The admitted ones still work; a freed slot is reused. */
	assert_int_equal(write(clients[0].fd, "info status\n", 12), 12);
	hmp_read_until(clients[0].fd, &clients[0].in, "VM status: running\r\n");
	close_client(&clients[1]);
	clients[1] = (struct client){ .fd = connect_to(hmp_path) };
	hmp_read_until(clients[1].fd, &clients[1].in, HMP_PROMPT);
	for (unsigned i = 0; i < HMP_MAX_CLIENTS; i++)
		close_client(&clients[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_greeting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negotiation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_non_ascii_name_gets_a_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_request_gets_a_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_add_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_devices_by_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode_with_open_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_out_of_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nesting_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replies_before_a_limit_are_not_lost, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hmp_connection_limit, setup, teardown),
		cmocka_unit_test(test_memory_device_events_qmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
