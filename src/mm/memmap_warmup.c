/*
 * The warm-up thread. Work is taken in chunks of MEMMAP_WARMUP_CHUNK so that a
 * cancellation (an eject inside a guest exit) waits for at most one chunk.
 */
#include "mm/memmap_warmup.h"

#include <errno.h>
#include <sched.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

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

/* Lock held: the next chunk of the oldest job, or false when there is none. */
static bool next_chunk(struct memmap_warmup *w, uint8_t **addr, uint64_t *len)
{
	while (w->nr_jobs) {
		struct memmap_warmup_job *j = &w->jobs[0];

		if (j->next_top >= w->block_size && j->done < w->memmap_bytes) {
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
		memmove(&w->jobs[0], &w->jobs[1], (w->nr_jobs - 1) * sizeof(w->jobs[0]));
		w->nr_jobs--;
		pthread_cond_broadcast(&w->progress);
	}
	return false;
}

static void *warmup_thread(void *arg)
{
	struct memmap_warmup *w = arg;
	struct sched_param idle = { 0 };

	/* Only idle CPU time: a vCPU or the main thread that wants the CPU always wins, so
	 * the warm-up never delays the guest's exits or KVM's work (SCHED_IDLE needs no
	 * privilege). */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		uint8_t *addr;
		uint64_t len;

		if (!next_chunk(w, &addr, &len)) {
			pthread_cond_wait(&w->work, &w->lock);
			continue;
		}
		w->busy = addr;
		w->busy_len = len;
		pthread_mutex_unlock(&w->lock);
		/* A failure (an old kernel, memory the host cannot give) leaves the pages
		 * to the guest's own first touch, as without the warm-up. */
		int ret = w->populate(addr, len);
		pthread_mutex_lock(&w->lock);
		if (ret == 0)
			w->warmed_bytes += len;
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
	/* Its frames are a few hundred bytes; 64 KiB is plenty (and no huge page). */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	ret = pthread_create(&w->thread, &attr, warmup_thread, w);
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

void memmap_warmup_queue(struct memmap_warmup *w, void *hva, uint64_t size)
{
	if (!w->started || !hva || size < w->block_size)
		return;
	pthread_mutex_lock(&w->lock);
	if (w->nr_jobs < PLUGVM_MAX_SLOTS) {
		w->jobs[w->nr_jobs++] = (struct memmap_warmup_job){
			.hva = hva, .size = size, .next_top = size - size % w->block_size
		};
		pthread_cond_signal(&w->work);
	}
	pthread_mutex_unlock(&w->lock);
	pv_trace("memmap-warmup queued %" PRIu64, size);
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
