/* A small fake VM behind struct control_ops for the monitor harnesses (fuzz_qmp,
 * fuzz_hmp). Unlike the unit tests' fixed answers (tests/unit/test_qmp_fake.h) it keeps
 * state: backends and DIMMs that object_add / device_add create are what the queries then
 * list, so text the input chose flows through every formatting path of both monitors.
 * It keeps the real machine's contract (src/mm/memory_devices.c): ids pass pv_check_id,
 * a backend in use cannot be deleted, a device needs an existing free memdev. */
#ifndef PLUGVM_FUZZ_FAKE_VM_H
#define PLUGVM_FUZZ_FAKE_VM_H

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "keyval.h"
#include "monitor/control.h"
#include "util.h"

#define FAKE_OBJS 6
#define FAKE_DIMMS 4

struct fake_obj {
	bool used, in_use;
	char id[PV_ID_MAX + 1];
	char type[32];
	uint64_t size;
	bool share;
};

struct fake_dimm {
	bool used;
	char id[PV_ID_MAX + 1];
	unsigned obj; /* index into objs */
	unsigned slot, node;
	uint64_t addr;
};

static struct {
	struct fake_obj objs[FAKE_OBJS];
	struct fake_dimm dimms[FAKE_DIMMS];
	struct ospm_status_info ost[FAKE_DIMMS];
	uint64_t next_addr;
	unsigned powerdowns, resets, quits;
	bool running;
} fvm;

static void fake_vm_reset(void)
{
	memset(&fvm, 0, sizeof(fvm));
	fvm.running = true;
	fvm.next_addr = 0x100000000ULL;
}

static int fake_err(struct control_error *err, const char *cls, const char *what)
{
	err->cls = cls;
	snprintf(err->desc, sizeof(err->desc), "%s", what);
	return -1;
}

static struct fake_obj *fake_find_obj(const char *id)
{
	for (unsigned i = 0; i < FAKE_OBJS; i++)
		if (fvm.objs[i].used && strcmp(fvm.objs[i].id, id) == 0)
			return &fvm.objs[i];
	return NULL;
}

static struct fake_dimm *fake_find_dimm(const char *id)
{
	for (unsigned i = 0; i < FAKE_DIMMS; i++)
		if (fvm.dimms[i].used && strcmp(fvm.dimms[i].id, id) == 0)
			return &fvm.dimms[i];
	return NULL;
}

static int fake_object_add(void *opaque, const struct keyval_list *props, struct control_error *err)
{
	const char *type = keyval_get(props, "qom-type"), *id = keyval_get(props, "id");
	struct fake_obj *o = NULL;
	uint64_t size;
	bool share;

	(void)opaque;
	if (pv_check_id(id, err->desc, sizeof(err->desc)) < 0)
		return -1;
	if (!type || strncmp(type, "memory-backend-", 15) != 0 || strlen(type) >= sizeof(o->type))
		return fake_err(err, NULL, "object type is not supported");
	if (keyval_get_size(props, "size", 0, &size) < 0 || size == 0)
		return fake_err(err, NULL, "size: invalid size");
	if (keyval_get_bool(props, "share", false, &share) < 0)
		return fake_err(err, NULL, "share: expected on or off");
	if (fake_find_obj(id))
		return fake_err(err, NULL, "object already exists");
	for (unsigned i = 0; i < FAKE_OBJS && !o; i++)
		if (!fvm.objs[i].used)
			o = &fvm.objs[i];
	if (!o)
		return fake_err(err, NULL, "too many memory backends");
	*o = (struct fake_obj){ .used = true, .size = size, .share = share };
	snprintf(o->id, sizeof(o->id), "%s", id);
	snprintf(o->type, sizeof(o->type), "%s", type);
	return 0;
}

static int fake_object_del(void *opaque, const char *id, struct control_error *err)
{
	struct fake_obj *o = fake_find_obj(id);
	char shown[128];

	(void)opaque;
	if (!o) {
		/* As the real one: any string may come here, escape sequences and all. */
		snprintf(err->desc, sizeof(err->desc), "object '%s' not found",
			 pv_printable(id, shown, sizeof(shown)));
		return -1;
	}
	if (o->in_use) {
		snprintf(err->desc, sizeof(err->desc), "object '%s' is in use, can not be deleted", id);
		return -1;
	}
	o->used = false;
	return 0;
}

static int fake_device_add(void *opaque, const struct keyval_list *props, struct control_error *err)
{
	const char *driver = keyval_get(props, "driver"), *id = keyval_get(props, "id");
	const char *memdev = keyval_get(props, "memdev"), *text;
	struct fake_dimm *d = NULL;
	struct fake_obj *o;
	uint64_t slot = FAKE_DIMMS, node = 0;

	(void)opaque;
	if (!driver || strcmp(driver, "pc-dimm") != 0)
		return fake_err(err, NULL, "device_add: driver is not supported");
	if (!id || !*id)
		return fake_err(err, NULL, "pc-dimm: 'id' is required");
	if (pv_check_id(id, err->desc, sizeof(err->desc)) < 0)
		return -1;
	if (fake_find_dimm(id))
		return fake_err(err, NULL, "Duplicate device ID");
	if (!memdev || !(o = fake_find_obj(memdev)))
		return fake_err(err, NULL, "pc-dimm: memdev does not exist");
	if (o->in_use)
		return fake_err(err, NULL, "pc-dimm: memdev is already in use");
	if ((text = keyval_get(props, "node")) && (pv_parse_uint(text, 0, 1, &node) < 0))
		return fake_err(err, NULL, "pc-dimm: bad node");
	if ((text = keyval_get(props, "slot"))) {
		if (pv_parse_uint(text, 0, FAKE_DIMMS - 1, &slot) < 0)
			return fake_err(err, NULL, "pc-dimm: bad slot");
		if (fvm.dimms[slot].used)
			return fake_err(err, NULL, "pc-dimm: slot is in use");
		d = &fvm.dimms[slot];
	}
	for (unsigned i = 0; i < FAKE_DIMMS && !d; i++)
		if (!fvm.dimms[i].used)
			d = &fvm.dimms[i];
	if (!d)
		return fake_err(err, NULL, "pc-dimm: no free slot");
	*d = (struct fake_dimm){ .used = true, .obj = (unsigned)(o - fvm.objs),
				 .slot = (unsigned)(d - fvm.dimms), .node = (unsigned)node,
				 .addr = fvm.next_addr };
	snprintf(d->id, sizeof(d->id), "%s", id);
	fvm.next_addr += o->size;
	o->in_use = true;
	return 0;
}

/* The fake guest ejects at once: the DIMM goes, its backend is free again. */
static int fake_device_del(void *opaque, const char *id, struct control_error *err)
{
	struct fake_dimm *d = fake_find_dimm(id);
	char shown[128];
	unsigned slot;

	(void)opaque;
	if (!d) {
		err->cls = CONTROL_ERR_DEVICE_NOT_FOUND;
		snprintf(err->desc, sizeof(err->desc), "Device '%s' not found",
			 pv_printable(id, shown, sizeof(shown)));
		return -1;
	}
	slot = d->slot;
	fvm.objs[d->obj].in_use = false;
	snprintf(fvm.ost[slot].device, sizeof(fvm.ost[slot].device), "%s", d->id);
	snprintf(fvm.ost[slot].slot, sizeof(fvm.ost[slot].slot), "%u", slot);
	fvm.ost[slot].source = 3;
	fvm.ost[slot].status = 0;
	d->used = false;
	return 0;
}

static unsigned fake_memory_devices(void *opaque, struct memory_device_info *out, unsigned max)
{
	unsigned n = 0;

	(void)opaque;
	for (unsigned i = 0; i < FAKE_DIMMS && n < max; i++) {
		const struct fake_dimm *d = &fvm.dimms[i];
		struct memory_device_info *m;

		if (!d->used)
			continue;
		m = &out[n++];
		memset(m, 0, sizeof(*m));
		snprintf(m->id, sizeof(m->id), "%s", d->id);
		snprintf(m->memdev, sizeof(m->memdev), "%s", fvm.objs[d->obj].id);
		m->addr = d->addr;
		m->size = fvm.objs[d->obj].size;
		m->slot = d->slot;
		m->node = d->node;
		m->hotplugged = m->hotpluggable = true;
	}
	return n;
}

static unsigned fake_memdevs(void *opaque, struct memdev_info *out, unsigned max)
{
	unsigned n = 0;

	(void)opaque;
	for (unsigned i = 0; i < FAKE_OBJS && n < max; i++) {
		const struct fake_obj *o = &fvm.objs[i];
		struct memdev_info *m;

		if (!o->used)
			continue;
		m = &out[n++];
		memset(m, 0, sizeof(*m));
		snprintf(m->id, sizeof(m->id), "%s", o->id);
		snprintf(m->type, sizeof(m->type), "%s", o->type);
		m->size = o->size;
		m->share = o->share;
		m->merge = m->dump = true;
	}
	return n;
}

static unsigned fake_ospm_status(void *opaque, struct ospm_status_info *out, unsigned max)
{
	unsigned n = 0;

	(void)opaque;
	for (unsigned i = 0; i < FAKE_DIMMS && n < max; i++) {
		out[n] = fvm.ost[i];
		if (!out[n].slot[0])
			snprintf(out[n].slot, sizeof(out[n].slot), "%u", i);
		n++;
	}
	return n;
}

static unsigned fake_numa_nodes(void *opaque, struct numa_node_info *out, unsigned max)
{
	unsigned n = max < 2 ? max : 2;

	(void)opaque;
	for (unsigned i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].nodeid = i;
		out[i].mem_size = 256ULL << 20;
		out[i].cpus[0] = i;
		out[i].nr_cpus = 1;
	}
	return n;
}

static void fake_summary(void *opaque, uint64_t *base, uint64_t *plugged)
{
	(void)opaque;
	*base = 512ULL << 20;
	*plugged = 0;
	for (unsigned i = 0; i < FAKE_DIMMS; i++)
		if (fvm.dimms[i].used)
			*plugged += fvm.objs[fvm.dimms[i].obj].size;
}

static const char *fake_run_state(void *opaque)
{
	(void)opaque;
	return fvm.running ? "running" : "shutdown";
}

static void fake_powerdown(void *opaque)
{
	(void)opaque;
	fvm.powerdowns++;
}

static void fake_reset(void *opaque)
{
	(void)opaque;
	fvm.resets++;
	fvm.running = true;
}

static void fake_quit(void *opaque)
{
	(void)opaque;
	fvm.quits++;
	fvm.running = false;
}

/* The full set of operations, or (mask bit i set) without the i-th optional one, so the
 * monitors' "this machine does not support the command" paths run too. */
static struct control_ops fake_vm_ops(unsigned mask)
{
	struct control_ops ops = {
		.object_add = fake_object_add,
		.object_del = fake_object_del,
		.device_add = fake_device_add,
		.device_del = fake_device_del,
		.memory_devices = fake_memory_devices,
		.memdevs = fake_memdevs,
		.ospm_status = fake_ospm_status,
		.numa_nodes = fake_numa_nodes,
		.memory_size_summary = fake_summary,
		.run_state = fake_run_state,
		.system_powerdown = fake_powerdown,
		.system_reset = fake_reset,
		.quit = fake_quit,
	};

	if (mask & 0x01)
		ops.object_add = NULL, ops.object_del = NULL;
	if (mask & 0x02)
		ops.device_add = NULL, ops.device_del = NULL;
	if (mask & 0x04)
		ops.memory_devices = NULL, ops.memdevs = NULL;
	if (mask & 0x08)
		ops.ospm_status = NULL, ops.numa_nodes = NULL;
	if (mask & 0x10)
		ops.memory_size_summary = NULL, ops.run_state = NULL;
	if (mask & 0x20)
		ops.system_powerdown = NULL, ops.system_reset = NULL, ops.quit = NULL;
	return ops;
}

#endif
