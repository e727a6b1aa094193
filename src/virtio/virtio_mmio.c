/* virtio-mmio version 2 register block (see virtio_mmio.h for locking). */
#include "virtio/virtio_mmio.h"

#define VIRTIO_MMIO_NO_LEGACY /* version 2 only: the legacy registers are not ours */
#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <string.h>

#define MAGIC 0x74726976u /* "virt" */
#define CONFIG_START VIRTIO_MMIO_CONFIG

/* ---- interrupt state (irq_lock) ---- */

static void update_line_locked(struct virtio_mmio *t)
{
	bool level = t->interrupt_status != 0;

	if (level != t->irq_level) {
		t->irq_level = level;
		if (t->irq.set_level)
			t->irq.set_level(t->irq.opaque, level);
	}
}

static void raise_irq(struct virtio_mmio *t, uint32_t bits)
{
	pthread_mutex_lock(&t->irq_lock);
	t->interrupt_status |= bits;
	update_line_locked(t);
	pthread_mutex_unlock(&t->irq_lock);
}

static void ack_irq(struct virtio_mmio *t, uint32_t bits)
{
	pthread_mutex_lock(&t->irq_lock);
	t->interrupt_status &= ~bits;
	update_line_locked(t);
	pthread_mutex_unlock(&t->irq_lock);
}

static uint32_t read_interrupt_status(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->irq_lock);
	uint32_t v = t->interrupt_status;
	pthread_mutex_unlock(&t->irq_lock);
	return v;
}

static uint32_t load_status(struct virtio_mmio *t)
{
	return __atomic_load_n(&t->status, __ATOMIC_ACQUIRE);
}

static void store_status(struct virtio_mmio *t, uint32_t v)
{
	__atomic_store_n(&t->status, v, __ATOMIC_RELEASE);
}

void virtio_mmio_config_changed(void *transport, bool notify)
{
	struct virtio_mmio *t = transport;

	__atomic_fetch_add(&t->config_generation, 1, __ATOMIC_SEQ_CST);
	/* Before DRIVER_OK the driver reads the configuration anyway. */
	if (notify && (load_status(t) & VIRTIO_CONFIG_S_DRIVER_OK))
		raise_irq(t, VIRTIO_MMIO_INT_CONFIG);
}

struct virtio_transport_link virtio_mmio_link(struct virtio_mmio *t)
{
	return (struct virtio_transport_link){ .config_changed = virtio_mmio_config_changed,
					       .transport = t };
}

/* ---- lifecycle ---- */

int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops, void *dev,
		     const struct guest_mem_view *mem, struct virtio_mmio_irq irq)
{
	uint32_t qmax = ops->queue_max;

	if (ops->num_queues == 0 || ops->num_queues > VIRTIO_MMIO_MAX_QUEUES || qmax == 0 ||
	    qmax > VIRTQ_SIZE_LIMIT || (qmax & (qmax - 1)))
		return -1;
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->irq_lock, NULL);
	t->ops = ops;
	t->dev = dev;
	t->irq = irq;
	for (unsigned i = 0; i < ops->num_queues; i++)
		virtqueue_init(&t->vqs[i], mem, ops->queue_max);
	return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->irq_lock);
}

uint32_t virtio_mmio_status(struct virtio_mmio *t)
{
	return load_status(t);
}

bool virtio_mmio_needs_reset(struct virtio_mmio *t)
{
	return load_status(t) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* ---- device status (lock held) ---- */

static uint64_t offered_features(struct virtio_mmio *t)
{
	return t->ops->features(t->dev) | (1ull << VIRTIO_F_VERSION_1);
}

/* The device cannot go on until the driver resets it (a broken queue, a queue
 * layout refused): say so in Status, and tell a running driver (§2.1.2). */
static void set_needs_reset(struct virtio_mmio *t)
{
	uint32_t s = load_status(t);

	if (s & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	store_status(t, s | VIRTIO_CONFIG_S_NEEDS_RESET);
	if (s & VIRTIO_CONFIG_S_DRIVER_OK)
		raise_irq(t, VIRTIO_MMIO_INT_CONFIG);
}

static void device_reset(struct virtio_mmio *t)
{
	for (unsigned i = 0; i < t->ops->num_queues; i++)
		virtqueue_reset(&t->vqs[i]);
	store_status(t, 0);
	t->device_features_sel = 0;
	t->driver_features_sel = 0;
	t->driver_features = 0;
	t->driver_features_beyond_64 = false;
	t->queue_sel = 0;
	/* ConfigGeneration is not reset: it only has to differ across a change. */
	pthread_mutex_lock(&t->irq_lock);
	t->interrupt_status = 0;
	update_line_locked(t);
	pthread_mutex_unlock(&t->irq_lock);
	if (t->ops->reset)
		t->ops->reset(t->dev);
}

static bool features_acceptable(struct virtio_mmio *t)
{
	uint64_t f = t->driver_features;

	if (t->driver_features_beyond_64 || (f & ~offered_features(t)))
		return false;
	/* A version 2 device speaks only the virtio 1.x layout (LE, no legacy). */
	if (!(f & (1ull << VIRTIO_F_VERSION_1)))
		return false;
	return !t->ops->features_ok || t->ops->features_ok(t->dev, f);
}

static void write_status(struct virtio_mmio *t, uint32_t v)
{
	uint32_t old = load_status(t);
	const uint32_t device_bits = VIRTIO_CONFIG_S_NEEDS_RESET;

	if (v == 0) {
		device_reset(t);
		return;
	}
	uint32_t want = v & ~device_bits;
	/* The driver only ever adds bits; clearing one other than by a reset is
	 * not a state the spec defines, so the write is dropped. */
	if ((old & ~device_bits) & ~want)
		return;
	/* FEATURES_OK is the device's answer as much as the driver's request:
	 * it stays clear (the driver reads it back) when the features are not
	 * acceptable. Once set, the features are frozen. */
	if ((want & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !features_acceptable(t))
		want &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* No queue runs on features that were never agreed. */
	if (!(want & VIRTIO_CONFIG_S_FEATURES_OK))
		want &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	store_status(t, want | (old & device_bits));
}

/* ---- queues (lock held) ---- */

static struct virtqueue *selected_queue(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->num_queues ? &t->vqs[t->queue_sel] : NULL;
}

static void notify_queue(struct virtio_mmio *t, uint32_t index)
{
	uint32_t s = load_status(t);

	/* The device must not touch a queue before DRIVER_OK (§3.1) or while it
	 * waits for a reset. */
	if (index >= t->ops->num_queues || !(s & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (s & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)))
		return;
	struct virtqueue *vq = &t->vqs[index];
	if (!vq->ready)
		return;
	t->ops->queue_notify(t->dev, index, vq);
	/* A broken queue raises no used-buffer interrupt (should_interrupt says
	 * no), only the configuration one that comes with NEEDS_RESET. */
	if (virtqueue_should_interrupt(vq))
		raise_irq(t, VIRTIO_MMIO_INT_VRING);
	if (vq->broken)
		set_needs_reset(t);
}

static void write_queue_ready(struct virtio_mmio *t, struct virtqueue *vq, uint32_t v)
{
	if (v == 0) {
		virtqueue_disable(vq);
	} else if (v == 1 && !vq->ready) {
		/* A layout the device cannot use leaves QueueReady reading 0 and
		 * asks for a reset, rather than letting the driver wait forever. */
		if (virtqueue_enable(vq) < 0)
			set_needs_reset(t);
	}
}

/* Writes to a queue's layout are only defined while it is not ready. */
static void set_low(uint64_t *r, uint32_t v) { *r = (*r & ~0xffffffffull) | v; }
static void set_high(uint64_t *r, uint32_t v) { *r = (*r & 0xffffffffull) | (uint64_t)v << 32; }

static void write_queue_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct virtqueue *vq = selected_queue(t);

	if (!vq)
		return;
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		write_queue_ready(t, vq, v);
		return;
	}
	if (vq->ready)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM: vq->num = v; break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: set_low(&vq->desc_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: set_high(&vq->desc_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: set_low(&vq->avail_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: set_high(&vq->avail_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_USED_LOW: set_low(&vq->used_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH: set_high(&vq->used_gpa, v); break;
	}
}

/* ---- register access ---- */

static uint32_t read_reg(struct virtio_mmio *t, uint64_t off)
{
	struct virtqueue *vq = selected_queue(t);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return MAGIC;
	case VIRTIO_MMIO_VERSION: return 2;
	case VIRTIO_MMIO_DEVICE_ID: return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_PLUGVM_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->device_features_sel > 1)
			return 0;
		return (uint32_t)(offered_features(t) >> (32 * t->device_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return vq ? vq->num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY: return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return read_interrupt_status(t);
	case VIRTIO_MMIO_STATUS: return load_status(t);
	/* No shared memory regions: every id reads as absent (length and base -1). */
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffffu;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&t->config_generation, __ATOMIC_SEQ_CST);
	default: return 0; /* write-only and undefined registers */
	}
}

static void write_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (load_status(t) & VIRTIO_CONFIG_S_FEATURES_OK)
			break; /* frozen once agreed */
		if (t->driver_features_sel == 0)
			set_low(&t->driver_features, v);
		else if (t->driver_features_sel == 1)
			set_high(&t->driver_features, v);
		else if (v)
			t->driver_features_beyond_64 = true;
		break;
	case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH: write_queue_reg(t, off, v); break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: notify_queue(t, v); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: ack_irq(t, v); break;
	case VIRTIO_MMIO_STATUS: write_status(t, v); break;
	default: break; /* read-only, legacy and undefined registers */
	}
}

static void config_access(struct virtio_mmio *t, uint64_t off, bool is_write, uint8_t *data,
			  unsigned size)
{
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		if (!is_write)
			memset(data, 0, size);
		return;
	}
	if (is_write) {
		if (t->ops->config_write)
			t->ops->config_write(t->dev, off, data, size);
	} else if (t->ops->config_read) {
		t->ops->config_read(t->dev, off, data, size);
	} else {
		memset(data, 0, size);
	}
}

void virtio_mmio_access(struct virtio_mmio *t, uint64_t offset, bool is_write, uint8_t *data,
			unsigned size)
{
	pthread_mutex_lock(&t->lock);
	if (offset >= CONFIG_START) {
		config_access(t, offset - CONFIG_START, is_write, data, size);
	} else if (size != 4 || offset % 4) {
		/* Control registers are 32-bit only (§4.2.2.2). */
		if (!is_write)
			memset(data, 0, size);
	} else if (is_write) {
		uint32_t v;
		memcpy(&v, data, 4);
		write_reg(t, offset, le32toh(v));
	} else {
		uint32_t v = htole32(read_reg(t, offset));
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&t->lock);
}
