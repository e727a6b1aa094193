/* DIMM slot and address allocation in the hotplug window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mm/dimm_alloc.h"
#include "util.h"

#define BASE (4 * GiB)

static void init(struct dimm_alloc *a, uint64_t window, unsigned slots, uint64_t block)
{
	struct guest_layout l;

	memset(&l, 0, sizeof(l));
	l.hotplug_base = BASE;
	l.hotplug_size = window;
	l.block_size = block;
	dimm_alloc_init(a, &l, slots);
}

static int reserve(struct dimm_alloc *a, uint64_t size, int slot, uint64_t addr,
		   unsigned *got_slot, uint64_t *got_addr)
{
	struct dimm_request req = {.size = size, .page_size = 0, .slot = slot, .addr = addr};
	char err[256];
	int ret;

	ret = dimm_alloc_reserve(a, &req, got_slot, got_addr, err, sizeof(err));
	if (ret != DIMM_ALLOC_OK)
		assert_non_null(strstr(err, dimm_alloc_strerror(ret)));
	return ret;
}

static void test_first_fit_and_1g_preference(void **state)
{
	struct dimm_alloc a;
	unsigned s;
	uint64_t at;

	(void)state;
	init(&a, 8 * GiB, 8, 128 * MiB);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 0);
	assert_int_equal(at, BASE);
	/* 1 GiB-multiple sizes go to the next 1 GiB boundary. */
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 1);
	assert_int_equal(at, BASE + GiB);
	/* Smaller DIMMs fill the gap left below it. */
	assert_int_equal(reserve(&a, 256 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 2);
	assert_int_equal(at, BASE + 128 * MiB);
	assert_int_equal(reserve(&a, 2 * GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(at, BASE + 2 * GiB);
	assert_true(is_aligned(at, GiB));
}

static void test_1g_fallback(void **state)
{
	struct dimm_alloc a;
	unsigned s;
	uint64_t at;

	(void)state;
	init(&a, 2 * GiB, 4, 128 * MiB);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, BASE + GiB + 512 * MiB, &s, &at),
			 0);
	assert_int_equal(s, 1);
	/* No 1 GiB-aligned 1 GiB hole is left, but a block-aligned one is. */
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(at, BASE + 128 * MiB);
	dimm_alloc_release(&a, 2);
	dimm_alloc_release(&a, 1);
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(at, BASE + GiB);
}

static void test_fragmentation_after_removal(void **state)
{
	struct dimm_alloc a;
	unsigned s, slots[8];
	uint64_t at;

	(void)state;
	init(&a, 2 * GiB, 16, 128 * MiB);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(reserve(&a, 256 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR,
					 &slots[i], &at), 0);
		assert_int_equal(at, BASE + i * 256 * MiB);
	}
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at),
			 DIMM_ALLOC_EMAXMEM);
	/* Free every other DIMM: 1 GiB is free, but only in 256 MiB holes. */
	for (unsigned i = 0; i < 8; i += 2)
		dimm_alloc_release(&a, slots[i]);
	assert_int_equal(reserve(&a, 512 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at),
			 DIMM_ALLOC_ENOSPACE);
	/* A hole is reused, with the lowest free slot number. */
	assert_int_equal(reserve(&a, 256 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 0);
	assert_int_equal(at, BASE);
	/* Freeing neighbours merges holes. */
	dimm_alloc_release(&a, slots[3]);
	assert_int_equal(reserve(&a, 512 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(at, BASE + 512 * MiB);
	assert_int_equal(a.used_bytes, 1536 * MiB);
}

static void test_explicit_address(void **state)
{
	struct dimm_alloc a;
	unsigned s;
	uint64_t at;

	(void)state;
	init(&a, 4 * GiB, 8, 128 * MiB);
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, BASE + 3 * GiB, &s, &at), 0);
	assert_int_equal(at, BASE + 3 * GiB);
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, BASE + 3 * GiB, &s, &at),
			 DIMM_ALLOC_EOVERLAP);
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, BASE + 2 * GiB + 128 * MiB, &s, &at),
			 DIMM_ALLOC_EOVERLAP);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, BASE + 64 * MiB, &s, &at),
			 DIMM_ALLOC_EUNALIGNED);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, BASE - 128 * MiB, &s, &at),
			 DIMM_ALLOC_EOUTSIDE);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, BASE + 4 * GiB, &s, &at),
			 DIMM_ALLOC_EOUTSIDE);
	assert_int_equal(reserve(&a, 256 * MiB, DIMM_ANY_SLOT, BASE + 4 * GiB - 128 * MiB,
				 &s, &at), DIMM_ALLOC_EOUTSIDE);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, UINT64_MAX - GiB, &s, &at),
			 DIMM_ALLOC_EOUTSIDE);
	/* Right below the taken range is fine. */
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, BASE + 3 * GiB - 128 * MiB,
				 &s, &at), 0);
	/* Automatic placement skips them. */
	assert_int_equal(reserve(&a, 2 * GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(at, BASE);
}

static void test_sizes_and_page_size(void **state)
{
	struct dimm_alloc a;
	struct dimm_request req = {.size = 64 * MiB, .slot = DIMM_ANY_SLOT, .addr = DIMM_ANY_ADDR};
	char err[256];
	unsigned s;
	uint64_t at;

	(void)state;
	init(&a, 8 * GiB, 8, 128 * MiB);
	assert_int_equal(dimm_alloc_reserve(&a, &req, &s, &at, err, sizeof(err)),
			 DIMM_ALLOC_EBADSIZE);
	assert_non_null(strstr(err, "0x8000000"));
	req.size = 0;
	assert_int_equal(dimm_alloc_reserve(&a, &req, &s, &at, err, sizeof(err)),
			 DIMM_ALLOC_EBADSIZE);
	/* A 1 GiB-page backend forces 1 GiB size and alignment. */
	req.page_size = GiB;
	req.size = 512 * MiB;
	assert_int_equal(dimm_alloc_reserve(&a, &req, &s, &at, err, sizeof(err)),
			 DIMM_ALLOC_EBADSIZE);
	req.size = GiB;
	req.addr = BASE + 512 * MiB;
	assert_int_equal(dimm_alloc_reserve(&a, &req, &s, &at, err, sizeof(err)),
			 DIMM_ALLOC_EUNALIGNED);
	req.addr = DIMM_ANY_ADDR;
	assert_int_equal(dimm_alloc_reserve(&a, &req, &s, &at, err, sizeof(err)), 0);
	assert_int_equal(at, BASE);
}

static void test_large_block_size(void **state)
{
	struct dimm_alloc a;
	unsigned s;
	uint64_t at;

	(void)state;
	init(&a, 16 * GiB, 8, 2 * GiB);
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at),
			 DIMM_ALLOC_EBADSIZE);
	assert_int_equal(reserve(&a, 2 * GiB, DIMM_ANY_SLOT, BASE + GiB, &s, &at),
			 DIMM_ALLOC_EUNALIGNED);
	assert_int_equal(reserve(&a, 2 * GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(reserve(&a, 4 * GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(at, BASE + 2 * GiB);
}

static void test_slots(void **state)
{
	struct dimm_alloc a;
	unsigned s;
	uint64_t at;

	(void)state;
	init(&a, 8 * GiB, 3, 128 * MiB);
	assert_int_equal(reserve(&a, 128 * MiB, 2, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 2);
	assert_int_equal(reserve(&a, 128 * MiB, 2, DIMM_ANY_ADDR, &s, &at), DIMM_ALLOC_ESLOTBUSY);
	assert_int_equal(reserve(&a, 128 * MiB, 3, DIMM_ANY_ADDR, &s, &at), DIMM_ALLOC_EBADSLOT);
	assert_int_equal(reserve(&a, 128 * MiB, -5, DIMM_ANY_ADDR, &s, &at), DIMM_ALLOC_EBADSLOT);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 0);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 1);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at),
			 DIMM_ALLOC_ENOSLOTS);
	dimm_alloc_release(&a, 1);
	dimm_alloc_release(&a, 1); /* twice: harmless */
	dimm_alloc_release(&a, 200);
	assert_int_equal(a.used_bytes, 256 * MiB);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 1);
}

static void test_full_window(void **state)
{
	struct dimm_alloc a;
	unsigned s;
	uint64_t at;

	(void)state;
	init(&a, 3 * GiB, 8, 128 * MiB);
	assert_int_equal(reserve(&a, 2 * GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(reserve(&a, 2 * GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at),
			 DIMM_ALLOC_EMAXMEM);
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(at, BASE + 2 * GiB);
	assert_int_equal(a.used_bytes, 3 * GiB);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at),
			 DIMM_ALLOC_EMAXMEM);
	/* No window at all (no slots). */
	init(&a, 0, 0, 128 * MiB);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at),
			 DIMM_ALLOC_ENOSLOTS);
}

/* virtio-mem regions share the window with DIMMs: no slot, same maxmem and overlap rules. */
static void test_regions(void **state)
{
	struct dimm_alloc a;
	char err[256];
	unsigned s;
	uint64_t at, r;

	(void)state;
	init(&a, 20 * GiB, 2, 128 * MiB);
	/* A 16 GiB region first fits at the window's start; a DIMM goes after it. */
	assert_int_equal(dimm_alloc_reserve_region(&a, 16 * GiB, 2 * MiB, DIMM_ANY_ADDR, &r, err,
						   sizeof(err)), 0);
	assert_int_equal(r, BASE);
	assert_int_equal(a.used_bytes, 16 * GiB);
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(s, 0);
	assert_int_equal(at, BASE + 16 * GiB);
	/* A DIMM or a region may not overlap a region. */
	assert_int_equal(reserve(&a, GiB, DIMM_ANY_SLOT, BASE + 15 * GiB, &s, &at),
			 DIMM_ALLOC_EOVERLAP);
	assert_int_equal(dimm_alloc_reserve_region(&a, 2 * MiB, 2 * MiB, BASE + 8 * GiB, &r, err,
						   sizeof(err)), DIMM_ALLOC_EOVERLAP);
	assert_non_null(strstr(err, "another memory device"));
	/* maxmem counts regions: 3 GiB left, so 4 GiB is refused, 2 GiB is not. */
	assert_int_equal(dimm_alloc_reserve_region(&a, 4 * GiB, 2 * MiB, DIMM_ANY_ADDR, &r, err,
						   sizeof(err)), DIMM_ALLOC_EMAXMEM);
	/* An explicit address need only be a multiple of the region's block size. */
	assert_int_equal(dimm_alloc_reserve_region(&a, 2 * MiB, 2 * MiB, BASE + 17 * GiB + 2 * MiB,
						   &r, err, sizeof(err)), 0);
	assert_int_equal(r, BASE + 17 * GiB + 2 * MiB);
	assert_int_equal(dimm_alloc_reserve_region(&a, 2 * MiB, 2 * MiB, BASE + 18 * GiB + MiB,
						   &r, err, sizeof(err)), DIMM_ALLOC_EUNALIGNED);
	assert_int_equal(dimm_alloc_reserve_region(&a, 2 * MiB, 2 * MiB, BASE + 20 * GiB,
						   &r, err, sizeof(err)), DIMM_ALLOC_EOUTSIDE);
	/* An automatic one is aligned to the guest's memory block (128 MiB): the 2 MiB hole
	 * below the last region will do. */
	assert_int_equal(dimm_alloc_reserve_region(&a, 2 * MiB, 2 * MiB, DIMM_ANY_ADDR, &r, err,
						   sizeof(err)), 0);
	assert_int_equal(r, BASE + 17 * GiB);
	assert_int_equal(dimm_alloc_reserve_region(&a, 2 * MiB, 2 * MiB, DIMM_ANY_ADDR, &r, err,
						   sizeof(err)), 0);
	assert_int_equal(r, BASE + 17 * GiB + 128 * MiB);
	/* Sizes: a multiple of the block size, not 0. */
	assert_int_equal(dimm_alloc_reserve_region(&a, 3 * MiB, 2 * MiB, DIMM_ANY_ADDR, &r, err,
						   sizeof(err)), DIMM_ALLOC_EBADSIZE);
	assert_int_equal(dimm_alloc_reserve_region(&a, 0, 2 * MiB, DIMM_ANY_ADDR, &r, err,
						   sizeof(err)), DIMM_ALLOC_EBADSIZE);
	/* A released DIMM does not free a region, and the DIMM's first fit skips them. */
	dimm_alloc_release(&a, 0);
	assert_int_equal(a.used_bytes, 16 * GiB + 6 * MiB);
	assert_int_equal(reserve(&a, 128 * MiB, DIMM_ANY_SLOT, DIMM_ANY_ADDR, &s, &at), 0);
	assert_int_equal(at, BASE + 16 * GiB);
}

static void test_region_table_full(void **state)
{
	struct dimm_alloc a;
	char err[256];
	uint64_t r;

	(void)state;
	init(&a, 64 * GiB, 0, 128 * MiB);
	for (unsigned i = 0; i < PLUGVM_MAX_VIRTIO_MEM; i++)
		assert_int_equal(dimm_alloc_reserve_region(&a, GiB, 2 * MiB, DIMM_ANY_ADDR, &r, err,
							   sizeof(err)), 0);
	assert_int_equal(dimm_alloc_reserve_region(&a, GiB, 2 * MiB, DIMM_ANY_ADDR, &r, err,
						   sizeof(err)), DIMM_ALLOC_ENOSLOTS);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int c = DIMM_ALLOC_EOVERLAP; c <= DIMM_ALLOC_OK; c++)
		assert_string_not_equal(dimm_alloc_strerror(c), "unknown error");
	assert_string_equal(dimm_alloc_strerror(-100), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_fit_and_1g_preference),
		cmocka_unit_test(test_1g_fallback),
		cmocka_unit_test(test_fragmentation_after_removal),
		cmocka_unit_test(test_explicit_address),
		cmocka_unit_test(test_sizes_and_page_size),
		cmocka_unit_test(test_large_block_size),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_full_window),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_region_table_full),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
