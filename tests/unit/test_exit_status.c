/*
 * Which exit status a setup step's failure asks for (README.md, "Exit status"):
 * EXIT_BAD_USAGE (2) only for what the command line asked for (a bad option, or what the
 * host cannot provide of it), EXIT_VMM_FAILURE (1) for plugvm's or the host's own failure
 * (out of memory, out of descriptors, an internal limit).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/boot.h"
#include "console.h"
#include "event_loop.h"
#include "machine.h"
#include "monitor/hmp.h"
#include "monitor/monitors.h"
#include "monitor/qmp.h"
#include "arch/x86/platform.h"
#include "test_bzimage_fake.h"
#include "uart.h"
#include "util.h"
#include "vm.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/plugvm-exit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

/* ---- boot_load_linux ---------------------------------------------------- */

/* The fake bzImage (a 44 KiB kernel, no payload) in dir/bzImage. */
static void write_kernel(char *path, size_t len)
{
	static uint8_t img[64 * 1024];
	int fd;

	fake_bzimage(img, sizeof(img));
	snprintf(path, len, "%s/bzImage", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, sizeof(img)), sizeof(img));
	close(fd);
}

#define RAM (128 * MiB)

static void test_boot_statuses(void **state)
{
	struct guest_layout layout = { .ram_size = RAM, .low_ram_end = RAM, .nr_ram = 1,
				       .ram = { { .gpa = 0, .size = RAM } }, .nr_nodes = 1 };
	uint8_t *mem = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_NORESERVE, -1, 0);
	struct boot_ram ram = { .map = { { .gpa = 0, .size = RAM, .hva = mem } }, .nr = 1 };
	char kernel[128], err[256], long_cmdline[4096];
	struct boot_request req = { .kernel_path = kernel, .cmdline = "console=ttyS0",
				    .layout = &layout, .ram = &ram };
	struct boot_result res;

	(void)state;
	assert_true(mem != MAP_FAILED);
	write_kernel(kernel, sizeof(kernel));
	assert_int_equal(boot_load_linux(&req, &res, err, sizeof(err)), 0);

	/* The command line's: -append too long for the kernel, a missing -initrd. */
	memset(long_cmdline, 'a', sizeof(long_cmdline) - 1);
	long_cmdline[sizeof(long_cmdline) - 1] = '\0';
	req.cmdline = long_cmdline;
	assert_int_equal(boot_load_linux(&req, &res, err, sizeof(err)), EXIT_BAD_USAGE);
	assert_non_null(strstr(err, "-append"));
	req.cmdline = "console=ttyS0";
	req.initrd_path = "/nonexistent/initrd";
	assert_int_equal(boot_load_linux(&req, &res, err, sizeof(err)), EXIT_BAD_USAGE);
	assert_non_null(strstr(err, "-initrd"));
	req.initrd_path = NULL;

	/* plugvm's own: boot RAM it set up without the first MiB (no command line can ask
	 * for that). */
	ram.map[0] = (struct boot_ram_map){ .gpa = MiB, .size = RAM - MiB, .hva = mem + MiB };
	assert_int_equal(boot_load_linux(&req, &res, err, sizeof(err)), EXIT_VMM_FAILURE);
	assert_non_null(strstr(err, "below 1 MiB"));
	munmap(mem, RAM);
}

/* ---- monitors ----------------------------------------------------------- */

static struct control_ops no_ops;

/* The lowest descriptor number not in use. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static void test_monitor_statuses(void **state)
{
	struct plugvm_config cfg = { .nr_qmp = 1, .qmp = { { .kind = CHARDEV_UNIX } } };
	struct event_loop loop;
	struct rlimit saved, low;
	char err[256];
	int fd, status;

	(void)state;
	/* A -qmp socket where a regular file is: the command line's. */
	snprintf(cfg.qmp[0].path, sizeof(cfg.qmp[0].path), "%s/file", dir);
	fd = open(cfg.qmp[0].path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	event_loop_init(&loop);
	assert_int_equal(monitors_init(&loop, &cfg, &no_ops, NULL, err, sizeof(err)),
			 EXIT_BAD_USAGE);
	assert_non_null(strstr(err, "not a socket"));

	/* QMP's eventfd with no descriptor left: the host's. */
	snprintf(cfg.qmp[0].path, sizeof(cfg.qmp[0].path), "%s/qmp.sock", dir);
	event_loop_init(&loop);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = (rlim_t)lowest_free_fd();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	status = monitors_init(&loop, &cfg, &no_ops, NULL, err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(status, EXIT_VMM_FAILURE);
	assert_non_null(strstr(err, "eventfd"));

	/* A -monitor socket when the main loop's table is full: plugvm's limit. */
	event_loop_init(&loop);
	while (event_loop_add(&loop, 0, 0, NULL, NULL) == 0)
		;
	snprintf(cfg.qmp[0].path, sizeof(cfg.qmp[0].path), "%s/hmp.sock", dir);
	assert_int_equal(hmp_listen(&loop, &no_ops, cfg.qmp[0].path, err, sizeof(err)),
			 EXIT_VMM_FAILURE);
	assert_non_null(strstr(err, "no room"));
	hmp_close();
}

/* ---- -serial ------------------------------------------------------------ */

static void test_console_statuses(void **state)
{
	static struct machine m;
	struct chardev_config cfg = { .kind = CHARDEV_FILE };
	struct console c;
	struct uart u;
	char err[256];

	(void)state;
	event_loop_init(&m.loop);
	/* A -serial file where none can be created: the command line's. */
	snprintf(cfg.path, sizeof(cfg.path), "%s/no/such/dir/log", dir);
	assert_int_equal(console_open(&c, &m, &cfg, &u, err, sizeof(err)), EXIT_BAD_USAGE);
	/* A -serial socket when the main loop's table is full: plugvm's limit. */
	while (event_loop_add(&m.loop, 0, 0, NULL, NULL) == 0)
		;
	cfg.kind = CHARDEV_UNIX;
	snprintf(cfg.path, sizeof(cfg.path), "%s/serial.sock", dir);
	assert_int_equal(console_open(&c, &m, &cfg, &u, err, sizeof(err)), EXIT_VMM_FAILURE);
	assert_non_null(strstr(err, "event loop is full"));
	assert_int_equal(access(cfg.path, F_OK), -1); /* nothing left behind */
}

/* ---- -object ------------------------------------------------------------ */

static void test_backend_statuses(void **state)
{
	struct plugvm_config cfg = { .nr_objects = 1 };
	static struct machine m;
	char err[256];

	(void)state;
	/* An -object the host cannot provide is the command line's. */
	assert_int_equal(keyval_set(&cfg.objects[0], "qom-type", "memory-backend-file"), 0);
	assert_int_equal(keyval_set(&cfg.objects[0], "id", "m0"), 0);
	assert_int_equal(keyval_set(&cfg.objects[0], "size", "2M"), 0);
	assert_int_equal(keyval_set(&cfg.objects[0], "mem-path", "/nonexistent/dir/file"), 0);
	machine_init(&m, &cfg);
	assert_int_equal(vm_create_backends(&m, err, sizeof(err)), EXIT_BAD_USAGE);
	backend_registry_clear(&m.backends);
	keyval_free(&cfg.objects[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_boot_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_statuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
