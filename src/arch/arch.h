/*
 * What the generic code asks of the architecture (src/arch/<arch>/): today only
 * x86 (src/arch/x86/). An arm64 port supplies these same functions.
 */
#ifndef PLUGVM_ARCH_ARCH_H
#define PLUGVM_ARCH_ARCH_H

#include <stddef.h>

struct kvm;
struct machine;
struct memory_devices;

/* Right after KVM_CREATE_VM (kvm->vm_fd): on x86 the TSS and identity-map areas, the
 * in-kernel IOAPIC and LAPICs, every GSI routed to the IOAPIC. 0, or -1 with err. */
int arch_vm_setup(struct kvm *kvm, char *err, size_t errlen);

/* Sets up vCPU `index` (fd from KVM_CREATE_VCPU) before its first KVM_RUN: on x86 its
 * CPUID, MSRs and LAPIC. 0, or -1 with err. */
int arch_vcpu_setup(struct machine *m, unsigned index, int fd, char *err, size_t errlen);
/* Puts the fixed devices' register blocks on the machine's buses: on x86 COM1 (m->com1,
 * already initialised) and power.c's port blocks on m->pio_bus. 0, or -1 on a conflict. */
int arch_register_devices(struct machine *m);
/* Puts the memory hotplug controller's register block (mm/memhp_regs.h) on a bus:
 * on x86 the ports at MEMHP_IO_BASE. 0, or -1 on a conflict. */
int arch_register_memhp(struct machine *m, struct memory_devices *md);

#endif
