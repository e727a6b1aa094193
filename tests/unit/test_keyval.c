/* keyval: QEMU's key=value option strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "keyval.h"
#include "util.h"

static char err[256];

static void parse_ok(const char *text, const char *implied, struct keyval_list *kv)
{
	err[0] = '\0';
	if (keyval_parse(text, implied, kv, err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", text, err);
}

/* Checks the failure and that the message is one line naming needle. */
static void parse_bad(const char *text, const char *implied, const char *needle)
{
	struct keyval_list kv = {0};

	err[0] = '\0';
	if (keyval_parse(text, implied, &kv, err, sizeof(err)) != -1)
		fail_msg("'%s' accepted", text);
	assert_null(kv.items);
	assert_int_equal(kv.count, 0);
	assert_non_null(strstr(err, needle));
	assert_null(strchr(err, '\n'));
}

static void test_implied_key(void **state)
{
	struct keyval_list kv;

	(void)state;
	parse_ok("memory-backend-ram,id=m1,size=1G", "qom-type", &kv);
	assert_int_equal(kv.count, 3);
	assert_string_equal(kv.items[0].key, "qom-type");
	assert_string_equal(keyval_get(&kv, "qom-type"), "memory-backend-ram");
	assert_string_equal(keyval_get(&kv, "id"), "m1");
	assert_string_equal(keyval_get(&kv, "size"), "1G");
	assert_null(keyval_get(&kv, "share"));
	keyval_free(&kv);

	/* The implied key may also be written out. */
	parse_ok("qom-type=memory-backend-ram,id=m1", "qom-type", &kv);
	assert_string_equal(keyval_get(&kv, "qom-type"), "memory-backend-ram");
	keyval_free(&kv);

	/* Only the first element can be implied. */
	parse_ok("id=m1,memory-backend-ram", "qom-type", &kv);
	assert_null(keyval_get(&kv, "qom-type"));
	assert_string_equal(keyval_get(&kv, "memory-backend-ram"), "on");
	keyval_free(&kv);

	/* Without an implied key a bare first word is a flag. */
	parse_ok("node,nodeid=1", NULL, &kv);
	assert_string_equal(keyval_get(&kv, "node"), "on");
	keyval_free(&kv);

	/* Implied value giving the same key again is a duplicate. */
	parse_bad("4,cpus=4", "cpus", "cpus");
}

static void test_flags_and_values(void **state)
{
	struct keyval_list kv;

	(void)state;
	parse_ok("/tmp/q.sock,server,nowait", "path", &kv);
	assert_string_equal(keyval_get(&kv, "path"), "/tmp/q.sock");
	assert_string_equal(keyval_get(&kv, "server"), "on");
	assert_string_equal(keyval_get(&kv, "nowait"), "on");
	keyval_free(&kv);

	/* "noflag" is not special. */
	parse_ok("a=1,nowait", NULL, &kv);
	assert_null(keyval_get(&kv, "wait"));
	keyval_free(&kv);

	/* Empty values, '=' inside values, a trailing comma. */
	parse_ok("a=,b=x=y,", NULL, &kv);
	assert_int_equal(kv.count, 2);
	assert_string_equal(keyval_get(&kv, "a"), "");
	assert_string_equal(keyval_get(&kv, "b"), "x=y");
	keyval_free(&kv);

	parse_ok("", "driver", &kv);
	assert_int_equal(kv.count, 0);
	keyval_free(&kv);
}

static void test_comma_escape(void **state)
{
	struct keyval_list kv;

	(void)state;
	parse_ok("file,,name,id=x", "path", &kv);
	assert_string_equal(keyval_get(&kv, "path"), "file,name");
	assert_string_equal(keyval_get(&kv, "id"), "x");
	keyval_free(&kv);

	parse_ok("a=1,,2,,,b=3", NULL, &kv);
	assert_string_equal(keyval_get(&kv, "a"), "1,2,");
	assert_string_equal(keyval_get(&kv, "b"), "3");
	keyval_free(&kv);

	parse_ok("a=x,,", NULL, &kv);
	assert_string_equal(keyval_get(&kv, "a"), "x,");
	keyval_free(&kv);
}

static void test_errors(void **state)
{
	(void)state;
	parse_bad("id=a,id=b", "qom-type", "'id'");
	parse_bad("id=a,id=a", NULL, "more than once");
	parse_bad("x,qom-type=y", "qom-type", "qom-type");
	parse_bad(",id=a", "qom-type", "empty");
	parse_bad("a=1,=2", NULL, "name");
	parse_bad("a b=1", NULL, "'a b'");
	parse_bad("k!=1", NULL, "'k!'");
	parse_bad("a=1,b c", NULL, "'b c'");
}

static void test_get_bool(void **state)
{
	struct keyval_list kv;
	bool b;

	(void)state;
	parse_ok("a=on,b=off,c=yes,d=no,e=true,f=false,g=maybe,h", NULL, &kv);
	assert_int_equal(keyval_get_bool(&kv, "a", false, &b), 0), assert_true(b);
	assert_int_equal(keyval_get_bool(&kv, "b", true, &b), 0), assert_false(b);
	assert_int_equal(keyval_get_bool(&kv, "c", false, &b), 0), assert_true(b);
	assert_int_equal(keyval_get_bool(&kv, "d", true, &b), 0), assert_false(b);
	assert_int_equal(keyval_get_bool(&kv, "e", false, &b), 0), assert_true(b);
	assert_int_equal(keyval_get_bool(&kv, "f", true, &b), 0), assert_false(b);
	assert_int_equal(keyval_get_bool(&kv, "g", false, &b), -1);
	assert_int_equal(keyval_get_bool(&kv, "h", false, &b), 0), assert_true(b);
	assert_int_equal(keyval_get_bool(&kv, "absent", true, &b), 0), assert_true(b);
	assert_int_equal(keyval_get_bool(&kv, "absent", false, &b), 0), assert_false(b);
	keyval_free(&kv);
}

static void test_get_size(void **state)
{
	struct keyval_list kv;
	uint64_t v;

	(void)state;
	parse_ok("a=1G,b=4096,c=1.5M,d=lots,e=-1", NULL, &kv);
	assert_int_equal(keyval_get_size(&kv, "a", 0, &v), 0);
	assert_int_equal(v, GiB);
	/* Bare numbers are bytes for properties. */
	assert_int_equal(keyval_get_size(&kv, "b", 0, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(keyval_get_size(&kv, "c", 0, &v), 0);
	assert_int_equal(v, 3 * MiB / 2);
	assert_int_equal(keyval_get_size(&kv, "d", 0, &v), -1);
	assert_int_equal(keyval_get_size(&kv, "e", 0, &v), -1);
	assert_int_equal(keyval_get_size(&kv, "absent", 77, &v), 0);
	assert_int_equal(v, 77);
	keyval_free(&kv);
}

static void test_set_copy_unknown(void **state)
{
	static const char *const allowed[] = {"driver", "id", "memdev", NULL};
	struct keyval_list kv, copy;

	(void)state;
	parse_ok("pc-dimm,id=d1", "driver", &kv);
	assert_null(keyval_unknown_key(&kv, allowed));
	assert_int_equal(keyval_set(&kv, "memdev", "m1"), 0);
	assert_int_equal(kv.count, 3);
	assert_int_equal(keyval_set(&kv, "id", "d2"), 0);
	assert_int_equal(kv.count, 3);
	assert_string_equal(keyval_get(&kv, "id"), "d2");

	assert_int_equal(keyval_copy(&copy, &kv), 0);
	assert_int_equal(copy.count, 3);
	assert_ptr_not_equal(copy.items[0].key, kv.items[0].key);
	keyval_free(&kv);
	assert_int_equal(kv.count, 0);
	assert_null(kv.items);
	keyval_free(&kv); /* twice is harmless */
	assert_string_equal(keyval_get(&copy, "memdev"), "m1");
	assert_string_equal(keyval_get(&copy, "driver"), "pc-dimm");

	assert_int_equal(keyval_set(&copy, "bogus", "1"), 0);
	assert_string_equal(keyval_unknown_key(&copy, allowed), "bogus");
	keyval_free(&copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_implied_key), cmocka_unit_test(test_flags_and_values),
		cmocka_unit_test(test_comma_escape), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_get_bool),    cmocka_unit_test(test_get_size),
		cmocka_unit_test(test_set_copy_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
