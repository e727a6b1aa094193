/* plugctl end to end: the real binary against a QMP server with a fake VM,
 * whose event loop runs in a thread of this test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/qmp.h"
#include "strbuf.h"
#include "test_qmp_fake.h"

static struct event_loop loop;
static pthread_t loop_thread;
static atomic_bool stop;
static char dir[64], sock[96], plugctl[PATH_MAX];

static void *run_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		event_loop_run_once(&loop, 10);
	return NULL;
}

static int setup(void **state)
{
	char err[256], self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)state;
	if (n < 0)
		return -1;
	self[n] = '\0';
	/* Tests live in build/tests, tools in build/. */
	snprintf(plugctl, sizeof(plugctl), "%s/../plugctl", dirname(self));
	fake_reset_state();
	snprintf(dir, sizeof(dir), "/tmp/plugvm-plugctl-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/qmp.sock", dir);
	event_loop_init(&loop);
	if (qmp_init(&loop, &fake_ops, NULL, err, sizeof(err)) < 0 || qmp_listen(sock, err, sizeof(err)) < 0)
		return -1;
	atomic_store(&stop, false);
	return pthread_create(&loop_thread, NULL, run_loop, NULL);
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&stop, true);
	pthread_join(loop_thread, NULL);
	qmp_close();
	rmdir(dir);
	return 0;
}

struct result {
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
}

/* Runs plugctl; while it runs, emits `events` events every 20 ms. */
static struct result run(const char *const *args, bool events)
{
	struct result r = {0};
	int out[2], err[2], wstatus;
	const char *argv[16] = {plugctl};
	pid_t pid;

	for (int i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(plugctl, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while (events && waitpid(pid, &wstatus, WNOHANG) == 0) {
		json_t *data = json_pack("{s:s}", "device", "dimm1");

		qmp_emit_event("DEVICE_DELETED", data);
		json_decref(data);
		usleep(20000);
	}
	drain(out[0], &r.out);
	drain(err[0], &r.err);
	if (!events)
		waitpid(pid, &wstatus, 0);
	close(out[0]);
	close(err[0]);
	r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	return r;
}

static void free_result(struct result *r)
{
	strbuf_free(&r->out);
	strbuf_free(&r->err);
}

static bool have_plugctl(void)
{
	if (access(plugctl, X_OK) == 0)
		return true;
	fail_msg("%s is not built (it is part of the default build)", plugctl);
	return false;
}

static void test_hmp(void **state)
{
	struct result r;

	(void)state;
	if (!have_plugctl())
		skip();
	r = run((const char *const[]){sock, "info memory-devices", NULL}, false);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out.buf, "Memory device [dimm]: \"dimm1\"\n"
				       "  addr: 0x140000000\n"
				       "  slot: 0\n"
				       "  node: 1\n"
				       "  size: 1073741824\n"
				       "  memdev: /objects/mem1\n"
				       "  hotplugged: true\n"
				       "  hotpluggable: true\n"
				       "Memory device [virtio-mem]: \"vm0\"\n"
				       "  memaddr: 0x180000000\n"
				       "  node: 1\n"
				       "  requested-size: 1073741824\n"
				       "  size: 536870912\n"
				       "  max-size: 17179869184\n"
				       "  block-size: 2097152\n"
				       "  memdev: /objects/vmem0\n");
	free_result(&r);
	/* Words are joined, so quoting is optional. */
	r = run((const char *const[]){sock, "device_del", "nope", NULL}, false);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out.buf, "Error: Device 'nope' not found\n");
	free_result(&r);
	r = run((const char *const[]){sock, "device_add", "pc-dimm,id=d9,memdev=m9", NULL}, false);
	assert_int_equal(r.status, 0);
	assert_string_equal(keyval_get(&fake.last_props, "id"), "d9");
	free_result(&r);
}

static void test_raw(void **state)
{
	struct result r;

	(void)state;
	if (!have_plugctl())
		skip();
	r = run((const char *const[]){sock, "{\"execute\": \"query-status\", \"id\": 4}", NULL}, false);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out.buf, "{\"return\": {\"running\": true, \"singlestep\": false, "
				       "\"status\": \"running\"}, \"id\": 4}\n");
	free_result(&r);
	r = run((const char *const[]){sock, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"nope\"}}",
				      NULL}, false);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out.buf, "\"DeviceNotFound\""));
	assert_string_equal(r.err.buf, "plugctl: Device 'nope' not found\n");
	free_result(&r);
	r = run((const char *const[]){sock, "{\"execute\": \"qmp_capabilities\"}", NULL}, false);
	assert_int_equal(r.status, 0);
	free_result(&r);
	r = run((const char *const[]){sock, "{\"execute\": ", NULL}, false);
	assert_int_equal(r.status, 2);
	free_result(&r);
}

static void test_events(void **state)
{
	struct result r;
	const char *second;

	(void)state;
	if (!have_plugctl())
		skip();
	r = run((const char *const[]){sock, "--events", "--count", "2", "--timeout", "10", NULL}, true);
	assert_int_equal(r.status, 0);
	assert_true(strncmp(r.out.buf, "{\"event\": \"DEVICE_DELETED\"", 26) == 0);
	second = strchr(r.out.buf, '\n') + 1;
	assert_true(strncmp(second, "{\"event\": \"DEVICE_DELETED\"", 26) == 0);
	assert_string_equal(strchr(second, '\n'), "\n");
	free_result(&r);
	r = run((const char *const[]){"--count", "1", "--timeout", "0.2", sock, "--events", NULL}, false);
	assert_int_equal(r.status, 4);
	free_result(&r);
	r = run((const char *const[]){"--timeout", "0.2", sock, "--events", NULL}, false);
	assert_int_equal(r.status, 0);
	free_result(&r);
}

static void test_errors(void **state)
{
	char missing[128];
	struct result r;

	(void)state;
	if (!have_plugctl())
		skip();
	snprintf(missing, sizeof(missing), "%s/none.sock", dir);
	r = run((const char *const[]){missing, "info status", NULL}, false);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err.buf, "cannot connect to"));
	assert_non_null(strstr(r.err.buf, "No such file or directory"));
	free_result(&r);
	r = run((const char *const[]){NULL}, false);
	assert_int_equal(r.status, 2);
	free_result(&r);
	r = run((const char *const[]){sock, NULL}, false);
	assert_int_equal(r.status, 2);
	free_result(&r);
	r = run((const char *const[]){sock, "--events", "info status", NULL}, false);
	assert_int_equal(r.status, 2);
	free_result(&r);
	r = run((const char *const[]){"--help", NULL}, false);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out.buf, "EXIT STATUS"));
	free_result(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
