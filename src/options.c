/*
 * The command line. Options are spelled as QEMU spells them (one or two
 * leading dashes, the argument in the next word) so QEMU command lines for
 * the same machine work unchanged; docs/options.md lists every decision.
 *
 * Parsing runs in two passes. The first walks argv once, checks what can be
 * checked in isolation (syntax, -object properties, character devices) and
 * remembers the rest. The second, finish(), checks what depends on several
 * options at once, in a fixed order that does not depend on the order on
 * the command line: -m, -smp, -numa (needs -smp and -object), the final RAM
 * size and maxmem rules (need -numa), -device (needs all of them), and the
 * console defaults. Every error is one line, "plugvm: -opt: problem".
 *
 * This file is the driver: the option table, the argv walk, --help and the
 * order of the second pass. Each family of options is checked in a file of its
 * own (options_memory.c, options_smp.c, options_numa.c, options_object.c,
 * options_device.c, options_chardev.c, options_boot.c, options_policy.c), and
 * where the monitors take the same thing (object-add, device_add) the rule
 * itself lives in mm/ and both sides call it.
 */
#include "options.h"

#include <stdlib.h>
#include <string.h>

#include "options_internal.h"
#include "util.h"

/* ---- helpers every family words its errors with --------------------------- */

/* The rule itself is pv_check_id's, shared with the monitors' object-add and device_add;
 * only the wording of a missing id is the command line's. The id is quoted with escape
 * sequences made visible, so a bad one cannot reach the terminal raw. */
int opt_check_id(const char *opt, const char *id)
{
	char why[OPT_ERRLEN], shown[PV_ID_MAX + 8];

	if (!id) {
		pv_error("%s: id= is required", opt);
		return -1;
	}
	if (pv_check_id(id, why, sizeof(why)) < 0) {
		pv_error("%s: 'id=%s': %s", opt, pv_printable(id, shown, sizeof(shown)), why);
		return -1;
	}
	return 0;
}

int opt_parse_keyval(const char *opt, const char *arg, const char *implied,
		     struct keyval_list *out)
{
	char err[OPT_ERRLEN];

	if (keyval_parse(arg, implied, out, err, sizeof(err)) < 0) {
		pv_error("%s: %s", opt, err);
		return -1;
	}
	return 0;
}

int opt_reject_unknown_keys(const char *opt, const struct keyval_list *kv,
			    const char *const *allowed, const char *what)
{
	const char *bad = keyval_unknown_key(kv, allowed);

	if (bad) {
		pv_error("%s: %s has no parameter '%s'", opt, what, bad);
		return -1;
	}
	return 0;
}

/* The start of a repeatable option kept as a key=value list (-object, -device): QEMU's
 * JSON form refused (example shows the flat one), room left in its table (used of max
 * what), then arg parsed into *kv with implied as the key of a bare first word. */
int opt_parse_list_entry(const struct option_desc *o, const char *arg, const char *implied,
			 const char *example, unsigned used, unsigned max, const char *what,
			 struct keyval_list *kv)
{
	if (arg[0] == '{') {
		pv_error("%s: the JSON form is not supported; use %s", o->name, example);
		return -1;
	}
	if (used == max) {
		pv_error("%s: at most %u %s", o->name, max, what);
		return -1;
	}
	return opt_parse_keyval(o->name, arg, implied, kv);
}

/* A copy for cfg, which outlives argv's key=value lists; NULL after the error line. */
char *opt_strdup(const char *opt, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		pv_error("%s: out of memory", opt);
	return copy;
}

/* Options that make sense once; QEMU would take the last, plugvm refuses
 * so that a forgotten duplicate in a script cannot go unnoticed. */
int opt_set_once(const struct option_desc *o, const char **field, const char *arg)
{
	if (*field) {
		pv_error("%s: given more than once", o->name);
		return -1;
	}
	*field = arg;
	return 0;
}

/* ---- the option table ------------------------------------------------------- */

/* -h, --help and --version have no handler: options_parse prints the usage or the
 * version where one stands in argv and stops there. */
static const struct option_desc options[] = {
	{"-kernel", "PATH", opt_kernel, "bzImage to boot (required)"},
	{"-initrd", "PATH", opt_initrd, "initial ramdisk"},
	{"-append", "STRING", opt_append, "kernel command line"},
	{"-kernel-unpack", "host|guest", opt_kernel_unpack,
	 "who decompresses the kernel (default host: faster, no KASLR)"},
	{"-m", "[size=]SIZE[,slots=N,maxmem=SIZE]", opt_m,
	 "boot RAM (bare number = MiB, default 512M), DIMM slots, hotplug limit"},
	{"-smp", "[cpus=]N[,sockets=S,cores=C,threads=T,...]", opt_smp, "vCPUs (default 1)"},
	{"-numa", "node[,nodeid=N][,cpus=A[-B]],memdev=ID", opt_numa, "a NUMA node"},
	{"-object", "memory-backend-{ram,file,memfd},id=ID,size=SIZE[,...]", opt_object,
	 "a memory backend for -numa or pc-dimm"},
	{"-device", "pc-dimm,id=ID,memdev=ID[,node=N,slot=N,addr=A]", opt_device,
	 "a DIMM present at boot"},
	{"-device", "virtio-mem-pci,id=ID,memdev=ID[,node=N,requested-size=SIZE,block-size=SIZE,"
	 "prealloc=on|off,memaddr=A]", opt_device, "a virtio-mem device (command line only)"},
	{"-serial", "stdio|mon:stdio|file:PATH|unix:PATH,server=on,wait=off|none", opt_serial,
	 "COM1 (default: mon:stdio with -nographic, else stdio)"},
	{"-monitor", "stdio|unix:PATH,server=on,wait=off|none", opt_monitor, "HMP monitor"},
	{"-qmp", "unix:PATH,server=on,wait=off", opt_qmp, "QMP monitor (repeatable)"},
	{"-nographic", NULL, opt_nographic, "console and monitor on stdio (Ctrl-a c switches)"},
	{"-name", "[guest=]NAME", opt_name, "guest name"},
	{"-no-reboot", NULL, opt_ignored_flag, "accepted; plugvm exits on every reboot"},
	{"-sandbox", "on|off[,mem-path=DIR][,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	 "resourcecontrol=deny]",
	 opt_sandbox, "Landlock + seccomp before the guest runs (default on; -sandbox off "
	 "disables it; mem-path=DIR: object-add may put files there too)"},
	{"-action", "[panic=shutdown|exit-failure|pause|none][,reboot=shutdown][,shutdown=poweroff]",
	 opt_action, "what a guest panic does (default shutdown: exit 3)"},
	{"-enable-kvm", NULL, opt_ignored_flag, "accepted; plugvm always uses KVM"},
	{"-accel", "kvm", opt_accel, "accepted; plugvm always uses KVM"},
	{"-cpu", "host", opt_cpu, "accepted; the guest always sees the host CPU"},
	{"-display", "none", opt_display, "accepted; plugvm has no display"},
	{"-machine", "...", opt_machine, NULL},
	{"-M", "...", opt_machine, NULL},
	{"--dump-acpi", "DIR", opt_dump_acpi, "write the ACPI tables to DIR and exit"},
	{"-h", NULL, NULL, "this help"},
	{"--help", NULL, NULL, NULL},
	{"--version", NULL, NULL, "print the version"},
};

/* "-x" and "--x" are the same option, as in QEMU: compare without the
 * optional second dash on either side. */
static const char *strip_dashes(const char *s)
{
	return s[0] == '-' && s[1] == '-' ? s + 2 : s[0] == '-' ? s + 1 : NULL;
}

static const struct option_desc *lookup(const char *word)
{
	word = strip_dashes(word);
	if (!word || !*word)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strcmp(word, strip_dashes(options[i].name)) == 0)
			return &options[i];
	return NULL;
}

void options_usage(FILE *out)
{
	fprintf(out, "Usage: plugvm -kernel bzImage [options]\n"
		     "A small KVM machine with ACPI memory hotplug; options are spelled as in QEMU\n"
		     "and may start with one or two dashes.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct option_desc *o = &options[i];

		if (!o->help)
			continue;
		fprintf(out, "  %s%s%s\n      %s\n", o->name, o->argname ? " " : "",
			o->argname ? o->argname : "", o->help);
	}
	fprintf(out, "\nSIZE takes the suffixes B, K, M, G, T, P, E (powers of 1024), e.g. 1.5G.\n");
}

static void print_version(void)
{
	printf("plugvm version %s\n", PLUGVM_VERSION);
	printf("A QEMU-compatible command line for a KVM memory hotplug VMM\n");
}

/* ---- second pass ---------------------------------------------------------- */

static int finish(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;

	/* A malformed value names its option; only a well-formed command line
	 * is told what it lacks. */
	if (opt_finish_memory(st) < 0 || opt_finish_smp(st) < 0 || opt_finish_numa(st) < 0 ||
	    opt_finish_maxmem(st) < 0)
		return -1;
	if (!cfg->kernel && !cfg->dump_acpi_dir) {
		pv_error("-kernel: no kernel given (plugvm boots a Linux bzImage: -kernel PATH)");
		return -1;
	}
	if (opt_finish_devices(st) < 0)
		return -1;
	return opt_finish_consoles(st);
}

/* ---- entry points ------------------------------------------------------- */

int options_parse(int argc, char **argv, struct plugvm_config *cfg)
{
	struct parse_state st = {.cfg = cfg};
	int ret = 2;

	memset(cfg, 0, sizeof(*cfg));
	cfg->sandbox = true; /* -sandbox off disables it (docs/options.md) */
	for (int i = 1; i < argc; i++) {
		const struct option_desc *o = lookup(argv[i]);
		const char *arg = NULL;

		if (!o) {
			if (argv[i][0] == '-')
				pv_error("%s: invalid option", argv[i]);
			else
				pv_error("'%s': unexpected argument (options start with '-'; plugvm "
					 "has no disk images)", argv[i]);
			goto out;
		}
		if (!o->handler) {
			if (strcmp(o->name, "--version") == 0)
				print_version();
			else
				options_usage(stdout);
			ret = 1;
			goto out;
		}
		if (o->argname) {
			if (i + 1 >= argc) {
				pv_error("%s: requires an argument", o->name);
				goto out;
			}
			arg = argv[++i];
		}
		if (o->handler(&st, o, arg) < 0)
			goto out;
	}
	if (finish(&st) == 0) {
		if (st.warning[0])
			pv_info("%s", st.warning);
		ret = 0;
	}
out:
	for (unsigned i = 0; i < st.nr_numa_args; i++)
		keyval_free(&st.numa[i]);
	if (ret != 0)
		options_free(cfg);
	return ret;
}

void options_free(struct plugvm_config *cfg)
{
	free((char *)cfg->name);
	cfg->name = NULL;
	free(cfg->sandbox_mem_path);
	cfg->sandbox_mem_path = NULL;
	for (unsigned i = 0; i < cfg->nr_objects; i++)
		keyval_free(&cfg->objects[i]);
	cfg->nr_objects = 0;
	for (unsigned i = 0; i < cfg->nr_devices; i++)
		keyval_free(&cfg->devices[i]);
	cfg->nr_devices = 0;
	cfg->nr_virtio_mem = 0;
}
