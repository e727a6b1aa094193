/* Shared by the HMP command files. */
#ifndef PLUGVM_MONITOR_HMP_INTERNAL_H
#define PLUGVM_MONITOR_HMP_INTERNAL_H

#include "monitor/control.h"
#include "strbuf.h"

/* "Error: <desc>\n", QEMU's hmp_handle_error. */
void hmp_print_error(struct strbuf *out, const struct control_error *err);

/* The "info" subcommands (hmp_info.c); NULL-name-terminated table. */
struct hmp_info_cmd {
	const char *name;
	const char *help;
	void (*fn)(const struct control_ops *ops, struct strbuf *out);
};
extern const struct hmp_info_cmd hmp_info_cmds[];
extern const char *hmp_vm_name;

#endif
