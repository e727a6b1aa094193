/*
 * Where the serial port and the monitors go: -serial, -monitor, -qmp and -nographic,
 * then (second pass) QEMU's defaults for whatever was not given and the rule that no two
 * of them share stdio or a path.
 */
#include <string.h>

#include "options_internal.h"
#include "util.h"

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

	if (opt_parse_keyval(opt, spec, "path", &kv) < 0)
		return -1;
	if (opt_reject_unknown_keys(opt, &kv, allowed, "a unix socket") < 0)
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

int opt_serial(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	if (st->serial_given) {
		pv_error("%s: given more than once; plugvm has one serial port (COM1)", o->name);
		return -1;
	}
	st->serial_given = true;
	return parse_chardev(o->name, arg, FOR_SERIAL, &st->cfg->serial);
}

/* One more monitor of a kind (HMP or QMP), at most PLUGVM_MAX_MONITORS of each. */
static int add_monitor(const struct option_desc *o, const char *arg, enum chardev_user user,
		       struct chardev_config *list, unsigned *nr, const char *what)
{
	if (*nr == PLUGVM_MAX_MONITORS) {
		pv_error("%s: at most %d %s", o->name, PLUGVM_MAX_MONITORS, what);
		return -1;
	}
	if (parse_chardev(o->name, arg, user, &list[*nr]) < 0)
		return -1;
	(*nr)++;
	return 0;
}

int opt_monitor(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	st->monitor_given = true;
	if (strcmp(arg, "none") == 0)
		return 0; /* only turns off the -nographic default monitor */
	return add_monitor(o, arg, FOR_MONITOR, st->cfg->monitor, &st->cfg->nr_monitor, "monitors");
}

int opt_qmp(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	st->monitor_given = true; /* as in QEMU, -qmp replaces the default monitor */
	return add_monitor(o, arg, FOR_QMP, st->cfg->qmp, &st->cfg->nr_qmp, "QMP monitors");
}

int opt_nographic(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)o;
	(void)arg;
	st->cfg->nographic = true;
	return 0;
}

/* ---- second pass: consoles ---------------------------------------------- */

static bool uses_stdio(const struct chardev_config *c)
{
	return c->kind == CHARDEV_STDIO || c->kind == CHARDEV_MON_STDIO;
}

int opt_finish_consoles(struct parse_state *st)
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
