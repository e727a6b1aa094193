/*
 * CPUID leaf 0xD as plugvm passes it on (src/arch/x86/cpuid_xstate.h): a sane host's components
 * are kept untouched; a component with a wrong size, an offset outside the area, an
 * overlap, an unknown or supervisor component, or a broken group is withheld, its
 * sub-leaf zeroed, the feature flags that need it cleared, and the area recomputed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/cpuid_xstate.h"

#define MAX_ENTRIES 32

struct cpuid_buf {
	struct kvm_cpuid2 c;
	struct kvm_cpuid_entry2 e[MAX_ENTRIES];
};

static struct kvm_cpuid_entry2 *find(struct cpuid_buf *b, uint32_t leaf, uint32_t sub)
{
	for (unsigned i = 0; i < b->c.nent; i++)
		if (b->c.entries[i].function == leaf && b->c.entries[i].index == sub)
			return &b->c.entries[i];
	return NULL;
}

static void set(struct cpuid_buf *b, uint32_t leaf, uint32_t sub, uint32_t eax, uint32_t ebx,
		uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = find(b, leaf, sub);

	if (!e) {
		assert_true(b->c.nent < MAX_ENTRIES);
		e = &b->c.entries[b->c.nent++];
		e->function = leaf;
		e->index = sub;
	}
	e->eax = eax, e->ebx = ebx, e->ecx = ecx, e->edx = edx;
}

/* An Intel host with AVX, MPX, AVX-512 and PKRU at the SDM's standard offsets. */
static void sane_host(struct cpuid_buf *b)
{
	memset(b, 0, sizeof(*b));
	/* AVX, FMA, F16C, XSAVE */
	set(b, 1, 0, 0, 0, 1u << 28 | 1u << 12 | 1u << 29 | 1u << 26, 0);
	/* AVX2, MPX, AVX512F, AVX512BW | PKU, VAES | FP16 */
	set(b, 7, 0, 0, 1u << 5 | 1u << 14 | 1u << 16 | 1u << 30, 1u << 3 | 1u << 9, 1u << 23);
	set(b, 0xd, 0, 0x2ff, 576, 2696, 0);
	set(b, 0xd, 1, 0xf, 0, 0, 0);
	set(b, 0xd, 2, 256, 576, 0, 0);
	set(b, 0xd, 3, 64, 960, 0, 0);
	set(b, 0xd, 4, 64, 1024, 0, 0);
	set(b, 0xd, 5, 64, 1088, 0, 0);
	set(b, 0xd, 6, 512, 1152, 0, 0);
	set(b, 0xd, 7, 1024, 1664, 0, 0);
	set(b, 0xd, 9, 8, 2688, 0, 0);
}

struct reports {
	unsigned n;
	unsigned component[16];
	char why[16][128];
};

static void record(void *opaque, unsigned component, const char *name, const char *why)
{
	struct reports *r = opaque;

	(void)name;
	assert_true(r->n < 16);
	r->component[r->n] = component;
	snprintf(r->why[r->n], sizeof(r->why[0]), "%s", why);
	r->n++;
}

static bool bit(struct cpuid_buf *b, uint32_t leaf, uint32_t sub, int reg, unsigned n)
{
	struct kvm_cpuid_entry2 *e = find(b, leaf, sub);
	uint32_t v = reg == 0 ? e->eax : reg == 1 ? e->ebx : reg == 2 ? e->ecx : e->edx;

	return v >> n & 1;
}

static void test_sane_host_untouched(void **state)
{
	struct cpuid_buf b, before;
	struct reports r = { 0 };

	(void)state;
	sane_host(&b);
	before = b;
	assert_int_equal(cpuid_sanitize_xstate(&b.c, record, &r), 0);
	assert_int_equal(r.n, 0);
	assert_memory_equal(&b, &before, sizeof(b));

	/* An AMD host: no MPX or AVX-512, PKRU right after AVX's area's end. */
	memset(&b, 0, sizeof(b));
	set(&b, 0xd, 0, 0x207, 576, 2440, 0);
	set(&b, 0xd, 2, 256, 576, 0, 0);
	set(&b, 0xd, 9, 8, 2432, 0, 0);
	before = b;
	assert_int_equal(cpuid_sanitize_xstate(&b.c, record, &r), 0);
	assert_memory_equal(&b, &before, sizeof(b));

	/* No leaf 0xD at all (no XSAVE): nothing to do. */
	memset(&b, 0, sizeof(b));
	set(&b, 1, 0, 0, 0, 0, 0);
	assert_int_equal(cpuid_sanitize_xstate(&b.c, NULL, NULL), 0);
}

static void test_wrong_pkru_dropped(void **state)
{
	struct cpuid_buf b;
	struct reports r = { 0 };

	(void)state;
	sane_host(&b);
	set(&b, 0xd, 9, 0, 0, 0, 0); /* what an emulator may report */
	assert_int_equal(cpuid_sanitize_xstate(&b.c, record, &r), 1);
	assert_int_equal(r.component[0], 9);
	assert_non_null(strstr(r.why[0], "size 0"));
	assert_int_equal(find(&b, 0xd, 0)->eax, 0xff);
	assert_false(bit(&b, 7, 0, 2, 3)); /* PKU */
	assert_true(bit(&b, 7, 0, 1, 16)); /* AVX-512 stays */
	/* the area ends after Hi16_ZMM now */
	assert_int_equal(find(&b, 0xd, 0)->ecx, 1664 + 1024);
	assert_int_equal(find(&b, 0xd, 0)->ebx, 576);
}

static void test_wrong_avx_takes_avx512(void **state)
{
	struct cpuid_buf b;
	struct reports r = { 0 };

	(void)state;
	sane_host(&b);
	set(&b, 0xd, 2, 128, 576, 0, 0);
	assert_int_equal(cpuid_sanitize_xstate(&b.c, record, &r), 4);
	assert_int_equal(r.component[0], 2);
	/* AVX-512's parts go with it: they extend the AVX registers */
	assert_int_equal(find(&b, 0xd, 0)->eax, 0x3 | 1u << 3 | 1u << 4 | 1u << 9);
	for (unsigned i = 5; i <= 7; i++) {
		struct kvm_cpuid_entry2 *sub = find(&b, 0xd, i);

		assert_int_equal(sub->eax | sub->ebx | sub->ecx | sub->edx, 0);
	}
	assert_false(bit(&b, 1, 0, 2, 28)); /* AVX */
	assert_false(bit(&b, 1, 0, 2, 12)); /* FMA */
	assert_false(bit(&b, 1, 0, 2, 29)); /* F16C */
	assert_false(bit(&b, 7, 0, 1, 5));  /* AVX2 */
	assert_false(bit(&b, 7, 0, 2, 9));  /* VAES */
	assert_false(bit(&b, 7, 0, 1, 16)); /* AVX512F */
	assert_false(bit(&b, 7, 0, 1, 30)); /* AVX512BW */
	assert_false(bit(&b, 7, 0, 3, 23)); /* AVX512-FP16 */
	assert_true(bit(&b, 1, 0, 2, 26));  /* XSAVE itself stays */
	assert_true(bit(&b, 7, 0, 1, 14));  /* MPX stays */
	assert_true(bit(&b, 7, 0, 2, 3));   /* PKU stays */
	assert_int_equal(find(&b, 0xd, 0)->ecx, 2696);
}

static void test_each_rule(void **state)
{
	static const struct {
		const char *what;
		uint32_t sub, eax, ebx, ecx;
		uint64_t xcr0_extra;
		unsigned dropped;
		const char *why;
	} cases[] = {
		{ "offset inside the legacy area", 9, 8, 512, 0, 0, 1, "outside" },
		{ "past the area's end", 9, 8, 2690, 0, 0, 1, "outside" },
		{ "overlapping ZMM_Hi256", 9, 8, 1200, 0, 0, 1, "overlap component 6" },
		{ "a supervisor bit", 9, 8, 2688, 1, 0, 1, "supervisor" },
		{ "MPX half missing", 4, 0, 0, 0, 0, 2, NULL },
		{ "an unknown component", 8, 64, 2600, 0, 1ull << 8, 1, "does not know" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cpuid_buf b;
		struct reports r = { 0 };

		sane_host(&b);
		set(&b, 0xd, cases[i].sub, cases[i].eax, cases[i].ebx, cases[i].ecx, 0);
		find(&b, 0xd, 0)->eax |= (uint32_t)cases[i].xcr0_extra;
		if (cases[i].eax == 0) /* MPX: bit 4 advertised with an empty sub-leaf */
			find(&b, 0xd, cases[i].sub)->eax = 0;
		assert_int_equal(cpuid_sanitize_xstate(&b.c, record, &r), cases[i].dropped);
		if (cases[i].why)
			assert_non_null(strstr(r.why[0], cases[i].why));
		assert_false(find(&b, 0xd, 0)->eax >> cases[i].sub & 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sane_host_untouched),
		cmocka_unit_test(test_wrong_pkru_dropped),
		cmocka_unit_test(test_wrong_avx_takes_avx512),
		cmocka_unit_test(test_each_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
