/*
 * plugvm's one growable byte buffer, always followed by a NUL so text can be read as a
 * C string: monitor output and input queues, plugctl's and the relay's buffers, and the
 * byte stream of every ACPI table (struct aml_buf, acpi/aml.h). Running out of memory
 * is sticky: oom is set, what could not be added is dropped, and later appends do
 * nothing, so callers check once at the end.
 */
#ifndef PLUGVM_STRBUF_H
#define PLUGVM_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;   /* NULL until the first append */
	size_t len;
	size_t cap;
	bool oom;    /* an append failed; the text is truncated */
};

void strbuf_append(struct strbuf *sb, const void *data, size_t len);
/* n zero bytes. */
void strbuf_append_zeros(struct strbuf *sb, size_t n);
/* Puts len bytes at pos (at most sb->len), moving what follows up. */
void strbuf_insert(struct strbuf *sb, size_t pos, const void *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *text);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (consumed input, sent output). */
void strbuf_consume(struct strbuf *sb, size_t n);
/* Hands the text to the caller (never NULL unless out of memory) and empties sb. */
char *strbuf_steal(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

#endif
