/*
 * -device pc-dimm and -device virtio-mem-pci: the memory devices present at boot. The
 * first pass checks each device's own keys; the second, once -m, -numa and -object are
 * known, checks what it refers to (memdev, node, slot) and that all fit in maxmem.
 */
#include <stdint.h>
#include <string.h>

#include "options_internal.h"
#include "mm/dimm_props.h"
#include "mm/virtio_mem_props.h"
#include "util.h"

/* ---- first pass ---------------------------------------------------------- */

/* -device virtio-mem-pci: mm/virtio_mem_props.c owns its keys and their syntax. */
static int check_vmem_syntax(const char *opt, struct plugvm_config *cfg,
			     const struct keyval_list *kv)
{
	struct vmem_props p;
	char err[OPT_ERRLEN];

	if (vmem_props_parse(kv, &p, err, sizeof(err)) < 0) {
		if (!keyval_get(kv, "id"))
			return opt_check_id(opt, NULL);
		pv_error("%s: %s", opt, err);
		return -1;
	}
	if (cfg->nr_virtio_mem == PLUGVM_MAX_VIRTIO_MEM) {
		pv_error("%s: at most %d virtio-mem devices", opt, PLUGVM_MAX_VIRTIO_MEM);
		return -1;
	}
	return 0;
}

/* -device pc-dimm: mm/dimm_props.c owns its keys, as device_add's. */
static int check_dimm_syntax(const char *opt, const struct keyval_list *kv)
{
	struct dimm_props_parsed p;

	dimm_props_parse(kv, &p);
	if (p.unknown) {
		pv_error("%s: pc-dimm has no parameter '%s'", opt, p.unknown);
		return -1;
	}
	return 0;
}

int opt_device(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	struct plugvm_config *cfg = st->cfg;
	struct keyval_list kv;
	const char *driver, *id;
	bool vmem;

	if (opt_parse_list_entry(o, arg, "driver", "pc-dimm,id=ID,memdev=ID", cfg->nr_devices,
				 PLUGVM_MAX_DEVICES, "devices", &kv) < 0)
		return -1;
	driver = keyval_get(&kv, "driver");
	vmem = vmem_is_driver(driver);
	if (!vmem && (!driver || strcmp(driver, "pc-dimm") != 0)) {
		pv_error("%s: device '%s' is not supported (plugvm only has pc-dimm and "
			 "virtio-mem-pci)", o->name, driver ? driver : "");
		goto fail;
	}
	if (vmem ? check_vmem_syntax(o->name, cfg, &kv) < 0 : check_dimm_syntax(o->name, &kv) < 0)
		goto fail;
	id = keyval_get(&kv, "id");
	if (opt_check_id(o->name, id) < 0)
		goto fail;
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		if (strcmp(keyval_get(&cfg->devices[i], "id"), id) == 0) {
			pv_error("%s: duplicate ID '%s' for device", o->name, id);
			goto fail;
		}
	}
	cfg->devices[cfg->nr_devices++] = kv;
	if (vmem)
		cfg->nr_virtio_mem++;
	return 0;
fail:
	keyval_free(&kv);
	return -1;
}

/* ---- second pass: -device pc-dimm --------------------------------------- */

/* Another -device before index that uses memdev. */
static bool memdev_used_by_device(const struct plugvm_config *cfg, unsigned index,
				  const char *memdev)
{
	for (unsigned i = 0; i < index; i++) {
		const char *other = keyval_get(&cfg->devices[i], "memdev");

		if (other && strcmp(other, memdev) == 0)
			return true;
	}
	return false;
}

/* The memory devices (DIMMs and virtio-mem regions) must fit in maxmem - RAM. */
static int check_device_space(const struct plugvm_config *cfg, const char *what, const char *id,
			      uint64_t size, uint64_t *plugged)
{
	uint64_t room = cfg->maxmem - cfg->ram_size;

	if (size > room - *plugged) {
		pv_error("-device: %s '%s': not enough space: maxmem (0x%llx) minus the initial RAM "
			 "(0x%llx) leaves 0x%llx for memory devices, and they need 0x%llx",
			 what, id, (unsigned long long)cfg->maxmem, (unsigned long long)cfg->ram_size,
			 (unsigned long long)room,
			 (unsigned long long)(*plugged + size < *plugged ? UINT64_MAX : *plugged + size));
		return -1;
	}
	*plugged += size;
	return 0;
}

static int check_dimm(struct parse_state *st, unsigned index, unsigned dimm_index,
		      uint64_t *plugged)
{
	struct plugvm_config *cfg = st->cfg;
	struct dimm_props_parsed p;
	const char *id, *memdev;
	const struct keyval_list *obj;
	unsigned nodes = config_nr_nodes(cfg);

	/* The numbers are read as device_add reads them (mm/dimm_props.c), so a slot= or
	 * node= means the same here as at the cold-plug in vm.c. */
	dimm_props_parse(&cfg->devices[index], &p);
	id = p.id;
	memdev = p.memdev;

	if (!cfg->slots && cfg->maxmem > cfg->ram_size) {
		/* maxmem for a virtio-mem device, but no slots (QEMU's words). */
		pv_error("-device: pc-dimm '%s': no slots where allocated, please specify the "
			 "'slots' option", id);
		return -1;
	}
	if (!cfg->slots) {
		pv_error("-device: pc-dimm '%s': memory devices (e.g. for memory hotplug) are not "
			 "enabled, please specify the maxmem option", id);
		return -1;
	}
	if (dimm_index >= cfg->slots) {
		pv_error("-device: pc-dimm '%s': all %u slots of -m slots= are taken", id, cfg->slots);
		return -1;
	}
	if (!memdev) {
		pv_error("-device: pc-dimm '%s': 'memdev' property is not set", id);
		return -1;
	}
	obj = opt_find_object(cfg, memdev);
	if (!obj) {
		pv_error("-device: pc-dimm '%s': memdev '%s' is not an -object on the command line",
			 id, memdev);
		return -1;
	}
	if (opt_memdev_used_by_node(cfg, cfg->nr_numa, memdev)) {
		pv_error("-device: pc-dimm '%s': can't use already busy memdev: %s (a -numa node "
			 "uses it)", id, memdev);
		return -1;
	}
	if (memdev_used_by_device(cfg, index, memdev)) {
		pv_error("-device: pc-dimm '%s': can't use already busy memdev: %s", id, memdev);
		return -1;
	}
	if (p.node.text && (!p.node.valid || !config_has_node(cfg, p.node.value))) {
		pv_error("-device: pc-dimm '%s': 'node=%s' is not a NUMA node (there %s %u)", id,
			 p.node.text, nodes == 1 ? "is" : "are", nodes);
		return -1;
	}
	if (p.slot.text) {
		if (!p.slot.valid || p.slot.value >= cfg->slots) {
			pv_error("-device: pc-dimm '%s': 'slot=%s' is not a slot number below %u", id,
				 p.slot.text, cfg->slots);
			return -1;
		}
		/* The earlier DIMMs' slot= passed the check above, in this same grammar. */
		for (unsigned i = 0; i < index; i++) {
			struct dimm_props_parsed other;

			dimm_props_parse(&cfg->devices[i], &other);
			if (other.slot.valid && other.slot.value == p.slot.value) {
				pv_error("-device: pc-dimm '%s': slot %s is already taken", id,
					 p.slot.text);
				return -1;
			}
		}
	}
	if (p.addr.text && !p.addr.valid) {
		pv_error("-device: pc-dimm '%s': 'addr=%s' is not a number", id, p.addr.text);
		return -1;
	}
	return check_device_space(cfg, "pc-dimm", id, opt_object_size(obj), plugged);
}

/* ---- second pass: -device virtio-mem-pci -------------------------------- */

static int check_vmem(struct parse_state *st, unsigned index, uint64_t *plugged)
{
	struct plugvm_config *cfg = st->cfg;
	const struct keyval_list *dev = &cfg->devices[index];
	const struct keyval_list *obj;
	unsigned nodes = config_nr_nodes(cfg);
	struct vmem_props p;
	char err[OPT_ERRLEN];
	bool prealloc = false;

	vmem_props_parse(dev, &p, err, sizeof(err)); /* checked by opt_device */
	if (cfg->maxmem == cfg->ram_size) {
		pv_error("-device: %s '%s': memory devices (e.g. for memory hotplug) are not "
			 "enabled, please specify the maxmem option", p.driver, p.id);
		return -1;
	}
	if (!p.memdev) {
		pv_error("-device: %s '%s': 'memdev' property is not set", p.driver, p.id);
		return -1;
	}
	obj = opt_find_object(cfg, p.memdev);
	if (!obj) {
		pv_error("-device: %s '%s': memdev '%s' is not an -object on the command line",
			 p.driver, p.id, p.memdev);
		return -1;
	}
	if (opt_memdev_used_by_node(cfg, cfg->nr_numa, p.memdev) ||
	    memdev_used_by_device(cfg, index, p.memdev)) {
		pv_error("-device: %s '%s': can't use already busy memdev: %s (%s uses it)", p.driver,
			 p.id, p.memdev,
			 opt_memdev_used_by_node(cfg, cfg->nr_numa, p.memdev) ? "a -numa node"
									       : "another -device");
		return -1;
	}
	if (!config_has_node(cfg, p.node)) {
		pv_error("-device: %s '%s': 'node=%u' is not a NUMA node (there %s %u)", p.driver,
			 p.id, p.node, nodes == 1 ? "is" : "are", nodes);
		return -1;
	}
	keyval_get_bool(obj, "prealloc", false, &prealloc); /* checked by -object (options_object.c) */
	/* The host page size is known once the backend exists: vm_create checks it. */
	if (vmem_props_check_backend(&p, opt_object_size(obj), 0, prealloc, err, sizeof(err)) < 0) {
		pv_error("-device: %s '%s': %s", p.driver, p.id, err);
		return -1;
	}
	return check_device_space(cfg, p.driver, p.id, opt_object_size(obj), plugged);
}

/* In command-line order, so "already busy" and "slot taken" name the later device. */
int opt_finish_devices(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	uint64_t plugged = 0;

	for (unsigned i = 0, dimms = 0; i < cfg->nr_devices; i++) {
		bool vmem = vmem_is_driver(keyval_get(&cfg->devices[i], "driver"));

		if (vmem ? check_vmem(st, i, &plugged) < 0 : check_dimm(st, i, dimms++, &plugged) < 0)
			return -1;
	}
	return 0;
}
