/*
 * Which KVM memory-slot numbers are taken. kvm.c owns them (kvm_memslot_add/del):
 * callers name a guest range, never a slot number, so boot RAM, DIMMs and
 * virtio-mem regions cannot collide or depend on each other's counts
 * (docs/architecture.md, "KVM memory slots").
 */
#ifndef PLUGVM_KVM_MEMSLOTS_H
#define PLUGVM_KVM_MEMSLOTS_H

#include <stdint.h>

/* KVM's own limit on x86 (KVM_USER_MEM_SLOTS) is 32764: one bit each fits. */
#define KVM_MEMSLOTS_MAX 32768

struct kvm_memslots {
	unsigned max;                            /* KVM_CAP_NR_MEMSLOTS, at most KVM_MEMSLOTS_MAX */
	uint64_t used[KVM_MEMSLOTS_MAX / 64];    /* bit n: slot n is taken */
};

void kvm_memslots_init(struct kvm_memslots *s, unsigned max);
/* Takes the lowest free number: reused after kvm_memslots_put, so numbers stay
 * below max however often DIMMs come and go. -1 (errno ENOSPC) when all are taken.
 * Safe from any thread: device_add runs on the main thread, an eject on a vCPU's. */
int kvm_memslots_get(struct kvm_memslots *s);
void kvm_memslots_put(struct kvm_memslots *s, unsigned slot);

#endif
