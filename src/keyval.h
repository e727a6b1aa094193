/*
 * QEMU-style "key=value,key=value" option strings, shared by the command
 * line (-m, -object, -device, -numa, -serial) and the monitors (object_add,
 * device_add). A leading bare word is stored under an implied key, as in
 * "memory-backend-ram,id=m1" -> qom-type=memory-backend-ram. A bare "flag"
 * elsewhere means flag=on; "noflag" is not special. ",," escapes a comma.
 */
#ifndef PLUGVM_KEYVAL_H
#define PLUGVM_KEYVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keyval {
	char *key;
	char *value;
};

struct keyval_list {
	struct keyval *items;
	size_t count;
};

/* Parses text. implied_key may be NULL (then a bare first word is key=on).
 * Returns 0, or -1 with a one-line message in err. Duplicate keys are an error. */
int keyval_parse(const char *text, const char *implied_key, struct keyval_list *out,
		 char *err, size_t errlen);
void keyval_free(struct keyval_list *list);
/* Deep copy; returns 0 or -1 on allocation failure. */
int keyval_copy(struct keyval_list *dst, const struct keyval_list *src);
/* NULL when absent. */
const char *keyval_get(const struct keyval_list *list, const char *key);
/* Appends or replaces; returns 0 or -1. */
int keyval_set(struct keyval_list *list, const char *key, const char *value);

/* "on"/"off"/"yes"/"no"/"true"/"false"; absent -> def. -1 on a bad value. */
int keyval_get_bool(const struct keyval_list *list, const char *key, bool def, bool *out);
/* Size with QEMU suffixes (B, K, M, G, T, P, E; powers of 1024); a bare
 * number is bytes here (QEMU's rule for object properties). -1 if bad. */
int keyval_get_size(const struct keyval_list *list, const char *key, uint64_t def, uint64_t *out);

/* Returns the first key that is not in allowed (NULL-terminated), or NULL. */
const char *keyval_unknown_key(const struct keyval_list *list, const char *const *allowed);

#endif
