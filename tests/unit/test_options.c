/*
 * options_parse: every rule of docs/options.md, good and bad. Errors are
 * checked for the return code, for being exactly one "plugvm: " line on
 * stderr, and for naming the option and the problem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "acpi/acpi.h"
#include "options.h"
#include "util.h"
#include "vm.h"

static struct plugvm_config cfg;
static char out_text[8192]; /* what the last parse wrote to stdout */
static char err_text[8192]; /* ... and to stderr */

static void read_back(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs options_parse with stdout and stderr captured. */
static int parse_argv(char **argv)
{
	int argc = 0, rc, saved_out, saved_err;
	FILE *out = tmpfile(), *err = tmpfile();

	assert_non_null(out);
	assert_non_null(err);
	while (argv[argc])
		argc++;
	options_free(&cfg);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	rc = options_parse(argc, argv, &cfg);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	read_back(out, out_text, sizeof(out_text));
	read_back(err, err_text, sizeof(err_text));
	return rc;
}

#define ARGV(...) ((char *[]){"plugvm", __VA_ARGS__, NULL})
/* Parses and expects success. */
#define OK(...) expect_ok(ARGV(__VA_ARGS__))
/* Parses and expects one error line containing each of the needles. */
#define BAD(needles, ...) expect_error(needles, ARGV(__VA_ARGS__))
#define K "-kernel", "bzImage"

static void expect_ok(char **argv)
{
	int rc = parse_argv(argv);

	if (rc != 0)
		fail_msg("rejected (rc %d): %s", rc, err_text);
}

/* needles: '|'-separated substrings that must all be in the message. */
static void expect_error(const char *needles, char **argv)
{
	int rc = parse_argv(argv);
	char copy[256];

	if (rc != 2)
		fail_msg("expected an error about '%s', got rc %d", needles, rc);
	if (strncmp(err_text, "plugvm: ", 8) != 0)
		fail_msg("error does not start with 'plugvm: ': '%s'", err_text);
	const char *nl = strchr(err_text, '\n');
	if (!nl || nl[1] != '\0')
		fail_msg("not exactly one line: '%s'", err_text);
	snprintf(copy, sizeof(copy), "%s", needles);
	for (char *save, *n = strtok_r(copy, "|", &save); n; n = strtok_r(NULL, "|", &save))
		if (!strstr(err_text, n))
			fail_msg("error '%s' does not mention '%s'", err_text, n);
	/* Nothing allocated is left behind after an error. */
	assert_null(cfg.name);
	assert_int_equal(cfg.nr_objects, 0);
	assert_int_equal(cfg.nr_devices, 0);
}

static int teardown(void **state)
{
	(void)state;
	options_free(&cfg);
	return 0;
}

/* ---- basics ---- */

static void test_defaults(void **state)
{
	(void)state;
	OK(K);
	assert_string_equal(cfg.kernel, "bzImage");
	assert_null(cfg.initrd);
	assert_null(cfg.append);
	assert_null(cfg.name);
	assert_null(cfg.dump_acpi_dir);
	assert_int_equal(cfg.ram_size, 512 * MiB);
	assert_false(cfg.ram_size_given);
	assert_int_equal(cfg.slots, 0);
	assert_int_equal(cfg.maxmem, 512 * MiB);
	assert_int_equal(cfg.nr_cpus, 1);
	assert_false(cfg.nographic);
	assert_int_equal(cfg.serial.kind, CHARDEV_STDIO);
	assert_int_equal(cfg.nr_qmp, 0);
	assert_int_equal(cfg.nr_monitor, 0);
	assert_int_equal(cfg.nr_numa, 0);
	assert_int_equal(cfg.nr_objects, 0);
	assert_int_equal(cfg.nr_devices, 0);
	assert_int_equal(config_cpu_node(&cfg, 0), 0);
	assert_string_equal(err_text, "");
}

static void test_kernel_initrd_append(void **state)
{
	(void)state;
	OK("-kernel", "/boot/vmlinuz", "-initrd", "/boot/initrd", "-append", "console=ttyS0 quiet");
	assert_string_equal(cfg.kernel, "/boot/vmlinuz");
	assert_string_equal(cfg.initrd, "/boot/initrd");
	assert_string_equal(cfg.append, "console=ttyS0 quiet");
	OK(K, "-append", "");
	assert_string_equal(cfg.append, "");

	BAD("-kernel", "-m", "1G");
	BAD("-kernel|more than once", K, "-kernel", "other");
	BAD("-initrd|more than once", K, "-initrd", "a", "-initrd", "b");
	BAD("-append|more than once", K, "-append", "a", "-append", "b");
	BAD("-kernel|requires an argument", "-kernel");
	BAD("-initrd|requires an argument", K, "-initrd");
}

static void test_sandbox(void **state)
{
	(void)state;
	OK(K);
	assert_true(cfg.sandbox); /* on unless turned off (QEMU: off unless asked) */
	assert_null(cfg.sandbox_mem_path);
	OK(K, "-sandbox", "on");
	assert_true(cfg.sandbox);
	OK(K, "-sandbox", "off");
	assert_false(cfg.sandbox);
	OK(K, "-sandbox", "on,mem-path=/srv/vm-mem");
	assert_true(cfg.sandbox);
	assert_string_equal(cfg.sandbox_mem_path, "/srv/vm-mem");
	OK(K, "-sandbox", "enable=on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
	assert_true(cfg.sandbox);
	BAD("-sandbox|'maybe'|expected on or off", K, "-sandbox", "maybe");
	BAD("-sandbox|spawn=allow|always denied", K, "-sandbox", "on,spawn=allow");
	BAD("-sandbox|elevateprivileges=children", K, "-sandbox", "on,elevateprivileges=children");
	BAD("-sandbox|'colour'", K, "-sandbox", "on,colour=red");
	BAD("-sandbox|more than once", K, "-sandbox", "on", "-sandbox", "off");
	BAD("-sandbox|mem-path=/x|only with the sandbox on", K, "-sandbox", "off,mem-path=/x");
	BAD("-sandbox|directory is required", K, "-sandbox", "on,mem-path=");
}

static void test_kernel_unpack(void **state)
{
	(void)state;
	OK(K);
	assert_false(cfg.kernel_unpack_guest); /* plugvm unpacks by default */
	OK(K, "-kernel-unpack", "host");
	assert_false(cfg.kernel_unpack_guest);
	OK(K, "-kernel-unpack", "guest");
	assert_true(cfg.kernel_unpack_guest);
	BAD("-kernel-unpack|'auto'|expected host or guest", K, "-kernel-unpack", "auto");
	BAD("-kernel-unpack|more than once", K, "-kernel-unpack", "host", "-kernel-unpack", "guest");
	BAD("-kernel-unpack|requires an argument", K, "-kernel-unpack");
}

static void test_dump_acpi(void **state)
{
	(void)state;
	/* The tables do not depend on a kernel, so none is needed. */
	OK("--dump-acpi", "/tmp/acpi");
	assert_string_equal(cfg.dump_acpi_dir, "/tmp/acpi");
	assert_null(cfg.kernel);
	OK("-dump-acpi", "/tmp/acpi", K);
	BAD("--dump-acpi|more than once", "--dump-acpi", "a", "--dump-acpi", "b");
}

static void test_double_dash(void **state)
{
	(void)state;
	OK("--kernel", "k", "--m", "1G", "--smp", "2", "--nographic", "--name", "x");
	assert_string_equal(cfg.kernel, "k");
	assert_int_equal(cfg.ram_size, GiB);
	assert_int_equal(cfg.nr_cpus, 2);
	assert_true(cfg.nographic);
	assert_string_equal(cfg.name, "x");
	BAD("---kernel|invalid option", "---kernel", "k");
}

static void test_help_version(void **state)
{
	(void)state;
	assert_int_equal(parse_argv(ARGV("-h")), 1);
	assert_non_null(strstr(out_text, "Usage"));
	assert_non_null(strstr(out_text, "-kernel"));
	assert_non_null(strstr(out_text, "-numa"));
	assert_string_equal(err_text, "");
	assert_int_equal(parse_argv(ARGV("--help")), 1);
	assert_non_null(strstr(out_text, "Usage"));
	assert_int_equal(parse_argv(ARGV("-help")), 1);
	/* Help wins even without -kernel, and ends parsing at once. */
	assert_int_equal(parse_argv(ARGV("-m", "1G", "-h", "-bogus")), 1);

	assert_int_equal(parse_argv(ARGV("--version")), 1);
	assert_true(strncmp(out_text, "plugvm version " PLUGVM_VERSION "\n", 16 + strlen(PLUGVM_VERSION)) == 0);
	assert_int_equal(parse_argv(ARGV("-version")), 1);
	assert_non_null(strstr(out_text, "plugvm version"));
	assert_int_equal(cfg.nr_objects, 0);
}

static void test_unknown_options(void **state)
{
	(void)state;
	BAD("-foo|invalid option", K, "-foo");
	BAD("--foo|invalid option", K, "--foo");
	BAD("-|invalid option", K, "-");
	BAD("disk.img|unexpected argument", K, "disk.img");
	BAD("-hda|invalid option", K, "-hda", "disk.img");
}

static void test_compat_options(void **state)
{
	(void)state;
	OK(K, "-enable-kvm", "-accel", "kvm", "-cpu", "host", "-display", "none");
	OK(K, "--enable-kvm", "-accel", "accel=kvm");
	OK(K, "-no-reboot");
	BAD("-accel|'tcg'|KVM", K, "-accel", "tcg");
	BAD("-cpu|'qemu64'", K, "-cpu", "qemu64");
	BAD("-cpu|'host,+x2apic'", K, "-cpu", "host,+x2apic");
	BAD("-display|'gtk'", K, "-display", "gtk");
	BAD("-machine|q35|fixed machine", K, "-machine", "q35");
	BAD("-M|pc", K, "-M", "pc");
}

/* ---- -m ---- */

static void test_memory_size(void **state)
{
	(void)state;
	OK(K, "-m", "1G");
	assert_int_equal(cfg.ram_size, GiB);
	assert_true(cfg.ram_size_given);
	assert_int_equal(cfg.maxmem, GiB);
	OK(K, "-m", "1024"); /* bare number: MiB */
	assert_int_equal(cfg.ram_size, GiB);
	OK(K, "-m", "size=2g");
	assert_int_equal(cfg.ram_size, 2 * GiB);
	OK(K, "-m", "1.5G");
	assert_int_equal(cfg.ram_size, 3 * GiB / 2);
	OK(K, "-m", "1.5");
	assert_int_equal(cfg.ram_size, 3 * MiB / 2);
	OK(K, "-m", "524288K");
	assert_int_equal(cfg.ram_size, 512 * MiB);
	OK(K, "-m", "1001K"); /* QEMU rounds up to 8 KiB */
	assert_int_equal(cfg.ram_size, 126 * 8 * KiB);
	OK(K, "-m", "0"); /* QEMU: zero means "the default" */
	assert_int_equal(cfg.ram_size, 512 * MiB);
	assert_false(cfg.ram_size_given);

	expect_error("-m|'xyz' is not a valid size", ARGV(K, "-m", "xyz"));
	assert_string_equal(err_text, "plugvm: -m: 'xyz' is not a valid size\r\n");
	BAD("-m|'-1'", K, "-m", "-1");
	BAD("-m|'1X'", K, "-m", "1X");
	/* A bad value is reported before a missing -kernel. */
	expect_error("-m|'1Q' is not a valid size", ARGV("-m", "1Q"));
	assert_null(strstr(err_text, "-kernel"));
	BAD("-m|''", K, "-m", "");
	BAD("-m|''|not a valid size", K, "-m", "size=");
	BAD("-m|'17592186044416'", K, "-m", "17592186044416"); /* 2^64 bytes */
	BAD("-m|too large", K, "-m", "18446744073709551615B");
	BAD("-m|'foo'", K, "-m", "1G,foo=1");
	BAD("-m|more than once", K, "-m", "1G", "-m", "2G");
	BAD("-m|'size'", K, "-m", "1G,size=2G");
}

static void test_memory_hotplug(void **state)
{
	(void)state;
	OK(K, "-m", "1G,slots=4,maxmem=8G");
	assert_int_equal(cfg.ram_size, GiB);
	assert_int_equal(cfg.slots, 4);
	assert_int_equal(cfg.maxmem, 8 * GiB);
	OK(K, "-m", "size=1G,maxmem=2G,slots=256");
	assert_int_equal(cfg.slots, 256);
	/* maxmem is bytes when bare, as in QEMU (only size= means MiB). */
	OK(K, "-m", "1G,slots=1,maxmem=2147483648");
	assert_int_equal(cfg.maxmem, 2 * GiB);
	/* maxmem equal to size without slots is allowed, as is slots=0. */
	OK(K, "-m", "1G,maxmem=1G");
	assert_int_equal(cfg.slots, 0);
	OK(K, "-m", "1G,slots=0,maxmem=1G");
	/* Without size=, slots and maxmem apply to the default size. */
	OK(K, "-m", "slots=2,maxmem=1G");
	assert_int_equal(cfg.ram_size, 512 * MiB);
	assert_int_equal(cfg.slots, 2);

	BAD("-m|memory slots|257", K, "-m", "1G,slots=257,maxmem=8G");
	BAD("-m|slots specified but no maxmem", K, "-m", "1G,slots=4");
	BAD("-m|slots specified but no maxmem", K, "-m", "1G,slots=0");
	BAD("-m|no hotplug slots|virtio-mem", K, "-m", "1G,maxmem=8G");
	BAD("-m|no hotplug slots", K, "-m", "1G,slots=0,maxmem=8G");
	BAD("-m|is equal to the initial memory size", K, "-m", "1G,slots=2,maxmem=1G");
	BAD("-m|must be at least the initial memory size", K, "-m", "2G,slots=2,maxmem=1G");
	BAD("-m|must be at least", K, "-m", "1G,slots=2,maxmem=4096");
	BAD("-m|'slots=abc'", K, "-m", "1G,slots=abc,maxmem=2G");
	BAD("-m|'slots=-1'", K, "-m", "1G,slots=-1,maxmem=2G");
	BAD("-m|'maxmem=lots'", K, "-m", "1G,slots=1,maxmem=lots");
}

/* ---- -smp ---- */

static void test_smp(void **state)
{
	(void)state;
	OK(K, "-smp", "4");
	assert_int_equal(cfg.nr_cpus, 4);
	OK(K, "-smp", "cpus=3");
	assert_int_equal(cfg.nr_cpus, 3);
	OK(K, "-smp", "sockets=2,cores=2,threads=2");
	assert_int_equal(cfg.nr_cpus, 8);
	OK(K, "-smp", "4,sockets=2"); /* cores derived: 2 */
	assert_int_equal(cfg.nr_cpus, 4);
	OK(K, "-smp", "8,sockets=2,cores=2"); /* threads derived: 2 */
	assert_int_equal(cfg.nr_cpus, 8);
	OK(K, "-smp", "6,cores=3"); /* sockets derived: 2 */
	assert_int_equal(cfg.nr_cpus, 6);
	OK(K, "-smp", "cores=4");
	assert_int_equal(cfg.nr_cpus, 4);
	OK(K, "-smp", "maxcpus=4");
	assert_int_equal(cfg.nr_cpus, 4);
	OK(K, "-smp", "4,maxcpus=4,sockets=1,dies=1,clusters=1,cores=2,threads=2");
	assert_int_equal(cfg.nr_cpus, 4);
	OK(K, "-smp", "64");
	assert_int_equal(cfg.nr_cpus, 64);

	BAD("-smp|'cpus=0'", K, "-smp", "0");
	BAD("-smp|65|at most 64", K, "-smp", "65");
	BAD("-smp|at most 64", K, "-smp", "sockets=2,cores=64");
	BAD("-smp|at most 64", K, "-smp", "sockets=8,cores=4,threads=4");
	BAD("-smp|topology|!= maxcpus (4)", K, "-smp", "4,sockets=3");
	BAD("-smp|topology", K, "-smp", "4,sockets=2,cores=2,threads=2");
	BAD("-smp|CPU hotplug", K, "-smp", "4,maxcpus=8");
	BAD("-smp|maxcpus (4) must be at least cpus (8)", K, "-smp", "8,maxcpus=4");
	BAD("-smp|'cpus=abc'", K, "-smp", "abc");
	/* The command line's counts are decimal only (pv_parse_uint base 10). */
	BAD("-smp|'cpus=0x4'", K, "-smp", "0x4");
	BAD("-smp|'cpus= 4'", K, "-smp", " 4");
	BAD("-smp|'cpus=+4'", K, "-smp", "+4");
	BAD("-smp|'cpus=4294967296'", K, "-smp", "4294967296");
	OK(K, "-smp", "010");
	assert_int_equal(cfg.nr_cpus, 10);
	BAD("-smp|'cpus=-2'", K, "-smp", "-2");
	BAD("-smp|'foo'", K, "-smp", "4,foo=1");
	BAD("-smp|more than once", K, "-smp", "2", "-smp", "4");
	BAD("-smp|'threads=0'", K, "-smp", "4,threads=0");
}

/* ---- character devices ---- */

static void test_serial(void **state)
{
	(void)state;
	OK(K, "-serial", "stdio");
	assert_int_equal(cfg.serial.kind, CHARDEV_STDIO);
	OK(K, "-serial", "mon:stdio");
	assert_int_equal(cfg.serial.kind, CHARDEV_MON_STDIO);
	OK(K, "-serial", "file:/tmp/console.log");
	assert_int_equal(cfg.serial.kind, CHARDEV_FILE);
	assert_string_equal(cfg.serial.path, "/tmp/console.log");
	OK(K, "-serial", "unix:/tmp/s.sock,server=on,wait=off");
	assert_int_equal(cfg.serial.kind, CHARDEV_UNIX);
	assert_string_equal(cfg.serial.path, "/tmp/s.sock");
	OK(K, "-serial", "unix:/tmp/s.sock,server,nowait");
	assert_int_equal(cfg.serial.kind, CHARDEV_UNIX);
	OK(K, "-serial", "unix:/tmp/a,,b,server=on,wait=off");
	assert_string_equal(cfg.serial.path, "/tmp/a,b");
	OK(K, "-serial", "none");
	assert_int_equal(cfg.serial.kind, CHARDEV_NONE);

	BAD("-serial|more than once", K, "-serial", "stdio", "-serial", "none");
	BAD("-serial|'tcp::4444'|not supported", K, "-serial", "tcp::4444");
	BAD("-serial|'vc'", K, "-serial", "vc");
	BAD("-serial|'mon:file:/x'", K, "-serial", "mon:file:/x");
	BAD("-serial|server=on", K, "-serial", "unix:/tmp/s");
	BAD("-serial|wait=off", K, "-serial", "unix:/tmp/s,server");
	BAD("-serial|wait=off", K, "-serial", "unix:/tmp/s,server=on,wait=on");
	BAD("-serial|contradicts", K, "-serial", "unix:/tmp/s,server,nowait,wait=on");
	BAD("-serial|'telnet'", K, "-serial", "unix:/tmp/s,server,nowait,telnet=on");
	BAD("-serial|on or off", K, "-serial", "unix:/tmp/s,server=maybe,wait=off");
	BAD("-serial|empty", K, "-serial", "file:");
	BAD("-serial|empty", K, "-serial", "unix:,server,nowait");

	char long_path[200] = "file:/";
	memset(long_path + 6, 'a', 120);
	BAD("-serial|longer than 107", K, "-serial", long_path);
}

static void test_console_defaults(void **state)
{
	(void)state;
	/* QEMU: -nographic puts serial and monitor together on stdio. */
	OK(K, "-nographic");
	assert_true(cfg.nographic);
	assert_int_equal(cfg.serial.kind, CHARDEV_MON_STDIO);
	assert_int_equal(cfg.nr_monitor, 0);
	/* ... and the monitor alone on stdio when the serial port is elsewhere. */
	OK(K, "-nographic", "-serial", "file:/tmp/log");
	assert_int_equal(cfg.serial.kind, CHARDEV_FILE);
	assert_int_equal(cfg.nr_monitor, 1);
	assert_int_equal(cfg.monitor[0].kind, CHARDEV_STDIO);
	OK(K, "-nographic", "-serial", "file:/tmp/log", "-monitor", "none");
	assert_int_equal(cfg.nr_monitor, 0);
	/* -qmp replaces the default monitor. */
	OK(K, "-nographic", "-qmp", "unix:/tmp/q,server=on,wait=off");
	assert_int_equal(cfg.serial.kind, CHARDEV_STDIO);
	assert_int_equal(cfg.nr_monitor, 0);
	OK(K, "-nographic", "-serial", "stdio");
	assert_int_equal(cfg.serial.kind, CHARDEV_STDIO);
	assert_int_equal(cfg.nr_monitor, 0);
	/* Without -nographic: stdio unless -monitor stdio owns the terminal. */
	OK(K, "-monitor", "stdio");
	assert_int_equal(cfg.serial.kind, CHARDEV_NONE);
	assert_int_equal(cfg.nr_monitor, 1);
	assert_int_equal(cfg.monitor[0].kind, CHARDEV_STDIO);
	OK(K, "-monitor", "none");
	assert_int_equal(cfg.serial.kind, CHARDEV_STDIO);
	assert_int_equal(cfg.nr_monitor, 0);

	BAD("-monitor|stdio", K, "-serial", "stdio", "-monitor", "stdio");
	BAD("-monitor|stdio", K, "-serial", "mon:stdio", "-monitor", "stdio");
	BAD("-monitor|stdio", K, "-monitor", "stdio", "-monitor", "stdio");
	BAD("-qmp|'/tmp/x'|-serial", K, "-serial", "unix:/tmp/x,server,nowait", "-qmp",
	    "unix:/tmp/x,server,nowait");
	BAD("-qmp|'/tmp/x'", K, "-qmp", "unix:/tmp/x,server,nowait", "-qmp",
	    "unix:/tmp/x,server,nowait");
}

static void test_qmp_monitor(void **state)
{
	(void)state;
	OK(K, "-qmp", "unix:/tmp/q1,server=on,wait=off", "-qmp", "unix:/tmp/q2,server,nowait");
	assert_int_equal(cfg.nr_qmp, 2);
	assert_int_equal(cfg.qmp[0].kind, CHARDEV_UNIX);
	assert_string_equal(cfg.qmp[0].path, "/tmp/q1");
	assert_string_equal(cfg.qmp[1].path, "/tmp/q2");
	OK(K, "-monitor", "unix:/tmp/hmp,server=on,wait=off");
	assert_int_equal(cfg.nr_monitor, 1);
	assert_int_equal(cfg.monitor[0].kind, CHARDEV_UNIX);
	assert_string_equal(cfg.monitor[0].path, "/tmp/hmp");

	BAD("-qmp|'stdio'", K, "-qmp", "stdio");
	BAD("-qmp|'tcp:localhost:4444'", K, "-qmp", "tcp:localhost:4444");
	BAD("-qmp|wait=off", K, "-qmp", "unix:/tmp/q,server");
	BAD("-qmp|at most 4", K, "-qmp", "unix:/a,server,nowait", "-qmp", "unix:/b,server,nowait",
	    "-qmp", "unix:/c,server,nowait", "-qmp", "unix:/d,server,nowait", "-qmp",
	    "unix:/e,server,nowait");
	BAD("-monitor|'vc'", K, "-monitor", "vc");
	BAD("-monitor|'mon:stdio'", K, "-monitor", "mon:stdio");
	BAD("-monitor|'file:/x'", K, "-monitor", "file:/x");
}

static void test_name(void **state)
{
	(void)state;
	OK(K, "-name", "vm1");
	assert_string_equal(cfg.name, "vm1");
	OK(K, "-name", "guest=vm2,debug-threads=on");
	assert_string_equal(cfg.name, "vm2");
	OK(K, "-name", "a,,b");
	assert_string_equal(cfg.name, "a,b");
	BAD("-name|'foo'", K, "-name", "vm,foo=1");
	BAD("-name|more than once", K, "-name", "a", "-name", "b");
}

/* ---- -object ---- */

static void test_objects(void **state)
{
	(void)state;
	OK(K, "-object", "memory-backend-ram,id=m0,size=1G,share=on,prealloc=off,reserve=true",
	   "-object", "memory-backend-file,id=m1,size=512M,mem-path=/dev/shm/x,discard-data=on",
	   "-object", "memory-backend-memfd,id=m2,size=256M,hugetlb=on,hugetlbsize=2M,seal=on",
	   "-object", "qom-type=memory-backend-ram,id=m3,size=1048576");
	assert_int_equal(cfg.nr_objects, 4);
	assert_string_equal(keyval_get(&cfg.objects[0], "qom-type"), "memory-backend-ram");
	assert_string_equal(keyval_get(&cfg.objects[0], "id"), "m0");
	assert_string_equal(keyval_get(&cfg.objects[0], "size"), "1G");
	assert_string_equal(keyval_get(&cfg.objects[1], "mem-path"), "/dev/shm/x");
	assert_string_equal(keyval_get(&cfg.objects[2], "qom-type"), "memory-backend-memfd");
	assert_string_equal(keyval_get(&cfg.objects[3], "size"), "1048576");
	/* Objects do not change the RAM size by themselves. */
	assert_int_equal(cfg.ram_size, 512 * MiB);

	BAD("-object|id= is required", K, "-object", "memory-backend-ram,size=1G");
	BAD("-object|'id=1m'|identifier", K, "-object", "memory-backend-ram,id=1m,size=1G");
	BAD("-object|'id=a b'", K, "-object", "memory-backend-ram,id=a b,size=1G");
	BAD("-object|'m0'|duplicate", K, "-object", "memory-backend-ram,id=m0,size=1G", "-object",
	    "memory-backend-memfd,id=m0,size=1G");
	BAD("-object|'memory-backend-epc'|not supported", K, "-object",
	    "memory-backend-epc,id=m0,size=1G");
	BAD("-object|'throttle-group'", K, "-object", "throttle-group,id=t0");
	BAD("-object|type is missing", K, "-object", "id=m0,size=1G");
	BAD("-object|memory-backend-ram|'mem-path'", K, "-object",
	    "memory-backend-ram,id=m0,size=1G,mem-path=/x");
	BAD("-object|memory-backend-ram|'hugetlb'", K, "-object",
	    "memory-backend-ram,id=m0,size=1G,hugetlb=on");
	BAD("-object|memory-backend-file|'seal'", K, "-object",
	    "memory-backend-file,id=m0,size=1G,mem-path=/x,seal=on");
	BAD("-object|memory-backend-memfd|'pmem'", K, "-object",
	    "memory-backend-memfd,id=m0,size=1G,pmem=on");
	BAD("-object|needs size=", K, "-object", "memory-backend-ram,id=m0");
	BAD("-object|'size=1X'", K, "-object", "memory-backend-ram,id=m0,size=1X");
	BAD("-object|'size=-1'", K, "-object", "memory-backend-ram,id=m0,size=-1");
	BAD("-object|size 0", K, "-object", "memory-backend-ram,id=m0,size=0");
	BAD("-object|'share=maybe'", K, "-object", "memory-backend-ram,id=m0,size=1G,share=maybe");
	/* The spellings test_backend.c gives backend_create (object-add's path): one grammar,
	 * mm/backend.c's, each side in its own words. */
	BAD("-object|'seal=2' is not on or off", K, "-object",
	    "memory-backend-memfd,id=m0,size=1G,seal=2");
	BAD("-object|'discard-data=sometimes' is not on or off", K, "-object",
	    "memory-backend-file,id=m0,size=1G,mem-path=/tmp,discard-data=sometimes");
	BAD("-object|'hugetlbsize=huge' is not a valid size", K, "-object",
	    "memory-backend-memfd,id=m0,size=1G,hugetlb=on,hugetlbsize=huge");
	BAD("-object|size 0", K, "-object",
	    "memory-backend-memfd,id=m0,size=0,hugetlbsize=huge");
	/* Issue 13 defect 1: QEMU's properties that plugvm does not implement are refused on
	 * the command line, by the owner of the rule (mm/backend.c), as object-add refuses
	 * them; they used to pass here and fail at start-up as unknown. */
	BAD("-object|'merge'|not implemented", K, "-object", "memory-backend-ram,id=m0,size=1G,merge=on");
	BAD("-object|'dump'|not implemented", K, "-object", "memory-backend-ram,id=m0,size=1G,dump=off");
	BAD("-object|'policy'|not implemented", K, "-object",
	    "memory-backend-ram,id=m0,size=1G,policy=bind");
	BAD("-object|'host-nodes'|not implemented", K, "-object",
	    "memory-backend-ram,id=m0,size=1G,host-nodes=0");
	BAD("-object|'align'|not implemented", K, "-object",
	    "memory-backend-file,id=m0,size=1G,mem-path=/x,align=2M");
	BAD("-object|'readonly'|not implemented", K, "-object",
	    "memory-backend-file,id=m0,size=1G,mem-path=/x,readonly=on");
	BAD("-object|mem-path", K, "-object", "memory-backend-file,id=m0,size=1G");
	BAD("-object|'id'|more than once", K, "-object", "memory-backend-ram,id=a,id=b,size=1G");
	BAD("-object|JSON", K, "-object", "{\"qom-type\":\"memory-backend-ram\"}");
}

/* ---- -device ---- */

#define HOTPLUG "-m", "1G,slots=4,maxmem=4G"
#define OBJ(id, size) "-object", "memory-backend-ram,id=" id ",size=" size

static void test_devices(void **state)
{
	(void)state;
	OK(K, HOTPLUG, OBJ("m1", "1G"), OBJ("m2", "1G"), "-device", "pc-dimm,id=d1,memdev=m1",
	   "-device", "driver=pc-dimm,id=d2,memdev=m2,node=0,slot=3,addr=0x140000000");
	assert_int_equal(cfg.nr_devices, 2);
	assert_string_equal(keyval_get(&cfg.devices[0], "driver"), "pc-dimm");
	assert_string_equal(keyval_get(&cfg.devices[0], "id"), "d1");
	assert_string_equal(keyval_get(&cfg.devices[1], "memdev"), "m2");
	assert_string_equal(keyval_get(&cfg.devices[1], "slot"), "3");
	/* -device may come before the -object it uses. */
	OK(K, "-device", "pc-dimm,id=d1,memdev=m1", OBJ("m1", "3G"), HOTPLUG);
	/* Up to maxmem minus the boot RAM exactly. */
	OK(K, HOTPLUG, OBJ("m1", "2G"), OBJ("m2", "1G"), "-device", "pc-dimm,id=d1,memdev=m1",
	   "-device", "pc-dimm,id=d2,memdev=m2");

	BAD("-device|'virtio-net-pci'|not supported", K, "-device", "virtio-net-pci,id=n0");
	BAD("-device|'nvdimm'", K, "-device", "nvdimm,id=n0,memdev=m1");
	BAD("-device|id= is required", K, HOTPLUG, OBJ("m1", "1G"), "-device", "pc-dimm,memdev=m1");
	BAD("-device|duplicate ID 'd1'", K, HOTPLUG, OBJ("m1", "1G"), OBJ("m2", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1", "-device", "pc-dimm,id=d1,memdev=m2");
	BAD("-device|pc-dimm|'size'", K, HOTPLUG, OBJ("m1", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1,size=1G");
	BAD("-device|'d1'|maxmem", K, OBJ("m1", "1G"), "-device", "pc-dimm,id=d1,memdev=m1");
	BAD("-device|'d1'|'memdev'", K, HOTPLUG, "-device", "pc-dimm,id=d1");
	BAD("-device|'d1'|'nope'", K, HOTPLUG, "-device", "pc-dimm,id=d1,memdev=nope");
	BAD("-device|'d2'|busy memdev: m1", K, HOTPLUG, OBJ("m1", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1", "-device", "pc-dimm,id=d2,memdev=m1");
	BAD("-device|'d1'|'node=1'", K, HOTPLUG, OBJ("m1", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1,node=1");
	BAD("-device|'d1'|'slot=4'", K, HOTPLUG, OBJ("m1", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1,slot=4");
	BAD("-device|'d2'|slot 1", K, HOTPLUG, OBJ("m1", "1G"), OBJ("m2", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1,slot=1", "-device", "pc-dimm,id=d2,memdev=m2,slot=1");
	/* Issue 13 defect 4: QEMU's number grammar for device properties, the same as the
	 * monitors' (0 octal): slot=010 is slot 8, taken when slot=8 is, 08 is no number. */
	OK(K, "-m", "1G,slots=9,maxmem=20G", OBJ("m1", "1G"), "-device",
	   "pc-dimm,id=d1,memdev=m1,slot=010");
	BAD("-device|'d2'|slot 010", K, "-m", "1G,slots=9,maxmem=20G", OBJ("m1", "1G"),
	    OBJ("m2", "1G"), "-device", "pc-dimm,id=d1,memdev=m1,slot=8", "-device",
	    "pc-dimm,id=d2,memdev=m2,slot=010");
	BAD("-device|'d1'|'slot=08'", K, HOTPLUG, OBJ("m1", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1,slot=08");
	BAD("-device|'d1'|'slot=+1'", K, HOTPLUG, OBJ("m1", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1,slot=+1");
	/* The spellings test_memory_devices.c gives device_add (mm/dimm_props.c reads both). */
	OK(K, HOTPLUG, OBJ("m1", "1G"), OBJ("m2", "1G"), "-device",
	   "pc-dimm,id=d1,memdev=m1,slot=03", "-device", "pc-dimm,id=d2,memdev=m2,slot=0x2");
	BAD("-device|'d1'|'node=0x'", K, HOTPLUG, OBJ("m1", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1,node=0x");
	BAD("-device|'d1'|'addr=zz'", K, HOTPLUG, OBJ("m1", "1G"), "-device",
	    "pc-dimm,id=d1,memdev=m1,addr=zz");
	BAD("-device|'d2'|slots", K, "-m", "1G,slots=1,maxmem=4G", OBJ("m1", "1G"), OBJ("m2", "1G"),
	    "-device", "pc-dimm,id=d1,memdev=m1", "-device", "pc-dimm,id=d2,memdev=m2");
	BAD("-device|'d2'|not enough space", K, HOTPLUG, OBJ("m1", "2G"), OBJ("m2", "2G"), "-device",
	    "pc-dimm,id=d1,memdev=m1", "-device", "pc-dimm,id=d2,memdev=m2");
	BAD("-device|JSON", K, "-device", "{\"driver\":\"pc-dimm\"}");
}

/* ---- -device virtio-mem-pci ---- */

#define VMEM_M "-m", "1G,maxmem=17G"

static void test_virtio_mem(void **state)
{
	(void)state;
	/* The virtio-mem command line of docs/virtio-mem.md: maxmem without slots is fine with a virtio-mem device. */
	OK(K, VMEM_M, OBJ("vmem0", "16G"), "-device",
	   "virtio-mem-pci,id=vm0,memdev=vmem0,node=0,requested-size=0");
	assert_int_equal(cfg.nr_devices, 1);
	assert_int_equal(cfg.nr_virtio_mem, 1);
	assert_int_equal(cfg.slots, 0);
	assert_int_equal(cfg.maxmem, 17 * GiB);
	/* virtio-mem-device too, every key, and with DIMMs beside it. */
	OK(K, "-m", "1G,slots=2,maxmem=8G", OBJ("v", "4G"), OBJ("d", "1G"), "-device",
	   "virtio-mem-device,id=vm1,memdev=v,requested-size=1G,block-size=4M,prealloc=on,"
	   "memaddr=0x200000000", "-device", "pc-dimm,id=d1,memdev=d");
	assert_int_equal(cfg.nr_virtio_mem, 1);
	/* The pc-dimm count ignores virtio-mem devices: slots=1 holds one DIMM. */
	OK(K, "-m", "1G,slots=1,maxmem=8G", OBJ("v", "4G"), OBJ("d", "1G"), "-device",
	   "virtio-mem-pci,id=vm1,memdev=v", "-device", "pc-dimm,id=d1,memdev=d");
	/* Exactly maxmem - RAM. */
	OK(K, "-m", "1G,maxmem=3G", OBJ("v", "2G"), "-device", "virtio-mem-pci,id=vm0,memdev=v");

	/* The refusals docs/virtio-mem.md lists: one line each. */
	BAD("-device|'vm0'|size (0x40100000)|multiples of 'block-size' (0x200000)", K, VMEM_M,
	    OBJ("v", "1025M"), "-device", "virtio-mem-pci,id=vm0,memdev=v");
	BAD("-device|'vm1'|busy memdev: v", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v", "-device", "virtio-mem-pci,id=vm1,memdev=v");
	BAD("-device|'vm0'|busy memdev: v", K, "-m", "1G,slots=2,maxmem=8G", OBJ("v", "1G"),
	    "-device", "pc-dimm,id=d0,memdev=v", "-device", "virtio-mem-pci,id=vm0,memdev=v");
	BAD("-device|'d0'|busy memdev: v", K, "-m", "1G,slots=2,maxmem=8G", OBJ("v", "1G"),
	    "-device", "virtio-mem-pci,id=vm0,memdev=v", "-device", "pc-dimm,id=d0,memdev=v");
	BAD("-device|'vm0'|busy memdev: m0|-numa", K, OBJ("m0", "1G"), "-numa", "node,memdev=m0",
	    "-m", "maxmem=4G", "-device", "virtio-mem-pci,id=vm0,memdev=m0");
	BAD("-device|'vm0'|not enough space|need 0x100000000", K, "-m", "1G,maxmem=4G",
	    OBJ("v", "4G"), "-device", "virtio-mem-pci,id=vm0,memdev=v");
	BAD("-device|'vm1'|not enough space", K, "-m", "1G,maxmem=4G", OBJ("v", "2G"),
	    OBJ("w", "2G"), "-device", "virtio-mem-pci,id=vm0,memdev=v", "-device",
	    "virtio-mem-pci,id=vm1,memdev=w");
	BAD("-device|'d0'|not enough space", K, "-m", "1G,slots=1,maxmem=4G", OBJ("v", "2G"),
	    OBJ("w", "2G"), "-device", "virtio-mem-pci,id=vm0,memdev=v", "-device",
	    "pc-dimm,id=d0,memdev=w");
	BAD("-device|'vm0'|'requested-size' cannot exceed|0x40000000", K, VMEM_M, OBJ("v", "1G"),
	    "-device", "virtio-mem-pci,id=vm0,memdev=v,requested-size=2G");
	BAD("-device|'vm0'|'requested-size'|multiples of 'block-size'", K, VMEM_M, OBJ("v", "1G"),
	    "-device", "virtio-mem-pci,id=vm0,memdev=v,requested-size=3M");
	BAD("-device|'memaddr'|multiples of 'block-size'", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,memaddr=0x140100000");
	BAD("-device|'block-size'|power of two", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,block-size=3M");
	BAD("-device|'block-size'|at least 0x100000", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,block-size=4K");
	BAD("-device|'block-size=lots'", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,block-size=lots");
	BAD("-device|'vm0'|preallocation|prealloc=on", K, VMEM_M,
	    "-object", "memory-backend-ram,id=v,size=1G,prealloc=on", "-device",
	    "virtio-mem-pci,id=vm0,memdev=v");
	BAD("-device|'prealloc=maybe'", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,prealloc=maybe");
	BAD("-device|'node=2'|NUMA node", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,node=2");
	BAD("-device|'node=x'", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,node=x");
	BAD("-device|'addr'|PCI|memaddr", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,addr=0x4");
	BAD("-device|virtio-mem-pci|'size'", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v,size=1G");
	BAD("-device|id= is required", K, VMEM_M, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,memdev=v");
	BAD("-device|'vm0'|'memdev' property is not set", K, VMEM_M, "-device",
	    "virtio-mem-pci,id=vm0");
	BAD("-device|'vm0'|'nope'", K, VMEM_M, "-device", "virtio-mem-pci,id=vm0,memdev=nope");
	BAD("-device|'vm0'|specify the maxmem option", K, OBJ("v", "1G"), "-device",
	    "virtio-mem-pci,id=vm0,memdev=v");
	BAD("-device|duplicate ID 'x'", K, VMEM_M, OBJ("v", "1G"), OBJ("w", "1G"), "-device",
	    "virtio-mem-pci,id=x,memdev=v", "-device", "virtio-mem-pci,id=x,memdev=w");
	/* A DIMM with maxmem but no slots: QEMU's words. */
	BAD("-device|'d0'|no slots|'slots' option", K, VMEM_M, OBJ("v", "1G"), OBJ("w", "1G"),
	    "-device", "virtio-mem-pci,id=vm0,memdev=v", "-device", "pc-dimm,id=d0,memdev=w");
	BAD("-device|at most 6 virtio-mem devices", K, "-m", "1G,maxmem=17G", OBJ("a", "1G"),
	    "-device", "virtio-mem-pci,id=v0,memdev=a", "-device", "virtio-mem-pci,id=v1,memdev=a",
	    "-device", "virtio-mem-pci,id=v2,memdev=a", "-device", "virtio-mem-pci,id=v3,memdev=a",
	    "-device", "virtio-mem-pci,id=v4,memdev=a", "-device", "virtio-mem-pci,id=v5,memdev=a",
	    "-device", "virtio-mem-pci,id=v6,memdev=a");
}

/* ---- ids ---- */

/* The error for a bad id names it with its escape sequences made visible: an id holding
 * ESC [ 2 J must not clear the terminal it is reported on (issue 13 defect 2). */
static void expect_id_error(const char *needles, char **argv)
{
	expect_error(needles, argv);
	for (const char *p = err_text; *p; p++)
		if ((unsigned char)*p >= 0x7f || ((unsigned char)*p < 0x20 && !strchr("\r\n", *p)))
			fail_msg("raw byte 0x%02x in '%s'", (unsigned char)*p, err_text);
}

/* One rule for every id (util.h pv_check_id, shared with object-add and device_add): QEMU's
 * identifier, at most PV_ID_MAX characters, refused whole rather than cut. */
static void test_ids(void **state)
{
	char id63[PV_ID_MAX + 1], id64[PV_ID_MAX + 2], obj[256], dev[256];

	(void)state;
	memset(id63, 'a', sizeof(id63) - 1);
	id63[sizeof(id63) - 1] = '\0';
	memset(id64, 'b', sizeof(id64) - 1);
	id64[sizeof(id64) - 1] = '\0';
	snprintf(obj, sizeof(obj), "memory-backend-ram,id=%s,size=1G", id63);
	snprintf(dev, sizeof(dev), "pc-dimm,id=%s,memdev=%s", id63, id63);
	OK(K, HOTPLUG, "-object", obj, "-device", dev);
	assert_string_equal(keyval_get(&cfg.objects[0], "id"), id63);
	assert_string_equal(keyval_get(&cfg.devices[0], "id"), id63);
	OK(K, HOTPLUG, OBJ("A-1.b_2", "1G"), "-device", "pc-dimm,id=Z.9-x_,memdev=A-1.b_2");

	snprintf(obj, sizeof(obj), "memory-backend-ram,id=%s,size=1G", id64);
	expect_id_error("-object|expects an identifier|at most 63", ARGV(K, "-object", obj));
	snprintf(dev, sizeof(dev), "pc-dimm,id=%s,memdev=m1", id64);
	expect_id_error("-device|expects an identifier|at most 63",
			ARGV(K, HOTPLUG, OBJ("m1", "1G"), "-device", dev));
	expect_id_error("-device|'id=d\\x1b[2J'|expects an identifier",
			ARGV(K, HOTPLUG, OBJ("m1", "1G"), "-device",
			     "pc-dimm,id=d\x1b[2J,memdev=m1"));
	expect_id_error("-object|'id=m\\xc3\\xa9'|expects an identifier",
			ARGV(K, "-object", "memory-backend-ram,id=m\xc3\xa9,size=1G"));
	expect_id_error("-object|'id=m\\xff'",
			ARGV(K, "-object", "memory-backend-ram,id=m\xff,size=1G"));
	expect_id_error("-device|'id=_d'", ARGV(K, HOTPLUG, OBJ("m1", "1G"), "-device",
						  "pc-dimm,id=_d,memdev=m1"));
}

/* ---- -numa ---- */

#define TWO_NODES OBJ("m0", "1G"), OBJ("m1", "2G")

static void test_numa_basic(void **state)
{
	(void)state;
	OK(K, "-smp", "4", TWO_NODES, "-numa", "node,nodeid=0,cpus=0-1,memdev=m0", "-numa",
	   "node,nodeid=1,cpus=2-3,memdev=m1");
	assert_int_equal(cfg.nr_numa, 2);
	assert_int_equal(cfg.ram_size, 3 * GiB);
	assert_int_equal(cfg.maxmem, 3 * GiB);
	assert_int_equal(cfg.numa[0].nodeid, 0);
	assert_string_equal(cfg.numa[0].memdev, "m0");
	assert_int_equal(cfg.numa[0].mem_size, GiB);
	assert_true(cfg.numa[0].cpus_set);
	assert_int_equal(cfg.numa[0].cpu_first, 0);
	assert_int_equal(cfg.numa[0].cpu_last, 1);
	assert_int_equal(cfg.numa[1].nodeid, 1);
	assert_string_equal(cfg.numa[1].memdev, "m1");
	assert_int_equal(cfg.numa[1].mem_size, 2 * GiB);
	assert_int_equal(cfg.numa[1].cpu_first, 2);
	assert_int_equal(cfg.numa[1].cpu_last, 3);
	assert_int_equal(config_cpu_node(&cfg, 0), 0);
	assert_int_equal(config_cpu_node(&cfg, 1), 0);
	assert_int_equal(config_cpu_node(&cfg, 2), 1);
	assert_int_equal(config_cpu_node(&cfg, 3), 1);
	assert_string_equal(err_text, "");

	/* Any order on the command line; nodes come out sorted by id. */
	OK(K, "-numa", "node,nodeid=1,cpus=2-3,memdev=m1", "-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
	   TWO_NODES, "-smp", "4");
	assert_int_equal(cfg.numa[0].nodeid, 0);
	assert_string_equal(cfg.numa[0].memdev, "m0");
	assert_int_equal(cfg.numa[1].nodeid, 1);
	assert_string_equal(cfg.numa[1].memdev, "m1");
	assert_int_equal(config_cpu_node(&cfg, 3), 1);

	/* Without nodeid= the nodes are numbered in order; a single CPU. */
	OK(K, "-smp", "2", TWO_NODES, "-numa", "node,cpus=0,memdev=m0", "-numa", "node,cpus=1,memdev=m1");
	assert_int_equal(cfg.numa[1].nodeid, 1);
	assert_int_equal(cfg.numa[1].cpu_first, 1);
	assert_int_equal(cfg.numa[1].cpu_last, 1);

	/* An explicit -m must match; slots and maxmem still apply. */
	OK(K, "-m", "3G,slots=2,maxmem=8G", "-smp", "2", TWO_NODES, "-numa", "node,cpus=0,memdev=m0",
	   "-numa", "node,cpus=1,memdev=m1");
	assert_int_equal(cfg.ram_size, 3 * GiB);
	assert_int_equal(cfg.maxmem, 8 * GiB);
	/* -m without size: the NUMA total is the RAM size. */
	OK(K, "-m", "slots=2,maxmem=8G", TWO_NODES, "-numa", "node,memdev=m0", "-numa",
	   "node,memdev=m1", OBJ("m2", "1G"), "-device", "pc-dimm,id=d0,memdev=m2,node=1");
	assert_int_equal(cfg.ram_size, 3 * GiB);
	assert_int_equal(cfg.nr_devices, 1);
}

static void test_numa_unassigned_cpus(void **state)
{
	(void)state;
	/* CPU 2 belongs to no node: it joins node 0 (QEMU warns as well). */
	OK(K, "-smp", "4", TWO_NODES, "-numa", "node,nodeid=0,cpus=0-1,memdev=m0", "-numa",
	   "node,nodeid=1,cpus=3,memdev=m1");
	assert_int_equal(cfg.numa[0].cpu_first, 0);
	assert_int_equal(cfg.numa[0].cpu_last, 2);
	assert_int_equal(config_cpu_node(&cfg, 2), 0);
	assert_int_equal(config_cpu_node(&cfg, 3), 1);
	assert_non_null(strstr(err_text, "warning"));
	/* Node 0 without cpus= gets all the free CPUs. */
	OK(K, "-smp", "4", TWO_NODES, "-numa", "node,memdev=m0", "-numa", "node,cpus=2-3,memdev=m1");
	assert_true(cfg.numa[0].cpus_set);
	assert_int_equal(cfg.numa[0].cpu_first, 0);
	assert_int_equal(cfg.numa[0].cpu_last, 1);
	assert_int_equal(config_cpu_node(&cfg, 1), 0);
	/* A memory-only node. */
	OK(K, TWO_NODES, "-numa", "node,cpus=0,memdev=m0", "-numa", "node,memdev=m1");
	assert_false(cfg.numa[1].cpus_set);
	/* The SRAT's and query-numa's vCPU nodes are config_cpu_node's, for every CPU. */
	OK(K, "-smp", "5", TWO_NODES, "-numa", "node,nodeid=1,cpus=3-4,memdev=m1", "-numa",
	   "node,nodeid=0,cpus=0-1,memdev=m0");
	{
		struct guest_layout layout;
		struct acpi_machine desc;
		char err[256];
		static const unsigned want[] = { 0, 0, 0, 1, 1 };

		assert_int_equal(layout_compute(&cfg, 46, &layout, err, sizeof(err)), 0);
		vm_describe_acpi(&cfg, &layout, &desc);
		for (unsigned c = 0; c < 5; c++) {
			assert_int_equal(config_cpu_node(&cfg, c), want[c]);
			assert_int_equal(desc.cpu_node[c], want[c]);
		}
	}
	/* Free CPUs that cannot extend node 0's single range are an error. */
	BAD("-numa|CPU(s) 0,3 are not in any node", K, "-smp", "4", TWO_NODES, "-numa", "node,cpus=1,memdev=m0",
	    "-numa", "node,cpus=2,memdev=m1");
}

static void test_numa_errors(void **state)
{
	(void)state;
	BAD("-numa|mem=|memdev", K, "-numa", "node,mem=1G");
	BAD("-numa|mem=", K, OBJ("m0", "1G"), "-numa", "node,memdev=m0,mem=1G");
	BAD("-numa|memdev=", K, "-numa", "node,nodeid=0");
	BAD("-numa|'nope'", K, "-numa", "node,memdev=nope");
	BAD("-numa|m0|multiple times", K, TWO_NODES, "-numa", "node,memdev=m0", "-numa",
	    "node,memdev=m0");
	BAD("-numa|duplicate NUMA nodeid: 0", K, TWO_NODES, "-numa", "node,nodeid=0,memdev=m0",
	    "-numa", "node,nodeid=0,memdev=m1");
	BAD("-numa|node ID missing: 1", K, TWO_NODES, "-numa", "node,nodeid=0,memdev=m0", "-numa",
	    "node,nodeid=2,memdev=m1");
	BAD("-numa|node ID missing: 0", K, OBJ("m1", "1G"), "-numa", "node,nodeid=1,memdev=m1");
	BAD("-numa|'nodeid=x'", K, OBJ("m0", "1G"), "-numa", "node,nodeid=x,memdev=m0");
	BAD("-numa|nodeid=8", K, OBJ("m0", "1G"), "-numa", "node,nodeid=8,memdev=m0");
	BAD("-numa|'cpus=4'|smaller", K, "-smp", "4", OBJ("m0", "1G"), "-numa",
	    "node,cpus=4,memdev=m0");
	BAD("-numa|'cpus=0-4'", K, "-smp", "4", OBJ("m0", "1G"), "-numa", "node,cpus=0-4,memdev=m0");
	BAD("-numa|'cpus=1'", K, OBJ("m0", "1G"), "-numa", "node,cpus=1,memdev=m0"); /* -smp 1 */
	BAD("-numa|'cpus=3-1'|backwards", K, "-smp", "4", OBJ("m0", "1G"), "-numa",
	    "node,cpus=3-1,memdev=m0");
	BAD("-numa|'cpus=a'", K, OBJ("m0", "1G"), "-numa", "node,cpus=a,memdev=m0");
	BAD("-numa|'cpus=1-'", K, "-smp", "2", OBJ("m0", "1G"), "-numa", "node,cpus=1-,memdev=m0");
	BAD("-numa|CPU 2|node 0|node 1", K, "-smp", "4", TWO_NODES, "-numa",
	    "node,cpus=0-2,memdev=m0", "-numa", "node,cpus=2-3,memdev=m1");
	BAD("-numa|should equal RAM size", K, "-m", "2G", TWO_NODES, "-numa", "node,memdev=m0",
	    "-numa", "node,memdev=m1");
	BAD("-numa|'dist'", K, "-numa", "dist,src=0,dst=1,val=20");
	BAD("-numa|'cpu'", K, "-numa", "cpu,node-id=0,socket-id=0");
	BAD("-numa|'initiator'", K, OBJ("m0", "1G"), "-numa", "node,memdev=m0,initiator=0");
	BAD("-numa|max number of NUMA nodes", K, "-numa", "node", "-numa", "node", "-numa", "node",
	    "-numa", "node", "-numa", "node", "-numa", "node", "-numa", "node", "-numa", "node",
	    "-numa", "node");
	/* Memory shared between a node and a DIMM. */
	BAD("-device|busy memdev: m0", K, HOTPLUG, OBJ("m0", "1G"), "-numa", "node,memdev=m0",
	    "-device", "pc-dimm,id=d0,memdev=m0");
	/* The -m rules are checked against the NUMA total. */
	BAD("-m|must be at least", K, "-m", "slots=2,maxmem=2G", TWO_NODES, "-numa",
	    "node,memdev=m0", "-numa", "node,memdev=m1");
}

static void test_free_twice(void **state)
{
	(void)state;
	OK(K, "-name", "x", OBJ("m1", "1G"), HOTPLUG, "-device", "pc-dimm,id=d1,memdev=m1");
	options_free(&cfg);
	assert_null(cfg.name);
	assert_int_equal(cfg.nr_objects, 0);
	assert_int_equal(cfg.nr_devices, 0);
	options_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, teardown),
		cmocka_unit_test_teardown(test_kernel_initrd_append, teardown),
		cmocka_unit_test_teardown(test_kernel_unpack, teardown),
		cmocka_unit_test_teardown(test_sandbox, teardown),
		cmocka_unit_test_teardown(test_dump_acpi, teardown),
		cmocka_unit_test_teardown(test_double_dash, teardown),
		cmocka_unit_test_teardown(test_help_version, teardown),
		cmocka_unit_test_teardown(test_unknown_options, teardown),
		cmocka_unit_test_teardown(test_compat_options, teardown),
		cmocka_unit_test_teardown(test_memory_size, teardown),
		cmocka_unit_test_teardown(test_memory_hotplug, teardown),
		cmocka_unit_test_teardown(test_smp, teardown),
		cmocka_unit_test_teardown(test_serial, teardown),
		cmocka_unit_test_teardown(test_console_defaults, teardown),
		cmocka_unit_test_teardown(test_qmp_monitor, teardown),
		cmocka_unit_test_teardown(test_name, teardown),
		cmocka_unit_test_teardown(test_objects, teardown),
		cmocka_unit_test_teardown(test_devices, teardown),
		cmocka_unit_test_teardown(test_virtio_mem, teardown),
		cmocka_unit_test_teardown(test_ids, teardown),
		cmocka_unit_test_teardown(test_numa_basic, teardown),
		cmocka_unit_test_teardown(test_numa_unassigned_cpus, teardown),
		cmocka_unit_test_teardown(test_numa_errors, teardown),
		cmocka_unit_test_teardown(test_free_twice, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
