/*
 * KVM memory-slot numbers, owned by kvm.c (kvm_memslots.h): the lowest free number each
 * time, a number freed by a DIMM's removal taken again, none past KVM's limit, and no
 * number given twice when threads take them at once (device_add on the main thread, an
 * eject on a vCPU's).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvm_memslots.h"

static void test_lowest_free_and_reuse(void **state)
{
	struct kvm_memslots s;

	(void)state;
	kvm_memslots_init(&s, 509); /* KVM before Linux 5.x */
	/* Boot RAM, then three DIMMs: 0, 1, 2, 3. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(kvm_memslots_get(&s), i);
	/* The first DIMM goes: its number is the next one given out, then 4. */
	kvm_memslots_put(&s, 1);
	assert_int_equal(kvm_memslots_get(&s), 1);
	assert_int_equal(kvm_memslots_get(&s), 4);
	/* A number never taken, or past the limit, is ignored. */
	kvm_memslots_put(&s, 100);
	kvm_memslots_put(&s, 100000);
	assert_int_equal(kvm_memslots_get(&s), 5);
}

static void test_limit(void **state)
{
	struct kvm_memslots s;

	(void)state;
	kvm_memslots_init(&s, 70); /* across a word */
	for (int i = 0; i < 70; i++)
		assert_int_equal(kvm_memslots_get(&s), i);
	errno = 0;
	assert_int_equal(kvm_memslots_get(&s), -1);
	assert_int_equal(errno, ENOSPC);
	kvm_memslots_put(&s, 69);
	assert_int_equal(kvm_memslots_get(&s), 69);
	/* KVM saying more than the bitmap holds: capped, not overrun. */
	kvm_memslots_init(&s, 1u << 20);
	assert_int_equal(s.max, KVM_MEMSLOTS_MAX);
}

/* Hot-add and eject cycles on several threads: each number is held by one thread at a time. */
#define THREADS 4
#define ROUNDS 20000
static struct kvm_memslots shared;
static int owner[THREADS * 2];

static void *churn(void *arg)
{
	int me = (int)(intptr_t)arg, mine[2];

	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < 2; k++) {
			mine[k] = kvm_memslots_get(&shared);
			if (mine[k] < 0 || mine[k] >= THREADS * 2 ||
			    __atomic_exchange_n(&owner[mine[k]], me + 1, __ATOMIC_ACQ_REL) != 0)
				return (void *)1;
		}
		for (int k = 0; k < 2; k++) {
			__atomic_store_n(&owner[mine[k]], 0, __ATOMIC_RELEASE);
			kvm_memslots_put(&shared, (unsigned)mine[k]);
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];
	void *ret;

	(void)state;
	kvm_memslots_init(&shared, THREADS * 2);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	for (int i = 0; i < THREADS * 2; i++)
		assert_int_equal(kvm_memslots_get(&shared), i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_free_and_reuse),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
