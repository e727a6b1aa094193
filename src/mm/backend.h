/*
 * Host memory behind guest RAM and DIMMs, created from QEMU-style
 * "-object memory-backend-*" key=value lists:
 *
 *   memory-backend-ram    anonymous memory (share=on: shared anonymous)
 *   memory-backend-memfd  memfd_create(); hugetlb=on, hugetlbsize=, seal=
 *   memory-backend-file   mem-path=FILE, or a directory: an unlinked temp
 *                         file in it, as QEMU does; hugetlbfs is detected
 *
 * Common keys: id, size (required), share, prealloc, reserve; file only:
 * mem-path, discard-data. The host mapping starts on a boundary of
 * max(2 MiB, page size), so a guest address that is a multiple of that
 * keeps gpa and hva congruent and KVM can use host huge pages.
 */
#ifndef PLUGVM_BACKEND_H
#define PLUGVM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "keyval.h"
#include "util.h"

enum mem_backend_kind {
	MEM_BACKEND_RAM,
	MEM_BACKEND_MEMFD,
	MEM_BACKEND_FILE,
};

struct mem_backend {
	char id[PV_ID_MAX + 1];
	char type[32];            /* the qom-type, e.g. "memory-backend-ram" */
	enum mem_backend_kind kind;
	uint64_t size;
	uint64_t page_size;       /* host page size backing it (4 KiB or huge) */
	void *hva;                /* size bytes, aligned to max(2 MiB, page_size) */
	int fd;                   /* -1 for memory-backend-ram */
	bool share, prealloc, reserve, hugetlb, discard_data;
	bool in_use;              /* a DIMM or NUMA node uses it: not removable */
};

/* Creates and maps a backend. 0, or -1 with a one-line message in err for what the
 * options ask (including what the host cannot provide of it: memory to map, huge pages,
 * a mem-path), or -ENOMEM with one when plugvm itself ran out of memory. On failure
 * nothing is left behind (no fd, mapping or temporary file). */
int backend_create(const struct keyval_list *kv, struct mem_backend **out, char *err,
		   size_t errlen);
/* The type and keys alone, no side effect: the command line checks -object with it, so
 * it refuses what object-add would. 0, or -1 with err. */
int backend_check_keys(const struct keyval_list *kv, char *err, size_t errlen);
/* The values' grammar, for -object (options_object.c) and backend_create (object-add and
 * the start-up's backends) alike: the first on/off key (share, prealloc, reserve,
 * discard-data, hugetlb, seal) whose value is not on or off, and the first size key
 * (size, then hugetlbsize) whose value is not a size; NULL when there is none. An absent
 * key is fine here: whether one is required is the type's rule. Each caller words it. */
const char *backend_bad_switch(const struct keyval_list *kv);
const char *backend_bad_size(const struct keyval_list *kv);
/* Unmaps, closes and frees (NULL is fine). */
void backend_destroy(struct mem_backend *b);

/* Exposed for tests and for callers that validate early. */

/* The page size of a hugetlbfs mount holding path (file or directory), or
 * 0 when path is not on hugetlbfs (or cannot be inspected). */
uint64_t backend_hugetlbfs_page_size(const char *path);
/* The system default huge page size (/proc/meminfo), or 0 if unknown. */
uint64_t backend_default_huge_page_size(void);
/* size must be a non-zero multiple of page_size; 0 or -1 with err. */
int backend_check_size(uint64_t size, uint64_t page_size, char *err, size_t errlen);

/* object-adds whose backend is being created at once (each has its id reserved). */
#define BACKEND_REGISTRY_MAX_RESERVED 8

/* Backends by id. Not locked: the caller serialises (memory_devices under md->lock). */
struct backend_registry {
	struct mem_backend *items[PLUGVM_MAX_BACKENDS];
	unsigned count;
	/* Ids claimed by backend_registry_reserve for backends still being created: taken
	 * for every other add, and counted against PLUGVM_MAX_BACKENDS. */
	char reserved[BACKEND_REGISTRY_MAX_RESERVED][PV_ID_MAX + 1];
	uint64_t reserved_size[BACKEND_REGISTRY_MAX_RESERVED];
	unsigned nr_reserved;
	/* Bytes all backends, created and claimed, may hold together; 0: no limit. See
	 * backend_registry_budget. */
	uint64_t budget;
	uint64_t total;
};

/* What a control-socket client may make plugvm hold in backends (docs/options.md, "Limits"): maxmem, all
 * of the guest's memory at its largest, plus one hotplug window more, so a whole new set
 * of DIMMs can be prepared while the current set is plugged. Without it, object-add
 * would let a control-socket client reserve (or, with prealloc=on, allocate) memory
 * without bound. backend_registry_reserve (object-add) checks it; backend_registry_add
 * (the command line, the host's own choice) only counts against it. */
uint64_t backend_registry_budget(uint64_t ram_size, uint64_t maxmem);
void backend_registry_set_budget(struct backend_registry *r, uint64_t budget);

void backend_registry_init(struct backend_registry *r);
/* Takes ownership on success. -EEXIST (duplicate id) or -ENOSPC, with err. */
int backend_registry_add(struct backend_registry *r, struct mem_backend *b, char *err,
			 size_t errlen);
struct mem_backend *backend_registry_find(const struct backend_registry *r, const char *id);
/* Destroys the backend. -ENOENT (no such id) or -EBUSY (in use), with err. */
int backend_registry_remove(struct backend_registry *r, const char *id, char *err,
			    size_t errlen);

/* Creating a backend can take seconds (prealloc=on of a large one), too long to hold the
 * caller's lock; these split an add and a remove around that work.
 *
 * Claims id (pv_check_id's rules) for a backend about to be created: until
 * backend_registry_fill or backend_registry_unreserve it is taken for every other add or
 * claim, and its place and size count. -EEXIST (the id exists or is claimed) or -ENOSPC
 * (no place, or size over the budget), with err. */
int backend_registry_reserve(struct backend_registry *r, const char *id, uint64_t size,
			     char *err, size_t errlen);
/* Drops the claim on id: a creation that failed leaves no id behind. */
void backend_registry_unreserve(struct backend_registry *r, const char *id);
/* Adds b under the id claimed for it (b->id), ending the claim; cannot fail. */
void backend_registry_fill(struct backend_registry *r, struct mem_backend *b);
/* Takes the backend out without destroying it: the caller destroys it (backend_destroy)
 * once its lock is released. -ENOENT or -EBUSY, with err, as backend_registry_remove. */
int backend_registry_detach(struct backend_registry *r, const char *id, struct mem_backend **out,
			    char *err, size_t errlen);
/* Destroys every backend, in use or not (shutdown). */
void backend_registry_clear(struct backend_registry *r);

#endif
