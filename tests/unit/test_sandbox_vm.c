/*
 * A whole plugvm under the sandbox (issue 17, finding 1, item 7): sandbox-vm-child
 * (tests/unit/sandbox_vm_child.c) is plugvm's main() on a fake /dev/kvm with a scripted
 * guest, with the real threads, the real monitors and the real filter; linked
 * statically in the release build, as plugvm is.
 *
 * This test is the user: over QMP and HMP it hot-adds a ram, a memfd and a file DIMM
 * (and a file outside the sandbox's directories, which must fail with an error), runs
 * every query, removes all three through the guest's eject, types on the console (the
 * guest echoes), makes the guest panic (-action panic=pause: vCPUs stopped with
 * pthread_kill and joined), and quits. plugvm must exit 3 without a blocked call, with
 * Seccomp 2 already at each vCPU's first KVM_RUN, and leave no socket file behind.
 * Run with Landlock and again with seccomp alone (PLUGVM_SANDBOX_LANDLOCK=0).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exit_status.h"
#include "test_bzimage_fake.h"
#include "util.h"

/* ---- the user (parent) --------------------------------------------------------------- */

static char dir[64], inside[96], outside[96], qsock[128], hsock[128], kernel[128];
static char child_program[PATH_MAX];

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

static pid_t child_pid;
static int child_in = -1, child_out = -1, child_err = -1;
static char console[16384], errors[16384];
static size_t console_len, errors_len;

static void drain(int fd, char *buf, size_t *len, size_t cap)
{
	ssize_t n;

	while (*len < cap - 1 && (n = read(fd, buf + *len, cap - 1 - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = 0;
}

/* Takes whatever the child wrote on its console and stderr. */
static void collect(void)
{
	drain(child_out, console, &console_len, sizeof(console));
	drain(child_err, errors, &errors_len, sizeof(errors));
}

static void give_up(const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	collect();
	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		child_pid = 0;
	}
	fail_msg("%s\nplugvm stderr:\n%s\nconsole:\n%s", what, errors, console);
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	for (int tries = 0; tries < 500; tries++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		collect();
		usleep(20 * 1000);
	}
	give_up("cannot connect to %s", path);
	return -1;
}

/* Reads until needle is in c->buf (10 s); returns where it starts. */
static char *wait_for(struct conn *c, const char *needle, size_t from)
{
	for (int waited = 0; waited < 10000; waited += 20) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		char *at;

		c->buf[c->len] = 0;
		if ((at = strstr(c->buf + from, needle)))
			return at;
		collect();
		if (poll(&p, 1, 20) > 0) {
			ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

			if (n <= 0)
				give_up("monitor closed while waiting for '%s'", needle);
			c->len += (size_t)n;
		}
	}
	give_up("no '%s' from the monitor; got: %s", needle, c->buf + from);
	return NULL;
}

/* One QMP command; the reply's line (a "return" or an "error"). */
static char *qmp(struct conn *q, const char *fmt, ...)
{
	static char line[8192];
	char cmd[1024];
	size_t from = q->len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strcat(cmd, "\n");
	if (write(q->fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		give_up("QMP write: %s", strerror(errno));
	for (;;) {
		char *r = wait_for(q, "\n", from), *start = q->buf + from;

		from = (size_t)(r - q->buf) + 1;
		if (strncmp(start, "{\"return\"", 9) == 0 || strncmp(start, "{\"error\"", 8) == 0) {
			snprintf(line, sizeof(line), "%.*s", (int)(r - start), start);
			return line;
		}
	}
}

static void qmp_ok(struct conn *q, const char *fmt, ...)
{
	char cmd[1024], *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = qmp(q, "%s", cmd);
	if (strncmp(r, "{\"return\"", 9) != 0)
		give_up("%s: %s", cmd, r);
}

static void hmp(struct conn *h, const char *cmd, const char *want)
{
	size_t from = h->len;

	if (write(h->fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) || write(h->fd, "\n", 1) != 1)
		give_up("HMP write: %s", strerror(errno));
	wait_for(h, "(plugvm) ", from + 1);
	if (want && !strstr(h->buf + from, want))
		give_up("HMP %s: no '%s' in %s", cmd, want, h->buf + from);
}

static void wait_console(const char *needle)
{
	for (int waited = 0; waited < 10000; waited += 20) {
		collect();
		if (strstr(console, needle))
			return;
		usleep(20 * 1000);
	}
	give_up("the console never showed '%s'", needle);
}

static void type_on_console(const char *text)
{
	if (write(child_in, text, strlen(text)) != (ssize_t)strlen(text))
		give_up("console write: %s", strerror(errno));
}

/* Hot-adds a DIMM of backend id (made by object-add props) and waits for the guest's
 * _OST. */
static void plug(struct conn *q, const char *props, const char *id, const char *dimm)
{
	char want[96];
	size_t from = q->len;

	qmp_ok(q, "{\"execute\":\"object-add\",\"arguments\":{%s,\"id\":\"%s\",\"size\":268435456}}",
	       props, id);
	qmp_ok(q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\",\"id\":\"%s\","
	       "\"memdev\":\"%s\"}}", dimm, id);
	snprintf(want, sizeof(want), "\"device\": \"%s\"", dimm);
	wait_for(q, "ACPI_DEVICE_OST", from);
	wait_for(q, want, from);
}

static void unplug(struct conn *q, const char *id, const char *dimm)
{
	char want[96];
	size_t from = q->len;

	qmp_ok(q, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"%s\"}}", dimm);
	snprintf(want, sizeof(want), "\"DEVICE_DELETED\"");
	wait_for(q, want, from);
	qmp_ok(q, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"%s\"}}", id);
}

static void start_plugvm(bool landlock)
{
	static uint8_t img[64 * 1024];
	char qarg[160], harg[160], sbarg[160];
	int in[2], out[2], err[2], fd;

	snprintf(dir, sizeof(dir), "/tmp/plugvm-sbvm-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(inside, sizeof(inside), "%s/mem", dir);
	snprintf(outside, sizeof(outside), "%s/elsewhere", dir);
	assert_int_equal(mkdir(inside, 0700), 0);
	assert_int_equal(mkdir(outside, 0700), 0);
	snprintf(qsock, sizeof(qsock), "%s/qmp.sock", dir);
	snprintf(hsock, sizeof(hsock), "%s/hmp.sock", dir);
	snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
	fake_bzimage(img, sizeof(img));
	fd = open(kernel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, sizeof(img)), sizeof(img));
	close(fd);
	snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", qsock);
	snprintf(harg, sizeof(harg), "unix:%s,server=on,wait=off", hsock);
	snprintf(sbarg, sizeof(sbarg), "on,mem-path=%s", inside);
	char *argv[] = { "plugvm", "-kernel", kernel, "-kernel-unpack", "guest",
			 "-m", "512M,slots=4,maxmem=4G", "-smp", "2", "-serial", "stdio",
			 "-qmp", qarg, "-monitor", harg, "-action", "panic=pause",
			 "-sandbox", sbarg, NULL };

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	fflush(stdout);
	fflush(stderr);
	child_pid = fork();
	assert_true(child_pid >= 0);
	if (child_pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		if (!landlock)
			setenv("PLUGVM_SANDBOX_LANDLOCK", "0", 1);
		argv[0] = child_program;
		execv(child_program, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	child_in = in[1];
	child_out = out[0];
	child_err = err[0];
	fcntl(child_out, F_SETFL, O_NONBLOCK);
	fcntl(child_err, F_SETFL, O_NONBLOCK);
	console_len = errors_len = 0;
	console[0] = errors[0] = 0;
}

static void whole_vm(bool landlock)
{
	static struct conn qc, hc;
	struct conn *q = &qc, *h = &hc;
	char props[256], *r;
	int status = 0;
	struct stat st;

	memset(q, 0, sizeof(*q));
	memset(h, 0, sizeof(*h));
	start_plugvm(landlock);
	q->fd = connect_to(qsock);
	wait_for(q, "\"QMP\"", 0);
	qmp_ok(q, "{\"execute\":\"qmp_capabilities\"}");
	wait_console("guest: ready");

	/* every backend kind, hot-added and onlined by the guest */
	plug(q, "\"qom-type\":\"memory-backend-ram\"", "mram", "dram");
	plug(q, "\"qom-type\":\"memory-backend-memfd\"", "mfd", "dfd");
	snprintf(props, sizeof(props), "\"qom-type\":\"memory-backend-file\",\"mem-path\":\"%s\","
		 "\"share\":true,\"discard-data\":true", inside);
	plug(q, props, "mfile", "dfile");
	/* outside the sandbox's directories: an error, and plugvm goes on */
	if (landlock) {
		r = qmp(q, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"
			"\"memory-backend-file\",\"id\":\"mout\",\"size\":268435456,"
			"\"mem-path\":\"%s\"}}", outside);
		if (!strstr(r, "\"error\"") || !strstr(r, "Permission denied") || !strstr(r, "the sandbox"))
			give_up("object-add outside the sandbox's directories: %s", r);
	}

	/* every query */
	r = qmp(q, "{\"execute\":\"query-memory-devices\"}");
	if (!strstr(r, "\"dram\"") || !strstr(r, "\"dfd\"") || !strstr(r, "\"dfile\""))
		give_up("query-memory-devices: %s", r);
	static const char *const queries[] = {
		"query-version", "query-status", "query-name", "query-commands", "query-memdev",
		"query-memory-size-summary", "query-acpi-ospm-status",
	};
	for (size_t i = 0; i < ARRAY_SIZE(queries); i++)
		qmp_ok(q, "{\"execute\":\"%s\"}", queries[i]);
	qmp_ok(q, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":"
	       "\"info memory-devices\"}}");
	h->fd = connect_to(hsock);
	wait_for(h, "(plugvm) ", 0);
	hmp(h, "info memory-devices", "dfile");
	hmp(h, "info memdev", "mfd");
	hmp(h, "info numa", NULL);
	hmp(h, "info status", "running");
	hmp(h, "info version", NULL);
	hmp(h, "help", NULL);

	/* all three removed through the guest's _EJ0 (in the vCPU thread) */
	unplug(q, "mram", "dram");
	unplug(q, "mfd", "dfd");
	unplug(q, "mfile", "dfile");
	/* and once more through HMP */
	hmp(h, "object_add memory-backend-ram,id=mh,size=128M", NULL);
	hmp(h, "device_add pc-dimm,id=dh,memdev=mh", NULL);
	wait_for(q, "\"dh\"", 0);
	hmp(h, "device_del dh", NULL);
	wait_for(q, "DEVICE_DELETED", (size_t)(strstr(q->buf, "\"dh\"") - q->buf));
	hmp(h, "object_del mh", NULL);
	qmp_ok(q, "{\"execute\":\"system_powerdown\"}");

	/* the console both ways */
	type_on_console("x");
	wait_console("x");
	/* a guest panic with panic=pause: the main thread stops the vCPUs (pthread_kill,
	 * pthread_join) and the monitors answer on */
	size_t from = q->len;
	type_on_console("p");
	wait_for(q, "GUEST_PANICKED", from);
	r = qmp(q, "{\"execute\":\"query-status\"}");
	if (!strstr(r, "guest-panicked"))
		give_up("query-status after the panic: %s", r);
	hmp(h, "info status", "guest-panicked");
	qmp(q, "{\"execute\":\"quit\"}");

	for (int waited = 0; waited < 10000 && waitpid(child_pid, &status, WNOHANG) == 0;
	     waited += 20) {
		collect();
		usleep(20 * 1000);
	}
	collect();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != EXIT_GUEST_CRASHED || strstr(errors, "blocked"))
		give_up("plugvm ended with status 0x%x (want exit %d)", status, EXIT_GUEST_CRASHED);
	child_pid = 0;
	/* the socket files were removed at exit, from inside the sandbox */
	if (stat(qsock, &st) == 0 || stat(hsock, &st) == 0)
		give_up("a monitor socket file was left behind");
	close(q->fd);
	close(h->fd);
	close(child_in);
	close(child_out);
	close(child_err);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_whole_vm_landlock_and_seccomp(void **state)
{
	(void)state;
	whole_vm(true);
}

static void test_whole_vm_seccomp_only(void **state)
{
	(void)state;
	whole_vm(false);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];

	(void)argc;
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(child_program, sizeof(child_program), "%s/sandbox-vm-child", dirname(self));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_whole_vm_landlock_and_seccomp, teardown),
		cmocka_unit_test_teardown(test_whole_vm_seccomp_only, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
