/*
 * -numa node[,nodeid=N][,cpus=A[-B]],memdev=ID: the NUMA nodes. Checked in the second
 * pass because a node needs the CPU count (-smp) and its backend (-object); the nodes'
 * memory then becomes the RAM size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options_internal.h"
#include "util.h"

/* numa_node_config.memdev holds an object's id, copied without a length check. */
_Static_assert(sizeof(((struct numa_node_config *)0)->memdev) > PV_ID_MAX,
	       "numa_node_config.memdev must hold any id pv_check_id accepts");


int opt_numa(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	if (st->nr_numa_args == PLUGVM_MAX_NUMA_NODES) {
		pv_error("%s: max number of NUMA nodes reached: %d", o->name, PLUGVM_MAX_NUMA_NODES);
		return -1;
	}
	if (opt_parse_keyval(o->name, arg, "type", &st->numa[st->nr_numa_args]) < 0)
		return -1;
	st->nr_numa_args++;
	return 0;
}

/* ---- second pass: -numa ------------------------------------------------- */

bool opt_memdev_used_by_node(const struct plugvm_config *cfg, unsigned nodes, const char *id)
{
	for (unsigned i = 0; i < nodes; i++)
		if (strcmp(cfg->numa[i].memdev, id) == 0)
			return true;
	return false;
}

/* "A" or "A-B", both below the number of CPUs. */
static int parse_cpu_range(const char *s, unsigned nr_cpus, struct numa_node_config *node)
{
	const char *dash = strchr(s, '-');
	char first[16];
	uint64_t a, b;

	if (dash && (size_t)(dash - s) < sizeof(first)) {
		memcpy(first, s, (size_t)(dash - s));
		first[dash - s] = '\0';
		if (pv_parse_uint(first, 10, UINT32_MAX, &a) < 0 ||
		    pv_parse_uint(dash + 1, 10, UINT32_MAX, &b) < 0)
			goto bad;
	} else if (dash || pv_parse_uint(s, 10, UINT32_MAX, &a) < 0) {
		goto bad;
	} else {
		b = a;
	}
	if (a > b) {
		pv_error("-numa: 'cpus=%s': the range is backwards", s);
		return -1;
	}
	if (b >= nr_cpus) {
		pv_error("-numa: 'cpus=%s': CPU index (%llu) should be smaller than the number of "
			 "CPUs (-smp %u)", s, (unsigned long long)b, nr_cpus);
		return -1;
	}
	node->cpu_first = (unsigned)a;
	node->cpu_last = (unsigned)b;
	node->cpus_set = true;
	return 0;
bad:
	pv_error("-numa: 'cpus=%s' is not A or A-B", s);
	return -1;
}

static int parse_numa_node(struct parse_state *st, const struct keyval_list *kv, unsigned index,
			   struct numa_node_config *node)
{
	static const char *const allowed[] = {"type", "nodeid", "cpus", "memdev", "mem", NULL};
	struct plugvm_config *cfg = st->cfg;
	const char *type = keyval_get(kv, "type"), *v;
	const struct keyval_list *obj;
	uint64_t n;

	if (!type || strcmp(type, "node") != 0) {
		pv_error("-numa: '%s' is not supported (only -numa node,...)", type ? type : "");
		return -1;
	}
	if (opt_reject_unknown_keys("-numa", kv, allowed, "-numa node") < 0)
		return -1;
	if (keyval_get(kv, "mem")) {
		pv_error("-numa: node,mem= is not supported (QEMU 5.1+ machines refuse it too); "
			 "use memdev= with an -object memory-backend-*");
		return -1;
	}
	/* Without nodeid=, QEMU numbers the nodes in command-line order. */
	n = index;
	v = keyval_get(kv, "nodeid");
	if (v && pv_parse_uint(v, 10, UINT32_MAX, &n) < 0) {
		pv_error("-numa: 'nodeid=%s' is not a number", v);
		return -1;
	}
	if (n >= PLUGVM_MAX_NUMA_NODES) {
		pv_error("-numa: nodeid=%llu: plugvm supports node ids 0 to %d",
			 (unsigned long long)n, PLUGVM_MAX_NUMA_NODES - 1);
		return -1;
	}
	node->nodeid = (unsigned)n;
	v = keyval_get(kv, "cpus");
	if (v && parse_cpu_range(v, cfg->nr_cpus, node) < 0)
		return -1;
	v = keyval_get(kv, "memdev");
	if (!v) {
		pv_error("-numa: node %u has no memdev= (every node needs an -object "
			 "memory-backend-* for its RAM)", node->nodeid);
		return -1;
	}
	obj = opt_find_object(cfg, v);
	if (!obj) {
		pv_error("-numa: memdev '%s' is not an -object defined on the command line", v);
		return -1;
	}
	strcpy(node->memdev, v); /* fits: check_id limits ids to PV_ID_MAX characters */
	node->mem_size = opt_object_size(obj);
	return 0;
}

static int compare_nodes(const void *a, const void *b)
{
	const struct numa_node_config *x = a, *y = b;

	return (x->nodeid > y->nodeid) - (x->nodeid < y->nodeid);
}

/* "0-1,3" for the CPUs whose owner is -1. */
static void format_free_cpus(const int *owner, unsigned nr_cpus, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < nr_cpus; c++) {
		unsigned end = c;

		if (owner[c] >= 0)
			continue;
		while (end + 1 < nr_cpus && owner[end + 1] < 0)
			end++;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%u", used ? "," : "", c);
		if (end > c && used < len)
			used += (size_t)snprintf(buf + used, len - used, "-%u", end);
		c = end;
	}
}

/* Every CPU gets a node. QEMU puts CPUs no node claims into node 0 with a
 * warning; plugvm does the same as long as node 0 keeps a single range. */
static int assign_cpus(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	int owner[PLUGVM_MAX_CPUS];
	unsigned lo = cfg->nr_cpus, hi = 0, missing = 0;

	for (unsigned c = 0; c < cfg->nr_cpus; c++)
		owner[c] = -1;
	for (unsigned i = 0; i < cfg->nr_numa; i++) {
		const struct numa_node_config *node = &cfg->numa[i];

		if (!node->cpus_set)
			continue;
		for (unsigned c = node->cpu_first; c <= node->cpu_last; c++) {
			if (owner[c] >= 0) {
				pv_error("-numa: CPU %u is in both node %d and node %u", c, owner[c],
					 node->nodeid);
				return -1;
			}
			owner[c] = (int)node->nodeid;
		}
	}
	for (unsigned c = 0; c < cfg->nr_cpus; c++) {
		if (owner[c] >= 0)
			continue;
		missing++;
		lo = c < lo ? c : lo;
		hi = c;
	}
	if (missing) {
		struct numa_node_config *node0 = &cfg->numa[0];
		unsigned first = lo, last = hi, count = missing;
		char list[256];

		format_free_cpus(owner, cfg->nr_cpus, list, sizeof(list));

		if (node0->cpus_set) {
			first = node0->cpu_first < lo ? node0->cpu_first : lo;
			last = node0->cpu_last > hi ? node0->cpu_last : hi;
			count += node0->cpu_last - node0->cpu_first + 1;
		}
		if (last - first + 1 != count) {
			pv_error("-numa: CPU(s) %s are not in any node and cannot join node 0's single "
				 "range; give every CPU a node with cpus=", list);
			return -1;
		}
		pv_format(st->warning, sizeof(st->warning),
			  "warning: CPU(s) not present in any NUMA node: %s; they go to node 0", list);
		node0->cpu_first = first;
		node0->cpu_last = last;
		node0->cpus_set = true;
	}
	return 0;
}

int opt_finish_numa(struct parse_state *st)
{
	struct plugvm_config *cfg = st->cfg;
	uint64_t total = 0;

	for (unsigned i = 0; i < st->nr_numa_args; i++) {
		struct numa_node_config *node = &cfg->numa[i];

		if (parse_numa_node(st, &st->numa[i], i, node) < 0)
			return -1;
		for (unsigned j = 0; j < i; j++) {
			if (cfg->numa[j].nodeid == node->nodeid) {
				pv_error("-numa: duplicate NUMA nodeid: %u", node->nodeid);
				return -1;
			}
		}
		if (opt_memdev_used_by_node(cfg, i, node->memdev)) {
			pv_error("-numa: memory backend %s can't be used multiple times", node->memdev);
			return -1;
		}
		if (node->mem_size > UINT64_MAX - total) {
			pv_error("-numa: the nodes' memory adds up to more than 16 EiB");
			return -1;
		}
		total += node->mem_size;
		cfg->nr_numa = i + 1;
	}
	if (!cfg->nr_numa)
		return 0;

	/* Dense ids: sorted, node i must be id i (layout and SRAT index by it). */
	qsort(cfg->numa, cfg->nr_numa, sizeof(cfg->numa[0]), compare_nodes);
	for (unsigned i = 0; i < cfg->nr_numa; i++) {
		if (cfg->numa[i].nodeid != i) {
			pv_error("-numa: node ID missing: %u (ids must be 0 to %u without gaps)", i,
				 cfg->nr_numa - 1);
			return -1;
		}
	}
	if (assign_cpus(st) < 0)
		return -1;

	if (cfg->ram_size_given && total != cfg->ram_size) {
		pv_error("-numa: total memory for NUMA nodes (0x%llx) should equal RAM size (0x%llx)",
			 (unsigned long long)total, (unsigned long long)cfg->ram_size);
		return -1;
	}
	cfg->ram_size = total;
	return 0;
}
