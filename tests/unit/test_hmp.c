/* HMP: command parsing, QEMU's exact output text, and line editing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "monitor/hmp.h"
#include "strbuf.h"
#include "test_qmp_fake.h"

static int setup(void **state)
{
	(void)state;
	fake_reset_state();
	return 0;
}

static void expect_output(const char *line, const char *want)
{
	char *out = hmp_execute(&fake_ops, line);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_info_memory_devices(void **state)
{
	(void)state;
	expect_output("info memory-devices", "Memory device [dimm]: \"dimm1\"\r\n"
					     "  addr: 0x140000000\r\n"
					     "  slot: 0\r\n"
					     "  node: 1\r\n"
					     "  size: 1073741824\r\n"
					     "  memdev: /objects/mem1\r\n"
					     "  hotplugged: true\r\n"
					     "  hotpluggable: true\r\n"
					     /* QEMU 7.2's lines for a virtio-mem device */
					     "Memory device [virtio-mem]: \"vm0\"\r\n"
					     "  memaddr: 0x180000000\r\n"
					     "  node: 1\r\n"
					     "  requested-size: 1073741824\r\n"
					     "  size: 536870912\r\n"
					     "  max-size: 17179869184\r\n"
					     "  block-size: 2097152\r\n"
					     "  memdev: /objects/vmem0\r\n");
}

/* QEMU prints memory devices by address: a virtio-mem device below the DIMM first. */
static void test_info_memory_devices_by_address(void **state)
{
	(void)state;
	fake.vm0_memaddr = 0x100000000ULL;
	expect_output("info memory-devices", "Memory device [virtio-mem]: \"vm0\"\r\n"
					     "  memaddr: 0x100000000\r\n"
					     "  node: 1\r\n"
					     "  requested-size: 1073741824\r\n"
					     "  size: 536870912\r\n"
					     "  max-size: 17179869184\r\n"
					     "  block-size: 2097152\r\n"
					     "  memdev: /objects/vmem0\r\n"
					     "Memory device [dimm]: \"dimm1\"\r\n"
					     "  addr: 0x140000000\r\n"
					     "  slot: 0\r\n"
					     "  node: 1\r\n"
					     "  size: 1073741824\r\n"
					     "  memdev: /objects/mem1\r\n"
					     "  hotplugged: true\r\n"
					     "  hotpluggable: true\r\n");
}

static void test_qom(void **state)
{
	(void)state;
	expect_output("qom-get vm0 requested-size", "1073741824\r\n");
	expect_output("qom-get /machine/peripheral/vm0 memdev", "\"/objects/vmem0\"\r\n");
	expect_output("qom-get vm0 prealloc", "true\r\n");
	expect_output("qom-get vm9 size", "Error: Device 'vm9' not found\r\n");
	expect_output("qom-get vm0 colour", "Error: Property 'virtio-mem-pci.colour' not found\r\n");
	expect_output("qom-get vm0", "qom-get: string expected\r\nTry \"help qom-get\" for more information\r\n");
	expect_output("qom-get vm0 size x", "qom-get: extraneous characters at the end of line\r\n"
					    "Try \"help qom-get\" for more information\r\n");
	/* The value is the rest of the line, as QEMU's; sizes are the VM's to parse. */
	expect_output("qom-set vm0 requested-size 4G", "");
	assert_string_equal(fake.last_op, "qom-set");
	assert_string_equal(fake.last_id, "vm0");
	assert_string_equal(keyval_get(&fake.last_props, "requested-size"), "4G");
	expect_output("qom-set -j vm0 requested-size 4294967296", "");
	assert_string_equal(keyval_get(&fake.last_props, "requested-size"), "4294967296");
	expect_output("qom-set -j vm0 requested-size \"1G\"", "");
	assert_string_equal(keyval_get(&fake.last_props, "requested-size"), "1G");
	expect_output("qom-set -j vm0 requested-size [1]", "Error: JSON parse error, "
		      "expected a string, number or boolean\r\n");
	expect_output("qom-set vm0 requested-size bad",
		      "Error: 'requested-size' has to be multiples of 'block-size' (0x200000)\r\n");
	expect_output("qom-set nope requested-size 1G", "Error: Device 'nope' not found\r\n");
	expect_output("qom-set vm0 requested-size", "qom-set: string expected\r\n"
		      "Try \"help qom-set\" for more information\r\n");
}

static void test_info_memdev(void **state)
{
	(void)state;
	expect_output("info memdev", "memory backend: mem1\r\n"
				     "  size:  1073741824\r\n"
				     "  merge: true\r\n"
				     "  dump: true\r\n"
				     "  prealloc: false\r\n"
				     "  share: false\r\n"
				     "  reserve: true\r\n"
				     "  policy: default\r\n"
				     "  host nodes: \r\n"
				     "\r\n");
}

static void test_info_numa(void **state)
{
	(void)state;
	expect_output("info numa", "2 nodes\r\n"
				   "node 0 cpus: 0\r\n"
				   "node 0 size: 512 MB\r\n"
				   "node 0 plugged: 0 MB\r\n"
				   "node 1 cpus: 1 2\r\n"
				   /* the DIMM and what vm0 has plugged (512 MiB) */
				   "node 1 size: 2048 MB\r\n"
				   "node 1 plugged: 1536 MB\r\n");
}

static void test_info_misc(void **state)
{
	(void)state;
	expect_output("info status", "VM status: running\r\n");
	fake.running = false;
	expect_output("  info   status  ", "VM status: paused (shutdown)\r\n");
	fake.panicked = true; /* -action panic=pause after a guest panic */
	expect_output("info status", "VM status: paused (guest-panicked)\r\n");
	fake.panicked = false;
	expect_output("info memory_size_summary",
		      "base memory: 1073741824\r\nplugged memory: 1073741824\r\n");
	expect_output("info version", "7.2.0 (plugvm " PLUGVM_VERSION ")\r\n");
	hmp_set_vm_name("guest0");
	expect_output("info name", "guest0\r\n");
	hmp_set_vm_name(NULL);
	expect_output("info name", "");
	expect_output("info foo", "unknown command: 'info foo'\r\n");
	expect_output("info status now",
		      "info: extraneous characters at the end of line\r\n"
		      "Try \"help info\" for more information\r\n");
}

static void test_object_add(void **state)
{
	(void)state;
	expect_output("object_add memory-backend-ram,id=mem2,size=1G", "");
	assert_string_equal(fake.last_op, "object_add");
	assert_string_equal(keyval_get(&fake.last_props, "qom-type"), "memory-backend-ram");
	assert_string_equal(keyval_get(&fake.last_props, "id"), "mem2");
	assert_string_equal(keyval_get(&fake.last_props, "size"), "1G");
	expect_output("object_add qom-type=memory-backend-file,id=f,mem-path=/tmp/x,,y\r\n", "");
	assert_string_equal(keyval_get(&fake.last_props, "mem-path"), "/tmp/x,y");
	expect_output("object_add memory-backend-ram,size=1G", "Error: Parameter 'id' is missing\r\n");
	expect_output("object_add memory-backend-ram,id=a,id=b",
		      "Error: parameter 'id' is given more than once\r\n");
	expect_output("object_add", "object_add: string expected\r\n"
				    "Try \"help object_add\" for more information\r\n");
	expect_output("object_add memory-backend-ram,id=dup,size=1G",
		      "Error: attempt to add duplicate property 'dup' to object (type 'container')\r\n");
	expect_output("object_del mem2", "");
	assert_string_equal(fake.last_op, "object_del");
	assert_string_equal(fake.last_id, "mem2");
}

/* An error quoting the line is cut at sizeof(control_error.desc) bytes; cut inside a UTF-8
 * character, the output was not UTF-8 and QMP's human-monitor-command, which returns it as
 * a JSON string, sent "" instead of the error (found by tests/fuzz/fuzz_hmp). */
static void test_error_cut_inside_a_utf8_character(void **state)
{
	char line[300];
	char *out;
	size_t len = 0;
	json_t *s;

	(void)state;
	len = (size_t)snprintf(line, sizeof(line), "object_add ,");
	/* "Error: " is not in desc; "empty parameter (stray ',') in '," is 33 bytes of it. */
	for (unsigned i = 0; i < 201; i++)
		line[len++] = 'a';
	for (unsigned i = 0; i < 20; i++) {
		line[len++] = (char)0xc3; /* U+00E9 */
		line[len++] = (char)0xa9;
	}
	line[len] = '\0';
	out = hmp_execute(&fake_ops, line);
	assert_non_null(out);
	assert_true(strncmp(out, "Error: empty parameter (stray ',') in ',aaa", 43) == 0);
	assert_true(strlen(out) >= 2 && strcmp(out + strlen(out) - 2, "\r\n") == 0);
	s = json_string(out);
	assert_non_null(s); /* valid UTF-8 */
	json_decref(s);
	free(out);
}

static void test_device_add_del(void **state)
{
	(void)state;
	expect_output("device_add pc-dimm,id=dimm2,memdev=mem2,node=1", "");
	assert_string_equal(fake.last_op, "device_add");
	assert_string_equal(keyval_get(&fake.last_props, "driver"), "pc-dimm");
	assert_string_equal(keyval_get(&fake.last_props, "id"), "dimm2");
	assert_string_equal(keyval_get(&fake.last_props, "memdev"), "mem2");
	assert_string_equal(keyval_get(&fake.last_props, "node"), "1");
	expect_output("device_add \"pc-dimm,id=q,memdev=m\"", "");
	assert_string_equal(keyval_get(&fake.last_props, "id"), "q");
	expect_output("device_add", "Error: Parameter 'driver' is missing\r\n");
	expect_output("device_add pc-dimm,id=x extra",
		      "device_add: extraneous characters at the end of line\r\n"
		      "Try \"help device_add\" for more information\r\n");
	expect_output("device_del dimm1", "");
	assert_string_equal(fake.last_id, "dimm1");
	expect_output("device_del nope", "Error: Device 'nope' not found\r\n");
	expect_output("device_del", "device_del: string expected\r\n"
				    "Try \"help device_del\" for more information\r\n");
	expect_output("device_del a b", "device_del: extraneous characters at the end of line\r\n"
					"Try \"help device_del\" for more information\r\n");
	expect_output("device_del \"dimm1", "device_del: string expected\r\n"
					    "Try \"help device_del\" for more information\r\n");
}

static void test_machine_commands(void **state)
{
	(void)state;
	expect_output("system_powerdown", "");
	expect_output("system_reset", "");
	expect_output("quit", "");
	expect_output("q", "");
	assert_int_equal(fake.powerdowns, 1);
	assert_int_equal(fake.resets, 1);
	assert_int_equal(fake.quits, 2);
	expect_output("quit now", "quit: extraneous characters at the end of line\r\n"
				  "Try \"help quit\" for more information\r\n");
	assert_int_equal(fake.quits, 2);
}

static void test_unknown_and_help(void **state)
{
	char *out;

	(void)state;
	expect_output("frobnicate 1", "unknown command: 'frobnicate'\r\n");
	expect_output("", "");
	expect_output("   ", "");
	expect_output("help device_del", "device_del device -- remove device\r\n");
	expect_output("help info status",
		      "info status  -- show the current VM status (running|paused)\r\n");
	expect_output("help nothing", "unknown command: 'nothing'\r\n");
	out = hmp_execute(&fake_ops, "help");
	assert_non_null(strstr(out, "object_add [qom-type=]type,id=str[,prop=value][,...] -- create QOM object\r\n"));
	assert_non_null(strstr(out, "quit|q  -- quit the emulator\r\n"));
	free(out);
	out = hmp_execute(&fake_ops, "info");
	assert_non_null(strstr(out, "info memory-devices  -- show memory devices\r\n"));
	free(out);
}

/* ---- line editing ---- */

static struct strbuf session_out;

static void capture(void *opaque, const char *text, size_t len)
{
	(void)opaque;
	strbuf_append(&session_out, text, len);
}

static void feed(struct hmp_session *s, const char *text)
{
	hmp_session_input(s, (const uint8_t *)text, strlen(text));
}

static void test_session_editing(void **state)
{
	struct hmp_session *s = hmp_session_new(&fake_ops, true, capture, NULL);

	(void)state;
	strbuf_free(&session_out);
	hmp_session_start(s);
	assert_string_equal(session_out.buf, "plugvm " PLUGVM_VERSION
				 " monitor - type 'help' for more information\r\n(plugvm) ");
	strbuf_consume(&session_out, session_out.len);
	/* Backspace removes the typo; an arrow key is swallowed; \r\n is one line. */
	feed(s, "info statx\x7fu\x1b[Ds\r");
	feed(s, "\n");
	assert_string_equal(session_out.buf, "info statx\b \bu" "s\r\nVM status: running\r\n(plugvm) ");
	strbuf_consume(&session_out, session_out.len);
	/* Two lines in one read, and a bare \n. */
	feed(s, "quit\nq\n");
	assert_int_equal(fake.quits, 2);
	strbuf_consume(&session_out, session_out.len);
	feed(s, "\x08\x08\x03");
	assert_int_equal((int)session_out.len, 0);
	hmp_session_free(s);

	s = hmp_session_new(&fake_ops, false, capture, NULL);
	feed(s, "info status\r\n");
	assert_string_equal(session_out.buf, "VM status: running\r\n(plugvm) ");
	hmp_session_free(s);
	strbuf_free(&session_out);
}

/* ---- unix socket front end ---- */

static void read_until(struct event_loop *loop, int fd, struct strbuf *in, const char *needle,
		       unsigned occurrences)
{
	for (int i = 0; i < 400; i++) {
		char buf[512];
		ssize_t n;
		unsigned found = 0;

		for (const char *p = in->buf; p && (p = strstr(p, needle)); p += strlen(needle))
			found++;
		if (found >= occurrences)
			return;
		event_loop_run_once(loop, 5);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			strbuf_append(in, buf, (size_t)n);
	}
	fail_msg("no '%s' in '%s'", needle, in->buf ? in->buf : "");
}

static void test_socket_server(void **state)
{
	char dir[] = "/tmp/plugvm-hmp-XXXXXX", path[96], err[256];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct event_loop loop;
	struct strbuf in = {0};
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mon.sock", dir);
	event_loop_init(&loop);
	assert_int_equal(hmp_listen(&loop, &fake_ops, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	read_until(&loop, fd, &in, HMP_PROMPT, 1);
	assert_non_null(strstr(in.buf, "monitor - type 'help' for more information\r\n"));
	assert_int_equal(write(fd, "info memory-devices\n", 20), 20);
	read_until(&loop, fd, &in, HMP_PROMPT, 2);
	assert_non_null(strstr(in.buf, "(plugvm) info memory-devices\r\nMemory device [dimm]: \"dimm1\"\r\n"));
	close(fd);
	for (int i = 0; i < 5; i++)
		event_loop_run_once(&loop, 5);
	hmp_close();
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	rmdir(dir);
	strbuf_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_info_memory_devices, setup),
		cmocka_unit_test_setup(test_info_memory_devices_by_address, setup),
		cmocka_unit_test_setup(test_qom, setup),
		cmocka_unit_test_setup(test_info_memdev, setup),
		cmocka_unit_test_setup(test_info_numa, setup),
		cmocka_unit_test_setup(test_info_misc, setup),
		cmocka_unit_test_setup(test_object_add, setup),
		cmocka_unit_test_setup(test_error_cut_inside_a_utf8_character, setup),
		cmocka_unit_test_setup(test_device_add_del, setup),
		cmocka_unit_test_setup(test_machine_commands, setup),
		cmocka_unit_test_setup(test_unknown_and_help, setup),
		cmocka_unit_test_setup(test_session_editing, setup),
		cmocka_unit_test_setup(test_socket_server, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
