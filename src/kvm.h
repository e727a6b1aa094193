/* The KVM system and VM file descriptors, and the few VM-wide ioctls. */
#ifndef PLUGVM_KVM_H
#define PLUGVM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

struct kvm {
	int dev_fd;
	int vm_fd;
	int vcpu_mmap_size;
	unsigned max_memslots;
	bool pvm_host; /* kvm_pvm: KVM's API without hardware virtualization */
	bool tsc_deadline; /* KVM_CAP_TSC_DEADLINE_TIMER: the in-kernel LAPIC has it */
	struct kvm_cpuid2 *supported_cpuid;
	bool slot_zap_all_off; /* deleting a memory slot drops only its own mappings */
	unsigned next_slot;    /* kvm_alloc_slots: the first slot number nobody has */
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

/* Slot numbers: each user (boot RAM, the DIMM slots, each virtio-mem device) takes a
 * contiguous run once, at start, and keeps it. 0 with the first number in *first, or -1
 * (errno ENOSPC) when KVM's max_memslots would be passed. */
int kvm_alloc_slots(struct kvm *kvm, unsigned n, uint32_t *first);

/* Maps [gpa, gpa+size) to hva in KVM slot `slot`; size 0 deletes the slot. */
int kvm_set_memory_slot(struct kvm *kvm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva);

/* Sets the level of an IOAPIC input; edge-triggered lines need 1 then 0. */
int kvm_irq_line(struct kvm *kvm, uint32_t gsi, int level);

/* Guest physical address bits from KVM's CPUID leaf 0x80000008. */
unsigned kvm_guest_phys_bits(const struct kvm *kvm);

#endif
