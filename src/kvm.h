/* The KVM system and VM file descriptors, and the few VM-wide ioctls. */
#ifndef PLUGVM_KVM_H
#define PLUGVM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "kvm_memslots.h"

struct kvm {
	int dev_fd;
	int vm_fd;
	int vcpu_mmap_size;
	unsigned max_memslots;
	bool pvm_host; /* kvm_pvm: KVM's API without hardware virtualization */
	bool tsc_deadline; /* KVM_CAP_TSC_DEADLINE_TIMER: the in-kernel LAPIC has it */
	struct kvm_cpuid2 *supported_cpuid;
	bool slot_zap_all_off; /* deleting a memory slot drops only its own mappings */
	struct kvm_memslots memslots; /* the slot numbers kvm_memslot_add gave out */
};

/* Of the quirks KVM can turn off (KVM_CAP_DISABLE_QUIRKS2's mask), the ones plugvm
 * turns off: KVM_X86_QUIRK_SLOT_ZAP_ALL. */
uint64_t kvm_quirks_to_disable(uint64_t supported);

/* Opens /dev/kvm, checks the API version and every capability plugvm uses,
 * creates the VM with its in-kernel irqchip. -1 with a message in err. */
int kvm_init(struct kvm *kvm, char *err, size_t errlen);
void kvm_close(struct kvm *kvm);

/* True when the kvm_pvm module provides /dev/kvm (see docs/nested-kvm). */
bool kvm_host_is_pvm(void);

/* Maps [gpa, gpa+size) to hva in a KVM memory slot whose number kvm.c picks (the lowest
 * free one): that number, for kvm_memslot_del, or -1 with errno (ENOSPC: all of KVM's
 * max_memslots are taken; else KVM_SET_USER_MEMORY_REGION's). */
int kvm_memslot_add(struct kvm *kvm, uint64_t gpa, uint64_t size, void *hva);
/* Deletes slot `slot` (kvm_memslot_add's); once it returns no vCPU can reach the memory,
 * and the number is free again. 0 or -1 with errno. */
int kvm_memslot_del(struct kvm *kvm, int slot);

/* Sets the level of an IOAPIC input; edge-triggered lines need 1 then 0. */
int kvm_irq_line(struct kvm *kvm, uint32_t gsi, int level);

/* Guest physical address bits from KVM's CPUID leaf 0x80000008. */
unsigned kvm_guest_phys_bits(const struct kvm *kvm);

#endif
