/*
 * One bit per memory block of a virtio-mem region: set = plugged. Range
 * operations take (first, count) in blocks and expect the range to be inside
 * the bitmap; the caller validates guest input before it gets here.
 */
#ifndef PLUGVM_VIRTIO_BLOCK_BITMAP_H
#define PLUGVM_VIRTIO_BLOCK_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

struct block_bitmap {
	uint64_t *words;
	uint64_t nbits;
	uint64_t nset; /* kept up to date by set/clear, so counting is free */
};

/* All clear. -1 when the allocation fails. */
int block_bitmap_init(struct block_bitmap *b, uint64_t nbits);
void block_bitmap_free(struct block_bitmap *b);

bool block_bitmap_test(const struct block_bitmap *b, uint64_t i);
bool block_bitmap_all_set(const struct block_bitmap *b, uint64_t first, uint64_t count);
bool block_bitmap_all_clear(const struct block_bitmap *b, uint64_t first, uint64_t count);
void block_bitmap_set(struct block_bitmap *b, uint64_t first, uint64_t count);
void block_bitmap_clear(struct block_bitmap *b, uint64_t first, uint64_t count);
void block_bitmap_clear_all(struct block_bitmap *b);

/* Bits set, from the words themselves (the invariant checks compare it with nset). */
uint64_t block_bitmap_popcount(const struct block_bitmap *b);

#endif
