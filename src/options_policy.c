/*
 * How plugvm runs rather than what the machine has: -name, -sandbox and -action, and the
 * QEMU options plugvm implies (-enable-kvm, -accel kvm, -cpu host, -display none,
 * -no-reboot), accepted so QEMU command lines run unchanged, or refused (-machine).
 */
#include <string.h>

#include "options_internal.h"
#include "util.h"

int opt_name(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	static const char *const allowed[] = {"guest", "process", "debug-threads", NULL};
	struct keyval_list kv;
	const char *guest;
	int ret = -1;

	if (st->cfg->name) {
		pv_error("%s: given more than once", o->name);
		return -1;
	}
	if (opt_parse_keyval(o->name, arg, "guest", &kv) < 0)
		return -1;
	if (opt_reject_unknown_keys(o->name, &kv, allowed, "-name") < 0)
		goto out;
	guest = keyval_get(&kv, "guest");
	if (guest && !(st->cfg->name = opt_strdup(o->name, guest)))
		goto out;
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

/* QEMU's -sandbox: on|off plus four switches that widen QEMU's denylist. plugvm's
 * sandbox is an allowlist that already denies all four kinds of call, so "deny" is
 * accepted as a no-op and anything that would allow them is refused. plugvm's own key
 * mem-path=DIR names one more directory where object-add may create backend files. */
int opt_sandbox(struct parse_state *st, const struct option_desc *o, const char *arg)
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
	if (opt_parse_keyval(o->name, arg, "enable", &kv) < 0)
		return -1;
	if (opt_reject_unknown_keys(o->name, &kv, allowed, "-sandbox") < 0)
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
	if (mem_path && !(st->cfg->sandbox_mem_path = opt_strdup(o->name, mem_path)))
		goto out;
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

/* Options that QEMU needs and plugvm implies: accepted so QEMU command lines
 * run unchanged, refused with any value plugvm cannot honour. */
int opt_ignored_flag(struct parse_state *st, const struct option_desc *o, const char *arg)
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

int opt_accel(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	return accept_only(o, strncmp(arg, "accel=", 6) == 0 ? arg + 6 : arg, "kvm",
			   "plugvm always runs on KVM (-accel kvm)");
}

int opt_cpu(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	return accept_only(o, arg, "host", "plugvm always passes the host CPU through (-cpu host)");
}

int opt_display(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	return accept_only(o, arg, "none", "plugvm has no display (-display none)");
}

int opt_machine(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	(void)st;
	pv_error("%s: '%s': plugvm has one fixed machine model, drop %s", o->name, arg, o->name);
	return -1;
}

/* QEMU's -action: what happens on a guest reboot, shutdown or panic. plugvm never
 * restarts or pauses a guest that reboots or powers off, so those keys take only the
 * values that say so; panic= takes all of QEMU's (exit-failure is shutdown: a guest
 * panic always exits 3, docs/options.md). */
int opt_action(struct parse_state *st, const struct option_desc *o, const char *arg)
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
	if (opt_parse_keyval(o->name, arg, NULL, &kv) < 0)
		return -1;
	if (opt_reject_unknown_keys(o->name, &kv, allowed, "-action") < 0)
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
