/* The CPUID each vCPU sees: KVM's supported set, patched for topology and the
 * hypervisor bit (brief §5.4 step 5). Pure functions, unit tested. */
#ifndef PLUGVM_CPUID_H
#define PLUGVM_CPUID_H

#include <linux/kvm.h>

#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR   (1u << 31)
#define CPUID_1_EDX_HTT          (1u << 28)

/* Returns a newly allocated copy of `supported` patched for vCPU `index` of
 * `nr_cpus`; NULL on allocation failure. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned index,
				  unsigned nr_cpus);

/* Number of bits needed to number `count` things (0 for 1). */
unsigned cpuid_id_bits(unsigned count);

#endif
