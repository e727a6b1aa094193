/*
 * QMP request handling, following QEMU's dispatcher: the same request
 * checks, error classes and descriptions, so clients that match on them
 * (e.g. "Capabilities negotiation is already complete") keep working.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "fault_inject.h"
#include "monitor/qmp.h"
#include "monitor/qmp_internal.h"
#include "util.h"

static const char *const no_params[] = {NULL};
static const char *const id_param[] = {"id", NULL};
static const char *const hmp_params[] = {"command-line", "cpu-index", NULL};
static const char *const qom_get_params[] = {"path", "property", NULL};
static const char *const qom_set_params[] = {"path", "property", "value", NULL};
static const char *const inject_fault_params[] = {"site", "errno", "count", NULL};

const struct qmp_command qmp_commands[] = {
	{"qmp_capabilities", NULL, NULL, NULL}, /* handled by qmp_dispatch itself */
	{"query-version", qmp_cmd_query_version, no_params, NULL},
	{"query-status", qmp_cmd_query_status, no_params, NULL},
	{"query-name", qmp_cmd_query_name, no_params, NULL},
	{"query-commands", qmp_cmd_query_commands, no_params, NULL},
	{"object-add", qmp_cmd_object_add, NULL, NULL},
	{"object-del", qmp_cmd_object_del, id_param, NULL},
	{"device_add", qmp_cmd_device_add, NULL, NULL},
	{"device_del", qmp_cmd_device_del, id_param, NULL},
	{"query-memory-devices", qmp_cmd_query_memory_devices, no_params, NULL},
	{"query-memory-size-summary", qmp_cmd_query_memory_size_summary, no_params, NULL},
	{"query-memdev", qmp_cmd_query_memdev, no_params, NULL},
	{"query-acpi-ospm-status", qmp_cmd_query_acpi_ospm_status, no_params, NULL},
	{"qom-get", qmp_cmd_qom_get, qom_get_params, NULL},
	{"qom-set", qmp_cmd_qom_set, qom_set_params, NULL},
	{"human-monitor-command", qmp_cmd_human_monitor_command, hmp_params, NULL},
	{"system_powerdown", qmp_cmd_system_powerdown, no_params, NULL},
	{"system_reset", qmp_cmd_system_reset, no_params, NULL},
	{"quit", qmp_cmd_quit, no_params, NULL},
	/* Tests only, in QEMU's experimental namespace (docs/monitor.md): it exists only
	 * when plugvm was started with PLUGVM_FAULT_INJECTION. */
	{"x-plugvm-inject-fault", qmp_cmd_inject_fault, inject_fault_params,
	 fault_inject_enabled},
};
const size_t qmp_nr_commands = ARRAY_SIZE(qmp_commands);

void qmp_set_error(struct control_error *err, const char *cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	control_error_vset(err, cls, fmt, ap);
	va_end(ap);
}

json_t *qmp_greeting(void)
{
	return json_pack("{s:{s:{s:{s:i, s:i, s:i}, s:s}, s:[]}}", "QMP", "version", "qemu",
			 "micro", QMP_QEMU_MICRO, "minor", QMP_QEMU_MINOR, "major",
			 QMP_QEMU_MAJOR, "package", "plugvm " PLUGVM_VERSION, "capabilities");
}

static json_t *error_reply(const struct control_error *err)
{
	char desc[sizeof(err->desc)];

	/* The description quotes the client's text (a command or member name, jansson's
	 * "near '...'") and may hold a UTF-8 character cut in two: jansson would refuse it,
	 * and the request would get no reply at all. */
	snprintf(desc, sizeof(desc), "%s", err->desc[0] ? err->desc : "unknown error");
	return json_pack("{s:{s:s, s:s}}", "error", "class", err->cls ? err->cls : CONTROL_ERR_GENERIC,
			 "desc", pv_utf8_scrub(desc));
}

/* QEMU's checks of the request envelope, in its order and words. */
static int check_request(json_t *req, const char **command, json_t **args,
			 struct control_error *err)
{
	const char *key;
	json_t *value;

	*command = NULL;
	*args = NULL;
	json_object_foreach(req, key, value) {
		if (strcmp(key, "execute") == 0) {
			if (!json_is_string(value)) {
				qmp_set_error(err, NULL, "QMP input member 'execute' must be a string");
				return -1;
			}
			*command = json_string_value(value);
		} else if (strcmp(key, "arguments") == 0) {
			if (!json_is_object(value)) {
				qmp_set_error(err, NULL,
					      "QMP input member 'arguments' must be an object");
				return -1;
			}
			*args = value;
		} else if (strcmp(key, "id") != 0) {
			/* "exec-oob" included: plugvm offers no out-of-band capability. */
			qmp_set_error(err, NULL, "QMP input member '%s' is unexpected", key);
			return -1;
		}
	}
	if (!*command) {
		qmp_set_error(err, NULL, "QMP input lacks member 'execute'");
		return -1;
	}
	return 0;
}

static int check_params(const struct qmp_command *cmd, json_t *args, struct control_error *err)
{
	const char *key;
	json_t *value;

	if (!cmd->params)
		return 0;
	json_object_foreach(args, key, value) {
		bool known = false;

		for (size_t i = 0; cmd->params[i]; i++)
			known |= strcmp(cmd->params[i], key) == 0;
		if (!known) {
			qmp_set_error(err, NULL, "Parameter '%s' is unexpected", key);
			return -1;
		}
	}
	return 0;
}

/* qmp_capabilities: we offer no capabilities, so "enable" must be empty. */
static json_t *negotiate(struct qmp_session *s, json_t *args, struct control_error *err)
{
	json_t *enable = json_object_get(args, "enable"), *cap;
	const char *key;
	json_t *value;
	size_t i;

	json_object_foreach(args, key, value) {
		if (strcmp(key, "enable") != 0) {
			qmp_set_error(err, NULL, "Parameter '%s' is unexpected", key);
			return NULL;
		}
	}
	if (s->negotiated) {
		qmp_set_error(err, CONTROL_ERR_COMMAND_NOT_FOUND,
			      "Capabilities negotiation is already complete, command ignored");
		return NULL;
	}
	if (enable && !json_is_array(enable)) {
		qmp_set_error(err, NULL, "Invalid parameter type for 'enable', expected: array");
		return NULL;
	}
	json_array_foreach(enable, i, cap) {
		if (!json_is_string(cap)) {
			qmp_set_error(err, NULL, "Invalid parameter type for 'enable[%zu]', expected: string", i);
			return NULL;
		}
		qmp_set_error(err, NULL, "Capability %s not available", json_string_value(cap));
		return NULL;
	}
	s->negotiated = true;
	return json_object();
}

bool qmp_command_available(const struct qmp_command *cmd)
{
	return !cmd->available || cmd->available();
}

static const struct qmp_command *find_command(const char *name)
{
	for (size_t i = 0; i < qmp_nr_commands; i++)
		if (strcmp(qmp_commands[i].name, name) == 0 &&
		    qmp_command_available(&qmp_commands[i]))
			return &qmp_commands[i];
	return NULL;
}

static json_t *run(const struct qmp_context *ctx, struct qmp_session *s, json_t *req,
		   struct control_error *err)
{
	const struct qmp_command *cmd;
	const char *name;
	json_t *args, *ret;

	if (!json_is_object(req)) {
		qmp_set_error(err, NULL, "QMP input must be a JSON object");
		return NULL;
	}
	if (check_request(req, &name, &args, err) < 0)
		return NULL;
	cmd = find_command(name);
	if (!s->negotiated && (!cmd || cmd->fn)) {
		/* Before negotiation only qmp_capabilities exists. */
		qmp_set_error(err, CONTROL_ERR_COMMAND_NOT_FOUND,
			      "Expecting capabilities negotiation with 'qmp_capabilities'");
		return NULL;
	}
	if (!cmd) {
		qmp_set_error(err, CONTROL_ERR_COMMAND_NOT_FOUND, "The command %s has not been found",
			      name);
		return NULL;
	}
	args = args ? json_incref(args) : json_object();
	if (!cmd->fn)
		ret = negotiate(s, args, err);
	else if (check_params(cmd, args, err) < 0)
		ret = NULL;
	else
		ret = cmd->fn(ctx, args, err);
	json_decref(args);
	return ret;
}

json_t *qmp_dispatch(const struct qmp_context *ctx, struct qmp_session *s, json_t *request)
{
	struct control_error err = {0};
	json_t *ret = run(ctx, s, request, &err), *reply, *id;

	reply = ret ? json_pack("{s:o}", "return", ret) : error_reply(&err);
	id = json_is_object(request) ? json_object_get(request, "id") : NULL;
	if (id)
		json_object_set(reply, "id", id);
	return reply;
}

json_t *qmp_handle_text(const struct qmp_context *ctx, struct qmp_session *s, const char *text,
			size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr), *reply;
	struct control_error err = {0};

	if (!req) {
		qmp_set_error(&err, NULL, "JSON parse error, %s", jerr.text);
		return error_reply(&err);
	}
	reply = qmp_dispatch(ctx, s, req);
	json_decref(req);
	return reply;
}

int qmp_arg_string(json_t *args, const char *key, bool required, const char **out,
		   struct control_error *err)
{
	json_t *v = json_object_get(args, key);

	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		qmp_set_error(err, NULL, "Parameter '%s' is missing", key);
		return -1;
	}
	if (!json_is_string(v)) {
		qmp_set_error(err, NULL, "Invalid parameter type for '%s', expected: string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

char *qmp_scalar_text(json_t *v)
{
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return strdup(buf);
	case JSON_TRUE:
		return strdup("on");
	case JSON_FALSE:
		return strdup("off");
	default:
		return NULL;
	}
}

int qmp_args_to_keyval(json_t *args, struct keyval_list *out, struct control_error *err)
{
	const char *key;
	json_t *value;

	out->items = NULL;
	out->count = 0;
	json_object_foreach(args, key, value) {
		char *text = qmp_scalar_text(value);
		int ret;

		if (!text) {
			qmp_set_error(err, NULL,
				      "Invalid parameter type for '%s', expected: a string, number or boolean",
				      key);
			keyval_free(out);
			return -1;
		}
		ret = keyval_set(out, key, text);
		free(text);
		if (ret < 0) {
			qmp_set_error(err, NULL, "out of memory");
			keyval_free(out);
			return -1;
		}
	}
	return 0;
}
