/*
 * The virtio-mmio register block, version 2 (virtio 1.2 §4.2.2): what a
 * modern (non-legacy) driver reads and writes at the device's MMIO window.
 * Linux binds it through ACPI (_HID LNRO0005) or a "virtio,mmio" DT node.
 *
 * Locking. Register accesses come from any vCPU thread; config changes come
 * from the device (the main thread's resize, or a request on a vCPU). Two
 * locks, always taken in this order:
 *   lock      registers, queues, and every call into the device ops;
 *   (the device's own lock, taken inside the ops);
 *   irq_lock  InterruptStatus and the interrupt line, a leaf: the set_level
 *             callback runs under it and must not call back in here.
 * ConfigGeneration is an atomic bumped by virtio_mmio_config_changed.
 */
#ifndef PLUGVM_VIRTIO_MMIO_H
#define PLUGVM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/guest_mem.h"
#include "virtio/virtio_device.h"
#include "virtio/virtqueue.h"

/* The window to describe in the DSDT: registers up to 0x100, config after. */
#define VIRTIO_MMIO_WINDOW 0x200
#define VIRTIO_MMIO_MAX_QUEUES 8
/* VendorID: "PLUG" read as a little-endian word. Linux ignores it. */
#define VIRTIO_MMIO_PLUGVM_VENDOR 0x47554c50u

/* The interrupt line follows "InterruptStatus != 0": it is a level. Wire it
 * as a level-triggered line (KVM_IRQ_LINE, or an irqfd with a resample fd);
 * an edge would lose an event that arrives while the guest handles another. */
struct virtio_mmio_irq {
	void (*set_level)(void *opaque, bool level);
	void *opaque;
};

struct virtio_mmio {
	pthread_mutex_t lock;
	pthread_mutex_t irq_lock;

	const struct virtio_device_ops *ops;
	void *dev;
	struct virtio_mmio_irq irq;

	uint32_t status; /* written under lock, read atomically by config_changed */
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint64_t driver_features;
	bool driver_features_beyond_64; /* a bit set past the 64 we can offer */
	uint32_t queue_sel;
	struct virtqueue vqs[VIRTIO_MMIO_MAX_QUEUES];

	uint32_t interrupt_status; /* under irq_lock */
	bool irq_level;            /* under irq_lock */
	uint32_t config_generation; /* atomic */
};

/* 0, or -1 when ops asks for something the transport cannot do (no queues,
 * too many, or a queue_max that is not a power of two up to 32768). mem
 * must outlive the transport. */
int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops, void *dev,
		     const struct guest_mem_view *mem, struct virtio_mmio_irq irq);
void virtio_mmio_destroy(struct virtio_mmio *t);

/*
 * One guest access at `offset` into the window. data holds `size` bytes,
 * little-endian: the guest's value for a write, filled here for a read. Any
 * offset and size are safe: control registers (below 0x100) answer only
 * aligned 32-bit accesses (others read 0 and writes are dropped), the
 * configuration space (0x100 on) is handed to the device for 1, 2, 4 or 8
 * bytes.
 */
void virtio_mmio_access(struct virtio_mmio *t, uint64_t offset, bool is_write, uint8_t *data,
			unsigned size);

/* The link a device gets to report configuration changes (see virtio_device.h). */
struct virtio_transport_link virtio_mmio_link(struct virtio_mmio *t);
void virtio_mmio_config_changed(void *transport, bool notify);

/* The Status register as the driver would read it, and its NEEDS_RESET bit. */
uint32_t virtio_mmio_status(struct virtio_mmio *t);
bool virtio_mmio_needs_reset(struct virtio_mmio *t);

#endif
