/* Which KVM quirks plugvm turns off, given what the host offers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvm.h"

static void test_slot_zap_all_only(void **state)
{
	(void)state;
	/* Linux 6.1 offers bits 0-6: nothing to turn off. */
	assert_int_equal(kvm_quirks_to_disable(0x7F), 0);
	/* Linux 6.12+ offers bit 7 (KVM_X86_QUIRK_SLOT_ZAP_ALL) among others: only it. */
	assert_int_equal(kvm_quirks_to_disable(0x5FF), 1u << 7);
	assert_int_equal(kvm_quirks_to_disable(1u << 7), 1u << 7);
	assert_int_equal(kvm_quirks_to_disable(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_zap_all_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
