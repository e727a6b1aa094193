/* Boot RAM warm-up: a background thread that populates the host pages behind boot RAM
 * while the guest boots, so the guest's first touch of a page costs KVM only a mapping,
 * not a host page allocation inside its fault handler.  In the nested test bed a guest
 * page fault costs ~100 us more when the host page is missing, and a boot touches ~27000
 * pages (docs/benchmarks.md, "Where boot time goes").  Only anonymous, not preallocated,
 * not hugetlb memory is warmed; file memory may hold data that must not be faulted in
 * early, and preallocated memory is populated already. */
#ifndef PLUGVM_BOOT_RAM_WARM_H
#define PLUGVM_BOOT_RAM_WARM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define BOOT_RAM_WARM_MAX 16

struct boot_ram_warm {
	struct {
		uint8_t *hva;
		uint64_t size;
	} range[BOOT_RAM_WARM_MAX];
	unsigned nr;
	atomic_bool stop;
	bool started;
	pthread_t thread;
};

/* Queues [hva, hva+size) for warming; ranges are warmed in the order added.
 * Returns -1 when the table is full (the range is then simply not warmed). */
int boot_ram_warm_add(struct boot_ram_warm *w, void *hva, uint64_t size);
/* Starts the thread; false if it could not start (nothing is lost: the guest
 * just faults the pages in itself). */
bool boot_ram_warm_start(struct boot_ram_warm *w);
/* Stops the thread (it checks between 2 MiB chunks) and joins it. Must run
 * before the memory is unmapped. */
void boot_ram_warm_stop(struct boot_ram_warm *w);

#endif
