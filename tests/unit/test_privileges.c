/* privileges_check: setuid, setgid and capabilities gained at exec are refused with one
 * line naming which; a plain user and root start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "privileges.h"

static void test_plain_user_and_root_start(void **state)
{
	struct process_ids user = { .ruid = 1000, .euid = 1000, .rgid = 1000, .egid = 1000 };
	struct process_ids root = { 0 };
	char err[256] = "";

	(void)state;
	assert_int_equal(privileges_check(&user, err, sizeof(err)), 0);
	assert_int_equal(privileges_check(&root, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* The test itself runs as whoever runs it, never setuid. */
	struct process_ids self = privileges_current();
	assert_int_equal(privileges_check(&self, err, sizeof(err)), 0);
}

static void test_gained_privileges_are_refused(void **state)
{
	struct process_ids setuid_root = { .ruid = 1000, .euid = 0, .rgid = 1000, .egid = 1000,
					   .secure = true };
	struct process_ids setgid_kvm = { .ruid = 1000, .euid = 1000, .rgid = 1000, .egid = 109,
					  .secure = true };
	struct process_ids caps = { .ruid = 1000, .euid = 1000, .rgid = 1000, .egid = 1000,
				    .secure = true };
	char err[256];

	(void)state;
	assert_int_equal(privileges_check(&setuid_root, err, sizeof(err)), -1);
	assert_string_equal(err, "refusing to run setuid (user 1000 running as 0): run plugvm "
				 "as the user who owns the VM, with access to /dev/kvm");
	assert_int_equal(privileges_check(&setgid_kvm, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "refusing to run setgid (group 1000 running as 109)"));
	assert_int_equal(privileges_check(&caps, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "privileges gained at exec (file capabilities"));
	assert_null(strchr(err, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_user_and_root_start),
		cmocka_unit_test(test_gained_privileges_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
