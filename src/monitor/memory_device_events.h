/*
 * The QMP events of memory devices: mm/'s typed events (mm/memory_device_event.h) as the
 * JSON QEMU sends, names and fields alike (docs/monitor.md "Events").
 */
#ifndef PLUGVM_MONITOR_MEMORY_DEVICE_EVENTS_H
#define PLUGVM_MONITOR_MEMORY_DEVICE_EVENTS_H

#include <jansson.h>

#include "mm/memory_device_event.h"

/* The event's QMP name, and its "data" member (a new reference, NULL when out of
 * memory). */
const char *memory_device_event_name(const struct memory_device_event *ev);
json_t *memory_device_event_data(const struct memory_device_event *ev);

/* A memory_device_event_fn: sends ev to the QMP monitors (qmp_emit_event). */
void memory_device_event_send(const struct memory_device_event *ev);

#endif
