/*
 * The rules of a pc-dimm's properties, in one place for the command line (-device
 * pc-dimm,..., options_device.c) and the running VM (device_add and the cold-plug of the
 * command line's DIMMs, memory_devices.c), so the two cannot read them differently:
 * which keys a pc-dimm has, and one number grammar for node=, slot= and addr=
 * (pv_parse_uint, base 0 as in QEMU: 0x10, 010 and 8 are three numbers; issue 13's
 * defect 4 was slot=010 read as 10 by one side and 8 by the other).
 *
 * Each caller words the errors itself and reports them where its own order of checks
 * puts them, which is why the parse records what it found instead of failing.
 */
#ifndef PLUGVM_DIMM_PROPS_H
#define PLUGVM_DIMM_PROPS_H

#include <stdbool.h>
#include <stdint.h>

#include "keyval.h"

/* One of node=, slot=, addr=. */
struct dimm_number {
	const char *text; /* as given; NULL when the key is absent */
	bool valid;       /* text is a number (false when absent) */
	uint64_t value;   /* when valid */
};

struct dimm_props_parsed {
	const char *unknown; /* the first key a pc-dimm does not have, or NULL */
	const char *id, *memdev; /* NULL when absent */
	struct dimm_number node, slot, addr;
};

/* Fills *p from kv; strings point into kv. Never fails: see the fields. */
void dimm_props_parse(const struct keyval_list *kv, struct dimm_props_parsed *p);

#endif
