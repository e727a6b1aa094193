#include "mm/dimm_alloc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define DIMM_DEFAULT_PAGE_SIZE (4 * KiB)
#define DIMM_PREFERRED_ALIGN GiB

void dimm_alloc_init(struct dimm_alloc *a, const struct guest_layout *l, unsigned nr_slots)
{
	*a = (struct dimm_alloc){0};
	a->base = l->hotplug_base;
	a->size = l->hotplug_size;
	a->block_size = l->block_size;
	a->nr_slots = nr_slots < PLUGVM_MAX_SLOTS ? nr_slots : PLUGVM_MAX_SLOTS;
}

const char *dimm_alloc_strerror(int code)
{
	switch (code) {
	case DIMM_ALLOC_OK:
		return "success";
	case DIMM_ALLOC_ENOSLOTS:
		return "no free memory slot";
	case DIMM_ALLOC_EBADSLOT:
		return "slot number out of range";
	case DIMM_ALLOC_ESLOTBUSY:
		return "slot already in use";
	case DIMM_ALLOC_EBADSIZE:
		return "size not a multiple of the memory block size";
	case DIMM_ALLOC_EMAXMEM:
		return "maxmem exceeded";
	case DIMM_ALLOC_ENOSPACE:
		return "no free range in the hotplug window";
	case DIMM_ALLOC_EOUTSIDE:
		return "address outside the hotplug window";
	case DIMM_ALLOC_EUNALIGNED:
		return "address not aligned";
	case DIMM_ALLOC_EOVERLAP:
		return "address overlaps another memory device";
	}
	return "unknown error";
}

__attribute__((format(printf, 4, 5)))
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	char detail[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	pv_format(err, errlen, "%s: %s", dimm_alloc_strerror(code), detail);
	return code;
}

static int pick_slot(const struct dimm_alloc *a, int want, unsigned *out, char *err,
		     size_t errlen)
{
	if (want != DIMM_ANY_SLOT) {
		if (want < 0 || (unsigned)want >= a->nr_slots)
			return fail(DIMM_ALLOC_EBADSLOT, err, errlen,
				    "slot %d, the machine has %u slots", want, a->nr_slots);
		if (a->slot[want].used)
			return fail(DIMM_ALLOC_ESLOTBUSY, err, errlen,
				    "slot %d", want);
		*out = (unsigned)want;
		return 0;
	}
	for (unsigned i = 0; i < a->nr_slots; i++) {
		if (!a->slot[i].used) {
			*out = i;
			return 0;
		}
	}
	return fail(DIMM_ALLOC_ENOSLOTS, err, errlen,
		    "all %u slots are in use", a->nr_slots);
}

static bool overlaps(const struct dimm_alloc *a, uint64_t addr, uint64_t size)
{
	for (unsigned i = 0; i < a->nr_slots; i++) {
		const struct dimm_alloc_slot *s = &a->slot[i];

		if (s->used && addr < s->addr + s->size && s->addr < addr + size)
			return true;
	}
	for (unsigned i = 0; i < a->nr_regions; i++) {
		const struct dimm_alloc_slot *s = &a->region[i];

		if (addr < s->addr + s->size && s->addr < addr + size)
			return true;
	}
	return false;
}

static int cmp_by_addr(const void *x, const void *y)
{
	const struct dimm_alloc_slot *p = x, *q = y;

	return p->addr < q->addr ? -1 : p->addr > q->addr;
}

/* Lowest aligned start of a free range of `size` bytes, or UINT64_MAX. */
static uint64_t first_fit(const struct dimm_alloc *a, uint64_t size, uint64_t align)
{
	struct dimm_alloc_slot used[PLUGVM_MAX_SLOTS + PLUGVM_MAX_VIRTIO_MEM];
	unsigned n = 0;
	uint64_t end = a->base + a->size, cur;

	for (unsigned i = 0; i < a->nr_slots; i++)
		if (a->slot[i].used)
			used[n++] = a->slot[i];
	for (unsigned i = 0; i < a->nr_regions; i++)
		used[n++] = a->region[i];
	qsort(used, n, sizeof(used[0]), cmp_by_addr);
	cur = align_up(a->base, align);
	for (unsigned i = 0; i <= n; i++) {
		uint64_t gap_end = i < n ? used[i].addr : end;

		if (cur <= gap_end && gap_end - cur >= size)
			return cur;
		if (i < n && used[i].addr + used[i].size > cur)
			cur = align_up(used[i].addr + used[i].size, align);
	}
	return UINT64_MAX;
}

static int check_addr(const struct dimm_alloc *a, uint64_t addr, uint64_t size, uint64_t align,
		      char *err, size_t errlen)
{
	if (addr < a->base || addr > a->base + a->size || a->base + a->size - addr < size)
		return fail(DIMM_ALLOC_EOUTSIDE, err, errlen,
			    "0x%" PRIx64 " + 0x%" PRIx64 " is not inside the window", addr, size);
	if (!is_aligned(addr, align))
		return fail(DIMM_ALLOC_EUNALIGNED, err, errlen,
			    "0x%" PRIx64 " is not a multiple of 0x%" PRIx64, addr, align);
	if (overlaps(a, addr, size))
		return fail(DIMM_ALLOC_EOVERLAP, err, errlen,
			    "range 0x%" PRIx64 " + 0x%" PRIx64 " is taken", addr, size);
	return 0;
}

/* The common part of a DIMM's and a region's placement: maxmem, then the explicit
 * address's checks or the first fit (1 GiB-aligned first when size allows). */
static int place(struct dimm_alloc *a, uint64_t size, uint64_t align, uint64_t check_align,
		 uint64_t want, uint64_t *out, char *err, size_t errlen)
{
	uint64_t at;
	int ret;

	if (size > a->size - a->used_bytes)
		return fail(DIMM_ALLOC_EMAXMEM, err, errlen,
			    "%" PRIu64 " MiB requested, %" PRIu64 " MiB left below maxmem",
			    (uint64_t)(size / MiB), (uint64_t)((a->size - a->used_bytes) / MiB));
	if (want != DIMM_ANY_ADDR) {
		ret = check_addr(a, want, size, check_align, err, errlen);
		if (ret < 0)
			return ret;
		*out = want;
		return 0;
	}
	at = UINT64_MAX;
	if (is_aligned(size, DIMM_PREFERRED_ALIGN) && align < DIMM_PREFERRED_ALIGN)
		at = first_fit(a, size, DIMM_PREFERRED_ALIGN);
	if (at == UINT64_MAX)
		at = first_fit(a, size, align);
	if (at == UINT64_MAX)
		return fail(DIMM_ALLOC_ENOSPACE, err, errlen,
			    "no free 0x%" PRIx64 "-byte range (window fragmented, "
			    "%" PRIu64 " MiB in use)", size, (uint64_t)(a->used_bytes / MiB));
	*out = at;
	return 0;
}

int dimm_alloc_reserve_region(struct dimm_alloc *a, uint64_t size, uint64_t min_align,
			      uint64_t want_addr, uint64_t *addr, char *err, size_t errlen)
{
	uint64_t align, at;
	int ret;

	if (!min_align)
		min_align = DIMM_DEFAULT_PAGE_SIZE;
	align = a->block_size > min_align ? a->block_size : min_align;
	if (size == 0 || !is_aligned(size, min_align))
		return fail(DIMM_ALLOC_EBADSIZE, err, errlen,
			    "size 0x%" PRIx64 " must be a non-zero multiple of 0x%" PRIx64, size,
			    min_align);
	if (a->nr_regions == PLUGVM_MAX_VIRTIO_MEM)
		return fail(DIMM_ALLOC_ENOSLOTS, err, errlen, "%u regions are reserved already",
			    a->nr_regions);
	ret = place(a, size, align, min_align, want_addr, &at, err, errlen);
	if (ret < 0)
		return ret;
	a->region[a->nr_regions++] = (struct dimm_alloc_slot){true, at, size};
	a->used_bytes += size;
	*addr = at;
	return DIMM_ALLOC_OK;
}

int dimm_alloc_reserve(struct dimm_alloc *a, const struct dimm_request *req, unsigned *slot,
		       uint64_t *addr, char *err, size_t errlen)
{
	uint64_t page = req->page_size ? req->page_size : DIMM_DEFAULT_PAGE_SIZE;
	uint64_t align = a->block_size > page ? a->block_size : page;
	uint64_t at = req->addr;
	unsigned s = 0;
	int ret;

	if (req->size == 0 || !is_aligned(req->size, align))
		return fail(DIMM_ALLOC_EBADSIZE, err, errlen,
			    "size 0x%" PRIx64 " must be a non-zero multiple of 0x%" PRIx64,
			    req->size, align);
	ret = pick_slot(a, req->slot, &s, err, errlen);
	if (ret < 0)
		return ret;
	ret = place(a, req->size, align, align, req->addr, &at, err, errlen);
	if (ret < 0)
		return ret;
	a->slot[s] = (struct dimm_alloc_slot){true, at, req->size};
	a->used_bytes += req->size;
	*slot = s;
	*addr = at;
	return DIMM_ALLOC_OK;
}

void dimm_alloc_release(struct dimm_alloc *a, unsigned slot)
{
	if (slot >= a->nr_slots || !a->slot[slot].used)
		return;
	a->used_bytes -= a->slot[slot].size;
	a->slot[slot] = (struct dimm_alloc_slot){0};
}
