/*
 * What mm/ tells the monitors about its memory devices, as typed facts: mm/ builds no
 * JSON. src/monitor/memory_device_events.c turns each into the QMP event QEMU sends for
 * it (docs/monitor.md "Events").
 */
#ifndef PLUGVM_MM_MEMORY_DEVICE_EVENT_H
#define PLUGVM_MM_MEMORY_DEVICE_EVENT_H

#include <stdint.h>

enum memory_device_event_kind {
	MEMORY_DEVICE_EVENT_DELETED,      /* DEVICE_DELETED: a DIMM is gone (its _EJ0) */
	MEMORY_DEVICE_EVENT_OST,          /* ACPI_DEVICE_OST: the guest's _OST for a slot */
	MEMORY_DEVICE_EVENT_UNPLUG_ERROR, /* DEVICE_UNPLUG_GUEST_ERROR: device_del failed */
	MEMORY_DEVICE_EVENT_SIZE_CHANGE,  /* MEMORY_DEVICE_SIZE_CHANGE: virtio-mem's size */
};

struct memory_device_event {
	enum memory_device_event_kind kind;
	const char *id;          /* the device's id; "" for an _OST on an empty slot */
	unsigned slot;           /* OST: the DIMM slot */
	uint32_t source, status; /* OST: the guest's _OST event and status codes */
	uint64_t size;           /* SIZE_CHANGE: the memory the guest has plugged */
};

/* Where mm/ sends its events (the machine wires the monitors'); the event and the
 * strings it points to are the caller's, valid during the call only. Any thread. */
typedef void (*memory_device_event_fn)(const struct memory_device_event *ev);

#endif
