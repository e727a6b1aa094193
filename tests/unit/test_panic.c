/*
 * A guest kernel panic (docs/options.md, "-action: when the guest panics"):
 * - the serial-line watch finds Linux's panic lines in a byte stream, however the
 *   guest's writes split them, and nothing else;
 * - the machine does what -action panic= says: shutdown ends the VM with status 3 and
 *   reason guest-panic, pause stops the vCPUs while the monitors serve (query-status
 *   "guest-panicked") and any later end still exits 3, none only reports;
 * - a guest that panics with panic=N and then resets is reported as a panic;
 * - -action's keys as QEMU spells them, and the values plugvm cannot honour refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "config.h"
#include "machine.h"
#include "options.h"
#include "panic_watch.h"

static enum panic_watch_seen feed(struct panic_watch *w, const char *text)
{
	enum panic_watch_seen last = PANIC_WATCH_NOTHING;

	for (const char *p = text; *p; p++) {
		enum panic_watch_seen seen = panic_watch_feed(w, (uint8_t)*p);

		if (seen != PANIC_WATCH_NOTHING)
			last = seen;
	}
	return last;
}

static void test_watch_finds_the_lines(void **state)
{
	static const struct {
		const char *text;
		enum panic_watch_seen want;
	} cases[] = {
		{ "[    4.401234] Kernel panic - not syncing: Fatal exception in interrupt\r\n",
		  PANIC_WATCH_STARTED },
		{ "[    4.409999] ---[ end Kernel panic - not syncing: Fatal exception in interrupt ]---\r\n",
		  PANIC_WATCH_ENDED },
		/* printk.time off, caller id on, \n alone */
		{ "[  T1] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---\n",
		  PANIC_WATCH_ENDED },
		{ "Kernel panic - not syncing: VFS: Unable to mount root fs\n", PANIC_WATCH_STARTED },
		/* not a panic */
		{ "[    1.0] kernel: panic=-1 set\r\n", PANIC_WATCH_NOTHING },
		{ "Kernel panic - not syncin\r\ng: x\r\n", PANIC_WATCH_NOTHING },
		{ "no newline yet: ---[ end Kernel panic - not syncing: x ]---", PANIC_WATCH_NOTHING },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct panic_watch w;

		panic_watch_init(&w);
		assert_int_equal(feed(&w, cases[i].text), cases[i].want);
	}
}

static void test_watch_state_across_lines(void **state)
{
	struct panic_watch w;
	char longline[PANIC_WATCH_LINE_MAX * 3];

	(void)state;
	panic_watch_init(&w);
	assert_false(panic_watch_started(&w));
	/* A line longer than the buffer is judged by its start and then forgotten:
	 * the next line is read from its own first byte. */
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(feed(&w, longline), PANIC_WATCH_NOTHING);
	assert_int_equal(feed(&w, "\r\n"), PANIC_WATCH_NOTHING);
	/* A NUL inside the line does not hide what follows it. */
	assert_int_equal(panic_watch_feed(&w, 'a'), PANIC_WATCH_NOTHING);
	assert_int_equal(panic_watch_feed(&w, '\0'), PANIC_WATCH_NOTHING);
	assert_int_equal(feed(&w, "Kernel panic - not syncing: x\r"), PANIC_WATCH_STARTED);
	assert_true(panic_watch_started(&w));
	assert_int_equal(feed(&w, "\n"), PANIC_WATCH_NOTHING); /* \r\n is one line end */
	assert_int_equal(feed(&w, "CPU: 0 PID: 1 Comm: sh\r\n"), PANIC_WATCH_NOTHING);
	assert_int_equal(feed(&w, "---[ end Kernel panic - not syncing: x ]---\r\n"),
			 PANIC_WATCH_ENDED);
}

static void test_watch_stalls(void **state)
{
	static const char *const lines[] = {
		"[   52.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [sh:93]\r\n",
		"[   60.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\r\n",
		"[   61.0] rcu: INFO: rcu_preempt self-detected stall on CPU\r\n",
		"[  123.0] INFO: task sh:93 blocked for more than 120 seconds.\r\n",
		"NMI watchdog: Watchdog detected hard LOCKUP on cpu 1\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct panic_watch w;

		panic_watch_init(&w);
		assert_int_equal(feed(&w, lines[i]), PANIC_WATCH_STALL);
		assert_false(panic_watch_started(&w));
		assert_non_null(strstr(lines[i], panic_watch_last_line(&w)));
	}
}

static struct plugvm_config cfg;
static struct machine m;

static void start_machine(enum panic_action action)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.panic_action = action;
	machine_init(&m, &cfg);
}

static void serial(const char *text)
{
	for (const char *p = text; *p; p++)
		machine_watch_serial(&m, (uint8_t)*p);
}

static const char *reason(void)
{
	static char name[32];
	json_t *data = machine_shutdown_event(&m);

	snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(data, "reason")));
	json_decref(data);
	return name;
}

static void test_panic_shutdown(void **state)
{
	(void)state;
	start_machine(PANIC_ACTION_SHUTDOWN);
	serial("Kernel panic - not syncing: Fatal exception\r\n");
	assert_false(machine_stopping(&m)); /* the backtrace is still to come */
	assert_null(machine_take_panic_event(&m));
	serial("---[ end Kernel panic - not syncing: Fatal exception ]---\r\n");
	assert_true(machine_stopping(&m));
	assert_false(machine_vcpus_may_run(&m));
	assert_int_equal(m.exit_status, EXIT_GUEST_CRASHED);
	assert_string_equal(reason(), "guest-panic");
	assert_string_equal(m.stop_message, "guest panicked (kernel panic on the serial line)");
	assert_string_equal(machine_take_panic_event(&m), "poweroff");
	assert_null(machine_take_panic_event(&m)); /* once */
	/* pvpanic speaking too changes nothing */
	machine_guest_panicked(&m, "pvpanic");
	assert_null(machine_take_panic_event(&m));
	assert_string_equal(m.stop_message, "guest panicked (kernel panic on the serial line)");
}

static void test_panic_pvpanic_first(void **state)
{
	(void)state;
	start_machine(PANIC_ACTION_SHUTDOWN);
	machine_guest_panicked(&m, "pvpanic");
	assert_string_equal(m.stop_message, "guest panicked (pvpanic)");
	serial("---[ end Kernel panic - not syncing: x ]---\r\n");
	assert_string_equal(m.stop_message, "guest panicked (pvpanic)");
	assert_int_equal(m.exit_status, EXIT_GUEST_CRASHED);
}

static void test_panic_pause(void **state)
{
	(void)state;
	start_machine(PANIC_ACTION_PAUSE);
	assert_string_equal(machine_run_state(&m), "running");
	machine_guest_panicked(&m, "pvpanic");
	assert_false(machine_stopping(&m)); /* the monitors serve on */
	assert_false(machine_vcpus_may_run(&m));
	assert_string_equal(machine_run_state(&m), "guest-panicked");
	assert_string_equal(machine_take_panic_event(&m), "pause");
	/* quit ends it, and the guest still counts as crashed */
	machine_request_shutdown(&m, STOP_HOST_QMP_QUIT, EXIT_GUEST_DONE, "quit");
	assert_true(machine_stopping(&m));
	assert_string_equal(machine_run_state(&m), "shutdown");
	assert_string_equal(reason(), "host-qmp-quit");
	assert_int_equal(m.exit_status, EXIT_GUEST_CRASHED);
}

static void test_panic_none(void **state)
{
	(void)state;
	start_machine(PANIC_ACTION_NONE);
	serial("Kernel panic - not syncing: x\r\n---[ end Kernel panic - not syncing: x ]---\r\n");
	assert_true(machine_vcpus_may_run(&m));
	assert_string_equal(machine_run_state(&m), "running");
	assert_string_equal(machine_take_panic_event(&m), "run");
	/* and a reset after it is an ordinary reset */
	machine_request_shutdown(&m, STOP_GUEST_RESET, EXIT_GUEST_DONE, "guest rebooted");
	assert_string_equal(reason(), "guest-reset");
	assert_int_equal(m.exit_status, EXIT_GUEST_DONE);
}

/* panic=N: the kernel prints the first line, waits, and resets. */
/* A lockup storm: every stall counted, the VM runs on, no panic event; the note on
 * stderr comes once per 10 s, with the guest's escape sequence made harmless. */
static void test_stall_counted(void **state)
{
	(void)state;
	start_machine(PANIC_ACTION_SHUTDOWN);
	for (int i = 0; i < 50; i++)
		serial("[ 52.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [x\x1b[2J]\r\n");
	assert_int_equal(atomic_load(&m.guest_stalls), 50);
	assert_true(machine_vcpus_may_run(&m));
	assert_false(machine_stopping(&m));
	assert_null(machine_take_panic_event(&m));
}

static void test_panic_then_reset(void **state)
{
	(void)state;
	start_machine(PANIC_ACTION_SHUTDOWN);
	serial("[    4.4] Kernel panic - not syncing: Fatal exception\r\n[    4.5] Rebooting in 1 seconds..\r\n");
	machine_request_shutdown(&m, STOP_GUEST_RESET, EXIT_GUEST_DONE, "guest rebooted");
	assert_string_equal(reason(), "guest-panic");
	assert_int_equal(m.exit_status, EXIT_GUEST_CRASHED);
	assert_string_equal(m.stop_message,
			    "guest panicked (kernel panic on the serial line), then rebooted");

	/* without a panic line a reset stays a reset */
	start_machine(PANIC_ACTION_SHUTDOWN);
	serial("reboot: Restarting system\r\n");
	machine_request_shutdown(&m, STOP_GUEST_RESET, EXIT_GUEST_DONE, "guest rebooted");
	assert_string_equal(reason(), "guest-reset");
	assert_int_equal(m.exit_status, EXIT_GUEST_DONE);
}

static int parse(const char *action, struct plugvm_config *out)
{
	char *argv[] = { "plugvm", "-kernel", "/dev/null", "-action", (char *)action, NULL };

	memset(out, 0, sizeof(*out));
	return options_parse(5, argv, out);
}

static void test_action_option(void **state)
{
	static const struct {
		const char *arg;
		int ret;
		enum panic_action action;
	} cases[] = {
		{ "panic=shutdown", 0, PANIC_ACTION_SHUTDOWN },
		{ "panic=exit-failure", 0, PANIC_ACTION_SHUTDOWN },
		{ "panic=pause", 0, PANIC_ACTION_PAUSE },
		{ "panic=none", 0, PANIC_ACTION_NONE },
		{ "reboot=shutdown,shutdown=poweroff", 0, PANIC_ACTION_SHUTDOWN },
		{ "reboot=shutdown,panic=none", 0, PANIC_ACTION_NONE },
		{ "panic=debug", -1, 0 },
		{ "reboot=reset", -1, 0 },
		{ "shutdown=pause", -1, 0 },
		{ "watchdog=pause", -1, 0 },
		{ "pause", -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct plugvm_config c;
		int ret = parse(cases[i].arg, &c);

		assert_int_equal(ret != 0 ? -1 : 0, cases[i].ret);
		if (ret == 0)
			assert_int_equal(c.panic_action, cases[i].action);
		options_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_finds_the_lines),
		cmocka_unit_test(test_watch_state_across_lines),
		cmocka_unit_test(test_panic_shutdown),
		cmocka_unit_test(test_panic_pvpanic_first),
		cmocka_unit_test(test_panic_pause),
		cmocka_unit_test(test_panic_none),
		cmocka_unit_test(test_panic_then_reset),
		cmocka_unit_test(test_watch_stalls),
		cmocka_unit_test(test_stall_counted),
		cmocka_unit_test(test_action_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
