/* Pieces shared by the QMP server, dispatcher and command files. */
#ifndef PLUGVM_MONITOR_QMP_INTERNAL_H
#define PLUGVM_MONITOR_QMP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "keyval.h"
#include "monitor/control.h"

struct qmp_context {
	const struct control_ops *ops;
	const char *name; /* -name, or NULL */
};

/* Per-connection protocol state. */
struct qmp_session {
	bool negotiated;
};

/* A command returns its "return" value (a new reference), or NULL with
 * err filled in. */
typedef json_t *(*qmp_cmd_fn)(const struct qmp_context *ctx, json_t *args,
			      struct control_error *err);

struct qmp_command {
	const char *name;
	qmp_cmd_fn fn;
	/* Accepted argument names, NULL-terminated; NULL = any (the command
	 * checks them itself, e.g. object-add's per-type properties). */
	const char *const *params;
	/* NULL: always there. Otherwise the command exists only while this says so (an
	 * x- command for tests): unknown to find and to query-commands when it does not. */
	bool (*available)(void);
};

/* Whether cmd exists in this plugvm (its available()). */
bool qmp_command_available(const struct qmp_command *cmd);

/* Parses one framed JSON text and runs it. Returns the reply to send (a
 * new reference); never NULL. */
json_t *qmp_handle_text(const struct qmp_context *ctx, struct qmp_session *s, const char *text,
			size_t len);
json_t *qmp_dispatch(const struct qmp_context *ctx, struct qmp_session *s, json_t *request);
json_t *qmp_greeting(void);

/* A scalar QMP value as the text the VM takes for a property (options, qom-set):
 * numbers in decimal, booleans on/off, strings as they are; NULL for anything else
 * (malloc'ed). */
char *qmp_scalar_text(json_t *v);
void qmp_set_error(struct control_error *err, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A string argument: required ones report "Parameter '%s' is missing". */
int qmp_arg_string(json_t *args, const char *key, bool required, const char **out,
		   struct control_error *err);
/* Turns flat QMP arguments into the key=value strings the command line
 * uses: numbers in decimal, booleans on/off. Lists and objects are refused. */
int qmp_args_to_keyval(json_t *args, struct keyval_list *out, struct control_error *err);

/* The command table. */
extern const struct qmp_command qmp_commands[];
extern const size_t qmp_nr_commands;

/* Commands (qmp_cmds_*.c). */
json_t *qmp_cmd_query_version(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_query_status(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_query_name(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_query_commands(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_human_monitor_command(const struct qmp_context *, json_t *,
				      struct control_error *);
json_t *qmp_cmd_system_powerdown(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_system_reset(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_quit(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_object_add(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_object_del(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_device_add(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_device_del(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_query_memory_devices(const struct qmp_context *, json_t *,
				     struct control_error *);
json_t *qmp_cmd_query_memory_size_summary(const struct qmp_context *, json_t *,
					  struct control_error *);
json_t *qmp_cmd_qom_get(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_qom_set(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_inject_fault(const struct qmp_context *, json_t *, struct control_error *);
/* qom-get's answer: an integer, a string or a boolean (a new reference). */
json_t *qmp_qom_value_json(const struct qom_value *v);
json_t *qmp_cmd_query_memdev(const struct qmp_context *, json_t *, struct control_error *);
json_t *qmp_cmd_query_acpi_ospm_status(const struct qmp_context *, json_t *,
				       struct control_error *);

#endif
