#include "monitor/memory_device_order.h"

#include <stdint.h>

static uint64_t ref_addr(const struct memory_device_info *d, const struct virtio_mem_device_info *v,
			 const struct memory_device_ref *r)
{
	return r->virtio_mem ? v[r->index].memaddr : d[r->index].addr;
}

/* An insertion sort: a machine has at most PLUGVM_MAX_SLOTS + PLUGVM_MAX_VIRTIO_MEM
 * devices, and it is stable, which keeps the tie rule of the header simple. */
void memory_devices_by_address(const struct memory_device_info *d, unsigned nd,
			       const struct virtio_mem_device_info *v, unsigned nv,
			       struct memory_device_ref *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nd; i++)
		out[n++] = (struct memory_device_ref){ .virtio_mem = false, .index = i };
	for (unsigned i = 0; i < nv; i++)
		out[n++] = (struct memory_device_ref){ .virtio_mem = true, .index = i };
	for (unsigned i = 1; i < n; i++) {
		struct memory_device_ref r = out[i];
		uint64_t a = ref_addr(d, v, &r);
		unsigned j = i;

		for (; j > 0 && ref_addr(d, v, &out[j - 1]) > a; j--)
			out[j] = out[j - 1];
		out[j] = r;
	}
}
