/*
 * What the command-line files share: the parse state, the option table's entry, the
 * helpers every family words its errors with, and one entry point per family.
 * options.c walks argv and calls the first-pass handlers (opt_*), then the second-pass
 * checks (opt_finish_*) in a fixed order; each options_*.c owns one family of options.
 * Only these files include this header: the rest of plugvm sees options.h.
 */
#ifndef PLUGVM_OPTIONS_INTERNAL_H
#define PLUGVM_OPTIONS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "keyval.h"

#define OPT_ERRLEN 256

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
	char warning[OPT_ERRLEN];
};

struct option_desc;
typedef int (*option_handler)(struct parse_state *st, const struct option_desc *o,
			      const char *arg);

struct option_desc {
	const char *name;    /* with one dash, as QEMU documents it */
	const char *argname; /* NULL: takes no argument */
	option_handler handler; /* NULL: -h, --help, --version (options_parse's own) */
	const char *help;    /* NULL: left out of --help */
};

/* ---- helpers (options.c); each prints the one error line itself ---------- */

/* pv_check_id's rule in the command line's words ("-opt: id= is required" when NULL). */
int opt_check_id(const char *opt, const char *id);
int opt_parse_keyval(const char *opt, const char *arg, const char *implied,
		     struct keyval_list *out);
/* "-opt: WHAT has no parameter 'KEY'" for the first key not in allowed. */
int opt_reject_unknown_keys(const char *opt, const struct keyval_list *kv,
			    const char *const *allowed, const char *what);
/* -object/-device: JSON refused, room in the table, arg parsed (options.c says more). */
int opt_parse_list_entry(const struct option_desc *o, const char *arg, const char *implied,
			 const char *example, unsigned used, unsigned max, const char *what,
			 struct keyval_list *kv);
/* strdup, or NULL after "-opt: out of memory". */
char *opt_strdup(const char *opt, const char *s);
/* Stores arg in *field, or refuses a second -opt. */
int opt_set_once(const struct option_desc *o, const char **field, const char *arg);

/* ---- first pass: one handler per option --------------------------------- */

/* options_boot.c */
int opt_kernel(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_initrd(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_append(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_kernel_unpack(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_dump_acpi(struct parse_state *st, const struct option_desc *o, const char *arg);
/* options_memory.c */
int opt_m(struct parse_state *st, const struct option_desc *o, const char *arg);
/* options_smp.c */
int opt_smp(struct parse_state *st, const struct option_desc *o, const char *arg);
/* options_numa.c */
int opt_numa(struct parse_state *st, const struct option_desc *o, const char *arg);
/* options_object.c */
int opt_object(struct parse_state *st, const struct option_desc *o, const char *arg);
/* options_device.c */
int opt_device(struct parse_state *st, const struct option_desc *o, const char *arg);
/* options_chardev.c */
int opt_serial(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_monitor(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_qmp(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_nographic(struct parse_state *st, const struct option_desc *o, const char *arg);
/* options_policy.c */
int opt_name(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_sandbox(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_action(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_ignored_flag(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_accel(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_cpu(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_display(struct parse_state *st, const struct option_desc *o, const char *arg);
int opt_machine(struct parse_state *st, const struct option_desc *o, const char *arg);

/* ---- second pass, in the order options.c calls them ---------------------- */

int opt_finish_memory(struct parse_state *st);  /* -m: size, slots=, maxmem= */
int opt_finish_smp(struct parse_state *st);     /* -smp */
int opt_finish_numa(struct parse_state *st);    /* -numa; fixes the RAM size */
int opt_finish_maxmem(struct parse_state *st);  /* maxmem against the final RAM size */
int opt_finish_devices(struct parse_state *st); /* -device, in command-line order */
int opt_finish_consoles(struct parse_state *st);

/* ---- lookups one family offers another ----------------------------------- */

/* options_object.c: the -object with that id, or NULL; its size= (already checked). */
const struct keyval_list *opt_find_object(const struct plugvm_config *cfg, const char *id);
uint64_t opt_object_size(const struct keyval_list *obj);
/* options_numa.c: whether one of the first nodes NUMA nodes uses memdev id. */
bool opt_memdev_used_by_node(const struct plugvm_config *cfg, unsigned nodes, const char *id);

#endif
