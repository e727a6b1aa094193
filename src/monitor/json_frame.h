/*
 * Splits a QMP byte stream into JSON texts, as QEMU's JSON streamer does:
 * an object or array ends when its brackets balance (strings and escapes
 * respected), so several texts per read and texts split across reads both
 * work. The text itself is then parsed by jansson; this only frames it.
 *
 * struct json_frame keeps the scan's state between reads, so a request
 * that arrives in many pieces is scanned once, not once per piece, and it
 * enforces the size and nesting limits before the text is buffered whole.
 */
#ifndef PLUGVM_MONITOR_JSON_FRAME_H
#define PLUGVM_MONITOR_JSON_FRAME_H

#include <stdbool.h>
#include <stddef.h>

enum json_frame_status {
	JSON_FRAME_MORE,     /* no complete text yet: read more */
	JSON_FRAME_TEXT,     /* buf[*start, *end) is one text */
	JSON_FRAME_TOO_LONG, /* the current text passed max_len bytes */
	JSON_FRAME_TOO_DEEP, /* the current text nests deeper than max_depth */
};

struct json_frame {
	size_t max_len;     /* longest text accepted, in bytes; 0: no limit */
	unsigned max_depth; /* deepest bracket nesting accepted; 0: no limit */
	/* Scan state; private to json_frame.c. */
	size_t pos;         /* next byte of the caller's buffer to look at */
	size_t start;       /* where the current text begins */
	unsigned depth;
	unsigned char kind; /* what the current text is (none yet, container, ...) */
	bool in_string, escape;
	/* Bytes looked at since json_frame_init: lets tests check the work
	 * stays linear in the input. */
	unsigned long long scanned;
};

void json_frame_init(struct json_frame *f, size_t max_len, unsigned max_depth);

/* Scans what buf[0, len) holds beyond the bytes seen by earlier calls.
 * After every call the caller removes the first *end bytes from its
 * buffer and keeps the rest in place; the next call then passes those
 * remaining bytes followed by newly read ones. *end is:
 *   JSON_FRAME_TEXT: the end of the text buf[*start, *end) (whitespace
 *     before *start belongs to no text);
 *   JSON_FRAME_MORE: whitespace that came before any text, often 0
 *     (*start == *end);
 *   JSON_FRAME_TOO_LONG / TOO_DEEP: len: the stream cannot be framed any
 *     more (the rest of that text would be read as new texts), so the
 *     caller should report the error and stop reading this stream.
 * A top-level scalar or stray character is framed too (up to the next
 * whitespace or bracket) so the caller can report it instead of waiting. */
enum json_frame_status json_frame_scan(struct json_frame *f, const char *buf, size_t len,
				       size_t *start, size_t *end);

/* The same without kept state or limits, for a caller that holds only a
 * few small texts (plugctl reading replies): finds the first JSON text in
 * buf[0, len). Returns the number of bytes it ends at (leading whitespace
 * included) and sets *start to where the text begins; returns 0 when buf
 * holds only whitespace or an unfinished text. */
size_t json_frame_next(const char *buf, size_t len, size_t *start);

#endif
