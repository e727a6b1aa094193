/* An x86 vCPU before its first KVM_RUN: CPUID, the MSRs firmware would leave, the LAPIC. */
#include "arch/arch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "arch/x86/cpuid.h"
#include "machine.h"
#include "util.h"

#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MSR_IA32_TSC          0x10
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_EXTINT 0x700
#define APIC_MODE_NMI 0x400
#define APIC_LVT_MASKED 0x10000

static int set_msrs(int fd)
{
	static const struct { uint32_t index; uint64_t value; } msrs[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_LSTAR, 0 },
		{ MSR_CSTAR, 0 }, { MSR_SYSCALL_MASK, 0 }, { MSR_KERNEL_GS_BASE, 0 },
		{ MSR_IA32_TSC, 0 },
		{ MSR_IA32_MISC_ENABLE, 1 },      /* fast strings, as firmware leaves it */
		{ MSR_MTRR_DEF_TYPE, 0x806 },     /* MTRRs on, default write-back: keeps PAT usable */
	};
	/* The header's flexible entries[] array, with room for every MSR (a struct with the
	 * header followed by an array is a GNU extension that clang refuses). */
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + ARRAY_SIZE(msrs) * sizeof(struct kvm_msr_entry)];
	} buf;
	struct kvm_msr_entry *e = buf.hdr.entries;

	memset(&buf, 0, sizeof(buf));
	buf.hdr.nmsrs = ARRAY_SIZE(msrs);
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++) {
		e[i].index = msrs[i].index;
		e[i].data = msrs[i].value;
	}
	/* KVM_SET_MSRS returns how many it set; a missing MSR is not fatal. */
	return ioctl(fd, KVM_SET_MSRS, &buf) < 0 ? -1 : 0;
}

static int set_lapic(int fd)
{
	struct kvm_lapic_state lapic;
	uint32_t *lint0 = (uint32_t *)&lapic.regs[APIC_LVT_LINT0];
	uint32_t *lint1 = (uint32_t *)&lapic.regs[APIC_LVT_LINT1];

	if (ioctl(fd, KVM_GET_LAPIC, &lapic) < 0)
		return -1;
	/* What a BIOS leaves behind: LINT0 ExtINT, LINT1 NMI; but LINT0 masked,
	 * because this machine has no PIC the guest would program (Linux keeps
	 * an unmasked ExtINT LINT0 on CPU 0 and would take stray PIC vectors). */
	*lint0 = (*lint0 & ~0x700u) | APIC_MODE_EXTINT | APIC_LVT_MASKED;
	*lint1 = (*lint1 & ~0x700u) | APIC_MODE_NMI;
	return ioctl(fd, KVM_SET_LAPIC, &lapic);
}

int arch_vcpu_setup(struct machine *m, unsigned index, int fd, char *err, size_t errlen)
{
	struct cpuid_topology topo;
	struct kvm_cpuid2 *cpuid;

	topo = (struct cpuid_topology){
		.index = index,
		.nr_cpus = m->nr_vcpus,
		.node = config_cpu_node(m->cfg, index),
		.nr_nodes = config_nr_nodes(m->cfg),
		.tsc_deadline = m->kvm.tsc_deadline,
	};
	cpuid = cpuid_for_vcpu(m->kvm.supported_cpuid, &topo);
	if (!cpuid || ioctl(fd, KVM_SET_CPUID2, cpuid) < 0) {
		pv_format(err, errlen, "KVM_SET_CPUID2 on vCPU %u: %s", index, strerror(errno));
		free(cpuid);
		return -1;
	}
	free(cpuid);
	if (set_msrs(fd) < 0) {
		pv_format(err, errlen, "KVM_SET_MSRS on vCPU %u: %s", index, strerror(errno));
		return -1;
	}
	if (set_lapic(fd) < 0) {
		pv_format(err, errlen, "LAPIC setup of vCPU %u: %s", index, strerror(errno));
		return -1;
	}
	return 0;
}
