/* QMP commands for memory backends, pc-dimm and virtio-mem devices, their ACPI state,
 * and qom-get / qom-set (the properties of virtio-mem devices). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "monitor/memory_device_order.h"
#include "monitor/qmp_internal.h"

static int need_op(const void *op, struct control_error *err)
{
	if (op)
		return 0;
	qmp_set_error(err, NULL, "this machine does not support the command");
	return -1;
}

/* object-add takes QEMU 6's flat form; the older {"props": {...}} wrapper
 * is folded in too, so pre-6.0 scripts work. */
static json_t *flatten_object_args(json_t *args, struct control_error *err)
{
	json_t *props = json_object_get(args, "props"), *flat;
	const char *key;
	json_t *value;

	if (!props)
		return json_incref(args);
	if (!json_is_object(props)) {
		qmp_set_error(err, NULL, "Invalid parameter type for 'props', expected: object");
		return NULL;
	}
	flat = json_copy(args);
	json_object_del(flat, "props");
	json_object_foreach(props, key, value) {
		if (json_object_get(flat, key)) {
			qmp_set_error(err, NULL, "Parameter '%s' is given twice", key);
			json_decref(flat);
			return NULL;
		}
		json_object_set(flat, key, value);
	}
	return flat;
}

json_t *qmp_cmd_object_add(const struct qmp_context *ctx, json_t *args, struct control_error *err)
{
	struct keyval_list props;
	const char *s;
	json_t *flat;
	int ret;

	if (need_op(ctx->ops->object_add, err) < 0)
		return NULL;
	flat = flatten_object_args(args, err);
	if (!flat)
		return NULL;
	if (qmp_arg_string(flat, "qom-type", true, &s, err) < 0 ||
	    qmp_arg_string(flat, "id", true, &s, err) < 0 ||
	    qmp_args_to_keyval(flat, &props, err) < 0) {
		json_decref(flat);
		return NULL;
	}
	json_decref(flat);
	ret = ctx->ops->object_add(ctx->ops->opaque, &props, err);
	keyval_free(&props);
	return ret < 0 ? NULL : json_object();
}

json_t *qmp_cmd_object_del(const struct qmp_context *ctx, json_t *args, struct control_error *err)
{
	const char *id;

	if (need_op(ctx->ops->object_del, err) < 0 || qmp_arg_string(args, "id", true, &id, err) < 0)
		return NULL;
	return ctx->ops->object_del(ctx->ops->opaque, id, err) < 0 ? NULL : json_object();
}

json_t *qmp_cmd_device_add(const struct qmp_context *ctx, json_t *args, struct control_error *err)
{
	struct keyval_list props;
	const char *s;
	int ret;

	if (need_op(ctx->ops->device_add, err) < 0 ||
	    qmp_arg_string(args, "driver", true, &s, err) < 0 ||
	    qmp_arg_string(args, "id", false, &s, err) < 0 ||
	    qmp_args_to_keyval(args, &props, err) < 0)
		return NULL;
	ret = ctx->ops->device_add(ctx->ops->opaque, &props, err);
	keyval_free(&props);
	return ret < 0 ? NULL : json_object();
}

json_t *qmp_cmd_device_del(const struct qmp_context *ctx, json_t *args, struct control_error *err)
{
	const char *id;

	if (need_op(ctx->ops->device_del, err) < 0 || qmp_arg_string(args, "id", true, &id, err) < 0)
		return NULL;
	return ctx->ops->device_del(ctx->ops->opaque, id, err) < 0 ? NULL : json_object();
}

/* QEMU's VirtioMEMDeviceInfo, in its field order. */
static json_t *virtio_mem_entry(const struct virtio_mem_device_info *v)
{
	char memdev[80];

	snprintf(memdev, sizeof(memdev), "/objects/%s", v->memdev);
	return json_pack("{s:s, s:{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s}}", "type", "virtio-mem",
			 "data", "id", v->id, "memaddr", (json_int_t)v->memaddr, "requested-size",
			 (json_int_t)v->requested_size, "size", (json_int_t)v->size, "max-size",
			 (json_int_t)v->max_size, "block-size", (json_int_t)v->block_size, "node",
			 (json_int_t)v->node, "memdev", memdev);
}

/* QEMU's MemoryDeviceInfo of a pc-dimm, in its field order. */
static json_t *dimm_entry(const struct memory_device_info *d)
{
	char memdev[80];

	snprintf(memdev, sizeof(memdev), "/objects/%s", d->memdev);
	return json_pack("{s:s, s:{s:s, s:I, s:I, s:I, s:I, s:s, s:b, s:b}}", "type", "dimm",
			 "data", "id", d->id, "addr", (json_int_t)d->addr, "slot",
			 (json_int_t)d->slot, "node", (json_int_t)d->node, "size",
			 (json_int_t)d->size, "memdev", memdev, "hotplugged", d->hotplugged,
			 "hotpluggable", d->hotpluggable);
}

/* DIMMs and virtio-mem devices in one list by address, as QEMU lists them
 * (memory_device_order.h). */
json_t *qmp_cmd_query_memory_devices(const struct qmp_context *ctx, json_t *args,
				     struct control_error *err)
{
	struct memory_device_info *d = calloc(PLUGVM_MAX_SLOTS, sizeof(*d));
	struct memory_device_ref *order = calloc(PLUGVM_MAX_SLOTS + PLUGVM_MAX_VIRTIO_MEM,
						 sizeof(*order));
	struct virtio_mem_device_info v[PLUGVM_MAX_VIRTIO_MEM];
	json_t *list = NULL;
	unsigned nd, nv;

	(void)args;
	if (!d || !order) {
		qmp_set_error(err, NULL, "out of memory");
		goto out;
	}
	if (need_op(ctx->ops->memory_devices, err) < 0)
		goto out;
	nd = ctx->ops->memory_devices(ctx->ops->opaque, d, PLUGVM_MAX_SLOTS);
	nv = ctx->ops->virtio_mem_devices
		     ? ctx->ops->virtio_mem_devices(ctx->ops->opaque, v, PLUGVM_MAX_VIRTIO_MEM)
		     : 0;
	memory_devices_by_address(d, nd, v, nv, order);
	list = json_array();
	for (unsigned i = 0; i < nd + nv; i++)
		json_array_append_new(list, order[i].virtio_mem ? virtio_mem_entry(&v[order[i].index])
								: dimm_entry(&d[order[i].index]));
out:
	free(order);
	free(d);
	return list;
}

json_t *qmp_qom_value_json(const struct qom_value *v)
{
	switch (v->kind) {
	case QOM_VALUE_STRING:
		return json_string(v->s);
	case QOM_VALUE_BOOL:
		return json_boolean(v->b);
	case QOM_VALUE_INT:
		break;
	}
	return json_integer((json_int_t)v->u);
}

json_t *qmp_cmd_qom_get(const struct qmp_context *ctx, json_t *args, struct control_error *err)
{
	const char *path, *property;
	struct qom_value v;

	if (need_op(ctx->ops->qom_get, err) < 0 || qmp_arg_string(args, "path", true, &path, err) < 0 ||
	    qmp_arg_string(args, "property", true, &property, err) < 0)
		return NULL;
	if (ctx->ops->qom_get(ctx->ops->opaque, path, property, &v, err) < 0)
		return NULL;
	return qmp_qom_value_json(&v);
}

json_t *qmp_cmd_qom_set(const struct qmp_context *ctx, json_t *args, struct control_error *err)
{
	const char *path, *property;
	json_t *value = json_object_get(args, "value");
	char *text;
	int ret;

	if (need_op(ctx->ops->qom_set, err) < 0 || qmp_arg_string(args, "path", true, &path, err) < 0 ||
	    qmp_arg_string(args, "property", true, &property, err) < 0)
		return NULL;
	if (!value) {
		qmp_set_error(err, NULL, "Parameter 'value' is missing");
		return NULL;
	}
	text = qmp_scalar_text(value);
	if (!text) {
		qmp_set_error(err, NULL, "Invalid parameter type for 'value', expected: a string, "
			      "number or boolean");
		return NULL;
	}
	ret = ctx->ops->qom_set(ctx->ops->opaque, path, property, text, err);
	free(text);
	return ret < 0 ? NULL : json_object();
}

json_t *qmp_cmd_query_memory_size_summary(const struct qmp_context *ctx, json_t *args,
					  struct control_error *err)
{
	uint64_t base = 0, plugged = 0;

	(void)args;
	if (need_op(ctx->ops->memory_size_summary, err) < 0)
		return NULL;
	ctx->ops->memory_size_summary(ctx->ops->opaque, &base, &plugged);
	return json_pack("{s:I, s:I}", "base-memory", (json_int_t)base, "plugged-memory",
			 (json_int_t)plugged);
}

json_t *qmp_cmd_query_memdev(const struct qmp_context *ctx, json_t *args,
			     struct control_error *err)
{
	const unsigned max = PLUGVM_MAX_BACKENDS;
	struct memdev_info *m = calloc(max, sizeof(*m));
	json_t *list = json_array();
	unsigned n;

	(void)args;
	if (!m || need_op(ctx->ops->memdevs, err) < 0) {
		if (!m)
			qmp_set_error(err, NULL, "out of memory");
		free(m);
		json_decref(list);
		return NULL;
	}
	n = ctx->ops->memdevs(ctx->ops->opaque, m, max);
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(
			list, json_pack("{s:s, s:I, s:b, s:b, s:b, s:b, s:b, s:[], s:s}", "id",
					m[i].id, "size", (json_int_t)m[i].size, "merge", m[i].merge,
					"dump", m[i].dump, "prealloc", m[i].prealloc, "share",
					m[i].share, "reserve", m[i].reserve, "host-nodes", "policy",
					m[i].policy[0] ? m[i].policy : "default"));
	free(m);
	return list;
}

json_t *qmp_cmd_query_acpi_ospm_status(const struct qmp_context *ctx, json_t *args,
				       struct control_error *err)
{
	struct ospm_status_info *o = calloc(PLUGVM_MAX_SLOTS, sizeof(*o));
	json_t *list = json_array();
	unsigned n;

	(void)args;
	if (!o || need_op(ctx->ops->ospm_status, err) < 0) {
		if (!o)
			qmp_set_error(err, NULL, "out of memory");
		free(o);
		json_decref(list);
		return NULL;
	}
	n = ctx->ops->ospm_status(ctx->ops->opaque, o, PLUGVM_MAX_SLOTS);
	for (unsigned i = 0; i < n; i++) {
		json_t *info = json_pack("{s:s, s:s, s:I, s:I}", "slot", o[i].slot, "slot-type",
					 "DIMM", "source", (json_int_t)o[i].source, "status",
					 (json_int_t)o[i].status);

		/* As in QEMU, "device" is left out for a slot without a DIMM id. */
		if (o[i].device[0])
			json_object_set_new(info, "device", json_string(o[i].device));
		json_array_append_new(list, info);
	}
	free(o);
	return list;
}
