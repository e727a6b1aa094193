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
 */
#include "options.h"

#include <stdlib.h>
#include <string.h>

#include "keyval.h"
#include "mm/backend.h"
#include "mm/virtio_mem_props.h"
#include "size.h"
#include "util.h"

#define DEFAULT_RAM_SIZE (512 * MiB)
/* QEMU rounds the -m size up to this; done too so sizes compare the same. */
#define RAM_SIZE_ALIGN (8 * KiB)
#define ERRLEN 256

struct parse_state {
	struct plugvm_config *cfg;
	const char *mem_arg; /* -m */
	const char *smp_arg; /* -smp */
	bool serial_given;
	bool monitor_given; /* -monitor (even "none") or -qmp: no default monitor */
	struct keyval_list numa[PLUGVM_MAX_NUMA_NODES]; /* -numa, checked later */
	unsigned nr_numa_args;
	bool has_slots, has_maxmem;
	/* Printed only when the whole command line is good, so that an error
	 * stays the one line on stderr. */
	char warning[ERRLEN];
};

/* ---- small parsers ---------------------------------------------------- */

/* numa_node_config.memdev holds an object's id, copied without a length check. */
_Static_assert(sizeof(((struct numa_node_config *)0)->memdev) > PV_ID_MAX,
	       "numa_node_config.memdev must hold any id pv_check_id accepts");

/* The rule itself is pv_check_id's, shared with the monitors' object-add and device_add;
 * only the wording of a missing id is the command line's. The id is quoted with escape
 * sequences made visible, so a bad one cannot reach the terminal raw. */
static int check_id(const char *opt, const char *id)
{
	char why[ERRLEN], shown[PV_ID_MAX + 8];

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

static int parse_keyval(const char *opt, const char *arg, const char *implied,
			struct keyval_list *out)
{
	char err[ERRLEN];

	if (keyval_parse(arg, implied, out, err, sizeof(err)) < 0) {
		pv_error("%s: %s", opt, err);
		return -1;
	}
	return 0;
}

static int reject_unknown_keys(const char *opt, const struct keyval_list *kv,
			       const char *const *allowed, const char *what)
{
	const char *bad = keyval_unknown_key(kv, allowed);

	if (bad) {
		pv_error("%s: %s has no parameter '%s'", opt, what, bad);
		return -1;
	}
	return 0;
}

/* ---- character devices (-serial, -monitor, -qmp) ----------------------- */

enum chardev_user { FOR_SERIAL, FOR_MONITOR, FOR_QMP };

static int copy_path(const char *opt, const char *path, struct chardev_config *out)
{
	if (!*path) {
		pv_error("%s: the path is empty", opt);
		return -1;
	}
	if (strlen(path) >= sizeof(out->path)) {
		pv_error("%s: path '%s' is longer than %zu bytes", opt, path, sizeof(out->path) - 1);
		return -1;
	}
	strcpy(out->path, path);
	return 0;
}

/* "unix:PATH,server=on,wait=off" or the legacy "unix:PATH,server,nowait".
 * plugvm only listens, and never blocks start-up waiting for a client, so
 * those are the only settings accepted. */
static int parse_unix_chardev(const char *opt, const char *spec, struct chardev_config *out)
{
	static const char *const allowed[] = {"path", "server", "wait", "nowait", NULL};
	struct keyval_list kv;
	bool server, wait, nowait;
	int ret = -1;

	if (parse_keyval(opt, spec, "path", &kv) < 0)
		return -1;
	if (reject_unknown_keys(opt, &kv, allowed, "a unix socket") < 0)
		goto out;
	if (keyval_get_bool(&kv, "server", false, &server) < 0 ||
	    keyval_get_bool(&kv, "wait", true, &wait) < 0 ||
	    keyval_get_bool(&kv, "nowait", false, &nowait) < 0) {
		pv_error("%s: server=, wait= and nowait take on or off", opt);
		goto out;
	}
	if (nowait) {
		if (keyval_get(&kv, "wait") && wait) {
			pv_error("%s: 'wait=on' contradicts 'nowait'", opt);
			goto out;
		}
		wait = false;
	}
	if (!server) {
		pv_error("%s: plugvm only listens on unix sockets: add server=on,wait=off", opt);
		goto out;
	}
	if (wait) {
		pv_error("%s: plugvm does not wait for a client before starting: add wait=off", opt);
		goto out;
	}
	if (copy_path(opt, keyval_get(&kv, "path") ? keyval_get(&kv, "path") : "", out) < 0)
		goto out;
	out->kind = CHARDEV_UNIX;
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

static int parse_chardev(const char *opt, const char *arg, enum chardev_user user,
			 struct chardev_config *out)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(arg, "unix:", 5) == 0)
		return parse_unix_chardev(opt, arg + 5, out);
	if (user != FOR_QMP && strcmp(arg, "stdio") == 0) {
		out->kind = CHARDEV_STDIO;
		return 0;
	}
	if (user == FOR_SERIAL) {
		if (strcmp(arg, "mon:stdio") == 0) {
			out->kind = CHARDEV_MON_STDIO;
			return 0;
		}
		if (strcmp(arg, "none") == 0) {
			out->kind = CHARDEV_NONE;
			return 0;
		}
		if (strncmp(arg, "file:", 5) == 0) {
			out->kind = CHARDEV_FILE;
			return copy_path(opt, arg + 5, out);
		}
	}
	pv_error("%s: '%s' is not supported (use %s)", opt, arg,
		 user == FOR_SERIAL    ? "stdio, mon:stdio, file:PATH, unix:PATH,server=on,wait=off or none"
		 : user == FOR_MONITOR ? "stdio, unix:PATH,server=on,wait=off or none"
				       : "unix:PATH,server=on,wait=off");
	return -1;
}

/* ---- -object ------------------------------------------------------------ */

static const char *const backend_bool_keys[] = {"share", "prealloc", "reserve", "discard-data",
						"hugetlb", "seal", NULL};

static int check_backend(const char *opt, const struct keyval_list *kv)
{
	const char *type = keyval_get(kv, "qom-type");
	char err[256];
	uint64_t size;
	const char *v;

	if (!type) {
		pv_error("%s: the object type is missing (e.g. memory-backend-ram,id=m0,size=1G)", opt);
		return -1;
	}
	/* mm/backend.c owns which keys each type takes, for object-add and -object alike. */
	if (backend_check_keys(kv, err, sizeof(err)) < 0) {
		pv_error("%s: %s: %s", opt, type, err);
		return -1;
	}
	if (check_id(opt, keyval_get(kv, "id")) < 0)
		return -1;
	for (unsigned i = 0; backend_bool_keys[i]; i++) {
		bool b;

		if (keyval_get_bool(kv, backend_bool_keys[i], false, &b) < 0) {
			pv_error("%s: '%s=%s' is not on or off", opt, backend_bool_keys[i],
				 keyval_get(kv, backend_bool_keys[i]));
			return -1;
		}
	}
	v = keyval_get(kv, "size");
	if (!v) {
		pv_error("%s: %s needs size=", opt, type);
		return -1;
	}
	if (keyval_get_size(kv, "size", 0, &size) < 0) {
		pv_error("%s: 'size=%s' is not a valid size", opt, v);
		return -1;
	}
	if (size == 0) {
		pv_error("%s: can't create backend with size 0", opt);
		return -1;
	}
	v = keyval_get(kv, "hugetlbsize");
	if (v && keyval_get_size(kv, "hugetlbsize", 0, &size) < 0) {
		pv_error("%s: 'hugetlbsize=%s' is not a valid size", opt, v);
		return -1;
	}
	if (strcmp(type, "memory-backend-file") == 0 && !keyval_get(kv, "mem-path")) {
		pv_error("%s: mem-path property not set", opt);
		return -1;
	}
	return 0;
}

static const struct keyval_list *find_object(const struct plugvm_config *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->nr_objects; i++)
		if (strcmp(keyval_get(&cfg->objects[i], "id"), id) == 0)
			return &cfg->objects[i];
	return NULL;
}

static uint64_t object_size(const struct keyval_list *obj)
{
	uint64_t size = 0;

	keyval_get_size(obj, "size", 0, &size); /* checked by check_backend */
	return size;
}

/* ---- option handlers (first pass) -------------------------------------- */

struct option_desc;
typedef int (*option_handler)(struct parse_state *st, const struct option_desc *o,
			      const char *arg);

struct option_desc {
	const char *name;    /* with one dash, as QEMU documents it */
	const char *argname; /* NULL: takes no argument */
	option_handler handler;
	const char *help;
};

/* Options that make sense once; QEMU would take the last, plugvm refuses
 * so that a forgotten duplicate in a script cannot go unnoticed. */
static int set_once(const struct option_desc *o, const char **field, const char *arg)
{
	if (*field) {
		pv_error("%s: given more than once", o->name);
		return -1;
	}
	*field = arg;
	return 0;
}

static int opt_kernel(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return set_once(o, &st->cfg->kernel, arg);
}

static int opt_initrd(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return set_once(o, &st->cfg->initrd, arg);
}

static int opt_append(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return set_once(o, &st->cfg->append, arg);
}

static int opt_kernel_unpack(struct parse_state *st, const struct option_desc *o,
			     const char *arg)
{
	if (set_once(o, &st->cfg->kernel_unpack, arg) < 0)
		return -1;
	if (strcmp(arg, "host") != 0 && strcmp(arg, "guest") != 0) {
		pv_error("%s: '%s': expected host or guest", o->name, arg);
		return -1;
	}
	st->cfg->kernel_unpack_guest = strcmp(arg, "guest") == 0;
	return 0;
}

static int opt_dump_acpi(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return set_once(o, &st->cfg->dump_acpi_dir, arg);
}

static int opt_m(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return set_once(o, &st->mem_arg, arg);
}

static int opt_smp(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return set_once(o, &st->smp_arg, arg);
}

static int opt_name(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	static const char *const allowed[] = {"guest", "process", "debug-threads", NULL};
	struct keyval_list kv;
	const char *guest;
	int ret = -1;

	if (st->cfg->name) {
		pv_error("%s: given more than once", o->name);
		return -1;
	}
	if (parse_keyval(o->name, arg, "guest", &kv) < 0)
		return -1;
	if (reject_unknown_keys(o->name, &kv, allowed, "-name") < 0)
		goto out;
	guest = keyval_get(&kv, "guest");
	if (guest && !(st->cfg->name = strdup(guest))) {
		pv_error("%s: out of memory", o->name);
		goto out;
	}
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

/* QEMU's -sandbox: on|off plus four switches that widen QEMU's denylist. plugvm's
 * sandbox is an allowlist that already denies all four kinds of call, so "deny" is
 * accepted as a no-op and anything that would allow them is refused. plugvm's own key
 * mem-path=DIR names one more directory where object-add may create backend files. */
static int opt_sandbox(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	static const char *const allowed[] = {"enable", "obsolete", "elevateprivileges", "spawn",
					      "resourcecontrol", "mem-path", NULL};
	static const char *const switches[] = {"obsolete", "elevateprivileges", "spawn",
					       "resourcecontrol", NULL};
	struct keyval_list kv;
	const char *enable, *mem_path;
	int ret = -1;

	if (st->cfg->sandbox_given) {
		pv_error("%s: given more than once", o->name);
		return -1;
	}
	st->cfg->sandbox_given = true;
	if (parse_keyval(o->name, arg, "enable", &kv) < 0)
		return -1;
	if (reject_unknown_keys(o->name, &kv, allowed, "-sandbox") < 0)
		goto out;
	enable = keyval_get(&kv, "enable");
	if (!enable || (strcmp(enable, "on") != 0 && strcmp(enable, "off") != 0)) {
		pv_error("%s: '%s': expected on or off", o->name, enable ? enable : "");
		goto out;
	}
	for (unsigned i = 0; switches[i]; i++) {
		const char *v = keyval_get(&kv, switches[i]);

		if (v && strcmp(v, "deny") != 0) {
			pv_error("%s: %s=%s: plugvm's sandbox allows only what plugvm needs, so %s "
				 "calls are always denied (use %s=deny or leave it out)",
				 o->name, switches[i], v, switches[i], switches[i]);
			goto out;
		}
	}
	st->cfg->sandbox = strcmp(enable, "on") == 0;
	mem_path = keyval_get(&kv, "mem-path");
	if (mem_path && (!*mem_path || !st->cfg->sandbox)) {
		pv_error("%s: mem-path=%s: %s", o->name, mem_path,
			 *mem_path ? "only with the sandbox on" : "a directory is required");
		goto out;
	}
	if (mem_path && !(st->cfg->sandbox_mem_path = strdup(mem_path))) {
		pv_error("%s: out of memory", o->name);
		goto out;
	}
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

static int opt_serial(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	if (st->serial_given) {
		pv_error("%s: given more than once; plugvm has one serial port (COM1)", o->name);
		return -1;
	}
	st->serial_given = true;
	return parse_chardev(o->name, arg, FOR_SERIAL, &st->cfg->serial);
}

static int opt_monitor(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	struct plugvm_config *cfg = st->cfg;

	st->monitor_given = true;
	if (strcmp(arg, "none") == 0)
		return 0; /* only turns off the -nographic default monitor */
	if (cfg->nr_monitor == PLUGVM_MAX_MONITORS) {
		pv_error("%s: at most %d monitors", o->name, PLUGVM_MAX_MONITORS);
		return -1;
	}
	if (parse_chardev(o->name, arg, FOR_MONITOR, &cfg->monitor[cfg->nr_monitor]) < 0)
		return -1;
	cfg->nr_monitor++;
	return 0;
}

static int opt_qmp(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	struct plugvm_config *cfg = st->cfg;

	st->monitor_given = true; /* as in QEMU, -qmp replaces the default monitor */
	if (cfg->nr_qmp == PLUGVM_MAX_MONITORS) {
		pv_error("%s: at most %d QMP monitors", o->name, PLUGVM_MAX_MONITORS);
		return -1;
	}
	if (parse_chardev(o->name, arg, FOR_QMP, &cfg->qmp[cfg->nr_qmp]) < 0)
		return -1;
	cfg->nr_qmp++;
	return 0;
}

static int opt_numa(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	if (st->nr_numa_args == PLUGVM_MAX_NUMA_NODES) {
		pv_error("%s: max number of NUMA nodes reached: %d", o->name, PLUGVM_MAX_NUMA_NODES);
		return -1;
	}
	if (parse_keyval(o->name, arg, "type", &st->numa[st->nr_numa_args]) < 0)
		return -1;
	st->nr_numa_args++;
	return 0;
}

static int opt_object(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	struct plugvm_config *cfg = st->cfg;
	struct keyval_list kv;

	if (arg[0] == '{') {
		pv_error("%s: the JSON form is not supported; use TYPE,id=ID,size=SIZE", o->name);
		return -1;
	}
	if (cfg->nr_objects == PLUGVM_MAX_OBJECTS) {
		pv_error("%s: at most %d objects", o->name, PLUGVM_MAX_OBJECTS);
		return -1;
	}
	if (parse_keyval(o->name, arg, "qom-type", &kv) < 0)
		return -1;
	if (check_backend(o->name, &kv) < 0)
		goto fail;
	if (find_object(cfg, keyval_get(&kv, "id"))) {
		pv_error("%s: duplicate object id '%s'", o->name, keyval_get(&kv, "id"));
		goto fail;
	}
	cfg->objects[cfg->nr_objects++] = kv;
	return 0;
fail:
	keyval_free(&kv);
	return -1;
}

/* -device virtio-mem-pci: mm/virtio_mem_props.c owns its keys and their syntax. */
static int check_vmem_syntax(const char *opt, struct plugvm_config *cfg,
			     const struct keyval_list *kv)
{
	struct vmem_props p;
	char err[ERRLEN];

	if (vmem_props_parse(kv, &p, err, sizeof(err)) < 0) {
		if (!keyval_get(kv, "id"))
			return check_id(opt, NULL);
		pv_error("%s: %s", opt, err);
		return -1;
	}
	if (cfg->nr_virtio_mem == PLUGVM_MAX_VIRTIO_MEM) {
		pv_error("%s: at most %d virtio-mem devices", opt, PLUGVM_MAX_VIRTIO_MEM);
		return -1;
	}
	return 0;
}

static int opt_device(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	static const char *const dimm_keys[] = {"driver", "id", "memdev", "node", "addr", "slot",
						NULL};
	struct plugvm_config *cfg = st->cfg;
	struct keyval_list kv;
	const char *driver, *id;
	bool vmem;

	if (arg[0] == '{') {
		pv_error("%s: the JSON form is not supported; use pc-dimm,id=ID,memdev=ID", o->name);
		return -1;
	}
	if (cfg->nr_devices == PLUGVM_MAX_DEVICES) {
		pv_error("%s: at most %d devices", o->name, PLUGVM_MAX_DEVICES);
		return -1;
	}
	if (parse_keyval(o->name, arg, "driver", &kv) < 0)
		return -1;
	driver = keyval_get(&kv, "driver");
	vmem = vmem_is_driver(driver);
	if (!vmem && (!driver || strcmp(driver, "pc-dimm") != 0)) {
		pv_error("%s: device '%s' is not supported (plugvm only has pc-dimm and "
			 "virtio-mem-pci)", o->name, driver ? driver : "");
		goto fail;
	}
	if (vmem ? check_vmem_syntax(o->name, cfg, &kv) < 0
		 : reject_unknown_keys(o->name, &kv, dimm_keys, "pc-dimm") < 0)
		goto fail;
	id = keyval_get(&kv, "id");
	if (check_id(o->name, id) < 0)
		goto fail;
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		if (strcmp(keyval_get(&cfg->devices[i], "id"), id) == 0) {
			pv_error("%s: duplicate ID '%s' for device", o->name, id);
			goto fail;
		}
	}
	cfg->devices[cfg->nr_devices++] = kv;
	if (vmem)
		cfg->nr_virtio_mem++;
	return 0;
fail:
	keyval_free(&kv);
	return -1;
}

static int opt_nographic(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)o;
	(void)arg;
	st->cfg->nographic = true;
	return 0;
}

/* Options that QEMU needs and plugvm implies: accepted so QEMU command lines
 * run unchanged, refused with any value plugvm cannot honour. */
static int opt_ignored_flag(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	(void)o;
	(void)arg;
	return 0;
}

static int accept_only(const struct option_desc *o, const char *arg, const char *only,
		       const char *why)
{
	if (strcmp(arg, only) != 0) {
		pv_error("%s: '%s' is not supported: %s", o->name, arg, why);
		return -1;
	}
	return 0;
}

static int opt_accel(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	return accept_only(o, strncmp(arg, "accel=", 6) == 0 ? arg + 6 : arg, "kvm",
			   "plugvm always runs on KVM (-accel kvm)");
}

static int opt_cpu(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	return accept_only(o, arg, "host", "plugvm always passes the host CPU through (-cpu host)");
}

static int opt_display(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	return accept_only(o, arg, "none", "plugvm has no display (-display none)");
}

static int opt_machine(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	pv_error("%s: '%s': plugvm has one fixed machine model, drop %s", o->name, arg, o->name);
	return -1;
}

/* Markers: handled in options_parse itself. */
/* QEMU's -action: what happens on a guest reboot, shutdown or panic. plugvm never
 * restarts or pauses a guest that reboots or powers off, so those keys take only the
 * values that say so; panic= takes all of QEMU's (exit-failure is shutdown: a guest
 * panic always exits 3, docs/options.md). */
static int opt_action(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	static const char *const allowed[] = {"panic", "reboot", "shutdown", NULL};
	struct keyval_list kv;
	const char *panic, *reboot, *shutdown;
	int ret = -1;

	if (st->cfg->action_given) {
		pv_error("%s: given more than once", o->name);
		return -1;
	}
	st->cfg->action_given = true;
	if (parse_keyval(o->name, arg, NULL, &kv) < 0)
		return -1;
	if (reject_unknown_keys(o->name, &kv, allowed, "-action") < 0)
		goto out;
	reboot = keyval_get(&kv, "reboot");
	shutdown = keyval_get(&kv, "shutdown");
	panic = keyval_get(&kv, "panic");
	if (reboot && strcmp(reboot, "shutdown") != 0) {
		pv_error("%s: reboot=%s: plugvm ends the VM when the guest reboots (only reboot=shutdown)",
			 o->name, reboot);
		goto out;
	}
	if (shutdown && strcmp(shutdown, "poweroff") != 0) {
		pv_error("%s: shutdown=%s: plugvm ends the VM when the guest powers off (only "
			 "shutdown=poweroff)", o->name, shutdown);
		goto out;
	}
	if (!panic || strcmp(panic, "shutdown") == 0 || strcmp(panic, "exit-failure") == 0) {
		st->cfg->panic_action = PANIC_ACTION_SHUTDOWN;
	} else if (strcmp(panic, "pause") == 0) {
		st->cfg->panic_action = PANIC_ACTION_PAUSE;
	} else if (strcmp(panic, "none") == 0) {
		st->cfg->panic_action = PANIC_ACTION_NONE;
	} else {
		pv_error("%s: panic=%s: expected shutdown, exit-failure, pause or none", o->name, panic);
		goto out;
	}
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

static int opt_help(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st, (void)o, (void)arg;
	return 0;
}

static int opt_version(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st, (void)o, (void)arg;
	return 0;
}

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
	{"-h", NULL, opt_help, "this help"},
	{"--help", NULL, opt_help, NULL},
	{"--version", NULL, opt_version, "print the version"},
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

/* ---- second pass: -m ---------------------------------------------------- */

static int finish_memory_args(struct parse_state *st)
{
	static const char *const allowed[] = {"size", "slots", "maxmem", NULL};
	struct plugvm_config *cfg = st->cfg;
	struct keyval_list kv;
	const char *v;
	uint64_t n;
	int ret = -1;

	cfg->ram_size = DEFAULT_RAM_SIZE;
	if (!st->mem_arg)
		return 0;
	if (!*st->mem_arg) {
		pv_error("-m: '' is not a valid size");
		return -1;
	}
	if (parse_keyval("-m", st->mem_arg, "size", &kv) < 0)
		return -1;
	if (reject_unknown_keys("-m", &kv, allowed, "-m") < 0)
		goto out;
	v = keyval_get(&kv, "size");
	if (v) {
		/* A bare number is MiB, QEMU's legacy rule for -m only. */
		if (parse_size(v, MiB, &n) < 0) {
			pv_error("-m: '%s' is not a valid size", v);
			goto out;
		}
		if (n > UINT64_MAX - RAM_SIZE_ALIGN) {
			pv_error("-m: ram size too large");
			goto out;
		}
		/* QEMU reads size 0 as "not given": the default stays. */
		if (n) {
			cfg->ram_size = align_up(n, RAM_SIZE_ALIGN);
			cfg->ram_size_given = true;
		}
	}
	v = keyval_get(&kv, "slots");
	if (v) {
		if (pv_parse_uint(v, 10, UINT32_MAX, &n) < 0) {
			pv_error("-m: 'slots=%s' is not a number", v);
			goto out;
		}
		if (n > PLUGVM_MAX_SLOTS) {
			pv_error("-m: unsupported amount of memory slots: %llu (at most %d)",
				 (unsigned long long)n, PLUGVM_MAX_SLOTS);
			goto out;
		}
		cfg->slots = (unsigned)n;
		st->has_slots = true;
	}
	v = keyval_get(&kv, "maxmem");
	if (v) {
		/* Bytes when bare, as in QEMU: only size= has the MiB rule. */
		if (parse_size(v, 1, &cfg->maxmem) < 0) {
			pv_error("-m: 'maxmem=%s' is not a valid size", v);
			goto out;
		}
		st->has_maxmem = true;
	}
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

/* QEMU's rules, checked once the RAM size is final (after -numa). */
static int check_maxmem(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	unsigned long long ram = cfg->ram_size, max = cfg->maxmem;

	if (!st->has_maxmem) {
		if (st->has_slots) {
			pv_error("-m: slots specified but no maxmem");
			return -1;
		}
		cfg->maxmem = cfg->ram_size;
		return 0;
	}
	if (max < ram) {
		pv_error("-m: invalid value of maxmem: maximum memory size (0x%llx) must be at least "
			 "the initial memory size (0x%llx)", max, ram);
		return -1;
	}
	if (cfg->slots && max == ram) {
		pv_error("-m: invalid value of maxmem: memory slots were specified but maximum memory "
			 "size (0x%llx) is equal to the initial memory size (0x%llx)", max, ram);
		return -1;
	}
	/* QEMU 6.0+ allows this for virtio-mem. plugvm allows it when a virtio-mem device
	 * is given: it cannot be added later (docs/options.md), and without one the space
	 * above the initial size would be unusable. Older QEMU refused it the same way. */
	if (!cfg->slots && max > ram && !cfg->nr_virtio_mem) {
		pv_error("-m: maxmem was specified, but no hotplug slots were specified (add slots=N, "
			 "or a -device virtio-mem-pci)");
		return -1;
	}
	return 0;
}

/* ---- second pass: -smp -------------------------------------------------- */

enum { SMP_CPUS, SMP_MAXCPUS, SMP_SOCKETS, SMP_DIES, SMP_CLUSTERS, SMP_CORES, SMP_THREADS, SMP_N };

static int finish_smp(struct parse_state *st)
{
	static const char *const keys[SMP_N + 1] = {"cpus", "maxcpus", "sockets", "dies",
						    "clusters", "cores", "threads", NULL};
	struct keyval_list kv;
	uint64_t v[SMP_N] = {0};
	int ret = -1;

	st->cfg->nr_cpus = 1;
	if (!st->smp_arg)
		return 0;
	if (parse_keyval("-smp", st->smp_arg, "cpus", &kv) < 0)
		return -1;
	if (reject_unknown_keys("-smp", &kv, keys, "-smp") < 0)
		goto out;
	for (unsigned i = 0; i < SMP_N; i++) {
		const char *s = keyval_get(&kv, keys[i]);

		if (!s)
			continue;
		if (pv_parse_uint(s, 10, UINT32_MAX, &v[i]) < 0) {
			pv_error("-smp: '%s=%s' is not a number", keys[i], s);
			goto out;
		}
		if (v[i] == 0) {
			pv_error("-smp: '%s=0': CPU topology parameters must be greater than zero",
				 keys[i]);
			goto out;
		}
		/* Every factor is at least 1, so any one above the limit is too many
		 * CPUs; checking here also keeps the products below from overflowing. */
		if (v[i] > PLUGVM_MAX_CPUS) {
			pv_error("-smp: '%s=%s': plugvm supports at most %d CPUs", keys[i], s,
				 PLUGVM_MAX_CPUS);
			goto out;
		}
	}

	/* QEMU's derivation (hw/core/machine-smp.c, machines since 6.2): the
	 * missing factors are filled in preferring cores over sockets, and the
	 * product must equal maxcpus. dies and clusters default to 1. */
	uint64_t cpus = v[SMP_CPUS], maxcpus = v[SMP_MAXCPUS], sockets = v[SMP_SOCKETS];
	uint64_t dies = v[SMP_DIES] ? v[SMP_DIES] : 1, clusters = v[SMP_CLUSTERS] ? v[SMP_CLUSTERS] : 1;
	uint64_t cores = v[SMP_CORES], threads = v[SMP_THREADS];

	if (!cpus && !maxcpus) {
		sockets = sockets ? sockets : 1;
		cores = cores ? cores : 1;
		threads = threads ? threads : 1;
	} else {
		maxcpus = maxcpus ? maxcpus : cpus;
		if (!cores) {
			sockets = sockets ? sockets : 1;
			threads = threads ? threads : 1;
			cores = maxcpus / (sockets * dies * clusters * threads);
		} else if (!sockets) {
			threads = threads ? threads : 1;
			sockets = maxcpus / (dies * clusters * cores * threads);
		}
		if (!threads)
			threads = maxcpus / (sockets * dies * clusters * cores);
	}
	uint64_t total = sockets * dies * clusters * cores * threads;

	maxcpus = maxcpus ? maxcpus : total;
	cpus = cpus ? cpus : maxcpus;
	if (total != maxcpus) {
		pv_error("-smp: invalid CPU topology: sockets (%llu) * dies (%llu) * clusters (%llu) * "
			 "cores (%llu) * threads (%llu) != maxcpus (%llu)",
			 (unsigned long long)sockets, (unsigned long long)dies,
			 (unsigned long long)clusters, (unsigned long long)cores,
			 (unsigned long long)threads, (unsigned long long)maxcpus);
		goto out;
	}
	if (maxcpus < cpus) {
		pv_error("-smp: invalid CPU topology: maxcpus (%llu) must be at least cpus (%llu)",
			 (unsigned long long)maxcpus, (unsigned long long)cpus);
		goto out;
	}
	if (maxcpus != cpus) {
		pv_error("-smp: maxcpus (%llu) above cpus (%llu) needs CPU hotplug, which plugvm "
			 "does not have", (unsigned long long)maxcpus, (unsigned long long)cpus);
		goto out;
	}
	if (cpus > PLUGVM_MAX_CPUS) {
		pv_error("-smp: %llu CPUs requested, plugvm supports at most %d",
			 (unsigned long long)cpus, PLUGVM_MAX_CPUS);
		goto out;
	}
	st->cfg->nr_cpus = (unsigned)cpus;
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

/* ---- second pass: -numa ------------------------------------------------- */

static bool memdev_used_by_node(const struct plugvm_config *cfg, unsigned nodes, const char *id)
{
	for (unsigned i = 0; i < nodes; i++)
		if (strcmp(cfg->numa[i].memdev, id) == 0)
			return true;
	return false;
}

/* "A" or "A-B", both below the number of CPUs. */
static int parse_cpu_range(const char *s, unsigned nr_cpus, struct numa_node_config *node)
{
	const char *dash = strchr(s, '-');
	char first[16];
	uint64_t a, b;

	if (dash && (size_t)(dash - s) < sizeof(first)) {
		memcpy(first, s, (size_t)(dash - s));
		first[dash - s] = '\0';
		if (pv_parse_uint(first, 10, UINT32_MAX, &a) < 0 ||
		    pv_parse_uint(dash + 1, 10, UINT32_MAX, &b) < 0)
			goto bad;
	} else if (dash || pv_parse_uint(s, 10, UINT32_MAX, &a) < 0) {
		goto bad;
	} else {
		b = a;
	}
	if (a > b) {
		pv_error("-numa: 'cpus=%s': the range is backwards", s);
		return -1;
	}
	if (b >= nr_cpus) {
		pv_error("-numa: 'cpus=%s': CPU index (%llu) should be smaller than the number of "
			 "CPUs (-smp %u)", s, (unsigned long long)b, nr_cpus);
		return -1;
	}
	node->cpu_first = (unsigned)a;
	node->cpu_last = (unsigned)b;
	node->cpus_set = true;
	return 0;
bad:
	pv_error("-numa: 'cpus=%s' is not A or A-B", s);
	return -1;
}

static int parse_numa_node(struct parse_state *st, const struct keyval_list *kv, unsigned index,
			   struct numa_node_config *node)
{
	static const char *const allowed[] = {"type", "nodeid", "cpus", "memdev", "mem", NULL};
	struct plugvm_config *cfg = st->cfg;
	const char *type = keyval_get(kv, "type"), *v;
	const struct keyval_list *obj;
	uint64_t n;

	if (!type || strcmp(type, "node") != 0) {
		pv_error("-numa: '%s' is not supported (only -numa node,...)", type ? type : "");
		return -1;
	}
	if (reject_unknown_keys("-numa", kv, allowed, "-numa node") < 0)
		return -1;
	if (keyval_get(kv, "mem")) {
		pv_error("-numa: node,mem= is not supported (QEMU 5.1+ machines refuse it too); "
			 "use memdev= with an -object memory-backend-*");
		return -1;
	}
	/* Without nodeid=, QEMU numbers the nodes in command-line order. */
	n = index;
	v = keyval_get(kv, "nodeid");
	if (v && pv_parse_uint(v, 10, UINT32_MAX, &n) < 0) {
		pv_error("-numa: 'nodeid=%s' is not a number", v);
		return -1;
	}
	if (n >= PLUGVM_MAX_NUMA_NODES) {
		pv_error("-numa: nodeid=%llu: plugvm supports node ids 0 to %d",
			 (unsigned long long)n, PLUGVM_MAX_NUMA_NODES - 1);
		return -1;
	}
	node->nodeid = (unsigned)n;
	v = keyval_get(kv, "cpus");
	if (v && parse_cpu_range(v, cfg->nr_cpus, node) < 0)
		return -1;
	v = keyval_get(kv, "memdev");
	if (!v) {
		pv_error("-numa: node %u has no memdev= (every node needs an -object "
			 "memory-backend-* for its RAM)", node->nodeid);
		return -1;
	}
	obj = find_object(cfg, v);
	if (!obj) {
		pv_error("-numa: memdev '%s' is not an -object defined on the command line", v);
		return -1;
	}
	strcpy(node->memdev, v); /* fits: check_id limits ids to PV_ID_MAX characters */
	node->mem_size = object_size(obj);
	return 0;
}

static int compare_nodes(const void *a, const void *b)
{
	const struct numa_node_config *x = a, *y = b;

	return (x->nodeid > y->nodeid) - (x->nodeid < y->nodeid);
}

/* "0-1,3" for the CPUs whose owner is -1. */
static void format_free_cpus(const int *owner, unsigned nr_cpus, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < nr_cpus; c++) {
		unsigned end = c;

		if (owner[c] >= 0)
			continue;
		while (end + 1 < nr_cpus && owner[end + 1] < 0)
			end++;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%u", used ? "," : "", c);
		if (end > c && used < len)
			used += (size_t)snprintf(buf + used, len - used, "-%u", end);
		c = end;
	}
}

/* Every CPU gets a node. QEMU puts CPUs no node claims into node 0 with a
 * warning; plugvm does the same as long as node 0 keeps a single range. */
static int assign_cpus(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	int owner[PLUGVM_MAX_CPUS];
	unsigned lo = cfg->nr_cpus, hi = 0, missing = 0;

	for (unsigned c = 0; c < cfg->nr_cpus; c++)
		owner[c] = -1;
	for (unsigned i = 0; i < cfg->nr_numa; i++) {
		const struct numa_node_config *node = &cfg->numa[i];

		if (!node->cpus_set)
			continue;
		for (unsigned c = node->cpu_first; c <= node->cpu_last; c++) {
			if (owner[c] >= 0) {
				pv_error("-numa: CPU %u is in both node %d and node %u", c, owner[c],
					 node->nodeid);
				return -1;
			}
			owner[c] = (int)node->nodeid;
		}
	}
	for (unsigned c = 0; c < cfg->nr_cpus; c++) {
		if (owner[c] >= 0)
			continue;
		missing++;
		lo = c < lo ? c : lo;
		hi = c;
	}
	if (missing) {
		struct numa_node_config *node0 = &cfg->numa[0];
		unsigned first = lo, last = hi, count = missing;
		char list[256];

		format_free_cpus(owner, cfg->nr_cpus, list, sizeof(list));

		if (node0->cpus_set) {
			first = node0->cpu_first < lo ? node0->cpu_first : lo;
			last = node0->cpu_last > hi ? node0->cpu_last : hi;
			count += node0->cpu_last - node0->cpu_first + 1;
		}
		if (last - first + 1 != count) {
			pv_error("-numa: CPU(s) %s are not in any node and cannot join node 0's single "
				 "range; give every CPU a node with cpus=", list);
			return -1;
		}
		pv_format(st->warning, sizeof(st->warning),
			  "warning: CPU(s) not present in any NUMA node: %s; they go to node 0", list);
		node0->cpu_first = first;
		node0->cpu_last = last;
		node0->cpus_set = true;
	}
	return 0;
}

static int finish_numa(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	uint64_t total = 0;

	for (unsigned i = 0; i < st->nr_numa_args; i++) {
		struct numa_node_config *node = &cfg->numa[i];

		if (parse_numa_node(st, &st->numa[i], i, node) < 0)
			return -1;
		for (unsigned j = 0; j < i; j++) {
			if (cfg->numa[j].nodeid == node->nodeid) {
				pv_error("-numa: duplicate NUMA nodeid: %u", node->nodeid);
				return -1;
			}
		}
		if (memdev_used_by_node(cfg, i, node->memdev)) {
			pv_error("-numa: memory backend %s can't be used multiple times", node->memdev);
			return -1;
		}
		if (node->mem_size > UINT64_MAX - total) {
			pv_error("-numa: the nodes' memory adds up to more than 16 EiB");
			return -1;
		}
		total += node->mem_size;
		cfg->nr_numa = i + 1;
	}
	if (!cfg->nr_numa)
		return 0;

	/* Dense ids: sorted, node i must be id i (layout and SRAT index by it). */
	qsort(cfg->numa, cfg->nr_numa, sizeof(cfg->numa[0]), compare_nodes);
	for (unsigned i = 0; i < cfg->nr_numa; i++) {
		if (cfg->numa[i].nodeid != i) {
			pv_error("-numa: node ID missing: %u (ids must be 0 to %u without gaps)", i,
				 cfg->nr_numa - 1);
			return -1;
		}
	}
	if (assign_cpus(st) < 0)
		return -1;

	if (cfg->ram_size_given && total != cfg->ram_size) {
		pv_error("-numa: total memory for NUMA nodes (0x%llx) should equal RAM size (0x%llx)",
			 (unsigned long long)total, (unsigned long long)cfg->ram_size);
		return -1;
	}
	cfg->ram_size = total;
	return 0;
}

/* ---- second pass: -device pc-dimm --------------------------------------- */

/* Another -device before index that uses memdev. */
static bool memdev_used_by_device(const struct plugvm_config *cfg, unsigned index,
				  const char *memdev)
{
	for (unsigned i = 0; i < index; i++) {
		const char *other = keyval_get(&cfg->devices[i], "memdev");

		if (other && strcmp(other, memdev) == 0)
			return true;
	}
	return false;
}

/* The memory devices (DIMMs and virtio-mem regions) must fit in maxmem - RAM. */
static int check_device_space(const struct plugvm_config *cfg, const char *what, const char *id,
			      uint64_t size, uint64_t *plugged)
{
	uint64_t room = cfg->maxmem - cfg->ram_size;

	if (size > room - *plugged) {
		pv_error("-device: %s '%s': not enough space: maxmem (0x%llx) minus the initial RAM "
			 "(0x%llx) leaves 0x%llx for memory devices, and they need 0x%llx",
			 what, id, (unsigned long long)cfg->maxmem, (unsigned long long)cfg->ram_size,
			 (unsigned long long)room,
			 (unsigned long long)(*plugged + size < *plugged ? UINT64_MAX : *plugged + size));
		return -1;
	}
	*plugged += size;
	return 0;
}

static int check_dimm(struct parse_state *st, unsigned index, unsigned dimm_index,
		      uint64_t *plugged)
{
	struct plugvm_config *cfg = st->cfg;
	const struct keyval_list *dev = &cfg->devices[index];
	const char *id = keyval_get(dev, "id"), *memdev = keyval_get(dev, "memdev"), *v;
	const struct keyval_list *obj;
	uint64_t n;
	unsigned nodes = config_nr_nodes(cfg);

	if (!cfg->slots && cfg->maxmem > cfg->ram_size) {
		/* maxmem for a virtio-mem device, but no slots (QEMU's words). */
		pv_error("-device: pc-dimm '%s': no slots where allocated, please specify the "
			 "'slots' option", id);
		return -1;
	}
	if (!cfg->slots) {
		pv_error("-device: pc-dimm '%s': memory devices (e.g. for memory hotplug) are not "
			 "enabled, please specify the maxmem option", id);
		return -1;
	}
	if (dimm_index >= cfg->slots) {
		pv_error("-device: pc-dimm '%s': all %u slots of -m slots= are taken", id, cfg->slots);
		return -1;
	}
	if (!memdev) {
		pv_error("-device: pc-dimm '%s': 'memdev' property is not set", id);
		return -1;
	}
	obj = find_object(cfg, memdev);
	if (!obj) {
		pv_error("-device: pc-dimm '%s': memdev '%s' is not an -object on the command line",
			 id, memdev);
		return -1;
	}
	if (memdev_used_by_node(cfg, cfg->nr_numa, memdev)) {
		pv_error("-device: pc-dimm '%s': can't use already busy memdev: %s (a -numa node "
			 "uses it)", id, memdev);
		return -1;
	}
	if (memdev_used_by_device(cfg, index, memdev)) {
		pv_error("-device: pc-dimm '%s': can't use already busy memdev: %s", id, memdev);
		return -1;
	}
	v = keyval_get(dev, "node");
	if (v && (pv_parse_uint(v, 0, UINT32_MAX, &n) < 0 || n >= nodes)) {
		pv_error("-device: pc-dimm '%s': 'node=%s' is not a NUMA node (there %s %u)", id, v,
			 nodes == 1 ? "is" : "are", nodes);
		return -1;
	}
	v = keyval_get(dev, "slot");
	if (v) {
		if (pv_parse_uint(v, 0, UINT32_MAX, &n) < 0 || n >= cfg->slots) {
			pv_error("-device: pc-dimm '%s': 'slot=%s' is not a slot number below %u", id,
				 v, cfg->slots);
			return -1;
		}
		for (unsigned i = 0; i < index; i++) {
			const char *other = keyval_get(&cfg->devices[i], "slot");
			uint64_t m;

			if (other && pv_parse_uint(other, 0, UINT32_MAX, &m) == 0 && m == n) {
				pv_error("-device: pc-dimm '%s': slot %s is already taken", id, v);
				return -1;
			}
		}
	}
	v = keyval_get(dev, "addr");
	if (v && pv_parse_uint(v, 0, UINT64_MAX, &n) < 0) {
		pv_error("-device: pc-dimm '%s': 'addr=%s' is not a number", id, v);
		return -1;
	}
	return check_device_space(cfg, "pc-dimm", id, object_size(obj), plugged);
}

/* ---- second pass: -device virtio-mem-pci -------------------------------- */

static int check_vmem(struct parse_state *st, unsigned index, uint64_t *plugged)
{
	struct plugvm_config *cfg = st->cfg;
	const struct keyval_list *dev = &cfg->devices[index];
	const struct keyval_list *obj;
	unsigned nodes = config_nr_nodes(cfg);
	struct vmem_props p;
	char err[ERRLEN];
	bool prealloc = false;

	vmem_props_parse(dev, &p, err, sizeof(err)); /* checked by opt_device */
	if (cfg->maxmem == cfg->ram_size) {
		pv_error("-device: %s '%s': memory devices (e.g. for memory hotplug) are not "
			 "enabled, please specify the maxmem option", p.driver, p.id);
		return -1;
	}
	if (!p.memdev) {
		pv_error("-device: %s '%s': 'memdev' property is not set", p.driver, p.id);
		return -1;
	}
	obj = find_object(cfg, p.memdev);
	if (!obj) {
		pv_error("-device: %s '%s': memdev '%s' is not an -object on the command line",
			 p.driver, p.id, p.memdev);
		return -1;
	}
	if (memdev_used_by_node(cfg, cfg->nr_numa, p.memdev) ||
	    memdev_used_by_device(cfg, index, p.memdev)) {
		pv_error("-device: %s '%s': can't use already busy memdev: %s (%s uses it)", p.driver,
			 p.id, p.memdev,
			 memdev_used_by_node(cfg, cfg->nr_numa, p.memdev) ? "a -numa node"
									   : "another -device");
		return -1;
	}
	if (p.node >= nodes) {
		pv_error("-device: %s '%s': 'node=%u' is not a NUMA node (there %s %u)", p.driver,
			 p.id, p.node, nodes == 1 ? "is" : "are", nodes);
		return -1;
	}
	keyval_get_bool(obj, "prealloc", false, &prealloc); /* checked by check_backend */
	/* The host page size is known once the backend exists: vm_create checks it. */
	if (vmem_props_check_backend(&p, object_size(obj), 0, prealloc, err, sizeof(err)) < 0) {
		pv_error("-device: %s '%s': %s", p.driver, p.id, err);
		return -1;
	}
	return check_device_space(cfg, p.driver, p.id, object_size(obj), plugged);
}

/* ---- second pass: consoles ---------------------------------------------- */

static bool uses_stdio(const struct chardev_config *c)
{
	return c->kind == CHARDEV_STDIO || c->kind == CHARDEV_MON_STDIO;
}

static int finish_consoles(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	const struct chardev_config *all[1 + 2 * PLUGVM_MAX_MONITORS];
	const char *names[1 + 2 * PLUGVM_MAX_MONITORS];
	unsigned n = 0, stdio_users = 0;

	if (!st->serial_given) {
		bool stdio_taken = false;

		for (unsigned i = 0; i < cfg->nr_monitor; i++)
			stdio_taken |= uses_stdio(&cfg->monitor[i]);
		/* QEMU's -nographic default. Without it QEMU would show the serial
		 * port in a window; plugvm has none, so stdio instead, unless an
		 * explicit -monitor stdio already owns the terminal. */
		if (cfg->nographic && !st->monitor_given)
			cfg->serial.kind = CHARDEV_MON_STDIO;
		else
			cfg->serial.kind = stdio_taken ? CHARDEV_NONE : CHARDEV_STDIO;
	} else if (cfg->nographic && !st->monitor_given && !uses_stdio(&cfg->serial)) {
		/* QEMU: -nographic with the serial port elsewhere puts the
		 * monitor on stdio. */
		cfg->monitor[cfg->nr_monitor++].kind = CHARDEV_STDIO;
	}

	all[n] = &cfg->serial, names[n++] = "-serial";
	for (unsigned i = 0; i < cfg->nr_monitor; i++)
		all[n] = &cfg->monitor[i], names[n++] = "-monitor";
	for (unsigned i = 0; i < cfg->nr_qmp; i++)
		all[n] = &cfg->qmp[i], names[n++] = "-qmp";
	for (unsigned i = 0; i < n; i++) {
		if (uses_stdio(all[i]) && ++stdio_users > 1) {
			pv_error("%s: stdio is already used by another -serial or -monitor", names[i]);
			return -1;
		}
		if (all[i]->kind != CHARDEV_UNIX && all[i]->kind != CHARDEV_FILE)
			continue;
		for (unsigned j = 0; j < i; j++) {
			if ((all[j]->kind == CHARDEV_UNIX || all[j]->kind == CHARDEV_FILE) &&
			    strcmp(all[i]->path, all[j]->path) == 0) {
				pv_error("%s: '%s' is already used by %s", names[i], all[i]->path,
					 names[j]);
				return -1;
			}
		}
	}
	return 0;
}

static int finish(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	uint64_t plugged = 0;

	/* A malformed value names its option; only a well-formed command line
	 * is told what it lacks. */
	if (finish_memory_args(st) < 0 || finish_smp(st) < 0 || finish_numa(st) < 0 ||
	    check_maxmem(st) < 0)
		return -1;
	if (!cfg->kernel && !cfg->dump_acpi_dir) {
		pv_error("-kernel: no kernel given (plugvm boots a Linux bzImage: -kernel PATH)");
		return -1;
	}
	for (unsigned i = 0, dimms = 0; i < cfg->nr_devices; i++) {
		bool vmem = vmem_is_driver(keyval_get(&cfg->devices[i], "driver"));

		if (vmem ? check_vmem(st, i, &plugged) < 0 : check_dimm(st, i, dimms++, &plugged) < 0)
			return -1;
	}
	return finish_consoles(st);
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
		if (o->handler == opt_help) {
			options_usage(stdout);
			ret = 1;
			goto out;
		}
		if (o->handler == opt_version) {
			print_version();
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
