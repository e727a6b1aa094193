/* Plugged-block bitmap (see block_bitmap.h). */
#include "virtio/block_bitmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t nwords(uint64_t nbits) { return nbits / 64 + (nbits % 64 != 0); }

int block_bitmap_init(struct block_bitmap *b, uint64_t nbits)
{
	uint64_t n = nwords(nbits);

	b->nbits = nbits;
	b->nset = 0;
	/* calloc(0) may return NULL; one spare word keeps "NULL = failed" simple. */
	b->words = calloc(n ? n : 1, sizeof(uint64_t));
	return b->words ? 0 : -1;
}

void block_bitmap_free(struct block_bitmap *b)
{
	free(b->words);
	b->words = NULL;
	b->nbits = b->nset = 0;
}

bool block_bitmap_test(const struct block_bitmap *b, uint64_t i)
{
	return (b->words[i / 64] >> (i % 64)) & 1;
}

/* The bits of word w that fall in [first, first + count). */
static uint64_t word_mask(uint64_t w, uint64_t first, uint64_t end)
{
	uint64_t lo = w * 64 < first ? first - w * 64 : 0;
	uint64_t hi = end - w * 64 < 64 ? end - w * 64 : 64; /* end > w * 64 here */
	uint64_t mask = hi == 64 ? ~0ull : (1ull << hi) - 1;

	return mask & ~((1ull << lo) - 1);
}

/* Calls fn on each word the range touches with the mask of its bits there;
 * stops (returning false) as soon as fn does. */
static bool for_each_word(const struct block_bitmap *b, uint64_t first, uint64_t count,
			  bool (*fn)(uint64_t *word, uint64_t mask, void *ctx), void *ctx)
{
	if (count == 0)
		return true;
	uint64_t end = first + count;
	for (uint64_t w = first / 64; w * 64 < end; w++)
		if (!fn(&b->words[w], word_mask(w, first, end), ctx))
			return false;
	return true;
}

static bool is_all_set(uint64_t *word, uint64_t mask, void *ctx)
{
	(void)ctx;
	return (*word & mask) == mask;
}

static bool is_all_clear(uint64_t *word, uint64_t mask, void *ctx)
{
	(void)ctx;
	return (*word & mask) == 0;
}

static bool do_set(uint64_t *word, uint64_t mask, void *ctx)
{
	*(uint64_t *)ctx += (uint64_t)__builtin_popcountll(mask & ~*word);
	*word |= mask;
	return true;
}

static bool do_clear(uint64_t *word, uint64_t mask, void *ctx)
{
	*(uint64_t *)ctx += (uint64_t)__builtin_popcountll(mask & *word);
	*word &= ~mask;
	return true;
}

bool block_bitmap_all_set(const struct block_bitmap *b, uint64_t first, uint64_t count)
{
	return for_each_word(b, first, count, is_all_set, NULL);
}

bool block_bitmap_all_clear(const struct block_bitmap *b, uint64_t first, uint64_t count)
{
	return for_each_word(b, first, count, is_all_clear, NULL);
}

void block_bitmap_set(struct block_bitmap *b, uint64_t first, uint64_t count)
{
	uint64_t newly = 0;

	for_each_word(b, first, count, do_set, &newly);
	b->nset += newly;
}

void block_bitmap_clear(struct block_bitmap *b, uint64_t first, uint64_t count)
{
	uint64_t gone = 0;

	for_each_word(b, first, count, do_clear, &gone);
	b->nset -= gone;
}

void block_bitmap_clear_all(struct block_bitmap *b)
{
	memset(b->words, 0, nwords(b->nbits) * sizeof(uint64_t));
	b->nset = 0;
}

uint64_t block_bitmap_popcount(const struct block_bitmap *b)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < nwords(b->nbits); w++)
		n += (uint64_t)__builtin_popcountll(b->words[w]);
	return n;
}
