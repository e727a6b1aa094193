/* The -object/object_add backends by id. */
#include "mm/backend.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "size.h"
#include "util.h"

void backend_registry_init(struct backend_registry *r)
{
	memset(r, 0, sizeof(*r));
}

static int find_index(const struct backend_registry *r, const char *id)
{
	for (unsigned i = 0; i < r->count; i++)
		if (!strcmp(r->items[i]->id, id))
			return (int)i;
	return -1;
}

static int find_reserved(const struct backend_registry *r, const char *id)
{
	for (unsigned i = 0; i < r->nr_reserved; i++)
		if (!strcmp(r->reserved[i], id))
			return (int)i;
	return -1;
}

uint64_t backend_registry_budget(uint64_t ram_size, uint64_t maxmem)
{
	uint64_t window = maxmem > ram_size ? maxmem - ram_size : 0;

	return maxmem > UINT64_MAX - window ? UINT64_MAX : maxmem + window;
}

void backend_registry_set_budget(struct backend_registry *r, uint64_t budget)
{
	r->budget = budget;
}

/* -EEXIST or -ENOSPC with err when id cannot take a new place, or (budgeted) size bytes
 * more. */
static int check_new(const struct backend_registry *r, const char *id, uint64_t size,
		     bool budgeted, char *err, size_t errlen)
{
	if (find_index(r, id) >= 0 || find_reserved(r, id) >= 0) {
		pv_format(err, errlen, "attempt to add duplicate object id '%s'", id);
		return -EEXIST;
	}
	if (r->count + r->nr_reserved >= ARRAY_SIZE(r->items)) {
		pv_format(err, errlen, "too many memory backends (at most %zu)",
			  ARRAY_SIZE(r->items));
		return -ENOSPC;
	}
	if (budgeted && r->budget && (size > r->budget || r->total > r->budget - size)) {
		char have[32], want[32], limit[32];

		pv_format(err, errlen, "object '%s' (%s) would bring memory backends to more than "
			  "plugvm allows: %s held, limit %s (maxmem plus one hotplug window)", id,
			  format_size(size, want, sizeof(want)),
			  format_size(r->total, have, sizeof(have)),
			  format_size(r->budget, limit, sizeof(limit)));
		return -ENOSPC;
	}
	return 0;
}

int backend_registry_add(struct backend_registry *r, struct mem_backend *b, char *err,
			 size_t errlen)
{
	/* The command line's backends are the host's own choice, outside the budget (which
	 * still counts them). */
	int ret = check_new(r, b->id, b->size, false, err, errlen);

	if (ret == 0) {
		r->items[r->count++] = b;
		r->total += b->size;
	}
	return ret;
}

int backend_registry_reserve(struct backend_registry *r, const char *id, uint64_t size,
			     char *err, size_t errlen)
{
	int ret = check_new(r, id, size, true, err, errlen);

	if (ret < 0)
		return ret;
	if (r->nr_reserved == ARRAY_SIZE(r->reserved)) {
		pv_format(err, errlen, "too many objects being created at once (at most %zu)",
			  ARRAY_SIZE(r->reserved));
		return -ENOSPC;
	}
	/* pv_check_id bounds an id to PV_ID_MAX, so it fits whole. */
	snprintf(r->reserved[r->nr_reserved], sizeof(r->reserved[0]), "%s", id);
	r->reserved_size[r->nr_reserved++] = size;
	r->total += size;
	return 0;
}

void backend_registry_unreserve(struct backend_registry *r, const char *id)
{
	int i = find_reserved(r, id);

	if (i < 0)
		return;
	r->total -= r->reserved_size[i];
	memmove(&r->reserved[i], &r->reserved[i + 1],
		(r->nr_reserved - (unsigned)i - 1) * sizeof(r->reserved[0]));
	memmove(&r->reserved_size[i], &r->reserved_size[i + 1],
		(r->nr_reserved - (unsigned)i - 1) * sizeof(r->reserved_size[0]));
	r->nr_reserved--;
}

void backend_registry_fill(struct backend_registry *r, struct mem_backend *b)
{
	backend_registry_unreserve(r, b->id);
	/* The claim kept this place free; the backend's size is the one claimed (the
	 * caller parsed it from the same properties). */
	r->items[r->count++] = b;
	r->total += b->size;
}

struct mem_backend *backend_registry_find(const struct backend_registry *r, const char *id)
{
	int i = find_index(r, id);

	return i < 0 ? NULL : r->items[i];
}

int backend_registry_detach(struct backend_registry *r, const char *id, struct mem_backend **out,
			    char *err, size_t errlen)
{
	int i = find_index(r, id);

	*out = NULL;
	if (i < 0) {
		pv_format(err, errlen, "object '%s' not found", id);
		return -ENOENT;
	}
	/* Its memory is mapped into the guest (a DIMM or a NUMA node). */
	if (r->items[i]->in_use) {
		pv_format(err, errlen, "object '%s' is in use and cannot be deleted", id);
		return -EBUSY;
	}
	*out = r->items[i];
	r->total -= r->items[i]->size;
	/* Keep creation order: listing commands show objects as added. */
	memmove(&r->items[i], &r->items[i + 1], (r->count - (unsigned)i - 1) * sizeof(r->items[0]));
	r->items[--r->count] = NULL;
	return 0;
}

int backend_registry_remove(struct backend_registry *r, const char *id, char *err,
			    size_t errlen)
{
	struct mem_backend *b;
	int ret = backend_registry_detach(r, id, &b, err, errlen);

	backend_destroy(b);
	return ret;
}

void backend_registry_clear(struct backend_registry *r)
{
	uint64_t budget = r->budget;

	for (unsigned i = 0; i < r->count; i++)
		backend_destroy(r->items[i]);
	backend_registry_init(r);
	r->budget = budget;
}
