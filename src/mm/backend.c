/* Backend options: which keys each type takes, their defaults, and checks. */
#include "mm/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mm/backend_host.h"
#include "util.h"

static const char *const ram_keys[] = {
	"qom-type", "id", "size", "share", "prealloc", "reserve", NULL,
};
static const char *const memfd_keys[] = {
	"qom-type", "id", "size", "share", "prealloc", "reserve", "hugetlb", "hugetlbsize",
	"seal", NULL,
};
static const char *const file_keys[] = {
	"qom-type", "id", "size", "share", "prealloc", "reserve", "mem-path", "discard-data",
	NULL,
};

static const struct backend_type {
	const char *name;
	enum mem_backend_kind kind;
	const char *const *keys;
	bool default_share; /* memfd is for sharing; QEMU defaults it to share=on */
} backend_types[] = {
	{"memory-backend-ram", MEM_BACKEND_RAM, ram_keys, false},
	{"memory-backend-memfd", MEM_BACKEND_MEMFD, memfd_keys, true},
	{"memory-backend-file", MEM_BACKEND_FILE, file_keys, false},
};

/* Every on/off key of the three types, in the order -object reports them. */
static const char *const switch_keys[] = {
	"share", "prealloc", "reserve", "discard-data", "hugetlb", "seal", NULL,
};
static const char *const size_keys[] = { "size", "hugetlbsize", NULL };

const char *backend_bad_switch(const struct keyval_list *kv)
{
	bool b;

	for (unsigned i = 0; switch_keys[i]; i++)
		if (keyval_get_bool(kv, switch_keys[i], false, &b) < 0)
			return switch_keys[i];
	return NULL;
}

const char *backend_bad_size(const struct keyval_list *kv)
{
	uint64_t n;

	for (unsigned i = 0; size_keys[i]; i++)
		if (keyval_get_size(kv, size_keys[i], 0, &n) < 0)
			return size_keys[i];
	return NULL;
}

int backend_check_size(uint64_t size, uint64_t page_size, char *err, size_t errlen)
{
	if (size == 0) {
		pv_format(err, errlen, "size is required and must not be 0");
		return -1;
	}
	if (!is_aligned(size, page_size)) {
		pv_format(err, errlen, "size 0x%" PRIx64 " is not a multiple of the page size 0x%"
			  PRIx64, size, page_size);
		return -1;
	}
	return 0;
}

static int get_bool(const struct keyval_list *kv, const char *key, bool def, bool *out,
		    char *err, size_t errlen)
{
	if (keyval_get_bool(kv, key, def, out) < 0) {
		pv_format(err, errlen, "%s: expected on or off, got '%s'", key,
			  keyval_get(kv, key));
		return -1;
	}
	return 0;
}

static int get_size(const struct keyval_list *kv, const char *key, uint64_t *out, char *err,
		    size_t errlen)
{
	if (keyval_get_size(kv, key, 0, out) < 0) {
		pv_format(err, errlen, "%s: invalid size '%s'", key, keyval_get(kv, key));
		return -1;
	}
	return 0;
}

/* The keys every type has. */
static int parse_common(const struct keyval_list *kv, const struct backend_type *t,
			struct mem_backend *b, char *err, size_t errlen)
{
	const char *id = keyval_get(kv, "id");
	const char *bad;

	if (pv_check_id(id, err, errlen) < 0)
		return -1;
	/* The grammar -object checked too (backend_bad_size, backend_bad_switch), in the
	 * words of get_size and get_bool below, which then cannot fail. */
	if ((bad = backend_bad_size(kv))) {
		pv_format(err, errlen, "%s: invalid size '%s'", bad, keyval_get(kv, bad));
		return -1;
	}
	if ((bad = backend_bad_switch(kv))) {
		pv_format(err, errlen, "%s: expected on or off, got '%s'", bad, keyval_get(kv, bad));
		return -1;
	}
	snprintf(b->id, sizeof(b->id), "%s", id); /* fits: PV_ID_MAX */
	snprintf(b->type, sizeof(b->type), "%s", t->name);
	b->kind = t->kind;
	if (get_size(kv, "size", &b->size, err, errlen) < 0 ||
	    get_bool(kv, "share", t->default_share, &b->share, err, errlen) < 0 ||
	    get_bool(kv, "prealloc", false, &b->prealloc, err, errlen) < 0)
		return -1;
	return 0;
}

/*
 * reserve (swap/huge page reservation at mmap time). QEMU defaults it to
 * on; plugvm defaults to off (MAP_NORESERVE) for ordinary memory, so DIMMs
 * larger than the host's free memory can be plugged into a guest that will
 * not touch all of them, and to on for hugetlb, where a missing huge page
 * would otherwise SIGBUS the VMM at the first guest access.
 */
static int parse_reserve(const struct keyval_list *kv, struct mem_backend *b, char *err,
			 size_t errlen)
{
	bool explicit = keyval_get(kv, "reserve") != NULL;

	if (get_bool(kv, "reserve", b->hugetlb || b->prealloc, &b->reserve, err, errlen) < 0)
		return -1;
	if (explicit && !b->reserve && b->prealloc) {
		pv_format(err, errlen, "prealloc=on and reserve=off are incompatible");
		return -1;
	}
	return 0;
}

static int create_memfd(const struct keyval_list *kv, struct mem_backend *b, char *err,
			size_t errlen)
{
	uint64_t hugetlbsize = 0;
	bool seal;

	if (get_bool(kv, "hugetlb", false, &b->hugetlb, err, errlen) < 0 ||
	    get_bool(kv, "seal", true, &seal, err, errlen) < 0 ||
	    get_size(kv, "hugetlbsize", &hugetlbsize, err, errlen) < 0 ||
	    parse_reserve(kv, b, err, errlen) < 0)
		return -1;
	if (hugetlbsize && !b->hugetlb) {
		pv_format(err, errlen, "hugetlbsize needs hugetlb=on");
		return -1;
	}
	if (b->hugetlb) {
		b->page_size = hugetlbsize ? hugetlbsize : backend_default_huge_page_size();
		if (!b->page_size || (b->page_size & (b->page_size - 1))) {
			pv_format(err, errlen, "no usable huge page size");
			return -1;
		}
	}
	if (backend_check_size(b->size, b->page_size, err, errlen) < 0)
		return -1;
	return backend_open_memfd(b, hugetlbsize ? b->page_size : 0, seal, err, errlen);
}

static int create_file(const struct keyval_list *kv, struct mem_backend *b, char *err,
		       size_t errlen)
{
	const char *path = keyval_get(kv, "mem-path");

	if (get_bool(kv, "discard-data", false, &b->discard_data, err, errlen) < 0)
		return -1;
	if (!path || !*path) {
		pv_format(err, errlen, "mem-path is required");
		return -1;
	}
	b->page_size = backend_hugetlbfs_page_size(path);
	b->hugetlb = b->page_size != 0;
	if (!b->hugetlb)
		b->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	/* Checked before the file is touched, so a bad size creates nothing. */
	if (parse_reserve(kv, b, err, errlen) < 0 ||
	    backend_check_size(b->size, b->page_size, err, errlen) < 0)
		return -1;
	return backend_open_file(b, path, err, errlen);
}

static const struct backend_type *find_type(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(backend_types); i++)
		if (!strcmp(backend_types[i].name, name))
			return &backend_types[i];
	return NULL;
}

/* QEMU's memory-backend properties that plugvm does not implement (yet): refused by name,
 * so that a QEMU command line fails at once with the reason instead of an unknown key. */
static const char *const qemu_only_keys[] = {
	"merge", "dump", "host-nodes", "policy", "align", "readonly", "pmem", NULL,
};

static int check_keys(const struct keyval_list *kv, const struct backend_type *t, char *msg,
		      size_t msglen)
{
	const char *unknown = keyval_unknown_key(kv, t->keys);

	if (!unknown)
		return 0;
	for (unsigned i = 0; qemu_only_keys[i]; i++)
		if (!strcmp(unknown, qemu_only_keys[i])) {
			pv_format(msg, msglen, "property '%s' is QEMU's, not implemented by plugvm "
				  "(docs/options.md lists what %s takes)", unknown, t->name);
			return -1;
		}
	pv_format(msg, msglen, "unknown property '%s'", unknown);
	return -1;
}

int backend_check_keys(const struct keyval_list *kv, char *err, size_t errlen)
{
	const char *qom_type = keyval_get(kv, "qom-type");
	const struct backend_type *t = find_type(qom_type);

	if (!t) {
		pv_format(err, errlen, "object type '%s' is not supported (use memory-backend-ram, "
			  "memory-backend-file or memory-backend-memfd)", qom_type ? qom_type : "(none)");
		return -1;
	}
	return check_keys(kv, t, err, errlen);
}

/* Everything after the type is known; errors go to msg without a prefix. */
static int build(const struct keyval_list *kv, const struct backend_type *t,
		 struct mem_backend *b, char *msg, size_t msglen)
{
	int ret = check_keys(kv, t, msg, msglen);

	if (ret < 0)
		return ret;
	ret = parse_common(kv, t, b, msg, msglen);
	if (ret < 0)
		return ret;
	switch (t->kind) {
	case MEM_BACKEND_RAM:
		ret = parse_reserve(kv, b, msg, msglen);
		if (ret == 0)
			ret = backend_check_size(b->size, b->page_size, msg, msglen);
		break;
	case MEM_BACKEND_MEMFD:
		ret = create_memfd(kv, b, msg, msglen);
		break;
	case MEM_BACKEND_FILE:
		ret = create_file(kv, b, msg, msglen);
		break;
	}
	if (ret == 0)
		ret = backend_map(b, msg, msglen);
	return ret;
}

int backend_create(const struct keyval_list *kv, struct mem_backend **out, char *err,
		   size_t errlen)
{
	const char *qom_type = keyval_get(kv, "qom-type");
	const struct backend_type *t = find_type(qom_type);
	const char *id = keyval_get(kv, "id");
	struct mem_backend *b;
	char msg[256];

	*out = NULL;
	if (!t) {
		pv_format(err, errlen, "unsupported object type '%s'",
			  qom_type ? qom_type : "(none)");
		return -1;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		pv_format(err, errlen, "%s: out of memory", t->name);
		return -ENOMEM;
	}
	b->fd = -1;
	b->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	if (build(kv, t, b, msg, sizeof(msg)) < 0) {
		/* The fd (if any) is closed here; build() left no mapping. */
		backend_destroy(b);
		pv_format(err, errlen, "%s%s%s%s: %s", t->name, id ? " '" : "", id ? id : "",
			  id ? "'" : "", msg);
		return -1;
	}
	*out = b;
	return 0;
}

void backend_destroy(struct mem_backend *b)
{
	if (!b)
		return;
	if (b->hva)
		munmap(b->hva, b->size);
	if (b->fd >= 0) {
		/* discard-data=on: the contents do not matter after exit, so
		 * spare the kernel writing them back to the file. */
		if (b->discard_data && b->hva)
			fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
				  (off_t)b->size);
		close(b->fd);
	}
	free(b);
}
