/* virtio-mem: device state, configuration space and the host's side
 * (requests from the guest are in virtio_mem_req.c). */
#include "virtio/virtio_mem.h"

#include <endian.h>
#include <linux/virtio_ids.h>
#include <string.h>

#include "virtio/virtio_mem_internal.h"

#define MIN_BLOCK_SIZE 4096u

static void no_config_changed(void *transport, bool notify)
{
	(void)transport;
	(void)notify;
}

/* The usable region the device offers for a requested size: the request plus
 * some room to choose blocks in, whole blocks, within the region. Linux adds
 * a memory block (128 MiB on x86) to the guest only when it lies wholly in
 * the usable region, so the room matters for small requests. */
static uint64_t usable_for(const struct virtio_mem *vm, uint64_t requested)
{
	uint64_t bs = vm->p.block_size;
	uint64_t want = requested;

	if (requested == 0)
		return 0;
	if (__builtin_add_overflow(want, vm->p.usable_extension, &want) || want > vm->p.region_size)
		return vm->p.region_size;
	/* region_size is a multiple of bs and want <= it, so this cannot pass it. */
	return (want + bs - 1) / bs * bs;
}

static const char *check_requested(const struct virtio_mem_params *p, uint64_t size)
{
	if (size % p->block_size)
		return "requested-size must be a multiple of block-size";
	if (size > p->region_size)
		return "requested-size must not exceed the region size";
	return NULL;
}

const char *virtio_mem_init(struct virtio_mem *vm, const struct virtio_mem_params *p,
			    const struct virtio_mem_ops *ops, void *opaque)
{
	uint64_t bs = p->block_size;
	const char *err;

	if (bs < MIN_BLOCK_SIZE || (bs & (bs - 1)))
		return "block-size must be a power of two of at least 4096";
	if (p->addr % bs)
		return "the region address must be a multiple of block-size";
	if (p->region_size % bs)
		return "the region size must be a multiple of block-size";
	if (p->region_size && p->addr > UINT64_MAX - (p->region_size - 1))
		return "the region must end below 2^64";
	if ((err = check_requested(p, p->requested_size)))
		return err;
	if (!ops || !ops->populate || !ops->discard)
		return "populate and discard are required";

	memset(vm, 0, sizeof(*vm));
	if (block_bitmap_init(&vm->plugged, p->region_size / bs) < 0)
		return "out of memory for the block bitmap";
	pthread_mutex_init(&vm->lock, NULL);
	vm->p = *p;
	vm->ops = ops;
	vm->opaque = opaque;
	vm->link = (struct virtio_transport_link){ .config_changed = no_config_changed };
	vm->requested_size = p->requested_size;
	vm->usable_region_size = usable_for(vm, p->requested_size);
	return NULL;
}

void virtio_mem_destroy(struct virtio_mem *vm)
{
	block_bitmap_free(&vm->plugged);
	pthread_mutex_destroy(&vm->lock);
}

void virtio_mem_set_link(struct virtio_mem *vm, struct virtio_transport_link link)
{
	pthread_mutex_lock(&vm->lock);
	vm->link = link;
	pthread_mutex_unlock(&vm->lock);
}

/* ---- state changes shared with the request code (lock held) ---- */

void virtio_mem_plugged_changed_locked(struct virtio_mem *vm)
{
	vm->link.config_changed(vm->link.transport, false);
	if (vm->ops->plugged_size_changed)
		vm->ops->plugged_size_changed(vm->opaque, vm->plugged_size);
}

void virtio_mem_unplug_all_locked(struct virtio_mem *vm)
{
	if (vm->plugged_size) {
		/* State first, then the host: discard only ever sees unplugged blocks. */
		block_bitmap_clear_all(&vm->plugged);
		vm->plugged_size = 0;
		vm->ops->discard(vm->opaque, 0, vm->p.region_size);
		virtio_mem_plugged_changed_locked(vm);
	}
	/* The one place the usable region may shrink (§5.15.4.2), and without a
	 * configuration interrupt; the generation still moves. */
	uint64_t usable = usable_for(vm, vm->requested_size);
	if (usable != vm->usable_region_size) {
		vm->usable_region_size = usable;
		vm->link.config_changed(vm->link.transport, false);
	}
}

/* ---- the host's side ---- */

const char *virtio_mem_set_requested_size(struct virtio_mem *vm, uint64_t size)
{
	const char *err = check_requested(&vm->p, size);

	if (err)
		return err;
	pthread_mutex_lock(&vm->lock);
	vm->requested_size = size;
	/* Grow only: blocks the guest plugged beyond a smaller usable region
	 * stay reachable until it unplugs them. */
	uint64_t usable = usable_for(vm, size);
	if (usable > vm->usable_region_size)
		vm->usable_region_size = usable;
	vm->link.config_changed(vm->link.transport, true);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

void virtio_mem_system_reset(struct virtio_mem *vm)
{
	pthread_mutex_lock(&vm->lock);
	virtio_mem_unplug_all_locked(vm);
	pthread_mutex_unlock(&vm->lock);
}

static uint64_t read_locked(struct virtio_mem *vm, const uint64_t *field)
{
	pthread_mutex_lock(&vm->lock);
	uint64_t v = *field;
	pthread_mutex_unlock(&vm->lock);
	return v;
}

uint64_t virtio_mem_plugged_size(struct virtio_mem *vm)
{
	return read_locked(vm, &vm->plugged_size);
}

uint64_t virtio_mem_requested_size(struct virtio_mem *vm)
{
	return read_locked(vm, &vm->requested_size);
}

uint64_t virtio_mem_usable_region_size(struct virtio_mem *vm)
{
	return read_locked(vm, &vm->usable_region_size);
}

bool virtio_mem_block_plugged(struct virtio_mem *vm, uint64_t gpa)
{
	bool plugged = false;

	pthread_mutex_lock(&vm->lock);
	if (gpa >= vm->p.addr && gpa - vm->p.addr < vm->p.region_size)
		plugged = block_bitmap_test(&vm->plugged, (gpa - vm->p.addr) / vm->p.block_size);
	pthread_mutex_unlock(&vm->lock);
	return plugged;
}

/* ---- what the transport sees ---- */

static uint64_t dev_features(void *dev)
{
	(void)dev;
	return (1ull << VIRTIO_MEM_F_ACPI_PXM) | (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
}

static bool dev_features_ok(void *dev, uint64_t features)
{
	struct virtio_mem *vm = dev;

	return vm->p.accept_legacy_driver || (features & (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE));
}

static void dev_config_read(void *dev, uint64_t offset, uint8_t *data, unsigned size)
{
	struct virtio_mem *vm = dev;
	struct virtio_mem_config c = { 0 };

	memset(data, 0, size);
	if (offset >= sizeof(c) || size > sizeof(c) - offset)
		return;
	/* A snapshot under the lock: one access never mixes two states. */
	pthread_mutex_lock(&vm->lock);
	c.block_size = htole64(vm->p.block_size);
	c.node_id = htole16(vm->p.node_id);
	c.addr = htole64(vm->p.addr);
	c.region_size = htole64(vm->p.region_size);
	c.usable_region_size = htole64(vm->usable_region_size);
	c.plugged_size = htole64(vm->plugged_size);
	c.requested_size = htole64(vm->requested_size);
	pthread_mutex_unlock(&vm->lock);
	memcpy(data, (const uint8_t *)&c + offset, size);
}

/* All fields are read-only for the driver (§5.15.4): writes are dropped. */
static void dev_config_write(void *dev, uint64_t offset, const uint8_t *data, unsigned size)
{
	(void)dev;
	(void)offset;
	(void)data;
	(void)size;
}

static void dev_queue_notify(void *dev, unsigned index, struct virtqueue *vq)
{
	if (index == 0)
		virtio_mem_process_queue(dev, vq);
}

/* A virtio reset must not change the state of any block (§5.15.5): the
 * driver finds plugged_size and decides (UNPLUG_ALL or STATE). Nothing the
 * driver can set lives in the device, so there is nothing to do. */
static void dev_reset(void *dev)
{
	(void)dev;
}

static const struct virtio_device_ops ops = {
	.device_id = VIRTIO_ID_MEM,
	.num_queues = 1,
	.queue_max = VIRTIO_MEM_QUEUE_MAX,
	.features = dev_features,
	.features_ok = dev_features_ok,
	.config_read = dev_config_read,
	.config_write = dev_config_write,
	.queue_notify = dev_queue_notify,
	.reset = dev_reset,
};

const struct virtio_device_ops *virtio_mem_device_ops(void)
{
	return &ops;
}
