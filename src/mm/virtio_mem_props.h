/*
 * The rules of a virtio-mem device's properties, in one place for the command line
 * (-device virtio-mem-pci,...) and the running VM (its setup, qom-set, device_add's
 * refusal). QEMU's spelling: driver virtio-mem-pci (or virtio-mem-device), id, memdev,
 * node, requested-size, block-size, prealloc, memaddr (docs/options.md).
 *
 * plugvm has no PCI: whichever driver name is given, the device is a virtio-mmio
 * device described in the DSDT (docs/virtio-mem.md), which is why it exists only from
 * the start (the DSDT cannot change while the guest runs).
 */
#ifndef PLUGVM_VIRTIO_MEM_PROPS_H
#define PLUGVM_VIRTIO_MEM_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyval.h"

/* QEMU's default on x86: the transparent huge page size. */
#define VMEM_DEFAULT_BLOCK_SIZE (2ULL * 1024 * 1024)
/* QEMU's VIRTIO_MEM_MIN_BLOCK_SIZE. */
#define VMEM_MIN_BLOCK_SIZE (1ULL * 1024 * 1024)
#define VMEM_ANY_ADDR UINT64_MAX

struct vmem_props {
	const char *driver;       /* as given: "virtio-mem-pci" or "virtio-mem-device" */
	const char *id;
	const char *memdev;
	unsigned node;
	uint64_t requested_size;  /* 0 when not given */
	uint64_t block_size;      /* VMEM_DEFAULT_BLOCK_SIZE when not given */
	bool prealloc;            /* populate blocks before the guest's plug is ACKed */
	uint64_t memaddr;         /* VMEM_ANY_ADDR: first fit in the device-memory window */
};

/* driver names a virtio-mem device. */
bool vmem_is_driver(const char *driver);

/* The error of a device_add of a virtio-mem device: it can only be given at start. */
#define VMEM_NO_HOTPLUG_ERROR \
	"virtio-mem devices can only be given on the command line (-device virtio-mem-pci,...): " \
	"plugvm describes them in the DSDT, which cannot change while the guest runs"

/* The keys and the syntax of their values, nothing that needs other options: unknown
 * keys, id missing, sizes and numbers malformed, block-size not a power of two at least
 * VMEM_MIN_BLOCK_SIZE. Strings in *p point into kv. 0, or -1 with one line in err (no
 * prefix; the caller names the option). */
int vmem_props_parse(const struct keyval_list *kv, struct vmem_props *p, char *err,
		     size_t errlen);

/* The rules against the memory backend (size, host page size, prealloc), in QEMU's
 * order and words: no backend prealloc, block-size at least the page size, requested-size
 * and memaddr multiples of block-size, the backend's size a multiple of block-size,
 * requested-size at most the backend's size. page_size 0: not known yet (the command
 * line, before the backend exists): that rule is left for the VM's setup. 0 or -1 with
 * err. */
int vmem_props_check_backend(const struct vmem_props *p, uint64_t backend_size,
			     uint64_t page_size, bool backend_prealloc, char *err, size_t errlen);

/* A new requested-size for a running device (qom-set): a multiple of block_size, at
 * most region_size. 0 or -1 with err (QEMU's words). */
int vmem_check_requested_size(uint64_t value, uint64_t block_size, uint64_t region_size,
			      char *err, size_t errlen);

#endif
