/*
 * "key=value,key=value" strings as QEMU's option parser reads them.
 *
 * Grammar, element by element (elements are separated by single commas):
 *   - the first element may be a bare value for implied_key
 *     ("memory-backend-ram,id=m1" -> qom-type=memory-backend-ram);
 *   - "key=value" sets key (value may be empty);
 *   - a bare "key" anywhere else means key=on (QEMU's legacy flag form,
 *     e.g. "server,nowait");
 *   - ",," is a literal comma inside a value (or inside the implied value);
 *   - one trailing comma is tolerated, an empty element elsewhere is not.
 * Keys are letters, digits, '-', '_' and '.'. A key given twice is an error
 * rather than "last one wins", so a typo cannot silently override a setting.
 */
#include "keyval.h"

#include <stdlib.h>
#include <string.h>

#include "size.h"
#include "util.h"

static bool key_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

static bool key_ok(const char *key, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!key_char_ok(key[i]))
			return false;
	return true;
}

/* Copies [s, s+len) turning ",," into ",". */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t j = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		out[j++] = s[i];
		if (s[i] == ',' && i + 1 < len && s[i + 1] == ',')
			i++;
	}
	out[j] = '\0';
	return out;
}

static struct keyval *find(const struct keyval_list *list, const char *key)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].key, key) == 0)
			return &list->items[i];
	return NULL;
}

/* Takes ownership of key and value (frees them on failure). */
static int append(struct keyval_list *list, char *key, char *value)
{
	struct keyval *items;

	if (!key || !value)
		goto fail;
	items = realloc(list->items, (list->count + 1) * sizeof(*items));
	if (!items)
		goto fail;
	list->items = items;
	items[list->count].key = key;
	items[list->count].value = value;
	list->count++;
	return 0;
fail:
	free(key);
	free(value);
	return -1;
}

/* Length of the element starting at s: up to the first comma that is not
 * part of a ",," pair, or the end of the string. */
static size_t element_length(const char *s)
{
	size_t i = 0;

	while (s[i]) {
		if (s[i] == ',') {
			if (s[i + 1] != ',')
				break;
			i++; /* skip the escaped second comma */
		}
		i++;
	}
	return i;
}

int keyval_parse(const char *text, const char *implied_key, struct keyval_list *out,
		 char *err, size_t errlen)
{
	const char *p = text ? text : "";
	bool first = true;

	out->items = NULL;
	out->count = 0;
	while (*p) {
		size_t len = element_length(p);
		const char *eq = memchr(p, '=', len);
		char *key, *value;

		if (len == 0) {
			pv_format(err, errlen, "empty parameter (stray ',') in '%s'", text);
			goto fail;
		}
		if (!eq && first && implied_key) {
			key = strdup(implied_key);
			value = unescape(p, len);
		} else {
			size_t klen = eq ? (size_t)(eq - p) : len;

			if (!key_ok(p, klen)) {
				if (klen == 0)
					pv_format(err, errlen, "missing parameter name before '=' in '%s'", text);
				else
					pv_format(err, errlen, "invalid parameter name '%.*s'", (int)klen, p);
				goto fail;
			}
			key = strndup(p, klen);
			value = eq ? unescape(eq + 1, len - klen - 1) : strdup("on");
		}
		if (key && find(out, key)) {
			pv_format(err, errlen, "parameter '%s' is given more than once", key);
			free(key);
			free(value);
			goto fail;
		}
		if (append(out, key, value) < 0) {
			pv_format(err, errlen, "out of memory");
			goto fail;
		}
		first = false;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
fail:
	keyval_free(out);
	return -1;
}

void keyval_free(struct keyval_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].key);
		free(list->items[i].value);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

int keyval_copy(struct keyval_list *dst, const struct keyval_list *src)
{
	dst->items = NULL;
	dst->count = 0;
	for (size_t i = 0; i < src->count; i++) {
		if (append(dst, strdup(src->items[i].key), strdup(src->items[i].value)) < 0) {
			keyval_free(dst);
			return -1;
		}
	}
	return 0;
}

const char *keyval_get(const struct keyval_list *list, const char *key)
{
	const struct keyval *kv = find(list, key);

	return kv ? kv->value : NULL;
}

int keyval_set(struct keyval_list *list, const char *key, const char *value)
{
	struct keyval *kv = find(list, key);

	if (kv) {
		char *copy = strdup(value);

		if (!copy)
			return -1;
		free(kv->value);
		kv->value = copy;
		return 0;
	}
	return append(list, strdup(key), strdup(value));
}

int keyval_get_bool(const struct keyval_list *list, const char *key, bool def, bool *out)
{
	static const char *const yes[] = {"on", "yes", "true"};
	static const char *const no[] = {"off", "no", "false"};
	const char *v = keyval_get(list, key);

	if (!v) {
		*out = def;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int keyval_get_size(const struct keyval_list *list, const char *key, uint64_t def, uint64_t *out)
{
	const char *v = keyval_get(list, key);

	if (!v) {
		*out = def;
		return 0;
	}
	return parse_size(v, 1, out);
}

const char *keyval_unknown_key(const struct keyval_list *list, const char *const *allowed)
{
	for (size_t i = 0; i < list->count; i++) {
		bool known = false;

		for (size_t j = 0; allowed[j]; j++)
			if (strcmp(list->items[i].key, allowed[j]) == 0)
				known = true;
		if (!known)
			return list->items[i].key;
	}
	return NULL;
}
