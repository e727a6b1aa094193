#include "mm/virtio_mem_props.h"

#include <inttypes.h>
#include <string.h>

#include "size.h"
#include "util.h"

static const char *const vmem_keys[] = {
	"driver", "id", "memdev", "node", "requested-size", "block-size", "prealloc", "memaddr",
	NULL,
};

bool vmem_is_driver(const char *driver)
{
	return driver && (strcmp(driver, "virtio-mem-pci") == 0 ||
			  strcmp(driver, "virtio-mem-device") == 0);
}

static int get_size(const struct keyval_list *kv, const char *key, uint64_t def, uint64_t *out,
		    char *err, size_t errlen)
{
	const char *v = keyval_get(kv, key);

	if (!v) {
		*out = def;
		return 0;
	}
	if (parse_size(v, 1, out) < 0) {
		pv_format(err, errlen, "'%s=%s' is not a valid size", key, v);
		return -1;
	}
	return 0;
}

int vmem_props_parse(const struct keyval_list *kv, struct vmem_props *p, char *err,
		     size_t errlen)
{
	const char *unknown = keyval_unknown_key(kv, vmem_keys), *v;
	uint64_t n;

	memset(p, 0, sizeof(*p));
	p->driver = keyval_get(kv, "driver");
	p->memaddr = VMEM_ANY_ADDR;
	if (unknown) {
		/* virtio-mem-pci's addr is a PCI address in QEMU; plugvm has no PCI. */
		if (strcmp(unknown, "addr") == 0)
			pv_format(err, errlen, "%s has no parameter 'addr' (a PCI address in QEMU; "
				  "plugvm has no PCI; the guest-physical address is 'memaddr')",
				  p->driver);
		else
			pv_format(err, errlen, "%s has no parameter '%s'", p->driver, unknown);
		return -1;
	}
	p->id = keyval_get(kv, "id");
	if (!p->id) {
		pv_format(err, errlen, "%s: id= is required (qom-set and the events name the "
			  "device by it)", p->driver);
		return -1;
	}
	p->memdev = keyval_get(kv, "memdev");
	v = keyval_get(kv, "node");
	if (v) {
		if (pv_parse_uint(v, 0, UINT32_MAX, &n) < 0) {
			pv_format(err, errlen, "'node=%s' is not a number", v);
			return -1;
		}
		p->node = (unsigned)n;
	}
	if (get_size(kv, "requested-size", 0, &p->requested_size, err, errlen) < 0 ||
	    get_size(kv, "block-size", VMEM_DEFAULT_BLOCK_SIZE, &p->block_size, err, errlen) < 0)
		return -1;
	if (p->block_size < VMEM_MIN_BLOCK_SIZE) {
		pv_format(err, errlen, "'block-size' property has to be at least 0x%llx",
			  VMEM_MIN_BLOCK_SIZE);
		return -1;
	}
	if (p->block_size & (p->block_size - 1)) {
		pv_format(err, errlen, "'block-size' property has to be a power of two");
		return -1;
	}
	if (keyval_get_bool(kv, "prealloc", false, &p->prealloc) < 0) {
		pv_format(err, errlen, "'prealloc=%s' is not on or off", keyval_get(kv, "prealloc"));
		return -1;
	}
	v = keyval_get(kv, "memaddr");
	if (v && (pv_parse_uint(v, 0, UINT64_MAX - 1, &p->memaddr) < 0)) {
		pv_format(err, errlen, "'memaddr=%s' is not a number", v);
		return -1;
	}
	return 0;
}

int vmem_props_check_backend(const struct vmem_props *p, uint64_t backend_size,
			     uint64_t page_size, bool backend_prealloc, char *err, size_t errlen)
{
	if (backend_prealloc) {
		pv_format(err, errlen, "'memdev' property specifies a memdev with preallocation "
			  "enabled: %s. Instead, specify 'prealloc=on' for the virtio-mem device",
			  p->memdev);
		return -1;
	}
	if (page_size && p->block_size < page_size) {
		pv_format(err, errlen, "'block-size' property has to be at least the page size "
			  "(0x%" PRIx64 ") of memdev '%s'", page_size, p->memdev);
		return -1;
	}
	if (!is_aligned(p->requested_size, p->block_size)) {
		pv_format(err, errlen, "'requested-size' property has to be multiples of "
			  "'block-size' (0x%" PRIx64 ")", p->block_size);
		return -1;
	}
	if (p->memaddr != VMEM_ANY_ADDR && !is_aligned(p->memaddr, p->block_size)) {
		pv_format(err, errlen, "'memaddr' property has to be multiples of 'block-size' "
			  "(0x%" PRIx64 ")", p->block_size);
		return -1;
	}
	if (!is_aligned(backend_size, p->block_size)) {
		pv_format(err, errlen, "memdev '%s' size (0x%" PRIx64 ") has to be multiples of "
			  "'block-size' (0x%" PRIx64 ")", p->memdev, backend_size, p->block_size);
		return -1;
	}
	return vmem_check_requested_size(p->requested_size, p->block_size, backend_size, err,
					 errlen);
}

int vmem_check_requested_size(uint64_t value, uint64_t block_size, uint64_t region_size,
			      char *err, size_t errlen)
{
	if (!is_aligned(value, block_size)) {
		pv_format(err, errlen, "'requested-size' has to be multiples of 'block-size' "
			  "(0x%" PRIx64 ")", block_size);
		return -1;
	}
	if (value > region_size) {
		pv_format(err, errlen, "'requested-size' cannot exceed the memory backend size "
			  "(0x%" PRIx64 ")", region_size);
		return -1;
	}
	return 0;
}
