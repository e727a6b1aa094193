/*
 * The HMP command language: QEMU's command names and argument rules
 * (quoted strings, "Try \"help X\"" after a bad argument, "Error: " before
 * a failed operation), so transcripts and scripts written against QEMU's
 * monitor read the same here.
 */
#include "monitor/hmp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp_internal.h"
#include "monitor/qmp_internal.h"
#include "util.h"

struct hmp_cmd;
typedef void (*hmp_fn)(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		       struct strbuf *out);

struct hmp_cmd {
	const char *name;   /* "quit|q": alternatives separated by '|' */
	const char *params; /* for help */
	const char *help;
	hmp_fn fn;
};

const char *hmp_vm_name;

void hmp_set_vm_name(const char *name)
{
	hmp_vm_name = name;
}

void hmp_print_error(struct strbuf *out, const struct control_error *err)
{
	char desc[sizeof(err->desc)];

	/* desc may quote the line and hold a UTF-8 character cut in two: QMP's
	 * human-monitor-command could not send such output as a JSON string. */
	snprintf(desc, sizeof(desc), "%s", err->desc[0] ? err->desc : "unknown error");
	strbuf_printf(out, "Error: %s\n", pv_utf8_scrub(desc));
}

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* One argument as QEMU's get_str reads it: a word, or a "quoted string"
 * with \n \r \\ \' \" escapes. Returns a malloc'd copy or NULL. */
static char *get_str(const char **pp)
{
	const char *p = skip_space(*pp);
	struct strbuf sb = {0};

	if (!*p)
		return NULL;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			char c = *p;

			if (c == '\\') {
				c = *++p;
				if (c == 'n')
					c = '\n';
				else if (c == 'r')
					c = '\r';
				else if (c != '\\' && c != '\'' && c != '"')
					goto fail; /* unsupported escape, or the line ended */
			}
			strbuf_append(&sb, &c, 1);
		}
		if (*p != '"')
			goto fail; /* unterminated string */
		p++;
	} else {
		const char *start = p;

		while (*p && !isspace((unsigned char)*p))
			p++;
		strbuf_append(&sb, start, (size_t)(p - start));
	}
	*pp = p;
	return strbuf_steal(&sb);
fail:
	strbuf_free(&sb);
	return NULL;
}

static void try_help(struct strbuf *out, const struct hmp_cmd *cmd)
{
	char name[32];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(cmd->name, "|"), cmd->name);
	strbuf_printf(out, "Try \"help %s\" for more information\n", name);
}

static void bad_args(struct strbuf *out, const struct hmp_cmd *cmd, const char *why)
{
	strbuf_printf(out, "%.*s: %s\n", (int)strcspn(cmd->name, "|"), cmd->name, why);
	try_help(out, cmd);
}

/* The single string argument of object_del/device_del, alone on the line. */
static char *one_string(const struct hmp_cmd *cmd, const char *args, struct strbuf *out)
{
	char *s = get_str(&args);

	if (!s) {
		bad_args(out, cmd, "string expected");
		return NULL;
	}
	if (*skip_space(args)) {
		bad_args(out, cmd, "extraneous characters at the end of line");
		free(s);
		return NULL;
	}
	return s;
}

/* object_add / device_add: key=value text with an implied first key;
 * required (may be NULL) is a second key that must be present. */
static void run_keyval_op(const struct control_ops *ops, const char *text, const char *implied,
			  const char *required,
			  int (*op)(void *, const struct keyval_list *, struct control_error *),
			  struct strbuf *out)
{
	struct control_error err = {0};
	struct keyval_list kv;

	if (keyval_parse(text, implied, &kv, err.desc, sizeof(err.desc)) < 0) {
		hmp_print_error(out, &err);
		return;
	}
	if (!keyval_get(&kv, implied))
		snprintf(err.desc, sizeof(err.desc), "Parameter '%s' is missing", implied);
	else if (required && !keyval_get(&kv, required))
		snprintf(err.desc, sizeof(err.desc), "Parameter '%s' is missing", required);
	else if (!op)
		snprintf(err.desc, sizeof(err.desc), "this machine does not support the command");
	else
		op(ops->opaque, &kv, &err);
	if (err.desc[0])
		hmp_print_error(out, &err);
	keyval_free(&kv);
}

static void cmd_object_add(const struct control_ops *ops, const struct hmp_cmd *cmd,
			   const char *args, struct strbuf *out)
{
	args = skip_space(args);
	if (!*args) {
		bad_args(out, cmd, "string expected");
		return;
	}
	/* The rest of the line, as QEMU's 'S' argument type. */
	run_keyval_op(ops, args, "qom-type", "id", ops->object_add, out);
}

static void cmd_device_add(const struct control_ops *ops, const struct hmp_cmd *cmd,
			   const char *args, struct strbuf *out)
{
	char *opts = NULL;

	if (*skip_space(args)) {
		opts = get_str(&args);
		if (!opts) {
			bad_args(out, cmd, "string expected");
			return;
		}
		if (*skip_space(args)) {
			bad_args(out, cmd, "extraneous characters at the end of line");
			free(opts);
			return;
		}
	}
	run_keyval_op(ops, opts ? opts : "", "driver", NULL, ops->device_add, out);
	free(opts);
}

static void run_id_op(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		      int (*op)(void *, const char *, struct control_error *), struct strbuf *out)
{
	struct control_error err = {0};
	char *id = one_string(cmd, args, out);

	if (!id)
		return;
	if (!op)
		snprintf(err.desc, sizeof(err.desc), "this machine does not support the command");
	if (!err.desc[0] && op(ops->opaque, id, &err) < 0 && !err.desc[0])
		snprintf(err.desc, sizeof(err.desc), "'%s' failed", id);
	if (err.desc[0])
		hmp_print_error(out, &err);
	free(id);
}

static void cmd_object_del(const struct control_ops *ops, const struct hmp_cmd *cmd,
			   const char *args, struct strbuf *out)
{
	run_id_op(ops, cmd, args, ops->object_del, out);
}

static void cmd_device_del(const struct control_ops *ops, const struct hmp_cmd *cmd,
			   const char *args, struct strbuf *out)
{
	run_id_op(ops, cmd, args, ops->device_del, out);
}

static void no_args_op(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		       void (*op)(void *), struct strbuf *out)
{
	if (*skip_space(args)) {
		bad_args(out, cmd, "extraneous characters at the end of line");
		return;
	}
	if (op)
		op(ops->opaque);
	else
		strbuf_puts(out, "Error: this machine does not support the command\n");
}

static void cmd_powerdown(const struct control_ops *ops, const struct hmp_cmd *cmd,
			  const char *args, struct strbuf *out)
{
	no_args_op(ops, cmd, args, ops->system_powerdown, out);
}

static void cmd_reset(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		      struct strbuf *out)
{
	no_args_op(ops, cmd, args, ops->system_reset, out);
}

static void cmd_quit(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		     struct strbuf *out)
{
	no_args_op(ops, cmd, args, ops->quit, out);
}

/* qom-get PATH PROPERTY: the value as JSON, QEMU's hmp_qom_get. */
static void cmd_qom_get(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
			struct strbuf *out)
{
	struct control_error err = {0};
	char *path = get_str(&args), *property = path ? get_str(&args) : NULL;
	struct qom_value v;

	if (!path || !property) {
		bad_args(out, cmd, "string expected");
	} else if (*skip_space(args)) {
		bad_args(out, cmd, "extraneous characters at the end of line");
	} else if (!ops->qom_get) {
		strbuf_puts(out, "Error: this machine does not support the command\n");
	} else if (ops->qom_get(ops->opaque, path, property, &v, &err) < 0) {
		hmp_print_error(out, &err);
	} else {
		json_t *j = qmp_qom_value_json(&v);
		char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

		strbuf_printf(out, "%s\n", text ? text : "");
		free(text);
		json_decref(j);
	}
	free(path);
	free(property);
}

/* qom-set [-j] PATH PROPERTY VALUE: VALUE is the rest of the line, a string as on the
 * command line ("4G"), or JSON with -j; QEMU's hmp_qom_set. */
static void cmd_qom_set(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
			struct strbuf *out)
{
	struct control_error err = {0};
	const char *p = skip_space(args);
	bool json = false;
	char *path = NULL, *property = NULL, *value = NULL;

	if (strncmp(p, "-j", 2) == 0 && (p[2] == ' ' || p[2] == '\t')) {
		json = true;
		args = p + 2;
	}
	path = get_str(&args);
	property = path ? get_str(&args) : NULL;
	p = skip_space(args);
	if (!path || !property || !*p) {
		bad_args(out, cmd, "string expected");
		goto out;
	}
	value = strdup(p);
	if (json && value) {
		json_error_t jerr;
		json_t *j = json_loads(value, JSON_DECODE_ANY, &jerr);

		free(value);
		value = NULL;
		if (j && json_is_string(j))
			value = strdup(json_string_value(j));
		else if (j && json_is_integer(j) && asprintf(&value, "%" JSON_INTEGER_FORMAT,
							      json_integer_value(j)) < 0)
			value = NULL;
		else if (j && json_is_boolean(j))
			value = strdup(json_is_true(j) ? "on" : "off");
		json_decref(j);
		if (!value) {
			snprintf(err.desc, sizeof(err.desc), "JSON parse error, %s",
				 j ? "expected a string, number or boolean" : jerr.text);
			hmp_print_error(out, &err);
			goto out;
		}
	}
	if (!value)
		strbuf_puts(out, "Error: out of memory\n");
	else if (!ops->qom_set)
		strbuf_puts(out, "Error: this machine does not support the command\n");
	else if (ops->qom_set(ops->opaque, path, property, value, &err) < 0)
		hmp_print_error(out, &err);
out:
	free(path);
	free(property);
	free(value);
}

static void cmd_info(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		     struct strbuf *out);
static void cmd_help(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		     struct strbuf *out);

static const struct hmp_cmd commands[] = {
	{"device_add", "driver[,prop=value][,...]", "add device, like -device on the command line",
	 cmd_device_add},
	{"device_del", "device", "remove device", cmd_device_del},
	{"help|?", "[cmd]", "show the help", cmd_help},
	{"info", "[subcommand]", "show various information about the system state", cmd_info},
	{"object_add", "[qom-type=]type,id=str[,prop=value][,...]", "create QOM object",
	 cmd_object_add},
	{"object_del", "id", "destroy QOM object", cmd_object_del},
	{"qom-get", "path property", "print QOM property", cmd_qom_get},
	{"qom-set", "[-j] path property value",
	 "set QOM property. -j: the value is specified in JSON format.", cmd_qom_set},
	{"quit|q", "", "quit the emulator", cmd_quit},
	{"system_powerdown", "", "send system power down event", cmd_powerdown},
	{"system_reset", "", "reset the system", cmd_reset},
};

/* QEMU's hmp_compare_cmd: name matches one of the '|' alternatives. */
static bool name_matches(const char *alternatives, const char *name, size_t len)
{
	const char *p = alternatives;

	for (;;) {
		size_t alen = strcspn(p, "|");

		if (alen == len && strncmp(p, name, len) == 0)
			return true;
		if (!p[alen])
			return false;
		p += alen + 1;
	}
}

static const struct hmp_cmd *find_command(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (name_matches(commands[i].name, name, len))
			return &commands[i];
	return NULL;
}

static void help_one(struct strbuf *out, const char *prefix, const char *name, const char *params,
		     const char *help)
{
	strbuf_printf(out, "%s%s %s -- %s\n", prefix, name, params, help);
}

static void info_help(struct strbuf *out)
{
	for (size_t i = 0; hmp_info_cmds[i].name; i++)
		help_one(out, "info ", hmp_info_cmds[i].name, "", hmp_info_cmds[i].help);
}

static void cmd_help(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		     struct strbuf *out)
{
	const char *p = skip_space(args), *end;
	const struct hmp_cmd *c;

	(void)ops, (void)cmd;
	if (!*p) {
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
			help_one(out, "", commands[i].name, commands[i].params, commands[i].help);
		return;
	}
	end = p + strcspn(p, " \t");
	c = find_command(p, (size_t)(end - p));
	if (!c) {
		strbuf_printf(out, "unknown command: '%.*s'\n", (int)(end - p), p);
		return;
	}
	if (c->fn == cmd_info) {
		const char *sub = skip_space(end);
		size_t len = strcspn(sub, " \t");

		if (!len) {
			info_help(out);
			return;
		}
		for (size_t i = 0; hmp_info_cmds[i].name; i++) {
			if (strlen(hmp_info_cmds[i].name) == len &&
			    strncmp(hmp_info_cmds[i].name, sub, len) == 0) {
				help_one(out, "info ", hmp_info_cmds[i].name, "",
					 hmp_info_cmds[i].help);
				return;
			}
		}
		strbuf_printf(out, "unknown command: 'info %.*s'\n", (int)len, sub);
		return;
	}
	help_one(out, "", c->name, c->params, c->help);
}

static void cmd_info(const struct control_ops *ops, const struct hmp_cmd *cmd, const char *args,
		     struct strbuf *out)
{
	const char *p = skip_space(args);
	size_t len = strcspn(p, " \t/");

	(void)cmd;
	if (!len) {
		info_help(out); /* QEMU: a bare "info" lists the subcommands */
		return;
	}
	for (size_t i = 0; hmp_info_cmds[i].name; i++) {
		if (strlen(hmp_info_cmds[i].name) != len || strncmp(hmp_info_cmds[i].name, p, len))
			continue;
		if (*skip_space(p + len)) {
			strbuf_printf(out, "info: extraneous characters at the end of line\n");
			strbuf_puts(out, "Try \"help info\" for more information\n");
			return;
		}
		hmp_info_cmds[i].fn(ops, out);
		return;
	}
	strbuf_printf(out, "unknown command: 'info %.*s'\n", (int)len, p);
}

/* QEMU's monitor output turns every \n into \r\n, also in the text that
 * human-monitor-command returns. */
static char *crlf(const struct strbuf *text)
{
	struct strbuf sb = {0};

	strbuf_append(&sb, "", 0);
	for (size_t i = 0; i < text->len; i++) {
		if (text->buf[i] == '\n')
			strbuf_append(&sb, "\r\n", 2);
		else
			strbuf_append(&sb, &text->buf[i], 1);
	}
	if (sb.oom) {
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_steal(&sb);
}

char *hmp_execute(const struct control_ops *ops, const char *line)
{
	char *copy = strdup(line ? line : ""), *p, *end;
	struct strbuf out = {0};
	const struct hmp_cmd *cmd;
	size_t len;
	char *text;

	if (!copy)
		return NULL;
	/* Trailing blanks (and a line's \r\n) would end up in the last value. */
	end = copy + strlen(copy);
	while (end > copy && isspace((unsigned char)end[-1]))
		*--end = '\0';
	p = (char *)skip_space(copy);
	len = strcspn(p, " \t/");
	if (len) {
		cmd = find_command(p, len);
		if (cmd)
			cmd->fn(ops, cmd, p + len, &out);
		else
			strbuf_printf(&out, "unknown command: '%.*s'\n", (int)len, p);
	}
	text = crlf(&out);
	strbuf_free(&out);
	free(copy);
	return text;
}
