/*
 * Splits a QMP byte stream into JSON texts, as QEMU's JSON streamer does:
 * an object or array ends when its brackets balance (strings and escapes
 * respected), so several texts per read and texts split across reads both
 * work. The text itself is then parsed by jansson; this only frames it.
 */
#ifndef PLUGVM_MONITOR_JSON_FRAME_H
#define PLUGVM_MONITOR_JSON_FRAME_H

#include <stddef.h>

/* Finds the first JSON text in buf[0, len). Returns the number of bytes it
 * ends at (leading whitespace included) and sets *start to where the text
 * begins; returns 0 when buf holds only whitespace or an unfinished text.
 * A top-level scalar or stray character is framed too (up to the next
 * whitespace or bracket) so the caller can report it instead of waiting. */
size_t json_frame_next(const char *buf, size_t len, size_t *start);

#endif
