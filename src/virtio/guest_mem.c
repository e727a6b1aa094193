/* Guest RAM access for the virtio code (see guest_mem.h). */
#include "virtio/guest_mem.h"

void *guest_mem_ptr(const struct guest_mem_view *mem, uint64_t gpa, uint64_t len)
{
	/* A zero-length buffer has no byte to check; callers never need its address. */
	if (!mem || !mem->translate || len == 0)
		return NULL;
	/* The last byte is gpa + len - 1: it must not wrap past 2^64. */
	if (gpa > UINT64_MAX - (len - 1))
		return NULL;
	return mem->translate(mem->opaque, gpa, len);
}

static void *flat_translate(void *opaque, uint64_t gpa, uint64_t len)
{
	const struct guest_mem_flat *f = opaque;

	/* Written so that no sum can overflow: gpa - base only after gpa >= base,
	 * and len is compared with what is left of the region. */
	if (gpa < f->base)
		return NULL;
	uint64_t off = gpa - f->base;
	if (off >= f->size || len > f->size - off)
		return NULL;
	return f->host + off;
}

void guest_mem_flat_view(struct guest_mem_view *view, struct guest_mem_flat *flat)
{
	view->translate = flat_translate;
	view->opaque = flat;
}
