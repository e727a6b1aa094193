/* The CPUID each vCPU sees: KVM's supported set, patched for topology and the
 * hypervisor bit (docs/linux-facts.md, "The hypervisor bit"). Pure functions, unit tested. */
#ifndef PLUGVM_CPUID_H
#define PLUGVM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR   (1u << 31)
#define CPUID_1_EDX_HTT          (1u << 28)

struct cpuid_topology {
	unsigned index;    /* vCPU index = APIC id */
	unsigned nr_cpus;
	unsigned node;     /* NUMA node of this vCPU */
	unsigned nr_nodes;
	/* KVM emulates the TSC-deadline LAPIC timer (KVM_CAP_TSC_DEADLINE_TIMER)
	 * but kernels before late 2024 (6.1 among them) leave its CPUID bit out of
	 * KVM_GET_SUPPORTED_CPUID: userspace has to set it. */
	bool tsc_deadline;
};

/* Returns a newly allocated copy of `supported` patched for one vCPU; NULL
 * on allocation failure. Every vCPU gets caches of its own, so vCPUs on
 * different NUMA nodes never appear to share a last-level cache (Linux
 * warns about that in topology_sane()). */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported,
				  const struct cpuid_topology *t);

/* Number of bits needed to number `count` things (0 for 1). */
unsigned cpuid_id_bits(unsigned count);

#endif
