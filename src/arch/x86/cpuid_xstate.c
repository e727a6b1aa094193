#include "arch/x86/cpuid_xstate.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define XSTATE_LEAF 0xd
#define XSAVE_LEGACY_AND_HEADER 576 /* 512-byte legacy area + 64-byte XSAVE header */
#define XSTATE_MAX_COMPONENTS 64

/* Where a feature flag lives: leaf, sub-leaf, register (0 eax .. 3 edx), bit. */
struct flag {
	uint32_t leaf, subleaf;
	unsigned reg, bit;
};

#define F(l, s, r, b) { (l), (s), (r), (b) }
enum { EAX, EBX, ECX, EDX };

static const struct flag avx_flags[] = {
	F(1, 0, ECX, 28) /* AVX */, F(1, 0, ECX, 12) /* FMA */, F(1, 0, ECX, 29) /* F16C */,
	F(7, 0, EBX, 5) /* AVX2 */, F(7, 0, ECX, 9) /* VAES */, F(7, 0, ECX, 10) /* VPCLMULQDQ */,
	F(7, 1, EAX, 4) /* AVX-VNNI */, F(7, 1, EAX, 23) /* AVX-IFMA */,
	F(7, 1, EDX, 4) /* AVX-VNNI-INT8 */, F(7, 1, EDX, 5) /* AVX-NE-CONVERT */,
	F(7, 1, EDX, 10) /* AVX-VNNI-INT16 */,
};
static const struct flag avx512_flags[] = {
	F(7, 0, EBX, 16) /* F */, F(7, 0, EBX, 17) /* DQ */, F(7, 0, EBX, 21) /* IFMA */,
	F(7, 0, EBX, 26) /* PF */, F(7, 0, EBX, 27) /* ER */, F(7, 0, EBX, 28) /* CD */,
	F(7, 0, EBX, 30) /* BW */, F(7, 0, EBX, 31) /* VL */, F(7, 0, ECX, 1) /* VBMI */,
	F(7, 0, ECX, 6) /* VBMI2 */, F(7, 0, ECX, 11) /* VNNI */, F(7, 0, ECX, 12) /* BITALG */,
	F(7, 0, ECX, 14) /* VPOPCNTDQ */, F(7, 0, EDX, 2) /* 4VNNIW */, F(7, 0, EDX, 3) /* 4FMAPS */,
	F(7, 0, EDX, 8) /* VP2INTERSECT */, F(7, 0, EDX, 23) /* FP16 */, F(7, 1, EAX, 5) /* BF16 */,
};
static const struct flag mpx_flags[] = { F(7, 0, EBX, 14) };
static const struct flag pku_flags[] = { F(7, 0, ECX, 3) };
static const struct flag amx_flags[] = {
	F(7, 0, EDX, 22) /* AMX-BF16 */, F(7, 0, EDX, 24) /* AMX-TILE */, F(7, 0, EDX, 25) /* AMX-INT8 */,
	F(7, 1, EAX, 21) /* AMX-FP16 */,
};
static const struct flag apx_flags[] = { F(7, 1, EDX, 21) };

#define FLAGS(a) (a), sizeof(a) / sizeof((a)[0])

/* The user components plugvm knows, with the size the architecture gives them (Intel
 * SDM vol. 1 §13.4-13.5, AMD APM vol. 2 §11.5) and the group they stand or fall with. */
static const struct known_component {
	unsigned index;
	const char *name;
	uint32_t size;
	uint64_t group; /* components that must all be present, this one included */
	const struct flag *flags;
	size_t nr_flags;
} known[] = {
	{ 2, "AVX", 256, 1ull << 2, FLAGS(avx_flags) },
	{ 3, "MPX bound registers", 64, 3ull << 3, FLAGS(mpx_flags) },
	{ 4, "MPX bound config", 64, 3ull << 3, FLAGS(mpx_flags) },
	/* AVX-512 extends the AVX registers: it needs component 2 as well. */
	{ 5, "AVX-512 opmask", 64, 7ull << 5 | 1ull << 2, FLAGS(avx512_flags) },
	{ 6, "AVX-512 ZMM_Hi256", 512, 7ull << 5 | 1ull << 2, FLAGS(avx512_flags) },
	{ 7, "AVX-512 Hi16_ZMM", 1024, 7ull << 5 | 1ull << 2, FLAGS(avx512_flags) },
	{ 9, "PKRU", 8, 1ull << 9, FLAGS(pku_flags) },
	{ 17, "AMX tile config", 64, 3ull << 17, FLAGS(amx_flags) },
	{ 18, "AMX tile data", 8192, 3ull << 17, FLAGS(amx_flags) },
	{ 19, "APX", 128, 1ull << 19, FLAGS(apx_flags) },
};

static const struct known_component *find_known(unsigned index)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].index == index)
			return &known[i];
	return NULL;
}

static struct kvm_cpuid_entry2 *entry(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t subleaf)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == leaf && c->entries[i].index == subleaf)
			return &c->entries[i];
	return NULL;
}

static uint32_t *reg(struct kvm_cpuid_entry2 *e, unsigned r)
{
	switch (r) {
	case EAX: return &e->eax;
	case EBX: return &e->ebx;
	case ECX: return &e->ecx;
	default: return &e->edx;
	}
}

static void clear_flags(struct kvm_cpuid2 *c, const struct flag *flags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = entry(c, flags[i].leaf, flags[i].subleaf);

		if (e)
			*reg(e, flags[i].reg) &= ~(1u << flags[i].bit);
	}
}

struct checker {
	struct kvm_cpuid2 *c;
	uint64_t kept;
	unsigned dropped;
	xstate_report_fn report;
	void *opaque;
};

static void drop(struct checker *k, unsigned index, const char *why)
{
	const struct known_component *kc = find_known(index);
	struct kvm_cpuid_entry2 *sub = entry(k->c, XSTATE_LEAF, index);

	if (!(k->kept & (1ull << index)))
		return;
	k->kept &= ~(1ull << index);
	k->dropped++;
	if (sub)
		sub->eax = sub->ebx = sub->ecx = sub->edx = 0;
	if (kc)
		clear_flags(k->c, kc->flags, kc->nr_flags);
	if (k->report)
		k->report(k->opaque, index, kc ? kc->name : "unknown", why);
}

/* Size, offset and kind of each component on its own. */
static void check_each(struct checker *k, uint32_t area)
{
	char why[128];

	for (unsigned i = 2; i < XSTATE_MAX_COMPONENTS; i++) {
		const struct known_component *kc = find_known(i);
		struct kvm_cpuid_entry2 *sub = entry(k->c, XSTATE_LEAF, i);

		if (!(k->kept & (1ull << i)))
			continue;
		if (!kc) {
			drop(k, i, "plugvm does not know this component");
		} else if (!sub) {
			drop(k, i, "no CPUID sub-leaf describes it");
		} else if (sub->ecx & 1) {
			drop(k, i, "a supervisor component listed among the user ones");
		} else if (sub->eax != kc->size) {
			snprintf(why, sizeof(why), "size %u, the architecture's is %u", sub->eax,
				 kc->size);
			drop(k, i, why);
		} else if (sub->ebx < XSAVE_LEGACY_AND_HEADER ||
			   (uint64_t)sub->ebx + sub->eax > area) {
			snprintf(why, sizeof(why), "offset %u (size %u) lies outside the %u-byte area",
				 sub->ebx, sub->eax, area);
			drop(k, i, why);
		}
	}
}

/* Two components that share bytes: the higher-numbered one goes. */
static void check_overlaps(struct checker *k)
{
	for (unsigned i = 2; i < XSTATE_MAX_COMPONENTS; i++) {
		for (unsigned j = 2; j < i && (k->kept & (1ull << i)); j++) {
			struct kvm_cpuid_entry2 *a = entry(k->c, XSTATE_LEAF, j);
			struct kvm_cpuid_entry2 *b = entry(k->c, XSTATE_LEAF, i);
			char why[128];

			if (!(k->kept & (1ull << j)) || !a || !b)
				continue;
			if (b->ebx < a->ebx + a->eax && a->ebx < b->ebx + b->eax) {
				snprintf(why, sizeof(why), "bytes %u-%u overlap component %u's",
					 b->ebx, b->ebx + b->eax - 1, j);
				drop(k, i, why);
			}
		}
	}
}

/* A group missing a part loses the rest; repeated because AVX-512 needs AVX. */
static void check_groups(struct checker *k)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t n = 0; n < sizeof(known) / sizeof(known[0]); n++) {
			const struct known_component *kc = &known[n];

			if ((k->kept & (1ull << kc->index)) && (k->kept & kc->group) != kc->group) {
				drop(k, kc->index, "part of a group that is not complete");
				changed = true;
			}
		}
	}
}

unsigned cpuid_sanitize_xstate(struct kvm_cpuid2 *c, xstate_report_fn report, void *opaque)
{
	struct kvm_cpuid_entry2 *top = entry(c, XSTATE_LEAF, 0);
	struct checker k = { .c = c, .report = report, .opaque = opaque };
	uint32_t area;

	if (!top)
		return 0; /* no XSAVE: nothing to check */
	k.kept = (uint64_t)top->edx << 32 | top->eax;
	area = top->ecx;
	check_each(&k, area);
	check_overlaps(&k);
	check_groups(&k);
	if (!k.dropped)
		return 0;
	top->eax = (uint32_t)k.kept;
	top->edx = (uint32_t)(k.kept >> 32);
	/* The area now ends after the last component kept. EBX is the size for the XCR0
	 * the guest has enabled, x87 and SSE at reset; KVM updates it when XCR0 changes. */
	area = XSAVE_LEGACY_AND_HEADER;
	for (unsigned i = 2; i < XSTATE_MAX_COMPONENTS; i++) {
		struct kvm_cpuid_entry2 *sub = entry(c, XSTATE_LEAF, i);

		if ((k.kept & (1ull << i)) && sub && sub->ebx + sub->eax > area)
			area = sub->ebx + sub->eax;
	}
	top->ecx = area;
	top->ebx = XSAVE_LEGACY_AND_HEADER;
	return k.dropped;
}
