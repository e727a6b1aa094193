/* Boot RAM warm-up (src/mm/boot_ram_warm.c): pages get populated, data the
 * guest wrote survives, stop is safe at any time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mm/boot_ram_warm.h"

#define AREA (8u << 20)

static size_t resident_pages(uint8_t *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, count = 0;
	unsigned char *vec = calloc(n, 1);

	assert_non_null(vec);
	assert_int_equal(mincore(p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

static void test_populates_and_keeps_data(void **state)
{
	struct boot_ram_warm w;
	uint8_t *p = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)state;
	assert_true(p != MAP_FAILED);
	memset(&w, 0, sizeof(w));
	p[AREA / 2 + 5] = 0x5a; /* written by the "guest" before the warm-up */
	assert_int_equal(boot_ram_warm_add(&w, p + AREA / 2, AREA / 2), 0);
	assert_int_equal(boot_ram_warm_add(&w, p, AREA / 2), 0);
	assert_true(boot_ram_warm_start(&w));
	/* Wait for the thread to get through (MADV_POPULATE_WRITE needs 5.14;
	 * on older kernels nothing is populated, which is allowed). */
	for (int i = 0; i < 500 && resident_pages(p, AREA) < AREA / page; i++)
		usleep(10000);
	boot_ram_warm_stop(&w);
	assert_int_equal(p[AREA / 2 + 5], 0x5a);
	assert_int_equal(p[0], 0);
	munmap(p, AREA);
}

static void test_stop_right_away_and_twice(void **state)
{
	struct boot_ram_warm w;
	uint8_t *p = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(p != MAP_FAILED);
	memset(&w, 0, sizeof(w));
	assert_int_equal(boot_ram_warm_add(&w, p, AREA), 0);
	assert_true(boot_ram_warm_start(&w));
	boot_ram_warm_stop(&w);
	boot_ram_warm_stop(&w);
	munmap(p, AREA);
}

static void test_nothing_to_warm_and_full_table(void **state)
{
	struct boot_ram_warm w;
	static uint8_t buf[16];

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_false(boot_ram_warm_start(&w)); /* no ranges: no thread */
	boot_ram_warm_stop(&w);
	assert_int_equal(boot_ram_warm_add(&w, buf, 0), -1);
	for (unsigned i = 0; i < BOOT_RAM_WARM_MAX; i++)
		assert_int_equal(boot_ram_warm_add(&w, buf, sizeof(buf)), 0);
	assert_int_equal(boot_ram_warm_add(&w, buf, sizeof(buf)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_populates_and_keeps_data),
		cmocka_unit_test(test_stop_right_away_and_twice),
		cmocka_unit_test(test_nothing_to_warm_and_full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
