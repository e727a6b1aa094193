/*
 * The warm-up thread. Work is taken in chunks of MEMMAP_WARMUP_CHUNK so that a
 * cancellation (an eject inside a guest exit) waits for at most one chunk.
 */
#include "mm/memmap_warmup.h"

#include <errno.h>
#include <sched.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fault_inject.h"
#include "trace.h"
#include "util.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* 128 pages: about 5 ms of first-touch faults in the nested bed, microseconds natively. */
#define MEMMAP_WARMUP_CHUNK (512u * 1024u)

static int populate_write(void *addr, uint64_t len)
{
	return madvise(addr, len, MADV_POPULATE_WRITE);
}

static bool overlaps(const uint8_t *a, uint64_t alen, const uint8_t *b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The guest never takes its memmap from the DMA zone (GFP_KERNEL stops at DMA32). */
#define BOOT_RAM_SKIP_BELOW (16ull * 1024 * 1024)

static bool mincore_untouched(const void *addr, uint64_t len)
{
	/* Only the warm-up thread calls this. */
	static _Thread_local unsigned char vec[MEMMAP_WARMUP_BOOT_PIECE / 4096];
	uint64_t pages = len / 4096;

	if (pages > sizeof(vec) || mincore((void *)addr, len, vec) < 0)
		return false;
	for (uint64_t i = 0; i < pages; i++)
		if (vec[i] & 1)
			return false;
	return true;
}

static unsigned affinity_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1; /* unknown: assume the worst, no spare CPU */
	return (unsigned)CPU_COUNT(&set);
}

/* A second CPU is where the warm-up runs while the vCPU handles the hotplug event;
 * SCHED_IDLE keeps it off a CPU that anything else wants. Checked per DIMM, as the
 * affinity may change while plugvm runs. */
static bool spare_cpu_allowed(struct memmap_warmup *w)
{
	/* PLUGVM_MEMMAP_WARMUP=always skips this check: a measurement switch, so that a
	 * benchmark can compare with the warm-up as it was before (docs/memory.md). */
	if (w->ignore_cpus)
		return true;
	return (w->cpus_allowed ? w->cpus_allowed() : affinity_cpus()) >= 2;
}

static void drop_job(struct memmap_warmup *w, unsigned i)
{
	memmove(&w->jobs[i], &w->jobs[i + 1], (w->nr_jobs - i - 1) * sizeof(w->jobs[0]));
	w->nr_jobs--;
	pthread_cond_broadcast(&w->progress);
}

static bool node_has_ram(const struct memmap_warmup *w, unsigned node)
{
	for (unsigned i = 0; i < w->nr_ram; i++)
		if (w->ram[i].node == node)
			return true;
	return false;
}

/* Lock held: the next 2 MiB block of boot RAM for job j to look at, or false when its
 * node's boot RAM is scanned to the end. A node without boot RAM takes any node's, as
 * the guest's allocator falls back to the nearest node. */
static bool next_boot_block(struct memmap_warmup *w, struct memmap_warmup_job *j, uint8_t **addr)
{
	bool any_node = !node_has_ram(w, j->node);

	for (; j->ram < w->nr_ram; j->ram++, j->cursor = 0) {
		const struct memmap_warmup_ram *r = &w->ram[j->ram];
		uint64_t gpa = r->gpa + j->cursor;

		if (!any_node && r->node != j->node)
			continue;
		if (gpa < BOOT_RAM_SKIP_BELOW)
			gpa = BOOT_RAM_SKIP_BELOW;
		gpa = align_up(gpa, MEMMAP_WARMUP_BOOT_PIECE);
		if (gpa < r->gpa || gpa - r->gpa > r->size ||
		    r->size - (gpa - r->gpa) < MEMMAP_WARMUP_BOOT_PIECE)
			continue;
		*addr = r->hva + (gpa - r->gpa);
		j->cursor = gpa - r->gpa + MEMMAP_WARMUP_BOOT_PIECE;
		return true;
	}
	return false;
}

/* Lock held: the next chunk of the oldest job, or false when there is none. *boot_id is
 * the job's id when the chunk is a boot RAM block still to be checked for untouched
 * pages (see boot_block_done), 0 otherwise. */
static bool next_chunk(struct memmap_warmup *w, uint8_t **addr, uint64_t *len, unsigned *boot_id)
{
	*boot_id = 0;
	while (w->nr_jobs) {
		struct memmap_warmup_job *j = &w->jobs[0];

		if (j->in_boot_ram) {
			if (j->left && next_boot_block(w, j, addr)) {
				*len = MEMMAP_WARMUP_BOOT_PIECE;
				*boot_id = j->id;
				return true;
			}
		} else if (j->next_top >= w->block_size && j->done < w->memmap_bytes) {
			uint64_t left = w->memmap_bytes - j->done;

			*addr = j->hva + (j->next_top - w->block_size) + j->done;
			*len = left < MEMMAP_WARMUP_CHUNK ? left : MEMMAP_WARMUP_CHUNK;
			j->done += *len;
			if (j->done == w->memmap_bytes) {
				j->next_top -= w->block_size;
				j->done = 0;
			}
			return true;
		}
		drop_job(w, 0);
	}
	return false;
}

/* Lock held: a boot RAM block of job id was warmed (warmed bytes, 0 when it was not). The
 * job may have been cancelled meanwhile. */
static void boot_block_done(struct memmap_warmup *w, unsigned id, uint64_t warmed)
{
	for (unsigned i = 0; i < w->nr_jobs; i++) {
		struct memmap_warmup_job *j = &w->jobs[i];

		if (j->id == id) {
			j->left -= warmed < j->left ? warmed : j->left;
			return;
		}
	}
}

static void *warmup_thread(void *arg)
{
	struct memmap_warmup *w = arg;
	struct sched_param idle = { 0 };

	pthread_setname_np(pthread_self(), "memmap-warmup");

	/* Only idle CPU time: a vCPU or the main thread that wants the CPU always wins, so
	 * the warm-up never delays the guest's exits or KVM's work (SCHED_IDLE needs no
	 * privilege). */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		uint8_t *addr;
		uint64_t len;
		unsigned boot_id;

		if (w->call) {
			w->call_ret = w->call(w->call_arg);
			w->call_errno = errno;
			w->call = NULL;
			pthread_cond_broadcast(&w->progress);
			continue;
		}
		if (!next_chunk(w, &addr, &len, &boot_id)) {
			pthread_cond_wait(&w->work, &w->lock);
			continue;
		}
		w->busy = addr;
		w->busy_len = len;
		pthread_mutex_unlock(&w->lock);
		/* A boot RAM block the guest has touched is in use there: not its next memmap.
		 * A failure (an old kernel, memory the host cannot give) leaves the pages to
		 * the guest's own first touch, as without the warm-up. */
		bool wanted = !boot_id || w->untouched(addr, len);
		int ret = wanted ? w->populate(addr, len) : -1;
		pthread_mutex_lock(&w->lock);
		if (ret == 0) {
			w->warmed_bytes += len;
			pv_trace("memmap-warmup %p %" PRIu64, (void *)addr, len);
		}
		if (boot_id)
			boot_block_done(w, boot_id, ret == 0 ? len : 0);
		w->busy = NULL;
		w->busy_len = 0;
		pthread_cond_broadcast(&w->progress);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int memmap_warmup_start(struct memmap_warmup *w, uint64_t block_size, uint64_t memmap_bytes,
			int (*populate)(void *addr, uint64_t len))
{
	pthread_attr_t attr;
	int ret;

	memset(w, 0, sizeof(*w));
	if (!block_size || !memmap_bytes || memmap_bytes > block_size) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->progress, NULL);
	w->block_size = block_size;
	w->memmap_bytes = memmap_bytes;
	w->populate = populate ? populate : populate_write;
	const char *mode = getenv("PLUGVM_MEMMAP_WARMUP");
	w->ignore_cpus = mode && strcmp(mode, "always") == 0;
	w->inline_when_alone = mode && strcmp(mode, "inline") == 0;
	/* Its frames are a few hundred bytes; 64 KiB is plenty (and no huge page). */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	ret = fault_pthread_create(&w->thread, &attr, warmup_thread, w);
	pthread_attr_destroy(&attr);
	if (ret) {
		errno = ret;
		return -1;
	}
	w->started = true;
	return 0;
}

void memmap_warmup_stop(struct memmap_warmup *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->started = false;
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->progress);
	pthread_mutex_destroy(&w->lock);
}

int memmap_warmup_call(struct memmap_warmup *w, int (*fn)(void *arg), void *arg)
{
	int ret;

	if (!w->started)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->call = fn;
	w->call_arg = arg;
	pthread_cond_signal(&w->work);
	while (w->call)
		pthread_cond_wait(&w->progress, &w->lock);
	ret = w->call_ret;
	errno = w->call_errno;
	pthread_mutex_unlock(&w->lock);
	return ret;
}

/* The guest's memmap for size bytes of DIMM, in the 2 MiB pieces it allocates. */
static uint64_t boot_memmap_bytes(const struct memmap_warmup *w, uint64_t size)
{
	return align_up(size / w->block_size * w->memmap_bytes, MEMMAP_WARMUP_BOOT_PIECE);
}

void memmap_warmup_set_boot_ram(struct memmap_warmup *w, const struct memmap_warmup_ram *ram,
				unsigned nr, bool (*untouched)(const void *addr, uint64_t len))
{
	unsigned n = 0;

	if (nr > MEMMAP_WARMUP_MAX_RAM)
		nr = MEMMAP_WARMUP_MAX_RAM;
	/* Scan order: the Normal zone (above 4 GiB) first, as the guest allocates from it
	 * before it falls back to DMA32. */
	for (int high = 1; high >= 0; high--)
		for (unsigned i = 0; i < nr; i++)
			if ((ram[i].gpa >= (4ull << 30)) == (bool)high && ram[i].size)
				w->ram[n++] = ram[i];
	w->nr_ram = n;
	w->untouched = untouched ? untouched : mincore_untouched;
}

static bool job_pending(const struct memmap_warmup *w, unsigned id)
{
	for (unsigned i = 0; i < w->nr_jobs; i++)
		if (w->jobs[i].id == id)
			return true;
	return false;
}

void memmap_warmup_queue(struct memmap_warmup *w, void *hva, uint64_t size, unsigned node,
			 bool hotplugged)
{
	struct memmap_warmup_job job = { .hva = hva, .size = size, .node = node };
	bool spare, wait;

	if (!w->started || !hva || size < w->block_size || (w->nr_ram && !hotplugged))
		return;
	spare = spare_cpu_allowed(w);
	/* PLUGVM_MEMMAP_WARMUP=inline (an experiment, docs/benchmarks.md): on a lone CPU the
	 * caller waits while the thread warms, before the guest may see the DIMM. */
	wait = !spare && w->inline_when_alone;
	pthread_mutex_lock(&w->lock);
	if (w->nr_ram) {
		uint64_t need = boot_memmap_bytes(w, size);
		uint64_t reused = need < w->boot_credit ? need : w->boot_credit;

		w->boot_credit -= reused;
		job.in_boot_ram = true;
		job.left = need - reused;
	} else {
		job.next_top = size - size % w->block_size;
	}
	/* The credit above is spent all the same: the guest reuses the freed memmap first. */
	if (!spare && !wait)
		w->skipped_jobs++;
	else if ((!job.in_boot_ram || job.left) && w->nr_jobs < PLUGVM_MAX_SLOTS) {
		job.id = ++w->next_id ? w->next_id : ++w->next_id; /* never 0 */
		w->jobs[w->nr_jobs++] = job;
		pthread_cond_signal(&w->work);
		while (wait && job_pending(w, job.id))
			pthread_cond_wait(&w->progress, &w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	pv_trace("memmap-warmup %s %" PRIu64 "%s %" PRIu64,
		 spare ? "queued" : wait ? "inline-one-cpu" : "skipped-one-cpu", size,
		 job.in_boot_ram ? " boot-ram" : "", job.left);
}

void memmap_warmup_memmap_freed(struct memmap_warmup *w, uint64_t size)
{
	if (!w->started || !w->nr_ram)
		return;
	pthread_mutex_lock(&w->lock);
	w->boot_credit += boot_memmap_bytes(w, size);
	pthread_mutex_unlock(&w->lock);
}

void memmap_warmup_cancel(struct memmap_warmup *w, void *hva, uint64_t size)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < w->nr_jobs;) {
		if (overlaps(w->jobs[i].hva, w->jobs[i].size, hva, size)) {
			memmove(&w->jobs[i], &w->jobs[i + 1], (w->nr_jobs - i - 1) * sizeof(w->jobs[0]));
			w->nr_jobs--;
		} else {
			i++;
		}
	}
	while (w->busy && overlaps(w->busy, w->busy_len, hva, size))
		pthread_cond_wait(&w->progress, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void memmap_warmup_drain(struct memmap_warmup *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	while (w->nr_jobs || w->busy)
		pthread_cond_wait(&w->progress, &w->lock);
	pthread_mutex_unlock(&w->lock);
}
