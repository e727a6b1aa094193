/*
 * -m [size=]SIZE[,slots=N,maxmem=SIZE]: the boot RAM, the DIMM slots and the hotplug
 * limit. The RAM size is final only after -numa (the nodes' memory adds up to it), so
 * QEMU's maxmem rules are a separate step, opt_finish_maxmem, run after opt_finish_numa.
 */
#include <stdint.h>

#include "options_internal.h"
#include "size.h"
#include "util.h"

#define DEFAULT_RAM_SIZE (512 * MiB)
/* QEMU rounds the -m size up to this; done too so sizes compare the same. */
#define RAM_SIZE_ALIGN (8 * KiB)

int opt_m(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return opt_set_once(o, &st->mem_arg, arg);
}

/* ---- second pass: -m ---------------------------------------------------- */

int opt_finish_memory(struct parse_state *st)
{
	static const char *const allowed[] = {"size", "slots", "maxmem", NULL};
	struct plugvm_config *cfg = st->cfg;
	struct keyval_list kv;
	const char *v;
	uint64_t n;
	int ret = -1;

	cfg->ram_size = DEFAULT_RAM_SIZE;
	if (!st->mem_arg)
		return 0;
	if (!*st->mem_arg) {
		pv_error("-m: '' is not a valid size");
		return -1;
	}
	if (opt_parse_keyval("-m", st->mem_arg, "size", &kv) < 0)
		return -1;
	if (opt_reject_unknown_keys("-m", &kv, allowed, "-m") < 0)
		goto out;
	v = keyval_get(&kv, "size");
	if (v) {
		/* A bare number is MiB, QEMU's legacy rule for -m only. */
		if (parse_size(v, MiB, &n) < 0) {
			pv_error("-m: '%s' is not a valid size", v);
			goto out;
		}
		if (n > UINT64_MAX - RAM_SIZE_ALIGN) {
			pv_error("-m: ram size too large");
			goto out;
		}
		/* QEMU reads size 0 as "not given": the default stays. */
		if (n) {
			cfg->ram_size = align_up(n, RAM_SIZE_ALIGN);
			cfg->ram_size_given = true;
		}
	}
	v = keyval_get(&kv, "slots");
	if (v) {
		if (pv_parse_uint(v, 10, UINT32_MAX, &n) < 0) {
			pv_error("-m: 'slots=%s' is not a number", v);
			goto out;
		}
		if (n > PLUGVM_MAX_SLOTS) {
			pv_error("-m: unsupported amount of memory slots: %llu (at most %d)",
				 (unsigned long long)n, PLUGVM_MAX_SLOTS);
			goto out;
		}
		cfg->slots = (unsigned)n;
		st->has_slots = true;
	}
	v = keyval_get(&kv, "maxmem");
	if (v) {
		/* Bytes when bare, as in QEMU: only size= has the MiB rule. */
		if (parse_size(v, 1, &cfg->maxmem) < 0) {
			pv_error("-m: 'maxmem=%s' is not a valid size", v);
			goto out;
		}
		st->has_maxmem = true;
	}
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}

/* QEMU's rules, checked once the RAM size is final (after -numa). */
int opt_finish_maxmem(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	unsigned long long ram = cfg->ram_size, max = cfg->maxmem;

	if (!st->has_maxmem) {
		if (st->has_slots) {
			pv_error("-m: slots specified but no maxmem");
			return -1;
		}
		cfg->maxmem = cfg->ram_size;
		return 0;
	}
	if (max < ram) {
		pv_error("-m: invalid value of maxmem: maximum memory size (0x%llx) must be at least "
			 "the initial memory size (0x%llx)", max, ram);
		return -1;
	}
	if (cfg->slots && max == ram) {
		pv_error("-m: invalid value of maxmem: memory slots were specified but maximum memory "
			 "size (0x%llx) is equal to the initial memory size (0x%llx)", max, ram);
		return -1;
	}
	/* QEMU 6.0+ allows this for virtio-mem. plugvm allows it when a virtio-mem device
	 * is given: it cannot be added later (docs/options.md), and without one the space
	 * above the initial size would be unusable. Older QEMU refused it the same way. */
	if (!cfg->slots && max > ram && !cfg->nr_virtio_mem) {
		pv_error("-m: maxmem was specified, but no hotplug slots were specified (add slots=N, "
			 "or a -device virtio-mem-pci)");
		return -1;
	}
	return 0;
}
