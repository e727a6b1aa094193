/*
 * How the VM stops (issue 13, items 1 and 2):
 *
 * - The SHUTDOWN event names the cause the stopping code gave, as QEMU names it
 *   (ShutdownCause): {"guest": bool, "reason": cause}. Each cause, then the real
 *   callers that a test can reach without KVM: the guest's power and reset ports, the
 *   monitors' quit and system_reset, and a signal.
 * - vm_create's errors exit 1 for a host or VMM failure and 2 for a bad command line or
 *   a configuration the host cannot provide (README.md, "Exit status"): the memory
 *   devices' step, driven with its real failures (a taken I/O port, a thread that cannot
 *   be created, KVM refusing a DIMM's slot, a -device naming no backend).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "machine.h"
#include "monitor/control.h"
#include "arch/x86/platform.h"
#include "arch/x86/power.h"
#include "util.h"
#include "vm.h"
#include "vm_control.h"

/*
 * The memmap warm-up's thread is the only one plugvm creates while it sets up the
 * machine (vCPU threads come later): while fail_thread_creation is set, creating a
 * thread fails as it does when the host is out of threads or memory; otherwise it is the
 * real call (the sanitizers' when they are on).
 */
static bool fail_thread_creation;

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

	if (fail_thread_creation)
		return EAGAIN;
	*(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
	return real ? real(thread, attr, fn, arg) : ENOSYS;
}

static struct plugvm_config cfg;
static struct machine m;

static int setup(void **state)
{
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ram_size = 512 * MiB;
	cfg.slots = 2;
	cfg.maxmem = 512 * MiB + 1 * GiB;
	cfg.nr_cpus = 1;
	machine_init(&m, &cfg);
	assert_int_equal(layout_compute(&cfg, 46, &m.layout, err, sizeof(err)), 0);
	fail_thread_creation = false;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&m);
	for (unsigned i = 0; i < cfg.nr_objects; i++)
		keyval_free(&cfg.objects[i]);
	for (unsigned i = 0; i < cfg.nr_devices; i++)
		keyval_free(&cfg.devices[i]);
	return 0;
}

/* The SHUTDOWN event's data for the machine as it stands, checked field by field. */
static void assert_shutdown_event(const char *reason, bool guest)
{
	json_t *data = machine_shutdown_event(&m);

	assert_non_null(data);
	assert_string_equal(json_string_value(json_object_get(data, "reason")), reason);
	assert_true(json_is_boolean(json_object_get(data, "guest")));
	assert_int_equal(json_is_true(json_object_get(data, "guest")), guest);
	assert_int_equal(json_object_size(data), 2);
	json_decref(data);
}

/* What each cause makes of the event: QEMU's name, and "guest" for the guest's own. */
static void test_each_cause_names_its_reason(void **state)
{
	static const struct {
		enum stop_cause cause;
		int status;
		const char *reason;
		bool guest;
	} cases[] = {
		{ STOP_HOST_ERROR, EXIT_VMM_FAILURE, "host-error", false },
		{ STOP_HOST_QMP_QUIT, EXIT_GUEST_DONE, "host-qmp-quit", false },
		{ STOP_HOST_QMP_SYSTEM_RESET, EXIT_GUEST_DONE, "host-qmp-system-reset", false },
		{ STOP_HOST_SIGNAL, EXIT_GUEST_DONE, "host-signal", false },
		{ STOP_HOST_UI, EXIT_GUEST_DONE, "host-ui", false },
		{ STOP_GUEST_SHUTDOWN, EXIT_GUEST_DONE, "guest-shutdown", true },
		{ STOP_GUEST_RESET, EXIT_GUEST_DONE, "guest-reset", true },
		/* A triple fault: QEMU's guest reset, a crash by plugvm's exit status. */
		{ STOP_GUEST_RESET, EXIT_GUEST_CRASHED, "guest-reset", true },
		{ STOP_GUEST_PANIC, EXIT_GUEST_CRASHED, "guest-panic", true },
	};
	bool seen[STOP_CAUSE_COUNT] = { false };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char message[32];

		snprintf(message, sizeof(message), "case %zu", i);
		machine_init(&m, &cfg);
		machine_request_shutdown(&m, cases[i].cause, cases[i].status, "case %zu", i);
		assert_true(machine_stopping(&m));
		assert_int_equal(m.exit_status, cases[i].status);
		assert_string_equal(m.stop_message, message);
		assert_shutdown_event(cases[i].reason, cases[i].guest);
		seen[cases[i].cause] = true;
	}
	for (unsigned c = 0; c < STOP_CAUSE_COUNT; c++)
		assert_true(seen[c]);
}

/* The first request decides cause, status and message; later ones (a vCPU that fails
 * while the main loop is already ending the VM) change nothing. */
static void test_first_request_wins(void **state)
{
	(void)state;
	machine_request_shutdown(&m, STOP_GUEST_SHUTDOWN, EXIT_GUEST_DONE, "guest powered off");
	machine_request_shutdown(&m, STOP_HOST_ERROR, EXIT_VMM_FAILURE, "vCPU 0: KVM_RUN: %s",
				 "Bad address");
	assert_int_equal(m.exit_status, EXIT_GUEST_DONE);
	assert_string_equal(m.stop_message, "guest powered off");
	assert_shutdown_event("guest-shutdown", true);
}

static void guest_writes(uint16_t port, uint8_t value)
{
	bus_dispatch(&m.pio_bus, port, true, &value, 1);
}

/* The guest's ports (power.c), each on a fresh machine. */
static void test_guest_ports(void **state)
{
	static const struct {
		uint16_t port;
		uint8_t value;
		int status;
		const char *reason;
	} cases[] = {
		{ SLEEP_CONTROL_PORT, 0x20 | 5 << 2, EXIT_GUEST_DONE, "guest-shutdown" }, /* S5 */
		{ RESET_CONTROL_PORT, 0x06, EXIT_GUEST_DONE, "guest-reset" },
		{ I8042_STATUS_PORT, 0xfe, EXIT_GUEST_DONE, "guest-reset" },
		{ PVPANIC_PORT, 0x01, EXIT_GUEST_CRASHED, "guest-panic" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		machine_init(&m, &cfg); /* a machine of its own: no ports claimed */
		assert_int_equal(power_init(&m), 0);
		guest_writes(cases[i].port, cases[i].value);
		assert_true(machine_stopping(&m));
		assert_int_equal(m.exit_status, cases[i].status);
		assert_shutdown_event(cases[i].reason, true);
	}
}

/* quit and system_reset, as QMP and HMP call them. */
static void test_monitor_commands(void **state)
{
	struct control_ops ops = { 0 };

	(void)state;
	vm_control_machine_ops(&m, &ops);
	assert_string_equal(ops.run_state(ops.opaque), "running");
	ops.system_reset(ops.opaque);
	assert_string_equal(ops.run_state(ops.opaque), "shutdown");
	assert_int_equal(m.exit_status, EXIT_GUEST_DONE);
	assert_shutdown_event("host-qmp-system-reset", false);

	machine_init(&m, &cfg);
	ops.quit(ops.opaque);
	assert_int_equal(m.exit_status, EXIT_GUEST_DONE);
	assert_shutdown_event("host-qmp-quit", false);
}

/* SIGTERM (kill, systemd stopping the service) through the main loop's signalfd. */
static void test_signal(void **state)
{
	(void)state;
	assert_int_equal(vm_watch_signals(&m), 0);
	assert_int_equal(raise(SIGTERM), 0); /* blocked now: it waits for the signalfd */
	event_loop_run_once(&m.loop, 1000);
	assert_true(machine_stopping(&m));
	assert_int_equal(m.exit_status, EXIT_GUEST_DONE);
	assert_shutdown_event("host-signal", false);
}

static void ignore_io(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	(void)opaque;
	(void)offset;
	(void)is_write;
	(void)data;
	(void)size;
}

static void add_option(struct keyval_list *list, unsigned *nr, const char *text,
		       const char *implied)
{
	char err[256];

	assert_int_equal(keyval_parse(text, implied, &list[*nr], err, sizeof(err)), 0);
	(*nr)++;
}

/* A device that took the hotplug registers' ports first: plugvm's own fault. */
static void test_port_conflict_is_a_host_failure(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(bus_register(&m.pio_bus, MEMHP_IO_BASE, 1, ignore_io, NULL), 0);
	assert_int_equal(vm_setup_memory_devices(&m, err, sizeof(err)), EXIT_VMM_FAILURE);
	assert_non_null(strstr(err, "I/O port conflict"));
}

/* The warm-up thread cannot be created: the host's failure, not the command line's. */
static void test_warmup_thread_failure_is_a_host_failure(void **state)
{
	char err[512] = "";

	(void)state;
	fail_thread_creation = true;
	assert_int_equal(vm_setup_memory_devices(&m, err, sizeof(err)), EXIT_VMM_FAILURE);
	fail_thread_creation = false;
	assert_non_null(strstr(err, "memmap warm-up thread"));
}

/* A -device whose memdev no -object defines: the command line's error. */
static void test_bad_device_is_a_command_line_error(void **state)
{
	char err[512] = "";

	(void)state;
	add_option(cfg.devices, &cfg.nr_devices, "pc-dimm,id=d1,memdev=nope", "driver");
	assert_int_equal(vm_setup_memory_devices(&m, err, sizeof(err)), EXIT_BAD_USAGE);
	assert_non_null(strstr(err, "-device"));
}

/* A good -device that KVM refuses to map (here: there is no VM at all): a host failure,
 * although it comes back through the same -device error. */
static void test_kvm_refusing_a_dimm_is_a_host_failure(void **state)
{
	char err[512] = "";

	(void)state;
	add_option(cfg.objects, &cfg.nr_objects, "memory-backend-ram,id=m1,size=256M",
		   "qom-type");
	add_option(cfg.devices, &cfg.nr_devices, "pc-dimm,id=d1,memdev=m1", "driver");
	assert_int_equal(vm_create_backends(&m, err, sizeof(err)), 0);
	assert_int_equal(vm_setup_memory_devices(&m, err, sizeof(err)), EXIT_VMM_FAILURE);
	assert_non_null(strstr(err, "KVM refused"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_cause_names_its_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_request_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_conflict_is_a_host_failure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_warmup_thread_failure_is_a_host_failure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_device_is_a_command_line_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kvm_refusing_a_dimm_is_a_host_failure, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
