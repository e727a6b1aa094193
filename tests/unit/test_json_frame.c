/* The QMP framer: texts split across reads and packed into one read, the
 * work per byte (each byte scanned once however the input is cut), and the
 * size and nesting limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <string.h>

#include "monitor/json_frame.h"
#include "strbuf.h"

#define PIECE 4096

/* A caller as the QMP server is one: appends each read, scans, drops what
 * the scanner says. Returns the status of the last scan; texts found go
 * to *texts (counted) and the last one to last[]. */
struct feeder {
	struct json_frame f;
	struct strbuf in;
	unsigned texts;
	char last[256];
};

static enum json_frame_status feed(struct feeder *d, const char *data, size_t len)
{
	enum json_frame_status st;
	size_t start, end;

	strbuf_append(&d->in, data, len);
	while ((st = json_frame_scan(&d->f, d->in.buf, d->in.len, &start, &end)) ==
	       JSON_FRAME_TEXT) {
		size_t n = end - start < sizeof(d->last) - 1 ? end - start : sizeof(d->last) - 1;

		memcpy(d->last, d->in.buf + start, n);
		d->last[n] = '\0';
		d->texts++;
		strbuf_consume(&d->in, end);
	}
	strbuf_consume(&d->in, end);
	return st;
}

static void feeder_init(struct feeder *d, size_t max_len, unsigned max_depth)
{
	memset(d, 0, sizeof(*d));
	json_frame_init(&d->f, max_len, max_depth);
}

/* An unfinished object of total bytes: {"execute": "x", "id": "aaaa... */
static char *unfinished_object(size_t total)
{
	static const char head[] = "{\"execute\": \"query-name\", \"id\": \"";
	char *buf = malloc(total);

	assert_non_null(buf);
	memset(buf, 'a', total);
	memcpy(buf, head, sizeof(head) - 1);
	return buf;
}

/* Bytes scanned to take in total bytes of one unfinished request, read
 * PIECE at a time. */
static unsigned long long scan_cost(size_t total)
{
	struct feeder d;
	char *buf = unfinished_object(total);
	unsigned long long cost;

	feeder_init(&d, 0, 0);
	for (size_t off = 0; off < total; off += PIECE)
		assert_int_equal(feed(&d, buf + off, total - off < PIECE ? total - off : PIECE),
				 JSON_FRAME_MORE);
	assert_int_equal(d.texts, 0);
	assert_int_equal(d.in.len, total); /* all of it kept for the parser */
	cost = d.f.scanned;
	strbuf_free(&d.in);
	free(buf);
	return cost;
}

/* Review finding 7: each 4 KiB read used to rescan the whole buffer, so
 * a 1 MiB request cost about 128 MiB of scanning. */
static void test_scan_is_linear(void **state)
{
	unsigned long long quarter = scan_cost(256 * 1024), full = scan_cost(1024 * 1024);

	(void)state;
	if (quarter != 256 * 1024 || full != 1024 * 1024)
		fail_msg("scanned %llu bytes to frame 256 KiB and %llu to frame 1 MiB; want each "
			 "byte once", quarter, full);
}

/* The same bytes framed the same way whatever the read boundaries. */
static void test_split_anywhere(void **state)
{
	static const char stream[] =
		"  {\"execute\": \"a\", \"id\": \"}{\\\"[\"}\r\n[1, [2, {\"x\": \"]\"}]]"
		"\"top\\\"level\" 42 } {\"execute\": \"b\"}\n";
	static const char *const want[] = {
		"{\"execute\": \"a\", \"id\": \"}{\\\"[\"}", "[1, [2, {\"x\": \"]\"}]]",
		"\"top\\\"level\"", "42", "}", "{\"execute\": \"b\"}",
	};
	size_t len = sizeof(stream) - 1;

	(void)state;
	for (size_t piece = 1; piece <= len; piece++) {
		struct feeder d;
		unsigned seen = 0;

		feeder_init(&d, 1024, 8);
		for (size_t off = 0; off < len; off += piece) {
			unsigned before = d.texts;

			assert_int_not_equal(feed(&d, stream + off, len - off < piece ? len - off : piece),
					     JSON_FRAME_TOO_LONG);
			/* Several texts in one piece: only the last is kept, so
			 * check via the count and the final one. */
			if (d.texts > before) {
				seen = d.texts;
				assert_string_equal(d.last, want[seen - 1]);
			}
		}
		assert_int_equal(seen, sizeof(want) / sizeof(want[0]));
		assert_int_equal(d.in.len, 0); /* trailing newline dropped too */
		strbuf_free(&d.in);
	}
}

static void test_whitespace_is_dropped(void **state)
{
	struct feeder d;

	(void)state;
	feeder_init(&d, 16, 4);
	/* Whitespace alone never counts against the size limit. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(feed(&d, " \r\n\t        ", 12), JSON_FRAME_MORE);
	assert_int_equal(d.in.len, 0);
	assert_int_equal(feed(&d, "   {\"a\":", 8), JSON_FRAME_MORE);
	assert_int_equal(d.in.len, 5); /* only the text is kept */
	assert_int_equal(feed(&d, " 1}", 3), JSON_FRAME_MORE);
	assert_int_equal(d.texts, 1);
	assert_string_equal(d.last, "{\"a\": 1}");
	strbuf_free(&d.in);
}

static void test_size_limit(void **state)
{
	struct feeder d;
	char text[40];

	(void)state;
	/* Exactly max_len bytes is fine, one more is not. */
	memset(text, ' ', sizeof(text));
	memcpy(text, "{\"a\": \"", 7);
	text[30] = '"';
	text[31] = '}'; /* a 32-byte object */
	feeder_init(&d, 32, 4);
	assert_int_equal(feed(&d, text, 32), JSON_FRAME_MORE);
	assert_int_equal(d.texts, 1);
	strbuf_free(&d.in);

	feeder_init(&d, 31, 4);
	assert_int_equal(feed(&d, text, 16), JSON_FRAME_MORE);
	assert_int_equal(feed(&d, text + 16, 16), JSON_FRAME_TOO_LONG);
	assert_int_equal(d.texts, 0);
	assert_int_equal(d.in.len, 0); /* the caller was told to drop it all */
	strbuf_free(&d.in);

	/* Unfinished input is refused as soon as it passes the limit, not
	 * buffered until it ends. */
	feeder_init(&d, 1024, 4);
	assert_int_equal(feed(&d, "\"", 1), JSON_FRAME_MORE);
	for (int i = 0; i < 1023 / 8; i++)
		assert_int_equal(feed(&d, "xxxxxxxx", 8), JSON_FRAME_MORE);
	assert_int_equal(feed(&d, "xxxxxxxx", 8), JSON_FRAME_TOO_LONG);
	strbuf_free(&d.in);

	/* A bare word counts too. */
	feeder_init(&d, 8, 4);
	assert_int_equal(feed(&d, "12345678 ", 9), JSON_FRAME_MORE);
	assert_int_equal(d.texts, 1);
	assert_int_equal(feed(&d, "123456789", 9), JSON_FRAME_TOO_LONG);
	strbuf_free(&d.in);
}

static void test_depth_limit(void **state)
{
	struct feeder d;
	char deep[2 * 5 + 1];

	(void)state;
	/* 4 levels: accepted with max_depth 4. */
	feeder_init(&d, 1024, 4);
	assert_int_equal(feed(&d, "[{\"a\": [[]]}]", 13), JSON_FRAME_MORE);
	assert_int_equal(d.texts, 1);
	/* 5 levels: refused at the fifth opening bracket, without waiting
	 * for the rest. */
	assert_int_equal(feed(&d, "[[[[", 4), JSON_FRAME_MORE);
	assert_int_equal(feed(&d, "[", 1), JSON_FRAME_TOO_DEEP);
	strbuf_free(&d.in);
	/* Brackets inside strings do not count. */
	feeder_init(&d, 1024, 1);
	assert_int_equal(feed(&d, "{\"a\": \"[[[{{{\"}", 15), JSON_FRAME_MORE);
	assert_int_equal(d.texts, 1);
	strbuf_free(&d.in);
	/* 0 means no limit (plugctl's json_frame_next). */
	memcpy(deep, "[[[[[]]]]]", sizeof(deep));
	feeder_init(&d, 0, 0);
	assert_int_equal(feed(&d, deep, 10), JSON_FRAME_MORE);
	assert_int_equal(d.texts, 1);
	strbuf_free(&d.in);
}

/* The stateless call plugctl uses keeps its old contract. */
static void test_frame_next(void **state)
{
	size_t start;

	(void)state;
	assert_int_equal(json_frame_next("  {\"a\": \"}\\\"\"} x", 16, &start), 14);
	assert_int_equal(start, 2);
	assert_int_equal(json_frame_next("{\"a\": [1, 2", 11, &start), 0);
	assert_int_equal(start, 0);
	assert_int_equal(json_frame_next(" \r\n", 3, &start), 0);
	assert_int_equal(start, 3);
	assert_int_equal(json_frame_next("} ", 2, &start), 1);
	assert_int_equal(start, 0);
	assert_int_equal(json_frame_next("foo", 3, &start), 0);
	assert_int_equal(json_frame_next("foo\n", 4, &start), 3);
	assert_int_equal(json_frame_next(" \"s\" ", 5, &start), 4);
	assert_int_equal(start, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_is_linear),
		cmocka_unit_test(test_split_anywhere),
		cmocka_unit_test(test_whitespace_is_dropped),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_frame_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
