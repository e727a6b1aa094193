/*
 * Warms the host pages under the guest's memmap for a hot-added DIMM (its struct pages,
 * 1/64 of the DIMM) from a thread of its own while the guest handles the hotplug event.
 * The guest would fault those pages in one by one as it initialises its struct pages;
 * warmed, its first touch finds them present. Two places, depending on the guest:
 *
 * - memmap on the DIMM (memory_hotplug.memmap_on_memory, mm/memmap_on_memory.h): each
 *   memory block's first memmap_bytes are populated, highest block first, the order in
 *   which Linux adds them (the DSDT lists them that way). Exact: Linux puts it there.
 * - memmap in boot RAM (every other guest; memmap_warmup_set_boot_ram): Linux takes one
 *   2 MiB page per 128 MiB section from its buddy allocator, which hands out the lowest
 *   free 2 MiB blocks of the DIMM's node first (seen in the nested bed: consecutive
 *   blocks from the lowest one the guest had never touched). plugvm cannot see which
 *   blocks are free, but a 2 MiB block of which the host has never backed a single page
 *   was never touched by the guest, so it is free there, and the lowest such blocks are
 *   the guest's next ones. The warm-up populates exactly as many of them as the DIMM
 *   needs (size / 64), from the Normal zone's RAM (above 4 GiB) first, as the guest's
 *   allocator prefers it. A wrong guess costs host memory that the guest can still use
 *   (it stays free boot RAM), never correctness.
 *
 * Nothing of the DIMM beyond its memmap is touched, so the host backs no memory the
 * guest is not about to write. Best effort: a range the kernel cannot populate is left
 * to the guest's own faults. A DIMM that goes away must be cancelled first
 * (memmap_warmup_cancel), so that no warm-up repopulates memory plugvm has just given
 * back to the host.
 */
#ifndef PLUGVM_MEMMAP_WARMUP_H
#define PLUGVM_MEMMAP_WARMUP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* Boot RAM the guest's memmap may come from: one piece of one node, one mapping. */
struct memmap_warmup_ram {
	uint8_t *hva;
	uint64_t gpa, size;
	unsigned node; /* the guest's NUMA node id */
};

#define MEMMAP_WARMUP_MAX_RAM 16
/* The guest's memmap is allocated in pieces of this size (one PMD of its vmemmap). */
#define MEMMAP_WARMUP_BOOT_PIECE (2u * 1024u * 1024u)

struct memmap_warmup_job {
	uint8_t *hva;      /* the DIMM's host mapping (cancel matches on it) */
	uint64_t size;     /* a multiple of block_size */
	unsigned id;       /* finds the job again after the lock was dropped */
	bool in_boot_ram;
	/* memmap on the DIMM */
	uint64_t next_top; /* offset of the end of the next block to warm (counts down) */
	uint64_t done;     /* bytes of this block's memmap already warmed */
	/* memmap in boot RAM */
	unsigned node;
	uint64_t left;     /* bytes still to warm */
	unsigned ram;      /* index into ram[] of the piece being scanned */
	uint64_t cursor;   /* offset into that piece of the next 2 MiB block to look at */
};

struct memmap_warmup {
	pthread_mutex_t lock;
	pthread_cond_t work, progress;
	pthread_t thread;
	bool started, stop;
	uint64_t block_size, memmap_bytes;
	struct memmap_warmup_job jobs[PLUGVM_MAX_SLOTS];
	unsigned nr_jobs, next_id;
	/* Boot RAM in scan order (above 4 GiB first); none: the memmap is on the DIMM. */
	struct memmap_warmup_ram ram[MEMMAP_WARMUP_MAX_RAM];
	unsigned nr_ram;
	bool (*untouched)(const void *addr, uint64_t len);
	/* Memmap bytes that ejected DIMMs gave back to the guest's allocator, which hands
	 * them out again first: a hot-add warms only what they do not cover. */
	uint64_t boot_credit;
	/* The chunk being populated right now, outside the lock; NULL when none. */
	const uint8_t *busy;
	uint64_t busy_len;
	uint64_t warmed_bytes; /* totals, for the trace and tests */
	unsigned skipped_jobs; /* DIMMs queued while no spare CPU was allowed */
	int (*populate)(void *addr, uint64_t len);
	/* CPUs plugvm may run on right now (its affinity mask); set after start, NULL:
	 * sched_getaffinity. Tests pass their own. */
	unsigned (*cpus_allowed)(void);
	bool ignore_cpus; /* PLUGVM_MEMMAP_WARMUP=always */
	bool inline_when_alone; /* PLUGVM_MEMMAP_WARMUP=inline: one CPU, queue waits */
	/* memmap_warmup_call: a function the thread runs for the caller, and its result. */
	int (*call)(void *arg);
	void *call_arg;
	int call_ret, call_errno;
};

/* Starts the thread (before -sandbox on, which forbids creating threads). 0, or -1 with
 * errno. memmap_bytes <= block_size, both non-zero. populate NULL: madvise with
 * MADV_POPULATE_WRITE (tests pass their own). */
int memmap_warmup_start(struct memmap_warmup *w, uint64_t block_size, uint64_t memmap_bytes,
			int (*populate)(void *addr, uint64_t len));
/* Stops and joins the thread; safe on a warm-up that never started. */
void memmap_warmup_stop(struct memmap_warmup *w);
/* Runs fn(arg) on the warm-up thread (between two chunks) and returns what it returned,
 * with its errno; 0 when the thread never started. For what only a thread can do to
 * itself: the sandbox's Landlock restriction (vm_run). */
int memmap_warmup_call(struct memmap_warmup *w, int (*fn)(void *arg), void *arg);

/* The guest keeps its memmap in boot RAM: hot-added DIMMs warm the boot RAM blocks it is
 * expected to take (see above) instead of the DIMM's own. ram[] ascending by gpa; at most
 * MEMMAP_WARMUP_MAX_RAM. untouched NULL: mincore (tests pass their own). Before any
 * queue. */
void memmap_warmup_set_boot_ram(struct memmap_warmup *w, const struct memmap_warmup_ram *ram,
				unsigned nr, bool (*untouched)(const void *addr, uint64_t len));

/* Queues a DIMM of size bytes at hva (size a multiple of block_size) on guest node
 * node. With boot RAM set, only a hot-added DIMM is queued: the memmap of one present
 * at boot is allocated while the guest boots, when every block still looks untouched.
 * Nothing is queued while plugvm may use a single CPU (taskset, cpuset): the warm-up pays
 * off only on a CPU that the guest's vCPU is not using, and on a lone CPU its page
 * faults and page zeroing would only add to the vCPU's own (docs/memory.md). */
void memmap_warmup_queue(struct memmap_warmup *w, void *hva, uint64_t size, unsigned node,
			 bool hotplugged);
/* A DIMM of size bytes was ejected: with boot RAM set, the guest has freed its memmap
 * there (resident blocks that its next hot-adds reuse before any untouched one). */
void memmap_warmup_memmap_freed(struct memmap_warmup *w, uint64_t size);
/* Forgets every job inside [hva, hva + size) and waits for a chunk of it that is being
 * populated at that moment; afterwards the warm-up touches none of it. */
void memmap_warmup_cancel(struct memmap_warmup *w, void *hva, uint64_t size);
/* Waits until no job is left (tests). */
void memmap_warmup_drain(struct memmap_warmup *w);

#endif
