/*
 * The seam between a virtio device model and the transport that carries it.
 * A device (virtio_mem.c) knows nothing of MMIO registers; a transport
 * (virtio_mmio.c) knows nothing of what the device does with its queues. A
 * second device reuses the transport by filling in another ops table.
 */
#ifndef PLUGVM_VIRTIO_DEVICE_H
#define PLUGVM_VIRTIO_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

struct virtqueue;

/* What the transport asks of a device. `dev` is the device's own pointer.
 * The transport calls these with its register lock held and serialises them
 * per device; the device may take its own lock inside (order: transport lock,
 * then device lock). */
struct virtio_device_ops {
	uint32_t device_id;  /* VIRTIO_ID_* (linux/virtio_ids.h) */
	unsigned num_queues; /* 1 .. VIRTIO_MMIO_MAX_QUEUES */
	uint16_t queue_max;  /* QueueNumMax of every queue: a power of two <= 32768 */

	/* Device-specific feature bits offered. The transport adds its own
	 * (VIRTIO_F_VERSION_1) and offers nothing else. */
	uint64_t (*features)(void *dev);
	/* Optional: a last say at FEATURES_OK over the driver's subset of the
	 * offered features (e.g. a feature the device cannot work without). */
	bool (*features_ok)(void *dev, uint64_t driver_features);

	/* Device configuration space, `size` bytes at `offset` from its start,
	 * little-endian. Reads outside the space give zeros, writes there are
	 * dropped; any offset and size (1, 2, 4 or 8) must be safe. */
	void (*config_read)(void *dev, uint64_t offset, uint8_t *data, unsigned size);
	void (*config_write)(void *dev, uint64_t offset, const uint8_t *data, unsigned size);

	/* The driver notified queue `index` (ready, driver OK, device not in
	 * need of a reset). The device pops and pushes; the transport then
	 * raises the used-buffer interrupt and checks the queue for breakage. */
	void (*queue_notify)(void *dev, unsigned index, struct virtqueue *vq);

	/* Status was written 0. Queues and interrupt state are the transport's;
	 * the device resets whatever the driver could change. */
	void (*reset)(void *dev);
};

/* What a device asks of its transport. */
struct virtio_transport_link {
	/* The configuration space changed: the transport bumps ConfigGeneration
	 * and, when `notify`, raises the configuration-change interrupt. The
	 * device calls it while holding its own lock, after (or while) updating
	 * the fields, so a driver that re-reads the generation sees the change. */
	void (*config_changed)(void *transport, bool notify);
	void *transport;
};

#endif
