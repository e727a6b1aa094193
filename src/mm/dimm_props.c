/* pc-dimm's keys and number grammar, for -device pc-dimm and device_add alike. */
#include "mm/dimm_props.h"

#include "util.h"

static const char *const dimm_keys[] = { "driver", "id", "memdev", "node", "slot", "addr", NULL };

static void get_number(const struct keyval_list *kv, const char *key, struct dimm_number *n)
{
	n->text = keyval_get(kv, key);
	n->value = 0;
	n->valid = n->text && pv_parse_uint(n->text, 0, UINT64_MAX, &n->value) == 0;
}

void dimm_props_parse(const struct keyval_list *kv, struct dimm_props_parsed *p)
{
	p->unknown = keyval_unknown_key(kv, dimm_keys);
	p->id = keyval_get(kv, "id");
	p->memdev = keyval_get(kv, "memdev");
	get_number(kv, "node", &p->node);
	get_number(kv, "slot", &p->slot);
	get_number(kv, "addr", &p->addr);
}
