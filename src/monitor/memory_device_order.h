/* The memory devices of both kinds in one list ordered by guest-physical address, as
 * QEMU's query-memory-devices and info memory-devices show them (hw/mem/memory-device.c
 * builds its list sorted by address). docs/monitor.md "Commands". */
#ifndef PLUGVM_MONITOR_MEMORY_DEVICE_ORDER_H
#define PLUGVM_MONITOR_MEMORY_DEVICE_ORDER_H

#include <stdbool.h>

#include "monitor/control.h"

/* One entry: d[index] (a DIMM) or v[index] (a virtio-mem device). */
struct memory_device_ref {
	bool virtio_mem;
	unsigned index;
};

/* Fills out[0 .. nd + nv) with the DIMMs d[0 .. nd) and the virtio-mem devices
 * v[0 .. nv) by ascending address (two devices never share one; equal addresses, which
 * only a broken caller gives, keep DIMMs first and each kind's own order). */
void memory_devices_by_address(const struct memory_device_info *d, unsigned nd,
			       const struct virtio_mem_device_info *v, unsigned nv,
			       struct memory_device_ref *out);

#endif
