/* CPUID patching for each vCPU (docs/linux-facts.md, "The hypervisor bit"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/cpuid.h"

static struct kvm_cpuid2 *make_supported(void)
{
	static const uint32_t leaves[][2] = {
		{ 1, 0 }, { 4, 0 }, { 0xb, 0 }, { 0xb, 1 }, { 0x1f, 1 }, { 0x40000000, 0 },
		{ 0x80000008, 0 }, { 0x8000001e, 0 },
	};
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));

	c->nent = 8;
	for (unsigned i = 0; i < 8; i++) {
		c->entries[i].function = leaves[i][0];
		c->entries[i].index = leaves[i][1];
		c->entries[i].eax = 0x11111111;
		c->entries[i].ebx = 0x0000abcd;
		c->entries[i].ecx = CPUID_1_ECX_TSC_DEADLINE;
		c->entries[i].edx = 0x22;
	}
	c->entries[5].ebx = 0x4b4d564b; /* "KVMK" must survive */
	c->entries[6].eax = 0x3028;     /* 40 physical bits, 48 virtual */
	return c;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	fail_msg("leaf 0x%x.%u missing", fn, idx);
	return NULL;
}

static void test_leaf1_apic_id_count_and_hypervisor_bit(void **state)
{
	struct kvm_cpuid2 *sup = make_supported();
	struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, &(struct cpuid_topology){ .index = 3, .nr_cpus = 4, .nr_nodes = 1 });
	const struct kvm_cpuid_entry2 *e = find(c, 1, 0);

	(void)state;
	assert_int_equal(e->ebx >> 24, 3);
	assert_int_equal((e->ebx >> 16) & 0xff, 4);
	assert_int_equal(e->ebx & 0xffff, 0xabcd);
	assert_true(e->ecx & CPUID_1_ECX_HYPERVISOR);
	assert_true(e->ecx & CPUID_1_ECX_TSC_DEADLINE); /* kept from KVM */
	assert_true(e->edx & CPUID_1_EDX_HTT);
	free(c);
	free(sup);
}

static void test_supported_copy_untouched(void **state)
{
	struct kvm_cpuid2 *sup = make_supported();
	struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, &(struct cpuid_topology){ .index = 1, .nr_cpus = 2, .nr_nodes = 1 });

	(void)state;
	assert_int_equal(find(sup, 1, 0)->ebx, 0xabcd);
	assert_int_equal(find(c, 0x40000000, 0)->ebx, 0x4b4d564b);
	assert_int_equal(find(c, 0x80000008, 0)->eax, 0x3028);
	free(c);
	free(sup);
}

static void test_x2apic_topology(void **state)
{
	struct kvm_cpuid2 *sup = make_supported();
	struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, &(struct cpuid_topology){ .index = 5, .nr_cpus = 6, .nr_nodes = 1 });
	const struct kvm_cpuid_entry2 *smt = find(c, 0xb, 0);
	const struct kvm_cpuid_entry2 *core = find(c, 0xb, 1);

	(void)state;
	assert_int_equal(smt->edx, 5);
	assert_int_equal(smt->ebx, 1);
	assert_int_equal(smt->ecx >> 8, 1);
	assert_int_equal(core->eax, 3); /* 6 CPUs need 3 id bits */
	assert_int_equal(core->ebx, 6);
	assert_int_equal(core->ecx >> 8, 2);
	assert_int_equal(core->edx, 5);
	assert_int_equal(find(c, 0x1f, 1)->ebx, 6);
	assert_int_equal(find(c, 0x80000008, 0)->ecx & 0xff, 5);
	assert_int_equal(find(c, 0x8000001e, 0)->eax, 5);
	assert_int_equal(find(c, 4, 0)->eax >> 26, 5);
	free(c);
	free(sup);
}

static void test_single_cpu_has_no_htt(void **state)
{
	struct kvm_cpuid2 *sup = make_supported();
	struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, &(struct cpuid_topology){ .index = 0, .nr_cpus = 1, .nr_nodes = 1 });

	(void)state;
	assert_false(find(c, 1, 0)->edx & CPUID_1_EDX_HTT);
	assert_int_equal(find(c, 0xb, 1)->eax, 0);
	free(c);
	free(sup);
}

static void test_numa_node_and_private_caches(void **state)
{
	struct kvm_cpuid2 *sup = make_supported();
	struct kvm_cpuid2 *c;

	(void)state;
	sup->entries[7].function = 0x8000001d; /* replace 0x8000001e for this test */
	sup->entries[7].eax = 0x0001c163;      /* "3 threads share this cache" */
	c = cpuid_for_vcpu(sup, &(struct cpuid_topology){ .index = 1, .nr_cpus = 2, .node = 1,
							  .nr_nodes = 2 });
	assert_int_equal((find(c, 0x8000001d, 0)->eax >> 14) & 0xfff, 0);
	assert_int_equal(find(c, 0x8000001d, 0)->eax & 0x3fff, 0x0163);
	free(c);
	free(sup);
	sup = make_supported();
	c = cpuid_for_vcpu(sup, &(struct cpuid_topology){ .index = 1, .nr_cpus = 2, .node = 1,
							  .nr_nodes = 2 });
	assert_int_equal(find(c, 0x8000001e, 0)->ecx & 0xff, 1);        /* node id */
	assert_int_equal((find(c, 0x8000001e, 0)->ecx >> 8) & 0x7, 1);  /* two nodes */
	assert_int_equal((find(c, 4, 0)->eax >> 14) & 0xfff, 0);        /* Intel: private caches */
	free(c);
	free(sup);
}

static void test_id_bits(void **state)
{
	(void)state;
	assert_int_equal(cpuid_id_bits(1), 0);
	assert_int_equal(cpuid_id_bits(2), 1);
	assert_int_equal(cpuid_id_bits(3), 2);
	assert_int_equal(cpuid_id_bits(64), 6);
	assert_int_equal(cpuid_id_bits(65), 7);
}

/* KVM on older kernels does not report the TSC-deadline bit; plugvm sets
 * it when the capability says the in-kernel LAPIC has the timer. */
static void test_tsc_deadline_from_capability(void **state)
{
	struct kvm_cpuid2 *sup = make_supported();
	struct kvm_cpuid2 *on, *off;

	(void)state;
	for (unsigned i = 0; i < sup->nent; i++)
		sup->entries[i].ecx = 0;
	on = cpuid_for_vcpu(sup, &(struct cpuid_topology){ .nr_cpus = 2, .nr_nodes = 1,
							   .tsc_deadline = true });
	off = cpuid_for_vcpu(sup, &(struct cpuid_topology){ .nr_cpus = 2, .nr_nodes = 1 });
	assert_true(find(on, 1, 0)->ecx & CPUID_1_ECX_TSC_DEADLINE);
	assert_false(find(off, 1, 0)->ecx & CPUID_1_ECX_TSC_DEADLINE);
	/* Only leaf 1 carries it. */
	assert_int_equal(find(on, 0xb, 0)->ecx & CPUID_1_ECX_TSC_DEADLINE, 0);
	free(on);
	free(off);
	free(sup);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf1_apic_id_count_and_hypervisor_bit),
		cmocka_unit_test(test_supported_copy_untouched),
		cmocka_unit_test(test_x2apic_topology),
		cmocka_unit_test(test_single_cpu_has_no_htt),
		cmocka_unit_test(test_numa_node_and_private_caches),
		cmocka_unit_test(test_id_bits),
		cmocka_unit_test(test_tsc_deadline_from_capability),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
