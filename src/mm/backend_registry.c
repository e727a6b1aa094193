/* The -object/object_add backends by id. */
#include "mm/backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/* -EEXIST or -ENOSPC with err when id cannot take a new place. */
static int check_new(const struct backend_registry *r, const char *id, char *err, size_t errlen)
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
	return 0;
}

int backend_registry_add(struct backend_registry *r, struct mem_backend *b, char *err,
			 size_t errlen)
{
	int ret = check_new(r, b->id, err, errlen);

	if (ret == 0)
		r->items[r->count++] = b;
	return ret;
}

int backend_registry_reserve(struct backend_registry *r, const char *id, char *err,
			     size_t errlen)
{
	int ret = check_new(r, id, err, errlen);

	if (ret < 0)
		return ret;
	if (r->nr_reserved == ARRAY_SIZE(r->reserved)) {
		pv_format(err, errlen, "too many objects being created at once (at most %zu)",
			  ARRAY_SIZE(r->reserved));
		return -ENOSPC;
	}
	/* pv_check_id bounds an id to PV_ID_MAX, so it fits whole. */
	snprintf(r->reserved[r->nr_reserved++], sizeof(r->reserved[0]), "%s", id);
	return 0;
}

void backend_registry_unreserve(struct backend_registry *r, const char *id)
{
	int i = find_reserved(r, id);

	if (i < 0)
		return;
	memmove(&r->reserved[i], &r->reserved[i + 1],
		(r->nr_reserved - (unsigned)i - 1) * sizeof(r->reserved[0]));
	r->nr_reserved--;
}

void backend_registry_fill(struct backend_registry *r, struct mem_backend *b)
{
	backend_registry_unreserve(r, b->id);
	/* The claim kept this place free. */
	r->items[r->count++] = b;
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
	for (unsigned i = 0; i < r->count; i++)
		backend_destroy(r->items[i]);
	backend_registry_init(r);
}
