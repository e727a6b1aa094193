#include "mm/virtio_mem_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/memory_devices.h"
#include "mm/virtio_mem_props.h"
#include "bus.h"
#include "arch/x86/platform.h"
#include "size.h"
#include "trace.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

_Static_assert(VIRTIO_MMIO_WINDOW_SIZE == VIRTIO_MMIO_WINDOW, "the DSDT's window is the transport's");
_Static_assert(sizeof(((struct virtio_mem_device_info *)0)->id) > PV_ID_MAX, "id buffer");
_Static_assert(sizeof(((struct virtio_mem_device_info *)0)->memdev) > PV_ID_MAX, "memdev buffer");

void vmem_devices_window(unsigned n, uint64_t *mmio_base, uint32_t *gsi)
{
	static const uint32_t gsis[] = VIRTIO_MMIO_GSIS;

	_Static_assert(ARRAY_SIZE(gsis) == VIRTIO_MMIO_MAX_DEVICES, "one GSI per window");
	*mmio_base = VIRTIO_MMIO_BASE_GPA + (uint64_t)n * VIRTIO_MMIO_WINDOW_SIZE;
	*gsi = gsis[n < ARRAY_SIZE(gsis) ? n : 0];
}

/* ---- the guest's RAM as the rings see it ---------------------------------------------- */

/* Boot RAM only: it never changes while the VM runs, so a translation cannot dangle. A
 * DIMM can be ejected under a ring (and its host memory given back), and virtio-mem memory
 * can be unplugged (and made PROT_NONE): rings there are refused (docs/virtio-mem.md). */
static void *translate_boot_ram(void *opaque, uint64_t gpa, uint64_t len)
{
	return boot_ram_hva(opaque, gpa, len);
}

/* ---- host memory behind the region ------------------------------------------------------ */

static uint8_t *hva_of(const struct vmem_device *d, uint64_t offset)
{
	return (uint8_t *)d->backend->hva + offset;
}

/* Gives the memory of [offset, offset + len) back to the host, as QEMU's
 * ram_block_discard_range does: shared memory loses its pages (a memfd's or file's by
 * punching a hole, shared anonymous memory by MADV_REMOVE), a private mapping its private
 * copies (MADV_DONTNEED; a private file mapping keeps the file as it is). */
static int give_back(const struct vmem_device *d, uint64_t offset, uint64_t len)
{
	const struct mem_backend *b = d->backend;
	void *p = hva_of(d, offset);

	if (b->fd >= 0 && (b->share || b->kind == MEM_BACKEND_MEMFD)) {
		if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
			      (off_t)len) < 0)
			return -1;
		return b->share ? 0 : madvise(p, len, MADV_DONTNEED);
	}
	if (b->fd < 0 && b->share)
		return madvise(p, len, MADV_REMOVE);
	return madvise(p, len, MADV_DONTNEED);
}

/* Touches every page for a kernel without MADV_POPULATE_WRITE (before 5.14). */
static void touch_pages(uint8_t *p, uint64_t len, uint64_t page)
{
	for (uint64_t off = 0; off < len; off += page) {
		volatile uint8_t *q = p + off;

		*q = *q;
	}
}

/* Device op, vCPU thread, device lock held: blocks about to be plugged. They become
 * accessible; with prealloc=on their pages are populated now, so the guest's plug is
 * answered BUSY (and retried) rather than a later fault failing. Shared memory behind a
 * file or memfd (hugetlbfs included) is allocated with fallocate in any case: a page the
 * host cannot provide then fails here, cleanly, instead of failing the guest's access. */
static int vmem_populate(void *opaque, uint64_t offset, uint64_t len)
{
	struct vmem_device *d = opaque;
	const struct mem_backend *b = d->backend;
	uint8_t *p = hva_of(d, offset);

	if (mprotect(p, len, PROT_READ | PROT_WRITE) < 0) {
		pv_error("virtio-mem '%s': mprotect of 0x%" PRIx64 "+0x%" PRIx64 ": %s", d->id,
			 d->addr + offset, len, strerror(errno));
		return -1;
	}
	if (b->fd >= 0 && b->share &&
	    fallocate(b->fd, 0, (off_t)offset, (off_t)len) < 0 && errno != EOPNOTSUPP) {
		pv_info("virtio-mem '%s': cannot allocate %" PRIu64 " MiB for the guest's plug: %s",
			d->id, len >> 20, strerror(errno));
		return -1;
	}
	if (d->prealloc && madvise(p, len, MADV_POPULATE_WRITE) < 0) {
		if (errno != EINVAL) {
			pv_info("virtio-mem '%s': cannot preallocate %" PRIu64 " MiB for the guest's "
				"plug: %s", d->id, len >> 20, strerror(errno));
			return -1;
		}
		touch_pages(p, len, b->page_size);
	}
	return 0;
}

/* Device op, vCPU thread (or the main thread's system reset), device lock held: blocks
 * the guest unplugged. Inaccessible first, so no vCPU can fault a page back in between;
 * then their memory goes back to the host. */
static void vmem_discard(void *opaque, uint64_t offset, uint64_t len)
{
	struct vmem_device *d = opaque;
	uint8_t *p = hva_of(d, offset);

	if (mprotect(p, len, PROT_NONE) < 0)
		pv_error("virtio-mem '%s': mprotect(PROT_NONE) of 0x%" PRIx64 "+0x%" PRIx64 ": %s",
			 d->id, d->addr + offset, len, strerror(errno));
	if (give_back(d, offset, len) < 0)
		pv_error("virtio-mem '%s': giving 0x%" PRIx64 "+0x%" PRIx64 " back to the host: %s",
			 d->id, d->addr + offset, len, strerror(errno));
}

/* Device op, device lock held, on the thread that changed the size: only a note for the
 * main thread. */
static void vmem_plugged_size_changed(void *opaque, uint64_t plugged_size)
{
	struct vmem_device *d = opaque;
	struct vmem_devices *s = d->set;
	bool wake;

	pv_trace("virtio-mem %s plugged %" PRIu64, d->id, plugged_size);
	pthread_mutex_lock(&s->lock);
	wake = !d->event_pending;
	d->event_pending = true;
	pthread_mutex_unlock(&s->lock);
	if (wake && s->wake_main)
		s->wake_main(s->wake_main_opaque);
}

static const struct virtio_mem_ops vmem_ops = {
	.populate = vmem_populate,
	.discard = vmem_discard,
	.plugged_size_changed = vmem_plugged_size_changed,
};

/* ---- the transport's edges: MMIO and the interrupt line --------------------------------- */

static void vmem_mmio(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct vmem_device *d = opaque;

	virtio_mmio_access(&d->transport, offset, is_write, data, size);
}

/* Under the transport's irq_lock: a level, KVM_IRQ_LINE high or low. */
static void vmem_set_level(void *opaque, bool level)
{
	struct vmem_device *d = opaque;

	if (d->set->set_irq)
		d->set->set_irq(d->set->irq_opaque, d->gsi, level);
}

/* ---- set-up ------------------------------------------------------------------------------ */

void vmem_devices_init(struct vmem_devices *s, const struct plugvm_config *cfg,
		       const struct boot_ram *boot_ram)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->cfg = cfg;
	s->boot_ram = boot_ram;
	s->ram = (struct guest_mem_view){ .translate = translate_boot_ram, .opaque = (void *)boot_ram };
}

void vmem_devices_destroy(struct vmem_devices *s)
{
	for (unsigned i = 0; i < s->nr; i++) {
		struct vmem_device *d = &s->dev[i];

		if (d->transport_ready)
			virtio_mmio_destroy(&d->transport);
		if (d->dev_ready)
			virtio_mem_destroy(&d->dev);
		d->transport_ready = d->dev_ready = false;
	}
	s->nr = 0;
	pthread_mutex_destroy(&s->lock);
}

#define FAIL(host, ...)                                                                     \
	do {                                                                                \
		*host_fault = (host);                                                       \
		snprintf(err, errlen, __VA_ARGS__);                                         \
		return -1;                                                                  \
	} while (0)

int vmem_devices_add(struct vmem_devices *s, struct memory_devices *md,
		     const struct keyval_list *props, char *err, size_t errlen,
		     bool *host_fault)
{
	struct vmem_device *d = &s->dev[s->nr];
	struct virtio_mem_params params;
	struct vmem_props p;
	char why[256];
	const char *bad;
	uint64_t align;

	*host_fault = false;
	if (vmem_props_parse(props, &p, why, sizeof(why)) < 0)
		FAIL(false, "%s", why);
	if (s->nr == PLUGVM_MAX_VIRTIO_MEM)
		FAIL(false, "%s '%s': at most %d virtio-mem devices", p.driver, p.id,
		     PLUGVM_MAX_VIRTIO_MEM);
	if (pv_check_id(p.id, why, sizeof(why)) < 0)
		FAIL(false, "%s: %s", p.driver, why);
	if (!config_has_node(s->cfg, p.node))
		FAIL(false, "%s '%s': 'node=%u' is not a NUMA node", p.driver, p.id, p.node);
	memset(d, 0, sizeof(*d));
	d->set = s;
	snprintf(d->id, sizeof(d->id), "%s", p.id);
	d->driver = vmem_is_driver(p.driver) && strcmp(p.driver, "virtio-mem-device") == 0
			    ? "virtio-mem-device" : "virtio-mem-pci";
	d->backend = memory_devices_claim_backend(md, p.memdev, why, sizeof(why));
	if (!d->backend)
		FAIL(false, "%s '%s': %s", p.driver, p.id, why);
	snprintf(d->memdev, sizeof(d->memdev), "%s", d->backend->id);
	/* The host page size is known now: block-size must be at least it. */
	if (vmem_props_check_backend(&p, d->backend->size, d->backend->page_size,
				     d->backend->prealloc, why, sizeof(why)) < 0) {
		memory_devices_release_backend(md, d->backend);
		FAIL(false, "%s '%s': %s", p.driver, p.id, why);
	}
	d->size = d->backend->size;
	d->block_size = p.block_size;
	d->node = p.node;
	d->prealloc = p.prealloc;
	d->kvm_slot = -1;
	vmem_devices_window(s->nr, &d->mmio_base, &d->gsi);
	align = d->block_size > d->backend->page_size ? d->block_size : d->backend->page_size;
	if (memory_devices_reserve_region(md, d->size, align, p.memaddr, &d->addr, why,
					  sizeof(why)) < 0) {
		memory_devices_release_backend(md, d->backend);
		FAIL(false, "%s '%s': %s", p.driver, p.id, why);
	}

	/* Every block starts unplugged: inaccessible and empty (a memfd or file may hold
	 * pages from before, as QEMU's realize assumes too). */
	if (mprotect(d->backend->hva, d->size, PROT_NONE) < 0)
		FAIL(true, "%s '%s': mprotect of its memory: %s", p.driver, p.id, strerror(errno));
	if (give_back(d, 0, d->size) < 0)
		FAIL(true, "%s '%s': discarding its memory: %s", p.driver, p.id, strerror(errno));
	if (s->kvm_map &&
	    (d->kvm_slot = s->kvm_map(s->kvm_opaque, d->addr, d->size, d->backend->hva)) < 0)
		FAIL(true, "%s '%s': KVM refused the memory slot for 0x%" PRIx64 "+0x%" PRIx64 ": %s",
		     p.driver, p.id, d->addr, d->size, strerror(errno));

	params = (struct virtio_mem_params){
		.addr = d->addr,
		.region_size = d->size,
		.block_size = d->block_size,
		.requested_size = p.requested_size,
		.usable_extension = VMEM_USABLE_EXTENSION,
		.node_id = (uint16_t)d->node,
	};
	bad = virtio_mem_init(&d->dev, &params, &vmem_ops, d);
	if (bad)
		FAIL(false, "%s '%s': %s", p.driver, p.id, bad);
	d->dev_ready = true;
	s->nr++; /* from here vmem_devices_destroy tears it down */
	if (virtio_mmio_init(&d->transport, virtio_mem_device_ops(), &d->dev, &s->ram,
			     (struct virtio_mmio_irq){ .set_level = vmem_set_level, .opaque = d }) < 0)
		FAIL(true, "%s '%s': virtio-mmio transport setup failed", p.driver, p.id);
	d->transport_ready = true;
	virtio_mem_set_link(&d->dev, virtio_mmio_link(&d->transport));
	if (bus_register(s->mmio, d->mmio_base, VIRTIO_MMIO_WINDOW_SIZE, vmem_mmio, d) < 0)
		FAIL(true, "%s '%s': MMIO conflict at 0x%" PRIx64, p.driver, p.id, d->mmio_base);
	pv_debug("virtio-mem '%s' at 0x%" PRIx64 ", %" PRIu64 " MiB in %" PRIu64 " KiB blocks, "
		 "node %u, registers at 0x%" PRIx64 ", GSI %u, KVM slot %d", d->id, d->addr,
		 d->size >> 20, d->block_size >> 10, d->node, d->mmio_base, d->gsi, d->kvm_slot);
	return 0;
}

/* ---- the guest touching what it gave up -------------------------------------------------- */

const struct vmem_device *vmem_devices_unplugged_at(struct vmem_devices *s, uint64_t gpa)
{
	for (unsigned i = 0; s && i < s->nr; i++) {
		struct vmem_device *d = &s->dev[i];

		if (gpa >= d->addr && gpa - d->addr < d->size)
			return virtio_mem_block_plugged(&d->dev, gpa) ? NULL : d;
	}
	return NULL;
}

/* ---- MEMORY_DEVICE_SIZE_CHANGE ------------------------------------------------------------ */

void vmem_devices_run_deferred(struct vmem_devices *s, uint64_t now_ns)
{
	for (unsigned i = 0; i < s->nr; i++) {
		struct vmem_device *d = &s->dev[i];
		bool due;

		pthread_mutex_lock(&s->lock);
		due = d->event_pending &&
		      (!d->last_event_ns || now_ns - d->last_event_ns >= VMEM_EVENT_INTERVAL_NS);
		if (due) {
			d->event_pending = false;
			d->last_event_ns = now_ns ? now_ns : 1;
		}
		pthread_mutex_unlock(&s->lock);
		if (!due)
			continue;
		/* The size now, not the one that raised the note: later changes are folded in. */
		struct memory_device_event ev = { .kind = MEMORY_DEVICE_EVENT_SIZE_CHANGE,
						  .id = d->id,
						  .size = virtio_mem_plugged_size(&d->dev) };

		if (s->emit)
			s->emit(&ev);
	}
}

/* ---- the monitors ------------------------------------------------------------------------ */

unsigned vmem_devices_query(struct vmem_devices *s, struct virtio_mem_device_info *out,
			    unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; s && i < s->nr && n < max; i++) {
		struct vmem_device *d = &s->dev[i];

		out[n] = (struct virtio_mem_device_info){
			.memaddr = d->addr,
			.requested_size = virtio_mem_requested_size(&d->dev),
			.size = virtio_mem_plugged_size(&d->dev),
			.max_size = d->size,
			.block_size = d->block_size,
			.node = d->node,
		};
		snprintf(out[n].id, sizeof(out[n].id), "%s", d->id);
		snprintf(out[n].memdev, sizeof(out[n].memdev), "%s", d->memdev);
		n++;
	}
	return n;
}

uint64_t vmem_devices_plugged_size(struct vmem_devices *s)
{
	uint64_t sum = 0;

	for (unsigned i = 0; s && i < s->nr; i++)
		sum += virtio_mem_plugged_size(&s->dev[i].dev);
	return sum;
}


/* QOM paths of a device: its id alone (QEMU's partial path), or its full path
 * /machine/peripheral/ID (also without the leading "/machine/"). */
static struct vmem_device *find_path(struct vmem_devices *s, const char *path,
				     struct control_error *err)
{
	static const char *const prefixes[] = { "/machine/peripheral/", "machine/peripheral/",
						"peripheral/", "" };
	char shown[128];

	for (size_t p = 0; path && p < ARRAY_SIZE(prefixes); p++) {
		size_t n = strlen(prefixes[p]);

		if (strncmp(path, prefixes[p], n) != 0)
			continue;
		for (unsigned i = 0; s && i < s->nr; i++)
			if (strcmp(path + n, s->dev[i].id) == 0)
				return &s->dev[i];
	}
	control_error_set(err, CONTROL_ERR_DEVICE_NOT_FOUND, "Device '%s' not found",
		pv_printable(path ? path : "", shown, sizeof(shown)));
	return NULL;
}

enum vmem_prop { P_REQUESTED, P_SIZE, P_BLOCK, P_MEMADDR, P_NODE, P_MEMDEV, P_PREALLOC, P_NONE };

static enum vmem_prop find_prop(const struct vmem_device *d, const char *property,
				struct control_error *err)
{
	static const char *const names[] = { "requested-size", "size", "block-size", "memaddr",
					     "node", "memdev", "prealloc" };
	char shown[96];

	for (size_t i = 0; property && i < ARRAY_SIZE(names); i++)
		if (strcmp(property, names[i]) == 0)
			return (enum vmem_prop)i;
	control_error_set(err, NULL, "Property '%s.%s' not found", d->driver,
		pv_printable(property ? property : "", shown, sizeof(shown)));
	return P_NONE;
}

int vmem_devices_qom_get(struct vmem_devices *s, const char *path, const char *property,
			 struct qom_value *out, struct control_error *err)
{
	struct vmem_device *d = find_path(s, path, err);
	enum vmem_prop prop = d ? find_prop(d, property, err) : P_NONE;

	memset(out, 0, sizeof(*out));
	out->kind = QOM_VALUE_INT;
	switch (prop) {
	case P_REQUESTED:
		out->u = virtio_mem_requested_size(&d->dev);
		return 0;
	case P_SIZE:
		out->u = virtio_mem_plugged_size(&d->dev);
		return 0;
	case P_BLOCK:
		out->u = d->block_size;
		return 0;
	case P_MEMADDR:
		out->u = d->addr;
		return 0;
	case P_NODE:
		out->u = d->node;
		return 0;
	case P_MEMDEV:
		out->kind = QOM_VALUE_STRING;
		snprintf(out->s, sizeof(out->s), "/objects/%s", d->memdev);
		return 0;
	case P_PREALLOC:
		out->kind = QOM_VALUE_BOOL;
		out->b = d->prealloc;
		return 0;
	case P_NONE:
		break;
	}
	return -1;
}

int vmem_devices_qom_set(struct vmem_devices *s, const char *path, const char *property,
			 const char *value, struct control_error *err)
{
	struct vmem_device *d = find_path(s, path, err);
	enum vmem_prop prop = d ? find_prop(d, property, err) : P_NONE;
	char why[256], shown[64];
	const char *bad;
	uint64_t size;

	switch (prop) {
	case P_NONE:
		return -1;
	case P_REQUESTED:
		break;
	case P_SIZE:
		/* QEMU 7.2's words for a property without a setter. */
		control_error_set(err, NULL, "Insufficient permission to perform this operation");
		return -1;
	case P_BLOCK:
		control_error_set(err, NULL, "'block-size' cannot be changed");
		return -1;
	default:
		control_error_set(err, NULL, "Attempt to set property '%s' on device '%s' (type '%s') after "
			"it was realized", property, d->id, d->driver);
		return -1;
	}
	if (!value || parse_size(value, 1, &size) < 0) {
		control_error_set(err, NULL, "Parameter 'requested-size' expects a size, not '%s'",
			pv_printable(value ? value : "", shown, sizeof(shown)));
		return -1;
	}
	if (vmem_check_requested_size(size, d->block_size, d->size, why, sizeof(why)) < 0) {
		control_error_set(err, NULL, "%s", why);
		return -1;
	}
	bad = virtio_mem_set_requested_size(&d->dev, size);
	if (bad) { /* the same rules; cannot happen after the check above */
		control_error_set(err, NULL, "%s", bad);
		return -1;
	}
	pv_debug("virtio-mem '%s': requested-size %" PRIu64 " MiB", d->id, size >> 20);
	return 0;
}
