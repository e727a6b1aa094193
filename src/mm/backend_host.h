/*
 * The host-side steps of creating a backend: getting an fd and mapping it.
 * Internal to src/mm/backend*.c.
 */
#ifndef PLUGVM_BACKEND_HOST_H
#define PLUGVM_BACKEND_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "mm/backend.h"

/* Opens or creates b's file for mem-path (a directory gets an unlinked
 * temporary file) and sizes it; sets b->fd and b->page_size. On failure
 * the fd is closed and a file this call created is removed. */
int backend_open_file(struct mem_backend *b, const char *mem_path, char *err, size_t errlen);
/* memfd_create() plus size and seals; sets b->fd. hugetlbsize 0 = default. */
int backend_open_memfd(struct mem_backend *b, uint64_t hugetlbsize, bool seal, char *err,
		       size_t errlen);
/* Maps b->fd (or anonymous memory when -1) aligned, preallocates if asked;
 * sets b->hva. On failure nothing stays mapped. */
int backend_map(struct mem_backend *b, char *err, size_t errlen);

#endif
