/* QMP commands about the machine as a whole and the monitor itself. */
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp.h"
#include "monitor/qmp.h"
#include "monitor/qmp_internal.h"

json_t *qmp_cmd_query_version(const struct qmp_context *ctx, json_t *args,
			      struct control_error *err)
{
	(void)ctx, (void)args, (void)err;
	return json_pack("{s:{s:i, s:i, s:i}, s:s}", "qemu", "micro", QMP_QEMU_MICRO, "minor",
			 QMP_QEMU_MINOR, "major", QMP_QEMU_MAJOR, "package",
			 "plugvm " PLUGVM_VERSION);
}

json_t *qmp_cmd_query_status(const struct qmp_context *ctx, json_t *args,
			     struct control_error *err)
{
	const char *state = ctx->ops->run_state ? ctx->ops->run_state(ctx->ops->opaque) : "running";

	(void)args, (void)err;
	return json_pack("{s:b, s:b, s:s}", "running", strcmp(state, "running") == 0, "singlestep", 0,
			 "status", state);
}

json_t *qmp_cmd_query_name(const struct qmp_context *ctx, json_t *args, struct control_error *err)
{
	(void)args, (void)err;
	if (ctx->name)
		return json_pack("{s:s}", "name", ctx->name);
	return json_object(); /* QEMU omits "name" when -name was not given */
}

json_t *qmp_cmd_query_commands(const struct qmp_context *ctx, json_t *args,
			       struct control_error *err)
{
	json_t *list = json_array();

	(void)ctx, (void)args, (void)err;
	for (size_t i = 0; i < qmp_nr_commands; i++)
		if (qmp_command_available(&qmp_commands[i]))
			json_array_append_new(list,
					      json_pack("{s:s}", "name", qmp_commands[i].name));
	return list;
}

json_t *qmp_cmd_human_monitor_command(const struct qmp_context *ctx, json_t *args,
				      struct control_error *err)
{
	const char *line;
	json_t *cpu = json_object_get(args, "cpu-index");
	char *text;
	json_t *ret;

	if (qmp_arg_string(args, "command-line", true, &line, err) < 0)
		return NULL;
	if (cpu && !json_is_integer(cpu)) {
		qmp_set_error(err, NULL, "Invalid parameter type for 'cpu-index', expected: integer");
		return NULL;
	}
	text = hmp_execute(ctx->ops, line);
	if (!text) {
		qmp_set_error(err, NULL, "out of memory");
		return NULL;
	}
	ret = json_string(text);
	free(text);
	return ret ? ret : json_string(""); /* invalid UTF-8 from a command: send nothing */
}

static json_t *machine_op(const struct qmp_context *ctx, void (*op)(void *),
			  struct control_error *err)
{
	if (!op) {
		qmp_set_error(err, NULL, "this machine does not support the command");
		return NULL;
	}
	op(ctx->ops->opaque);
	return json_object();
}

json_t *qmp_cmd_system_powerdown(const struct qmp_context *ctx, json_t *args,
				 struct control_error *err)
{
	(void)args;
	return machine_op(ctx, ctx->ops->system_powerdown, err);
}

json_t *qmp_cmd_system_reset(const struct qmp_context *ctx, json_t *args,
			     struct control_error *err)
{
	(void)args;
	return machine_op(ctx, ctx->ops->system_reset, err);
}

json_t *qmp_cmd_quit(const struct qmp_context *ctx, json_t *args, struct control_error *err)
{
	(void)args;
	return machine_op(ctx, ctx->ops->quit, err);
}
