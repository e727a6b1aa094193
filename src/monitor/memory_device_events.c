#include "monitor/memory_device_events.h"

#include <stdio.h>

#include "monitor/qmp.h"

const char *memory_device_event_name(const struct memory_device_event *ev)
{
	switch (ev->kind) {
	case MEMORY_DEVICE_EVENT_DELETED:
		return "DEVICE_DELETED";
	case MEMORY_DEVICE_EVENT_OST:
		return "ACPI_DEVICE_OST";
	case MEMORY_DEVICE_EVENT_UNPLUG_ERROR:
		return "DEVICE_UNPLUG_GUEST_ERROR";
	case MEMORY_DEVICE_EVENT_SIZE_CHANGE:
		return "MEMORY_DEVICE_SIZE_CHANGE";
	}
	return NULL;
}

/* QEMU's QOM path of a device added with an id. */
static void qom_path(const char *id, char *path, size_t len)
{
	snprintf(path, len, "/machine/peripheral/%s", id);
}

json_t *memory_device_event_data(const struct memory_device_event *ev)
{
	char path[128], slot[16];
	json_t *info;

	switch (ev->kind) {
	case MEMORY_DEVICE_EVENT_DELETED:
	case MEMORY_DEVICE_EVENT_UNPLUG_ERROR:
		qom_path(ev->id, path, sizeof(path));
		return json_pack("{s:s, s:s}", "device", ev->id, "path", path);
	case MEMORY_DEVICE_EVENT_OST:
		/* "I": the codes are 32-bit unsigned, as query-acpi-ospm-status gives them (the
		 * "i" mm/ used read a json_int_t as an int: UB, and a negative number from
		 * 0x80000000 on). */
		snprintf(slot, sizeof(slot), "%u", ev->slot);
		info = json_pack("{s:s, s:s, s:s, s:I, s:I}", "device", ev->id, "slot", slot,
				 "slot-type", "DIMM", "source", (json_int_t)ev->source, "status",
				 (json_int_t)ev->status);
		return info ? json_pack("{s:o}", "info", info) : NULL;
	case MEMORY_DEVICE_EVENT_SIZE_CHANGE:
		qom_path(ev->id, path, sizeof(path));
		return json_pack("{s:s, s:I, s:s}", "id", ev->id, "size", (json_int_t)ev->size,
				 "qom-path", path);
	}
	return NULL;
}

void memory_device_event_send(const struct memory_device_event *ev)
{
	const char *name = memory_device_event_name(ev);
	json_t *data = memory_device_event_data(ev);

	if (name && data)
		qmp_emit_event(name, data);
	json_decref(data);
}
