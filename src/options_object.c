/*
 * -object memory-backend-{ram,file,memfd}: checked here only for what the command line
 * can tell (the backend is created later, by vm.c, with mm/backend.c's own checks), and
 * kept as key=value lists for -numa and -device to find by id.
 */
#include <stdint.h>
#include <string.h>

#include "options_internal.h"
#include "mm/backend.h"
#include "util.h"

/* ---- -object ------------------------------------------------------------ */

static int check_backend(const char *opt, const struct keyval_list *kv)
{
	const char *type = keyval_get(kv, "qom-type");
	char err[256];
	const char *v, *bad;

	if (!type) {
		pv_error("%s: the object type is missing (e.g. memory-backend-ram,id=m0,size=1G)", opt);
		return -1;
	}
	/* mm/backend.c owns which keys each type takes, for object-add and -object alike. */
	if (backend_check_keys(kv, err, sizeof(err)) < 0) {
		pv_error("%s: %s: %s", opt, type, err);
		return -1;
	}
	if (opt_check_id(opt, keyval_get(kv, "id")) < 0)
		return -1;
	/* mm/backend.c owns the values' grammar too; the order of the checks and their words
	 * are the command line's (QEMU's). */
	bad = backend_bad_switch(kv);
	if (bad) {
		pv_error("%s: '%s=%s' is not on or off", opt, bad, keyval_get(kv, bad));
		return -1;
	}
	bad = backend_bad_size(kv);
	v = keyval_get(kv, "size");
	if (!v) {
		pv_error("%s: %s needs size=", opt, type);
		return -1;
	}
	if (bad && strcmp(bad, "size") == 0) {
		pv_error("%s: 'size=%s' is not a valid size", opt, v);
		return -1;
	}
	/* backend_check_size's rule; page size 1: only a zero size fails. */
	if (backend_check_size(opt_object_size(kv), 1, err, sizeof(err)) < 0) {
		pv_error("%s: can't create backend with size 0", opt);
		return -1;
	}
	if (bad) {
		pv_error("%s: '%s=%s' is not a valid size", opt, bad, keyval_get(kv, bad));
		return -1;
	}
	if (strcmp(type, "memory-backend-file") == 0 && !keyval_get(kv, "mem-path")) {
		pv_error("%s: mem-path property not set", opt);
		return -1;
	}
	return 0;
}

const struct keyval_list *opt_find_object(const struct plugvm_config *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->nr_objects; i++)
		if (strcmp(keyval_get(&cfg->objects[i], "id"), id) == 0)
			return &cfg->objects[i];
	return NULL;
}

uint64_t opt_object_size(const struct keyval_list *obj)
{
	uint64_t size = 0;

	keyval_get_size(obj, "size", 0, &size); /* checked by check_backend */
	return size;
}

int opt_object(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	struct plugvm_config *cfg = st->cfg;
	struct keyval_list kv;

	if (opt_parse_list_entry(o, arg, "qom-type", "TYPE,id=ID,size=SIZE", cfg->nr_objects,
				 PLUGVM_MAX_OBJECTS, "objects", &kv) < 0)
		return -1;
	if (check_backend(o->name, &kv) < 0)
		goto fail;
	if (opt_find_object(cfg, keyval_get(&kv, "id"))) {
		pv_error("%s: duplicate object id '%s'", o->name, keyval_get(&kv, "id"));
		goto fail;
	}
	cfg->objects[cfg->nr_objects++] = kv;
	return 0;
fail:
	keyval_free(&kv);
	return -1;
}
