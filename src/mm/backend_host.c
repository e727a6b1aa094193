/* Host resources for backends: files, memfds, huge pages and the mapping. */
#include "mm/backend_host.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fault_inject.h"
#include "sandbox.h"
#include "util.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

/* KVM maps a host huge page into the guest only where gpa and hva agree in
 * their low 21 bits (2 MiB); larger hugetlb pages need their own size. */
#define BACKEND_MIN_ALIGN (2 * MiB)

uint64_t backend_hugetlbfs_page_size(const char *path)
{
	struct statfs fs;
	char dir[PATH_MAX];
	char *slash;

	/* A file that does not exist yet lives in its parent directory. */
	if (statfs(path, &fs) < 0) {
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		if (statfs(dir, &fs) < 0)
			return 0;
	}
	return fs.f_type == HUGETLBFS_MAGIC ? (uint64_t)fs.f_bsize : 0;
}

uint64_t backend_default_huge_page_size(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * KiB;
}

/* Sizes a file this backend owns, or checks the size of one it found. */
static int size_file(struct mem_backend *b, bool created, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(b->fd, &st) < 0) {
		pv_format(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	/* Like QEMU: never shrink somebody's file, and refuse to grow a
	 * non-empty one that is too small (its data would not fit). */
	if (!created && st.st_size > 0 && (uint64_t)st.st_size < b->size) {
		pv_format(err, errlen, "backing file holds %" PRIu64 " bytes, less than size %" PRIu64,
			  (uint64_t)st.st_size, b->size);
		return -1;
	}
	if ((uint64_t)st.st_size < b->size && fault_ftruncate(b->fd, (off_t)b->size) < 0) {
		pv_format(err, errlen, "cannot size the backing file (ftruncate): %s",
			  strerror(errno));
		return -1;
	}
	return 0;
}

int backend_open_file(struct mem_backend *b, const char *mem_path, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	bool created = false, is_dir = stat(mem_path, &st) == 0 && S_ISDIR(st.st_mode);

	if (is_dir) {
		/* A directory: a private file nobody else can find, gone from
		 * the file system as soon as it is open, as QEMU does. */
		snprintf(path, sizeof(path), "%s/plugvm-%s.XXXXXX", mem_path, b->id);
		b->fd = mkostemp(path, O_CLOEXEC);
		if (b->fd < 0) {
			int e = errno;

			pv_format(err, errlen, "cannot create a file in %s: %s%s", mem_path,
				  strerror(e), e == EACCES ? sandbox_file_hint() : "");
			return -1;
		}
		unlink(path);
		created = true;
	} else {
		snprintf(path, sizeof(path), "%s", mem_path);
		b->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		created = b->fd >= 0;
		if (b->fd < 0 && errno == EEXIST)
			b->fd = open(path, O_RDWR | O_CLOEXEC);
		if (b->fd < 0) {
			int e = errno;

			pv_format(err, errlen, "cannot open %s: %s%s", path, strerror(e),
				  e == EACCES ? sandbox_file_hint() : "");
			return -1;
		}
	}
	if (size_file(b, created, err, errlen) < 0) {
		close(b->fd);
		b->fd = -1;
		if (created && !is_dir) /* the temporary file is unlinked already */
			unlink(path);
		return -1;
	}
	return 0;
}

int backend_open_memfd(struct mem_backend *b, uint64_t hugetlbsize, bool seal, char *err,
		       size_t errlen)
{
	char name[96];
	unsigned flags = MFD_CLOEXEC;

	if (seal)
		flags |= MFD_ALLOW_SEALING;
	if (b->hugetlb) {
		flags |= MFD_HUGETLB;
		/* log2 of the page size selects the pool; 0 = the default. */
		if (hugetlbsize)
			flags |= (unsigned)__builtin_ctzll(hugetlbsize) << MFD_HUGE_SHIFT;
	}
	snprintf(name, sizeof(name), "plugvm:%s", b->id);
	b->fd = fault_memfd_create(name, flags);
	if (b->fd < 0) {
		pv_format(err, errlen, "memfd_create%s: %s",
			  b->hugetlb ? " (hugetlb)" : "", strerror(errno));
		return -1;
	}
	if (fault_ftruncate(b->fd, (off_t)b->size) < 0) {
		pv_format(err, errlen, "cannot size the memfd (ftruncate): %s", strerror(errno));
		goto fail;
	}
	/* The guest's RAM must not change size under it. */
	if (seal && fcntl(b->fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		pv_format(err, errlen, "cannot seal the memfd: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	close(b->fd);
	b->fd = -1;
	return -1;
}

/* Maps size bytes at an address aligned to align: reserve a larger
 * inaccessible range, map over its aligned part, trim the rest. */
static void *map_aligned(uint64_t size, uint64_t align, int flags, int fd)
{
	uint64_t total = size + align;
	uint8_t *area, *start;
	void *p;

	area = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	start = (uint8_t *)(uintptr_t)align_up((uintptr_t)area, align);
	/* The site is here, not at the reservation: a failure must give the reservation
	 * back too (docs/testing.md, "Fault injection"). */
	p = fault_mmap(FAULT_BACKEND_MMAP, start, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED,
		       fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		munmap(area, total);
		errno = e;
		return MAP_FAILED;
	}
	if (start > area)
		munmap(area, (size_t)(start - area));
	if (area + total > start + size)
		munmap(start + size, (size_t)(area + total - (start + size)));
	return p;
}

/* Touches every page, keeping its contents (the file may hold data). For
 * kernels without MADV_POPULATE_WRITE (before 5.14). */
static void touch_pages(uint8_t *p, uint64_t size, uint64_t page)
{
	for (uint64_t off = 0; off < size; off += page) {
		volatile uint8_t *q = p + off;

		*q = *q;
	}
}

static int prealloc(struct mem_backend *b, char *err, size_t errlen)
{
	/* For fd memory fallocate() fails cleanly (ENOSPC) where touching a
	 * missing hugetlb or tmpfs page would raise SIGBUS. */
	if (b->fd >= 0 && fault_fallocate(b->fd, 0, 0, (off_t)b->size) < 0 && errno != EOPNOTSUPP) {
		pv_format(err, errlen, "cannot preallocate %" PRIu64 " MiB (fallocate): %s",
			  (uint64_t)(b->size / MiB), strerror(errno));
		return -1;
	}
	if (madvise(b->hva, b->size, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno != EINVAL) {
		pv_format(err, errlen, "cannot preallocate %" PRIu64 " MiB: %s",
			  (uint64_t)(b->size / MiB), strerror(errno));
		return -1;
	}
	touch_pages(b->hva, b->size, b->page_size);
	return 0;
}

int backend_map(struct mem_backend *b, char *err, size_t errlen)
{
	uint64_t align = b->page_size > BACKEND_MIN_ALIGN ? b->page_size : BACKEND_MIN_ALIGN;
	int flags = b->share ? MAP_SHARED : MAP_PRIVATE;
	void *p;

	if (b->fd < 0)
		flags |= MAP_ANONYMOUS;
	if (!b->reserve)
		flags |= MAP_NORESERVE;
	p = map_aligned(b->size, align, flags, b->fd);
	if (p == MAP_FAILED) {
		pv_format(err, errlen, "cannot map %" PRIu64 " MiB: %s%s",
			  (uint64_t)(b->size / MiB), strerror(errno),
			  b->hugetlb && b->reserve ? " (not enough free huge pages?)" : "");
		return -1;
	}
	b->hva = p;
	/* Transparent huge pages for anonymous and shmem memory; hugetlb
	 * memory is huge already, and THP may be off on the host (fine). */
	if (!b->hugetlb && b->kind != MEM_BACKEND_FILE)
		madvise(p, b->size, MADV_HUGEPAGE);
	if (b->prealloc && prealloc(b, err, errlen) < 0) {
		munmap(p, b->size);
		b->hva = NULL;
		return -1;
	}
	return 0;
}
