/* PLUGVM_TRACE: lines logged while a thread holds the trace reach the file only at its
 * last release, whole and in order, so a timed step does not pay for the writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

static char trace_path[] = "/tmp/plugvm-test-trace-XXXXXX";

/* The file's text from byte `from` on (a static buffer). */
static const char *file_from(long from)
{
	static char text[65536];
	FILE *f = fopen(trace_path, "r");
	size_t n;

	assert_non_null(f);
	assert_int_equal(fseek(f, from, SEEK_SET), 0);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static long file_size(void)
{
	return (long)strlen(file_from(0));
}

static int setup(void **state)
{
	int fd = mkstemp(trace_path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	setenv("PLUGVM_TRACE", trace_path, 1);
	return pv_trace_on() ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unlink(trace_path);
	return 0;
}

static void test_unheld_lines_are_written_at_once(void **state)
{
	long before = file_size();
	unsigned long long t;
	char what[32];

	(void)state;
	pv_trace("device_add %d", 7);
	assert_int_equal(sscanf(file_from(before), "%llu %31s", &t, what), 2);
	assert_string_equal(what, "device_add");
	assert_non_null(strstr(file_from(before), " device_add 7\n"));
}

static void test_held_lines_wait_for_the_last_release(void **state)
{
	long before = file_size();
	unsigned long long t1, t2, t3;

	(void)state;
	pv_trace_hold();
	pv_trace("io %d", 1);
	pv_trace_hold(); /* nested, as an _EJ0 access holding around KVM's slot change */
	pv_trace("kvm-slot %d", 2);
	pv_trace_release();
	assert_int_equal(file_size(), before);
	pv_trace("eject %d", 3);
	assert_int_equal(file_size(), before);
	pv_trace_release();
	assert_int_equal(sscanf(file_from(before), "%llu io 1\n%llu kvm-slot 2\n%llu eject 3\n",
				&t1, &t2, &t3),
			 3);
	assert_true(t1 <= t2 && t2 <= t3); /* each keeps the time it was logged at */
	pv_trace_release(); /* one release too many changes nothing */
	pv_trace("after %d", 4);
	assert_non_null(strstr(file_from(before), " after 4\n"));
}

static void test_a_full_hold_buffer_loses_no_line(void **state)
{
	long before = file_size();
	const char *text;
	char want[32];

	(void)state;
	pv_trace_hold();
	for (int i = 0; i < 500; i++)
		pv_trace("line %03d", i);
	pv_trace_release();
	text = file_from(before);
	for (int i = 0; i < 500; i++) {
		const char *at;

		snprintf(want, sizeof(want), " line %03d\n", i);
		at = strstr(text, want);
		assert_non_null(at);
		text = at; /* in order */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unheld_lines_are_written_at_once),
		cmocka_unit_test(test_held_lines_wait_for_the_last_release),
		cmocka_unit_test(test_a_full_hold_buffer_loses_no_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
