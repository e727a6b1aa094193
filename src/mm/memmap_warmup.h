/*
 * Warms the host pages under a hot-added DIMM's memmap (mm/memmap_on_memory.h) from a
 * thread of its own while the guest handles the hotplug event. Each memory block's
 * first memmap_bytes are populated with MADV_POPULATE_WRITE, highest block first, the
 * order in which Linux adds them (the DSDT lists them that way). The guest would fault
 * those very pages in one by one as it initialises its struct pages; warmed, its first
 * touch finds them present. Nothing else of the DIMM is touched, so the host backs no
 * memory the guest is not about to write.
 *
 * Best effort: a range the kernel cannot populate is left to the guest's own faults.
 * A DIMM that goes away must be cancelled first (memmap_warmup_cancel), so that no
 * warm-up repopulates memory plugvm has just given back to the host.
 */
#ifndef PLUGVM_MEMMAP_WARMUP_H
#define PLUGVM_MEMMAP_WARMUP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct memmap_warmup_job {
	uint8_t *hva;      /* the DIMM's host mapping */
	uint64_t size;     /* a multiple of block_size */
	uint64_t next_top; /* offset of the end of the next block to warm (counts down) */
	uint64_t done;     /* bytes of this block's memmap already warmed */
};

struct memmap_warmup {
	pthread_mutex_t lock;
	pthread_cond_t work, progress;
	pthread_t thread;
	bool started, stop;
	uint64_t block_size, memmap_bytes;
	struct memmap_warmup_job jobs[PLUGVM_MAX_SLOTS];
	unsigned nr_jobs;
	/* The chunk being populated right now, outside the lock; NULL when none. */
	const uint8_t *busy;
	uint64_t busy_len;
	uint64_t warmed_bytes; /* totals, for the trace and tests */
	int (*populate)(void *addr, uint64_t len);
};

/* Starts the thread (before -sandbox on, which forbids creating threads). 0, or -1 with
 * errno. memmap_bytes <= block_size, both non-zero. populate NULL: madvise with
 * MADV_POPULATE_WRITE (tests pass their own). */
int memmap_warmup_start(struct memmap_warmup *w, uint64_t block_size, uint64_t memmap_bytes,
			int (*populate)(void *addr, uint64_t len));
/* Stops and joins the thread; safe on a warm-up that never started. */
void memmap_warmup_stop(struct memmap_warmup *w);

/* Queues a DIMM of size bytes at hva (size a multiple of block_size). */
void memmap_warmup_queue(struct memmap_warmup *w, void *hva, uint64_t size);
/* Forgets every job inside [hva, hva + size) and waits for a chunk of it that is being
 * populated at that moment; afterwards the warm-up touches none of it. */
void memmap_warmup_cancel(struct memmap_warmup *w, void *hva, uint64_t size);
/* Waits until no job is left (tests). */
void memmap_warmup_drain(struct memmap_warmup *w);

#endif
