#include "kvm_memslots.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

void kvm_memslots_init(struct kvm_memslots *s, unsigned max)
{
	memset(s, 0, sizeof(*s));
	s->max = max < KVM_MEMSLOTS_MAX ? max : KVM_MEMSLOTS_MAX;
}

/* Lock-free: a compare-and-swap per word, so no lock needs setting up in struct kvm
 * and a vCPU thread never waits on the main thread here. */
int kvm_memslots_get(struct kvm_memslots *s)
{
	for (unsigned w = 0; w * 64 < s->max; w++) {
		uint64_t old = __atomic_load_n(&s->used[w], __ATOMIC_RELAXED);

		while (~old) {
			unsigned bit = (unsigned)__builtin_ctzll(~old);

			if (w * 64 + bit >= s->max)
				break;
			if (__atomic_compare_exchange_n(&s->used[w], &old, old | (1ULL << bit), false,
							__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				return (int)(w * 64 + bit);
		}
	}
	errno = ENOSPC;
	return -1;
}

void kvm_memslots_put(struct kvm_memslots *s, unsigned slot)
{
	if (slot < s->max)
		__atomic_fetch_and(&s->used[slot / 64], ~(1ULL << (slot % 64)), __ATOMIC_ACQ_REL);
}
