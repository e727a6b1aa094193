#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1, cap = sb->cap ? sb->cap : 256;
	char *p;

	if (sb->oom)
		return false;
	if (need <= sb->cap)
		return true;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (!p) {
		sb->oom = true;
		return false;
	}
	sb->buf = p;
	sb->cap = cap;
	return true;
}

void strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	if (!reserve(sb, len))
		return;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_append_zeros(struct strbuf *sb, size_t n)
{
	if (!reserve(sb, n))
		return;
	memset(sb->buf + sb->len, 0, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_insert(struct strbuf *sb, size_t pos, const void *data, size_t len)
{
	if (pos > sb->len) {
		sb->oom = true; /* a caller's bug; the text is no longer what it meant */
		return;
	}
	if (!reserve(sb, len))
		return;
	memmove(sb->buf + pos + len, sb->buf + pos, sb->len - pos + 1); /* with the NUL */
	memcpy(sb->buf + pos, data, len);
	sb->len += len;
}

void strbuf_puts(struct strbuf *sb, const char *text)
{
	strbuf_append(sb, text, strlen(text));
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void strbuf_consume(struct strbuf *sb, size_t n)
{
	/* Callers consume 0 bytes often (the JSON framer after most reads):
	 * skip the memmove of the whole buffer then. */
	if (n == 0)
		return;
	if (n >= sb->len) {
		sb->len = 0;
	} else {
		memmove(sb->buf, sb->buf + n, sb->len - n);
		sb->len -= n;
	}
	if (sb->buf)
		sb->buf[sb->len] = '\0';
}

char *strbuf_steal(struct strbuf *sb)
{
	char *text = sb->buf ? sb->buf : strdup("");

	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = false;
	return text;
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = false;
}
