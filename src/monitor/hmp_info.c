/* HMP "info" subcommands, printing exactly what QEMU's do. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "monitor/hmp_internal.h"
#include "monitor/memory_device_order.h"
#include "monitor/qmp.h"
#include "util.h"

static bool missing(const void *op, struct strbuf *out)
{
	if (!op)
		strbuf_puts(out, "Error: this machine does not support the command\n");
	return !op;
}

/* QEMU 7.2's hmp_info_memory_devices for MEMORY_DEVICE_INFO_KIND_VIRTIO_MEM. */
static void print_virtio_mem(const struct virtio_mem_device_info *v, struct strbuf *out)
{
	strbuf_printf(out, "Memory device [virtio-mem]: \"%s\"\n", v->id);
	strbuf_printf(out, "  memaddr: 0x%" PRIx64 "\n", v->memaddr);
	strbuf_printf(out, "  node: %u\n", v->node);
	strbuf_printf(out, "  requested-size: %" PRIu64 "\n", v->requested_size);
	strbuf_printf(out, "  size: %" PRIu64 "\n", v->size);
	strbuf_printf(out, "  max-size: %" PRIu64 "\n", v->max_size);
	strbuf_printf(out, "  block-size: %" PRIu64 "\n", v->block_size);
	strbuf_printf(out, "  memdev: /objects/%s\n", v->memdev);
}

/* ... and for MEMORY_DEVICE_INFO_KIND_DIMM. */
static void print_dimm(const struct memory_device_info *d, struct strbuf *out)
{
	strbuf_printf(out, "Memory device [dimm]: \"%s\"\n", d->id);
	strbuf_printf(out, "  addr: 0x%" PRIx64 "\n", d->addr);
	strbuf_printf(out, "  slot: %u\n", d->slot);
	strbuf_printf(out, "  node: %u\n", d->node);
	strbuf_printf(out, "  size: %" PRIu64 "\n", d->size);
	strbuf_printf(out, "  memdev: /objects/%s\n", d->memdev);
	strbuf_printf(out, "  hotplugged: %s\n", d->hotplugged ? "true" : "false");
	strbuf_printf(out, "  hotpluggable: %s\n", d->hotpluggable ? "true" : "false");
}

/* Both kinds in one list by address, as QEMU prints them (memory_device_order.h). */
static void info_memory_devices(const struct control_ops *ops, struct strbuf *out)
{
	struct virtio_mem_device_info v[PLUGVM_MAX_VIRTIO_MEM];
	struct memory_device_info *d;
	struct memory_device_ref *order;
	unsigned nd, nv;

	if (missing(ops->memory_devices, out))
		return;
	d = calloc(PLUGVM_MAX_SLOTS, sizeof(*d));
	order = calloc(PLUGVM_MAX_SLOTS + PLUGVM_MAX_VIRTIO_MEM, sizeof(*order));
	if (!d || !order) {
		free(d);
		free(order);
		return;
	}
	nd = ops->memory_devices(ops->opaque, d, PLUGVM_MAX_SLOTS);
	nv = ops->virtio_mem_devices
		     ? ops->virtio_mem_devices(ops->opaque, v, PLUGVM_MAX_VIRTIO_MEM)
		     : 0;
	memory_devices_by_address(d, nd, v, nv, order);
	for (unsigned i = 0; i < nd + nv; i++) {
		if (order[i].virtio_mem)
			print_virtio_mem(&v[order[i].index], out);
		else
			print_dimm(&d[order[i].index], out);
	}
	free(order);
	free(d);
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

static void info_memdev(const struct control_ops *ops, struct strbuf *out)
{
	const unsigned max = PLUGVM_MAX_BACKENDS;
	struct memdev_info *m;
	unsigned n;

	if (missing(ops->memdevs, out))
		return;
	m = calloc(max, sizeof(*m));
	if (!m)
		return;
	n = ops->memdevs(ops->opaque, m, max);
	for (unsigned i = 0; i < n; i++) {
		strbuf_printf(out, "memory backend: %s\n", m[i].id);
		strbuf_printf(out, "  size:  %" PRIu64 "\n", m[i].size); /* two spaces, as QEMU */
		strbuf_printf(out, "  merge: %s\n", tf(m[i].merge));
		strbuf_printf(out, "  dump: %s\n", tf(m[i].dump));
		strbuf_printf(out, "  prealloc: %s\n", tf(m[i].prealloc));
		strbuf_printf(out, "  share: %s\n", tf(m[i].share));
		strbuf_printf(out, "  reserve: %s\n", tf(m[i].reserve));
		strbuf_printf(out, "  policy: %s\n", m[i].policy[0] ? m[i].policy : "default");
		strbuf_puts(out, "  host nodes: \n");
	}
	strbuf_puts(out, "\n");
	free(m);
}

static void info_numa(const struct control_ops *ops, struct strbuf *out)
{
	struct numa_node_info nodes[PLUGVM_MAX_NUMA_NODES];
	struct virtio_mem_device_info v[PLUGVM_MAX_VIRTIO_MEM];
	struct memory_device_info *d = NULL;
	unsigned n, nd = 0, nv = 0;

	if (missing(ops->numa_nodes, out))
		return;
	n = ops->numa_nodes(ops->opaque, nodes, PLUGVM_MAX_NUMA_NODES);
	/* QEMU's "plugged" is every pc-dimm on the node, cold-plugged ones too. */
	if (ops->memory_devices && (d = calloc(PLUGVM_MAX_SLOTS, sizeof(*d))))
		nd = ops->memory_devices(ops->opaque, d, PLUGVM_MAX_SLOTS);
	/* ... and what the guest has plugged of each virtio-mem device, in size and plugged
	 * both (QEMU's numa_stat_memory_devices). */
	if (ops->virtio_mem_devices)
		nv = ops->virtio_mem_devices(ops->opaque, v, PLUGVM_MAX_VIRTIO_MEM);
	strbuf_printf(out, "%u nodes\n", n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t plugged = 0;

		for (unsigned j = 0; j < nd; j++)
			if (d[j].node == nodes[i].nodeid)
				plugged += d[j].size;
		for (unsigned j = 0; j < nv; j++)
			if (v[j].node == nodes[i].nodeid)
				plugged += v[j].size, nodes[i].mem_size += v[j].size;
		strbuf_printf(out, "node %u cpus:", nodes[i].nodeid);
		for (unsigned c = 0; c < nodes[i].nr_cpus && c < ARRAY_SIZE(nodes[i].cpus); c++)
			strbuf_printf(out, " %u", nodes[i].cpus[c]);
		strbuf_puts(out, "\n");
		strbuf_printf(out, "node %u size: %" PRIu64 " MB\n", nodes[i].nodeid,
			      nodes[i].mem_size >> 20);
		strbuf_printf(out, "node %u plugged: %" PRIu64 " MB\n", nodes[i].nodeid,
			      plugged >> 20);
	}
	free(d);
}

static void info_memory_size_summary(const struct control_ops *ops, struct strbuf *out)
{
	uint64_t base = 0, plugged = 0;

	if (missing(ops->memory_size_summary, out))
		return;
	ops->memory_size_summary(ops->opaque, &base, &plugged);
	strbuf_printf(out, "base memory: %" PRIu64 "\n", base);
	strbuf_printf(out, "plugged memory: %" PRIu64 "\n", plugged);
}

static void info_status(const struct control_ops *ops, struct strbuf *out)
{
	/* QEMU shows every state but "running" as "paused (STATE)". */
	const char *state = ops->run_state ? ops->run_state(ops->opaque) : "running";

	if (strcmp(state, "running") == 0)
		strbuf_puts(out, "VM status: running\n");
	else
		strbuf_printf(out, "VM status: paused (%s)\n", state);
}

static void info_version(const struct control_ops *ops, struct strbuf *out)
{
	(void)ops;
	strbuf_printf(out, "%d.%d.%d (plugvm %s)\n", QMP_QEMU_MAJOR, QMP_QEMU_MINOR,
		      QMP_QEMU_MICRO, PLUGVM_VERSION);
}

static void info_name(const struct control_ops *ops, struct strbuf *out)
{
	(void)ops;
	if (hmp_vm_name)
		strbuf_printf(out, "%s\n", hmp_vm_name);
}

const struct hmp_info_cmd hmp_info_cmds[] = {
	{"memdev", "show memory backends", info_memdev},
	{"memory-devices", "show memory devices", info_memory_devices},
	{"memory_size_summary", "show the amount of initially allocated and present hotpluggable (if enabled) memory in bytes.", info_memory_size_summary},
	{"name", "show the current VM name", info_name},
	{"numa", "show NUMA information", info_numa},
	{"status", "show the current VM status (running|paused)", info_status},
	{"version", "show the version of QEMU", info_version},
	{NULL, NULL, NULL},
};
