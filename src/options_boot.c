/*
 * What the guest boots: -kernel, -initrd, -append, -kernel-unpack, and --dump-acpi (which
 * writes the ACPI tables instead of booting). Only paths are stored; nothing is opened.
 */
#include <string.h>

#include "options_internal.h"
#include "util.h"

int opt_kernel(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return opt_set_once(o, &st->cfg->kernel, arg);
}

int opt_initrd(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return opt_set_once(o, &st->cfg->initrd, arg);
}

int opt_append(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return opt_set_once(o, &st->cfg->append, arg);
}

int opt_kernel_unpack(struct parse_state *st, const struct option_desc *o,
			     const char *arg)
{
	if (opt_set_once(o, &st->cfg->kernel_unpack, arg) < 0)
		return -1;
	if (strcmp(arg, "host") != 0 && strcmp(arg, "guest") != 0) {
		pv_error("%s: '%s': expected host or guest", o->name, arg);
		return -1;
	}
	st->cfg->kernel_unpack_guest = strcmp(arg, "guest") == 0;
	return 0;
}

int opt_dump_acpi(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return opt_set_once(o, &st->cfg->dump_acpi_dir, arg);
}
