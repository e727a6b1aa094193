/*
 * The machine as the command line describes it. options.c and its options_*.c
 * fill it in and check it; everything else only reads it.
 */
#ifndef PLUGVM_CONFIG_H
#define PLUGVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "keyval.h"

#define PLUGVM_MAX_CPUS 64
#define PLUGVM_MAX_NUMA_NODES 8
#define PLUGVM_MAX_SLOTS 256
#define PLUGVM_MAX_OBJECTS 64 /* -object options on the command line */
#define PLUGVM_MAX_DEVICES 64
#define PLUGVM_MAX_MONITORS 4
/* virtio-mem devices (-device virtio-mem-pci): one virtio-mmio window and GSI each
 * (platform.h). */
#define PLUGVM_MAX_VIRTIO_MEM 6
/* Memory backends alive at once (command line and object-add): one per DIMM slot, one per
 * NUMA node's boot RAM, and room for backends created before their device_add. */
#define PLUGVM_MAX_BACKENDS (PLUGVM_MAX_SLOTS + PLUGVM_MAX_NUMA_NODES + 64)

enum chardev_kind {
	CHARDEV_NONE,
	CHARDEV_STDIO,     /* "stdio" */
	CHARDEV_MON_STDIO, /* "mon:stdio": guest console and HMP monitor multiplexed, Ctrl-a c */
	CHARDEV_FILE,      /* "file:PATH" (serial only) */
	CHARDEV_UNIX,      /* "unix:PATH,server=on,wait=off" (or "server,nowait") */
};

struct chardev_config {
	enum chardev_kind kind;
	char path[108]; /* sun_path size */
};

struct numa_node_config {
	unsigned nodeid;
	unsigned cpu_first, cpu_last; /* inclusive; cpus_set false means "none given" */
	bool cpus_set;
	char memdev[64];              /* backend id from -object, or "" */
	uint64_t mem_size;            /* from memdev's size (or mem=), filled by options_numa.c */
};

/* -action panic=...: what plugvm does when the guest panics (docs/options.md). */
enum panic_action {
	PANIC_ACTION_SHUTDOWN, /* QEMU's default: end the VM, exit status 3 */
	PANIC_ACTION_PAUSE,    /* stop the vCPUs, keep the monitors: query-status says so */
	PANIC_ACTION_NONE,     /* report it and let the guest be */
};

struct plugvm_config {
	const char *kernel;
	const char *initrd;
	const char *append; /* NULL: use the default guest command line */
	const char *name;
	const char *dump_acpi_dir; /* --dump-acpi DIR: write the tables, do not boot */

	uint64_t ram_size; /* -m size; the sum of the NUMA nodes' memdevs when -numa is used */
	unsigned slots;    /* -m slots=, 0 = no hotplug */
	uint64_t maxmem;   /* -m maxmem=, ram_size when not given */

	unsigned nr_cpus;  /* -smp N, default 1 */
	bool nographic;

	struct chardev_config serial;                      /* default: stdio with -nographic */
	struct chardev_config qmp[PLUGVM_MAX_MONITORS];    /* -qmp */
	unsigned nr_qmp;
	struct chardev_config monitor[PLUGVM_MAX_MONITORS]; /* -monitor (HMP) */
	unsigned nr_monitor;

	struct numa_node_config numa[PLUGVM_MAX_NUMA_NODES];
	unsigned nr_numa; /* 0: one implicit node 0 with all RAM and CPUs */

	/* -object and -device, kept as parsed key=value lists; the first
	 * (implied) key is "qom-type" for -object and "driver" for -device. */
	struct keyval_list objects[PLUGVM_MAX_OBJECTS];
	unsigned nr_objects;
	struct keyval_list devices[PLUGVM_MAX_DEVICES];
	unsigned nr_devices;

	/* -kernel-unpack host|guest (NULL: host): who decompresses the bzImage. */
	const char *kernel_unpack;

	/* Added by options.c. */
	bool kernel_unpack_guest; /* -kernel-unpack guest: the guest's own decompressor runs */
	bool sandbox;   /* -sandbox on (the default): Landlock + seccomp (src/sandbox.h) */
	bool sandbox_given;
	char *sandbox_mem_path; /* -sandbox mem-path=DIR: where object-add may put files */
	enum panic_action panic_action;
	bool action_given;
	bool ram_size_given; /* -m size= was given (nonzero), not the 512M default */
	unsigned nr_virtio_mem; /* -device virtio-mem-pci (or virtio-mem-device) options */
};

/* The guest's NUMA nodes: -numa's, or the one implicit node 0. */
static inline unsigned config_nr_nodes(const struct plugvm_config *cfg)
{
	return cfg->nr_numa ? cfg->nr_numa : 1;
}

/* The guest's node id of node index idx. options_numa.c sorts numa[] by id and refuses gaps,
 * so this is idx; the layout, the SRAT and the monitors rely on it. */
static inline unsigned config_node_id(const struct plugvm_config *cfg, unsigned idx)
{
	return cfg->nr_numa ? cfg->numa[idx].nodeid : 0;
}

/* Whether the guest has a node with that id: the rule of a memory device's node= (pc-dimm
 * and virtio-mem, on the command line and in device_add alike). */
static inline bool config_has_node(const struct plugvm_config *cfg, uint64_t nodeid)
{
	for (unsigned i = 0; i < config_nr_nodes(cfg); i++)
		if (config_node_id(cfg, i) == nodeid)
			return true;
	return false;
}

/* The node id of vCPU cpu: the one place that maps CPUs to nodes. options_numa.c gives
 * every CPU exactly one node's cpus= range (the CPUs no -numa names join node 0's); without
 * -numa, node 0. */
static inline unsigned config_cpu_node(const struct plugvm_config *cfg, unsigned cpu)
{
	for (unsigned i = 0; i < cfg->nr_numa; i++) {
		const struct numa_node_config *node = &cfg->numa[i];

		if (node->cpus_set && cpu >= node->cpu_first && cpu <= node->cpu_last)
			return node->nodeid;
	}
	return 0;
}

#endif
