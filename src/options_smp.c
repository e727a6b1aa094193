/*
 * -smp [cpus=]N[,maxcpus=,sockets=,dies=,clusters=,cores=,threads=]: the number of vCPUs,
 * derived from the topology the way QEMU derives it so the same -smp gives the same count.
 */
#include <stdint.h>

#include "options_internal.h"
#include "util.h"

int opt_smp(struct parse_state *st, const struct option_desc *o, const char *arg)
{
	return opt_set_once(o, &st->smp_arg, arg);
}

/* ---- second pass: -smp -------------------------------------------------- */

enum { SMP_CPUS, SMP_MAXCPUS, SMP_SOCKETS, SMP_DIES, SMP_CLUSTERS, SMP_CORES, SMP_THREADS, SMP_N };

int opt_finish_smp(struct parse_state *st)
{
	static const char *const keys[SMP_N + 1] = {"cpus", "maxcpus", "sockets", "dies",
						    "clusters", "cores", "threads", NULL};
	struct keyval_list kv;
	uint64_t v[SMP_N] = {0};
	int ret = -1;

	st->cfg->nr_cpus = 1;
	if (!st->smp_arg)
		return 0;
	if (opt_parse_keyval("-smp", st->smp_arg, "cpus", &kv) < 0)
		return -1;
	if (opt_reject_unknown_keys("-smp", &kv, keys, "-smp") < 0)
		goto out;
	for (unsigned i = 0; i < SMP_N; i++) {
		const char *s = keyval_get(&kv, keys[i]);

		if (!s)
			continue;
		if (pv_parse_uint(s, 10, UINT32_MAX, &v[i]) < 0) {
			pv_error("-smp: '%s=%s' is not a number", keys[i], s);
			goto out;
		}
		if (v[i] == 0) {
			pv_error("-smp: '%s=0': CPU topology parameters must be greater than zero",
				 keys[i]);
			goto out;
		}
		/* Every factor is at least 1, so any one above the limit is too many
		 * CPUs; checking here also keeps the products below from overflowing. */
		if (v[i] > PLUGVM_MAX_CPUS) {
			pv_error("-smp: '%s=%s': plugvm supports at most %d CPUs", keys[i], s,
				 PLUGVM_MAX_CPUS);
			goto out;
		}
	}

	/* QEMU's derivation (hw/core/machine-smp.c, machines since 6.2): the
	 * missing factors are filled in preferring cores over sockets, and the
	 * product must equal maxcpus. dies and clusters default to 1. */
	uint64_t cpus = v[SMP_CPUS], maxcpus = v[SMP_MAXCPUS], sockets = v[SMP_SOCKETS];
	uint64_t dies = v[SMP_DIES] ? v[SMP_DIES] : 1, clusters = v[SMP_CLUSTERS] ? v[SMP_CLUSTERS] : 1;
	uint64_t cores = v[SMP_CORES], threads = v[SMP_THREADS];

	if (!cpus && !maxcpus) {
		sockets = sockets ? sockets : 1;
		cores = cores ? cores : 1;
		threads = threads ? threads : 1;
	} else {
		maxcpus = maxcpus ? maxcpus : cpus;
		if (!cores) {
			sockets = sockets ? sockets : 1;
			threads = threads ? threads : 1;
			cores = maxcpus / (sockets * dies * clusters * threads);
		} else if (!sockets) {
			threads = threads ? threads : 1;
			sockets = maxcpus / (dies * clusters * cores * threads);
		}
		if (!threads)
			threads = maxcpus / (sockets * dies * clusters * cores);
	}
	uint64_t total = sockets * dies * clusters * cores * threads;

	maxcpus = maxcpus ? maxcpus : total;
	cpus = cpus ? cpus : maxcpus;
	if (total != maxcpus) {
		pv_error("-smp: invalid CPU topology: sockets (%llu) * dies (%llu) * clusters (%llu) * "
			 "cores (%llu) * threads (%llu) != maxcpus (%llu)",
			 (unsigned long long)sockets, (unsigned long long)dies,
			 (unsigned long long)clusters, (unsigned long long)cores,
			 (unsigned long long)threads, (unsigned long long)maxcpus);
		goto out;
	}
	if (maxcpus < cpus) {
		pv_error("-smp: invalid CPU topology: maxcpus (%llu) must be at least cpus (%llu)",
			 (unsigned long long)maxcpus, (unsigned long long)cpus);
		goto out;
	}
	if (maxcpus != cpus) {
		pv_error("-smp: maxcpus (%llu) above cpus (%llu) needs CPU hotplug, which plugvm "
			 "does not have", (unsigned long long)maxcpus, (unsigned long long)cpus);
		goto out;
	}
	if (cpus > PLUGVM_MAX_CPUS) {
		pv_error("-smp: %llu CPUs requested, plugvm supports at most %d",
			 (unsigned long long)cpus, PLUGVM_MAX_CPUS);
		goto out;
	}
	st->cfg->nr_cpus = (unsigned)cpus;
	ret = 0;
out:
	keyval_free(&kv);
	return ret;
}
