#include "mm/boot_ram_warm.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "trace.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* 2 MiB: one transparent huge page where the host has THP, and short enough
 * that a stop request waits for at most one chunk. */
#define WARM_CHUNK (2ull << 20)

int boot_ram_warm_add(struct boot_ram_warm *w, void *hva, uint64_t size)
{
	if (w->nr == BOOT_RAM_WARM_MAX || !size)
		return -1;
	w->range[w->nr].hva = hva;
	w->range[w->nr].size = size;
	w->nr++;
	return 0;
}

static void *warm_thread(void *arg)
{
	struct boot_ram_warm *w = arg;
	uint64_t done = 0;

	for (unsigned i = 0; i < w->nr; i++) {
		for (uint64_t off = 0; off < w->range[i].size; off += WARM_CHUNK) {
			uint64_t len = w->range[i].size - off;

			if (atomic_load(&w->stop))
				goto out;
			if (len > WARM_CHUNK)
				len = WARM_CHUNK;
			/* MADV_POPULATE_WRITE (Linux 5.14) faults the pages in
			 * writable without changing their contents; pages the guest
			 * has written already are left as they are. Older kernels
			 * answer EINVAL: then the guest faults them in itself. */
			if (madvise(w->range[i].hva + off, len, MADV_POPULATE_WRITE) < 0) {
				if (errno == EINVAL)
					goto out;
				continue; /* e.g. ENOMEM under memory pressure: skip the chunk */
			}
			done += len;
		}
	}
out:
	pv_trace("boot ram-warmed-%lluMiB", (unsigned long long)(done >> 20));
	return NULL;
}

bool boot_ram_warm_start(struct boot_ram_warm *w)
{
	atomic_store(&w->stop, false);
	w->started = w->nr && pthread_create(&w->thread, NULL, warm_thread, w) == 0;
	return w->started;
}

void boot_ram_warm_stop(struct boot_ram_warm *w)
{
	if (!w->started)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	w->started = false;
}
