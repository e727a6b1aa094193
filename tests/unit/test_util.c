/* util.c: pv_utf8_scrub, which keeps error messages that quote a client's text valid
 * UTF-8 for JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

static void expect_scrub(const char *in, const char *want)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s", in);
	assert_string_equal(pv_utf8_scrub(buf), want);
}

static void test_utf8_scrub(void **state)
{
	(void)state;
	expect_scrub("", "");
	expect_scrub("plain ASCII 'x'", "plain ASCII 'x'");
	expect_scrub("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_scrub("cut \xc3", "cut ?");                  /* a 2-byte character cut */
	expect_scrub("cut \xe2\x82", "cut ??");             /* a 3-byte one */
	expect_scrub("near '\"b\\\xde' x", "near '\"b\\?' x"); /* cut in the middle */
	expect_scrub("\x8d\xff\xfe", "???");                /* stray bytes */
	expect_scrub("\xc0\xaf", "??");                     /* overlong '/' */
	expect_scrub("\xed\xa0\x80", "???");                /* surrogate U+D800 */
	expect_scrub("\xf4\x90\x80\x80", "????");           /* above U+10FFFF */
	expect_scrub("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF itself */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_scrub),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
