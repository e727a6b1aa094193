/*
 * HMP: the input is what a user types into a monitor (a unix socket client, -monitor
 * stdio or mon:stdio all feed hmp_session_input). It goes through the real line editing
 * (src/monitor/hmp_session.c: echo, backspace, escape sequences, \r\n) and the command
 * language (src/monitor/hmp.c, hmp_info.c), with the fake VM of fuzz_fake_vm.h behind
 * control_ops; each input line also runs through hmp_execute on its own.
 *
 * Input bytes that also steer the run (they stay part of the stream):
 *   first byte: bit 0x20: the session echoes; pieces of 1 + (byte % 7) bytes for the
 *               second session (see below);
 *   last byte:  0b10xxxxxx: the fake VM lacks the operations of mask xxxxxx.
 *
 * Invariants:
 *   - the session prints the banner and one prompt per line (counted for inputs without
 *     ESC, whose escape sequences may swallow a line end), and nothing is left
 *     allocated (ASan's leak check);
 *   - typing the input in small pieces prints exactly what typing it at once prints,
 *     and leaves the fake VM in the same state;
 *   - every command output ends in "\r\n" (or is empty) and has no bare "\n";
 *   - a line that is valid UTF-8 gives output that is valid UTF-8 (QMP's
 *     human-monitor-command sends the output as a JSON string, which must be UTF-8).
 */
#include <jansson.h>

#include "fuzz_common.h"
#include "fuzz_fake_vm.h"
#include "monitor/hmp.h"
#include "strbuf.h"

static void sink(void *opaque, const char *text, size_t len)
{
	strbuf_append(opaque, text, len);
}

static unsigned count(const struct strbuf *sb, const char *what)
{
	size_t wlen = strlen(what);
	unsigned n = 0;

	for (const char *p = sb->buf; p && (p = memmem(p, sb->len - (size_t)(p - sb->buf), what, wlen));
	     p += wlen)
		n++;
	return n;
}

/* Runs one session over the whole input, in pieces of `piece` bytes. */
static void run_session(const struct control_ops *ops, bool echo, const uint8_t *data,
			size_t size, size_t piece, struct strbuf *out)
{
	struct hmp_session *s = hmp_session_new(ops, echo, sink, out);

	FUZZ_CHECK(s, "hmp_session_new");
	hmp_session_start(s);
	for (size_t off = 0; off < size; off += piece)
		hmp_session_input(s, data + off, size - off < piece ? size - off : piece);
	hmp_session_free(s);
}

static bool valid_utf8(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);

	json_decref(j);
	return j != NULL;
}

static void check_line(const struct control_ops *ops, const char *line, size_t len)
{
	char *out = hmp_execute(ops, line);
	size_t olen;

	FUZZ_CHECK(out, "hmp_execute returned NULL");
	olen = strlen(out);
	FUZZ_CHECK(olen == 0 || (olen >= 2 && memcmp(out + olen - 2, "\r\n", 2) == 0),
		   "output does not end in \\r\\n: %s", out);
	for (size_t i = 0; i < olen; i++)
		FUZZ_CHECK(out[i] != '\n' || (i > 0 && out[i - 1] == '\r'), "bare \\n in: %s", out);
	if (valid_utf8(line, len))
		FUZZ_CHECK(valid_utf8(out, olen), "invalid UTF-8 output for a UTF-8 line: %s", out);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t first = size ? data[0] : 0, last = size ? data[size - 1] : 0;
	struct control_ops ops = fake_vm_ops((last & 0xc0) == 0x80 ? last & 0x3f : 0);
	bool echo = first & 0x20;
	struct strbuf whole = { 0 }, pieces = { 0 };
	unsigned lines = 0;
	char *copy;

	hmp_set_vm_name((first & 1) ? "fuzz-vm" : NULL);
	fuzz_quiet();

	/* The same keystrokes twice, from the same VM state: at once, then in pieces. */
	fake_vm_reset();
	run_session(&ops, echo, data, size, size ? size : 1, &whole);
	fake_vm_reset();
	run_session(&ops, echo, data, size, 1 + first % 7, &pieces);
	FUZZ_CHECK(!whole.oom && !pieces.oom, "out of memory");
	FUZZ_CHECK(whole.len == pieces.len && memcmp(whole.buf, pieces.buf, whole.len) == 0,
		   "typing in pieces printed something else (%zu bytes, not %zu)", pieces.len,
		   whole.len);

	/* Lines end at \r, \n or \r\n (a \n right after a \r ends nothing). An escape
	 * sequence may swallow one, so only inputs without ESC are counted. */
	for (size_t i = 0; i < size && lines != UINT32_MAX; i++) {
		if (data[i] == 0x1b)
			lines = UINT32_MAX;
		else
			lines += data[i] == '\r' || (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'));
	}
	FUZZ_CHECK(lines == UINT32_MAX || count(&whole, HMP_PROMPT) >= lines + 1,
		   "%u prompts for %u lines", count(&whole, HMP_PROMPT), lines);
	strbuf_free(&whole);
	strbuf_free(&pieces);

	/* Each line on its own through hmp_execute, as human-monitor-command runs it. */
	fake_vm_reset();
	copy = malloc(size + 1);
	FUZZ_CHECK(copy, "malloc");
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *line = copy, *end; line <= copy + size; line = end + 1) {
		end = line + strcspn(line, "\r\n");
		if (end > copy + size)
			end = copy + size;
		*end = '\0';
		check_line(&ops, line, (size_t)(end - line));
	}
	free(copy);
	fuzz_stdio_restore();
	return 0;
}
