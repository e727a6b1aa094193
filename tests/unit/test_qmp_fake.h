/* A fake VM behind struct control_ops for the monitor tests: fixed query
 * answers, and a record of what the monitors asked for. */
#ifndef TEST_QMP_FAKE_H
#define TEST_QMP_FAKE_H

#include <stdio.h>
#include <string.h>

#include "monitor/control.h"

struct fake_vm {
	struct keyval_list last_props; /* object_add / device_add */
	char last_op[32];
	char last_id[64];
	int powerdowns, resets, quits;
	bool running;
	bool panicked;
	uint64_t requested_size; /* the fake virtio-mem device vm0's */
	uint64_t vm0_memaddr;    /* vm0's address; 0: 0x180000000, above dimm1 */
};

static struct fake_vm fake;

static void fake_record(const char *op, const struct keyval_list *props, const char *id)
{
	snprintf(fake.last_op, sizeof(fake.last_op), "%s", op);
	keyval_free(&fake.last_props);
	if (props)
		keyval_copy(&fake.last_props, props);
	snprintf(fake.last_id, sizeof(fake.last_id), "%s", id ? id : "");
}

static int fake_object_add(void *opaque, const struct keyval_list *props, struct control_error *err)
{
	(void)opaque;
	fake_record("object_add", props, NULL);
	if (strcmp(keyval_get(props, "id"), "dup") == 0) {
		snprintf(err->desc, sizeof(err->desc), "attempt to add duplicate property 'dup' to object (type 'container')");
		return -1;
	}
	return 0;
}

static int fake_object_del(void *opaque, const char *id, struct control_error *err)
{
	(void)opaque, (void)err;
	fake_record("object_del", NULL, id);
	return 0;
}

static int fake_device_add(void *opaque, const struct keyval_list *props, struct control_error *err)
{
	(void)opaque, (void)err;
	fake_record("device_add", props, NULL);
	return 0;
}

static int fake_device_del(void *opaque, const char *id, struct control_error *err)
{
	(void)opaque;
	fake_record("device_del", NULL, id);
	if (strcmp(id, "dimm1") != 0) {
		err->cls = CONTROL_ERR_DEVICE_NOT_FOUND;
		snprintf(err->desc, sizeof(err->desc), "Device '%s' not found", id);
		return -1;
	}
	return 0;
}

static unsigned fake_memory_devices(void *opaque, struct memory_device_info *out, unsigned max)
{
	(void)opaque;
	if (max < 1)
		return 0;
	memset(out, 0, sizeof(*out));
	strcpy(out[0].id, "dimm1");
	out[0].addr = 0x140000000ULL;
	out[0].size = 1ULL << 30;
	out[0].slot = 0;
	out[0].node = 1;
	strcpy(out[0].memdev, "mem1");
	out[0].hotplugged = true;
	out[0].hotpluggable = true;
	return 1;
}

static unsigned fake_memdevs(void *opaque, struct memdev_info *out, unsigned max)
{
	(void)opaque;
	if (max < 1)
		return 0;
	memset(out, 0, sizeof(*out));
	strcpy(out[0].id, "mem1");
	strcpy(out[0].type, "memory-backend-ram");
	out[0].size = 1ULL << 30;
	out[0].merge = out[0].dump = out[0].reserve = true;
	strcpy(out[0].policy, "default");
	return 1;
}

static unsigned fake_ospm_status(void *opaque, struct ospm_status_info *out, unsigned max)
{
	(void)opaque;
	if (max < 2)
		return 0;
	memset(out, 0, 2 * sizeof(*out));
	strcpy(out[0].device, "dimm1");
	strcpy(out[0].slot, "0");
	out[0].source = 1;
	out[0].status = 0;
	strcpy(out[1].slot, "1");
	return 2;
}

static unsigned fake_numa_nodes(void *opaque, struct numa_node_info *out, unsigned max)
{
	(void)opaque;
	if (max < 2)
		return 0;
	memset(out, 0, 2 * sizeof(*out));
	out[0].nodeid = 0;
	out[0].mem_size = 512ULL << 20;
	out[0].cpus[0] = 0;
	out[0].nr_cpus = 1;
	out[1].nodeid = 1;
	out[1].mem_size = (512ULL << 20) + (1ULL << 30);
	out[1].cpus[0] = 1;
	out[1].cpus[1] = 2;
	out[1].nr_cpus = 2;
	return 2;
}

static void fake_summary(void *opaque, uint64_t *base, uint64_t *plugged)
{
	(void)opaque;
	*base = 1ULL << 30;
	*plugged = 1ULL << 30;
}

static unsigned fake_virtio_mem_devices(void *opaque, struct virtio_mem_device_info *out,
					unsigned max)
{
	(void)opaque;
	if (max < 1)
		return 0;
	memset(out, 0, sizeof(*out));
	strcpy(out[0].id, "vm0");
	out[0].memaddr = fake.vm0_memaddr ? fake.vm0_memaddr : 0x180000000ULL;
	out[0].requested_size = fake.requested_size;
	out[0].size = 512ULL << 20;
	out[0].max_size = 16ULL << 30;
	out[0].block_size = 2ULL << 20;
	out[0].node = 1;
	strcpy(out[0].memdev, "vmem0");
	return 1;
}

static bool fake_is_vm0(const char *path, struct control_error *err)
{
	if (strcmp(path, "vm0") == 0 || strcmp(path, "/machine/peripheral/vm0") == 0)
		return true;
	err->cls = CONTROL_ERR_DEVICE_NOT_FOUND;
	snprintf(err->desc, sizeof(err->desc), "Device '%s' not found", path);
	return false;
}

static int fake_qom_get(void *opaque, const char *path, const char *property,
			struct qom_value *out, struct control_error *err)
{
	(void)opaque;
	if (!fake_is_vm0(path, err))
		return -1;
	memset(out, 0, sizeof(*out));
	if (strcmp(property, "requested-size") == 0) {
		out->kind = QOM_VALUE_INT;
		out->u = fake.requested_size;
	} else if (strcmp(property, "memdev") == 0) {
		out->kind = QOM_VALUE_STRING;
		strcpy(out->s, "/objects/vmem0");
	} else if (strcmp(property, "prealloc") == 0) {
		out->kind = QOM_VALUE_BOOL;
		out->b = true;
	} else {
		snprintf(err->desc, sizeof(err->desc), "Property 'virtio-mem-pci.%s' not found",
			 property);
		return -1;
	}
	return 0;
}

static int fake_qom_set(void *opaque, const char *path, const char *property, const char *value,
			struct control_error *err)
{
	struct keyval_list kv = {0};

	(void)opaque;
	keyval_set(&kv, property, value);
	fake_record("qom-set", &kv, path);
	keyval_free(&kv);
	if (!fake_is_vm0(path, err))
		return -1;
	if (strcmp(value, "bad") == 0) {
		snprintf(err->desc, sizeof(err->desc), "'requested-size' has to be multiples of "
			 "'block-size' (0x200000)");
		return -1;
	}
	return 0;
}

static const char *fake_run_state(void *opaque)
{
	(void)opaque;
	if (fake.panicked)
		return "guest-panicked";
	return fake.running ? "running" : "shutdown";
}

static void fake_powerdown(void *opaque) { (void)opaque; fake.powerdowns++; }
static void fake_reset(void *opaque) { (void)opaque; fake.resets++; }
static void fake_quit(void *opaque) { (void)opaque; fake.quits++; }

static const struct control_ops fake_ops = {
	.object_add = fake_object_add,
	.object_del = fake_object_del,
	.device_add = fake_device_add,
	.device_del = fake_device_del,
	.memory_devices = fake_memory_devices,
	.memdevs = fake_memdevs,
	.ospm_status = fake_ospm_status,
	.numa_nodes = fake_numa_nodes,
	.memory_size_summary = fake_summary,
	.virtio_mem_devices = fake_virtio_mem_devices,
	.qom_get = fake_qom_get,
	.qom_set = fake_qom_set,
	.run_state = fake_run_state,
	.system_powerdown = fake_powerdown,
	.system_reset = fake_reset,
	.quit = fake_quit,
};

static void fake_reset_state(void)
{
	keyval_free(&fake.last_props);
	memset(&fake, 0, sizeof(fake));
	fake.running = true;
	fake.requested_size = 1ULL << 30;
}

#endif
