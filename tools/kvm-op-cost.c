/*
 * kvm-op-cost: what the kernel operations inside plugvm's hotplug share cost on this
 * host, without a guest: creating and deleting a 1 GiB KVM memory slot, raising and
 * lowering an IOAPIC line (the GED), and waking a thread that sleeps in poll() through
 * an eventfd (how a vCPU thread hands an event to plugvm's main thread).
 *
 * The nested test bed measures these inside a TCG-emulated L1 where they cost
 * milliseconds; this tool gives the same operations' cost on a kernel that runs on the
 * hardware (docs/benchmarks.md). The VM is set up as plugvm sets it up (kvm_init: the
 * slot zap-all quirk off where KVM offers it, in-kernel irqchip) and has two vCPUs that
 * never run, so no SRCU reader or TLB flush target is ever busy: a lower bound.
 *
 *   kvm-op-cost [ROUNDS]      (default 200)
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"
#include "util.h"

#define SLOT_SIZE (1ull << 30)
#define SLOT_GPA (4ull << 30)
#define GSI 9

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *ns, unsigned n)
{
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("%-44s median %8.1f us   min %8.1f   max %8.1f   (%u rounds)\n", what,
	       (double)ns[n / 2] / 1e3, (double)ns[0] / 1e3, (double)ns[n - 1] / 1e3, n);
}

struct sleeper {
	int efd;
	int stop;
};

/* Sleeps in poll() on the eventfd, as plugvm's main loop does, and drains each wake-up. */
static void *sleeper_thread(void *opaque)
{
	struct sleeper *s = opaque;
	struct pollfd p = { .fd = s->efd, .events = POLLIN };
	uint64_t v;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (poll(&p, 1, -1) > 0 && read(s->efd, &v, sizeof(v)) < 0)
			break;
	}
	return NULL;
}

static int measure_wakeups(uint64_t *ns, unsigned rounds)
{
	struct sleeper s = { .efd = eventfd(0, EFD_CLOEXEC) };
	pthread_t t;
	uint64_t one = 1;

	if (s.efd < 0 || pthread_create(&t, NULL, sleeper_thread, &s) != 0)
		return -1;
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t t0;

		usleep(2000); /* let the sleeper get back into poll() */
		t0 = pv_now_ns();
		if (write(s.efd, &one, sizeof(one)) < 0)
			return -1;
		ns[i] = pv_now_ns() - t0;
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	if (write(s.efd, &one, sizeof(one)) < 0)
		return -1;
	pthread_join(t, NULL);
	close(s.efd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200;
	uint64_t *add_ns, *del_ns, *irq_ns, *wake_ns;
	struct kvm kvm;
	char err[256];
	void *mem;

	if (argc > 2 || rounds < 1 || rounds > 100000) {
		fprintf(stderr, "usage: kvm-op-cost [ROUNDS]   (1..100000, default 200)\n");
		return 2;
	}
	if (kvm_init(&kvm, err, sizeof(err)) < 0) {
		fprintf(stderr, "kvm-op-cost: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < 2; i++) {
		if (ioctl(kvm.vm_fd, KVM_CREATE_VCPU, (unsigned long)i) < 0) {
			fprintf(stderr, "kvm-op-cost: KVM_CREATE_VCPU %u: %s\n", i, strerror(errno));
			return 1;
		}
	}
	mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	add_ns = calloc(rounds, sizeof(*add_ns));
	del_ns = calloc(rounds, sizeof(*del_ns));
	irq_ns = calloc(rounds, sizeof(*irq_ns));
	wake_ns = calloc(rounds, sizeof(*wake_ns));
	if (mem == MAP_FAILED || !add_ns || !del_ns || !irq_ns || !wake_ns) {
		fprintf(stderr, "kvm-op-cost: out of memory\n");
		return 1;
	}
	printf("host: %s KVM, slot zap-all quirk %s\n", kvm.pvm_host ? "PVM (kvm_pvm)" : "hardware",
	       kvm.slot_zap_all_off ? "off" : "on (not offered or not turned off)");
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t t0 = pv_now_ns();
		int slot = kvm_memslot_add(&kvm, SLOT_GPA, SLOT_SIZE, mem);

		if (slot < 0) {
			fprintf(stderr, "kvm-op-cost: creating the slot: %s\n", strerror(errno));
			return 1;
		}
		add_ns[i] = pv_now_ns() - t0;
		t0 = pv_now_ns();
		if (kvm_memslot_del(&kvm, slot) < 0) {
			fprintf(stderr, "kvm-op-cost: deleting the slot: %s\n", strerror(errno));
			return 1;
		}
		del_ns[i] = pv_now_ns() - t0;
		t0 = pv_now_ns();
		if (kvm_irq_line(&kvm, GSI, 1) < 0 || kvm_irq_line(&kvm, GSI, 0) < 0) {
			fprintf(stderr, "kvm-op-cost: KVM_IRQ_LINE: %s\n", strerror(errno));
			return 1;
		}
		irq_ns[i] = pv_now_ns() - t0;
	}
	if (measure_wakeups(wake_ns, rounds) < 0) {
		fprintf(stderr, "kvm-op-cost: eventfd wake-up: %s\n", strerror(errno));
		return 1;
	}
	report("KVM_SET_USER_MEMORY_REGION, create 1 GiB", add_ns, rounds);
	report("KVM_SET_USER_MEMORY_REGION, delete 1 GiB", del_ns, rounds);
	report("KVM_IRQ_LINE 1 then 0 (the GED pulse)", irq_ns, rounds);
	report("eventfd write waking a thread in poll()", wake_ns, rounds);
	return 0;
}
