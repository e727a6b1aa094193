/* The -object/object_add backends by id. */
#include "mm/backend.h"

#include <errno.h>
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

int backend_registry_add(struct backend_registry *r, struct mem_backend *b, char *err,
			 size_t errlen)
{
	if (find_index(r, b->id) >= 0) {
		pv_format(err, errlen, "attempt to add duplicate object id '%s'", b->id);
		return -EEXIST;
	}
	if (r->count == ARRAY_SIZE(r->items)) {
		pv_format(err, errlen, "too many memory backends (at most %zu)",
			  ARRAY_SIZE(r->items));
		return -ENOSPC;
	}
	r->items[r->count++] = b;
	return 0;
}

struct mem_backend *backend_registry_find(const struct backend_registry *r, const char *id)
{
	int i = find_index(r, id);

	return i < 0 ? NULL : r->items[i];
}

int backend_registry_remove(struct backend_registry *r, const char *id, char *err,
			    size_t errlen)
{
	int i = find_index(r, id);

	if (i < 0) {
		pv_format(err, errlen, "object '%s' not found", id);
		return -ENOENT;
	}
	/* Its memory is mapped into the guest (a DIMM or a NUMA node). */
	if (r->items[i]->in_use) {
		pv_format(err, errlen, "object '%s' is in use and cannot be deleted", id);
		return -EBUSY;
	}
	backend_destroy(r->items[i]);
	/* Keep creation order: listing commands show objects as added. */
	memmove(&r->items[i], &r->items[i + 1], (r->count - (unsigned)i - 1) * sizeof(r->items[0]));
	r->items[--r->count] = NULL;
	return 0;
}

void backend_registry_clear(struct backend_registry *r)
{
	for (unsigned i = 0; i < r->count; i++)
		backend_destroy(r->items[i]);
	backend_registry_init(r);
}
