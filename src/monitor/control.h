/*
 * What the monitors (QMP and HMP) can ask of the running VM. The monitors
 * only parse, validate syntax, format and route; every rule about memory
 * lives behind these operations (src/mm/memory_devices.c implements them for
 * a real machine, tests implement them with fakes).
 */
#ifndef PLUGVM_CONTROL_H
#define PLUGVM_CONTROL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyval.h"

/* QEMU's QMP error classes. */
#define CONTROL_ERR_GENERIC "GenericError"
#define CONTROL_ERR_COMMAND_NOT_FOUND "CommandNotFound"
#define CONTROL_ERR_DEVICE_NOT_FOUND "DeviceNotFound"

struct control_error {
	const char *cls;   /* one of CONTROL_ERR_*; NULL means GenericError */
	char desc[256];
};

/* Fills err: its class and the formatted description (cut to fit). The one way every
 * module that answers a monitor sets an error. */
void control_error_set(struct control_error *err, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void control_error_vset(struct control_error *err, const char *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* One pc-dimm, as query-memory-devices / info memory-devices show it. */
struct memory_device_info {
	char id[64];
	uint64_t addr;
	uint64_t size;
	unsigned slot;
	unsigned node;
	char memdev[64];       /* backend id; shown as "/objects/<id>" */
	bool hotplugged;
	bool hotpluggable;
	bool unplug_pending;   /* device_del sent, guest has not ejected yet */
};

/* One virtio-mem device, as query-memory-devices / info memory-devices show it (QEMU's
 * VirtioMEMDeviceInfo). */
struct virtio_mem_device_info {
	char id[64];
	uint64_t memaddr;        /* the region's guest-physical start */
	uint64_t requested_size;
	uint64_t size;           /* plugged now */
	uint64_t max_size;       /* the region (the backend's size) */
	uint64_t block_size;
	unsigned node;
	char memdev[64];         /* backend id; shown as "/objects/<id>" */
};

/* A property's value for qom-get. */
enum qom_value_kind { QOM_VALUE_INT, QOM_VALUE_STRING, QOM_VALUE_BOOL };
struct qom_value {
	enum qom_value_kind kind;
	uint64_t u;              /* QOM_VALUE_INT */
	bool b;                  /* QOM_VALUE_BOOL */
	char s[128];             /* QOM_VALUE_STRING */
};

/* One memory backend, as query-memdev / info memdev show it. */
struct memdev_info {
	char id[64];
	char type[32];         /* qom-type */
	uint64_t size;
	bool merge, dump, prealloc, share, reserve;
	char policy[16];       /* "default" */
};

/* One slot's last _OST, as query-acpi-ospm-status shows it. */
struct ospm_status_info {
	char device[64];       /* DIMM id ("" if none) */
	char slot[16];         /* slot number as a string, QEMU style */
	uint32_t source;
	uint32_t status;
};

struct numa_node_info {
	unsigned nodeid;
	uint64_t mem_size;     /* boot RAM + plugged DIMMs on this node */
	unsigned cpus[64];
	unsigned nr_cpus;
};

struct control_ops {
	/* object-add / object_add: props has "qom-type", "id" and the rest as strings. */
	int (*object_add)(void *opaque, const struct keyval_list *props, struct control_error *err);
	int (*object_del)(void *opaque, const char *id, struct control_error *err);
	/* device_add: props has "driver" (must be pc-dimm), "id", "memdev", ... */
	int (*device_add)(void *opaque, const struct keyval_list *props, struct control_error *err);
	/* Starts an unplug; completion is the DEVICE_DELETED event. */
	int (*device_del)(void *opaque, const char *id, struct control_error *err);

	unsigned (*memory_devices)(void *opaque, struct memory_device_info *out, unsigned max);
	unsigned (*memdevs)(void *opaque, struct memdev_info *out, unsigned max);
	unsigned (*ospm_status)(void *opaque, struct ospm_status_info *out, unsigned max);
	unsigned (*numa_nodes)(void *opaque, struct numa_node_info *out, unsigned max);
	void (*memory_size_summary)(void *opaque, uint64_t *base_memory, uint64_t *plugged_memory);
	/* The virtio-mem devices, after the DIMMs in query-memory-devices. */
	unsigned (*virtio_mem_devices)(void *opaque, struct virtio_mem_device_info *out,
				       unsigned max);
	/* qom-get / qom-set: path as the client gave it ("vm0", "/machine/peripheral/vm0"),
	 * the value of qom-set as text (a number in decimal, or whatever string the client
	 * sent: the VM parses it). The VM decides which paths and properties exist. */
	int (*qom_get)(void *opaque, const char *path, const char *property,
		       struct qom_value *out, struct control_error *err);
	int (*qom_set)(void *opaque, const char *path, const char *property, const char *value,
		       struct control_error *err);

	/* QEMU's RunState name: "running", "guest-panicked" (stopped after a guest
	 * panic, docs/options.md) or "shutdown" (on the way out). */
	const char *(*run_state)(void *opaque);
	void (*system_powerdown)(void *opaque);
	void (*system_reset)(void *opaque);
	void (*quit)(void *opaque);
	void *opaque;
};

#endif
