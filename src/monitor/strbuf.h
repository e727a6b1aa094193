/* A growable, always NUL-terminated text buffer for monitor output. */
#ifndef PLUGVM_MONITOR_STRBUF_H
#define PLUGVM_MONITOR_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;   /* NULL until the first append */
	size_t len;
	size_t cap;
	bool oom;    /* an append failed; the text is truncated */
};

void strbuf_append(struct strbuf *sb, const char *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *text);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (consumed input, sent output). */
void strbuf_consume(struct strbuf *sb, size_t n);
/* Hands the text to the caller (never NULL unless out of memory) and empties sb. */
char *strbuf_steal(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

#endif
