#include "arch/x86/cpuid.h"

#include <stdlib.h>
#include <string.h>

unsigned cpuid_id_bits(unsigned count)
{
	unsigned bits = 0;

	while ((1u << bits) < count)
		bits++;
	return bits;
}

/* Leaves 0xB and 0x1F: level 0 is SMT (one thread per core), level 1 is
 * the core level holding all vCPUs of the one package. */
static void patch_ext_topology(struct kvm_cpuid_entry2 *e, unsigned index, unsigned nr_cpus)
{
	e->edx = index;
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | 0;
		break;
	case 1:
		e->eax = cpuid_id_bits(nr_cpus);
		e->ebx = nr_cpus;
		e->ecx = (2u << 8) | 1;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
		break;
	}
}

static void patch_entry(struct kvm_cpuid_entry2 *e, const struct cpuid_topology *t)
{
	unsigned index = t->index;
	/* With several NUMA nodes every vCPU is a package of its own, so no two
	 * vCPUs on different nodes appear to share a package or a last-level
	 * cache (Linux derives the LLC from the package on older AMD CPUs). */
	unsigned nr_cpus = t->nr_nodes > 1 ? 1 : t->nr_cpus;

	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffff) | (index << 24) | ((nr_cpus & 0xff) << 16);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		/* Without it Linux calibrates the LAPIC timer against another
		 * clock at boot (0.1 s or more, and this machine has no PIT). */
		if (t->tsc_deadline)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
		if (nr_cpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		break;
	case 4:
		/* Cores per package minus one; caches are shared by one thread. */
		e->eax &= ~(0x3fu << 26 | 0xfffu << 14);
		e->eax |= (nr_cpus - 1) << 26;
		break;
	case 0xb:
	case 0x1f:
		patch_ext_topology(e, index, nr_cpus);
		break;
	case 0x80000008:
		/* AMD: number of cores minus one and the APIC id width. */
		e->ecx = (cpuid_id_bits(nr_cpus) << 12) | ((nr_cpus - 1) & 0xff);
		break;
	case 0x8000001d:
		/* AMD cache leaves: one thread shares each cache. */
		e->eax &= ~(0xfffu << 14);
		break;
	case 0x8000001e:
		/* AMD extended APIC id, one thread per core; the node id is
		 * the NUMA node, which older families also use as LLC id. */
		e->eax = index;
		e->ebx = index & 0xff;
		e->ecx = ((t->nr_nodes ? t->nr_nodes - 1 : 0) & 0x7) << 8 | (t->node & 0xff);
		break;
	default:
		break;
	}
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported,
				  const struct cpuid_topology *t)
{
	size_t bytes = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(bytes);

	if (!c)
		return NULL;
	memcpy(c, supported, bytes);
	for (unsigned i = 0; i < c->nent; i++)
		patch_entry(&c->entries[i], t);
	return c;
}
