#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void vprint(const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write so lines from several threads do not interleave. The
	 * leading \r keeps the line readable while the terminal is raw. */
	fprintf(stderr, "plugvm: %s\r\n", line);
}

void pv_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void pv_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void pv_debug(const char *fmt, ...)
{
	static int enabled = -1;
	va_list ap;

	if (enabled < 0)
		enabled = getenv("PLUGVM_DEBUG") != NULL;
	if (!enabled)
		return;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void pv_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	exit(1);
}

void pv_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

uint64_t pv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int pv_parse_uint(const char *s, int base, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull would skip blanks and accept a sign (negating the value). */
	if (!s || !(*s >= '0' && *s <= '9'))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

bool pv_id_wellformed(const char *id)
{
	/* Not isalpha()/isalnum(): their answer depends on the locale. */
	if (!id || !((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return false;
	for (const char *p = id + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return false;
	return true;
}

int pv_check_id(const char *id, char *err, size_t errlen)
{
	if (!id) {
		pv_format(err, errlen, "Parameter 'id' is missing");
		return -1;
	}
	if (!pv_id_wellformed(id)) {
		pv_format(err, errlen, "Parameter 'id' expects an identifier (a letter, then "
			  "letters, digits, '-', '.', '_')");
		return -1;
	}
	if (strlen(id) > PV_ID_MAX) {
		pv_format(err, errlen, "Parameter 'id' expects an identifier of at most %d "
			  "characters, not %zu", PV_ID_MAX, strlen(id));
		return -1;
	}
	return 0;
}

const char *pv_printable(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (len < 4) { /* not even room for "..." */
		if (len)
			buf[0] = '\0';
		return buf;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char piece[5];
		size_t k = 1;

		if (c >= 0x20 && c < 0x7f)
			piece[0] = (char)c;
		else
			k = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", c);
		/* Until the last byte, keep room for "..." and the NUL. */
		if (n + k + (s[1] ? 4 : 1) > len) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(buf + n, piece, k);
		n += k;
	}
	buf[n] = '\0';
	return buf;
}

/* Length of the valid UTF-8 character at s (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t utf8_char_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the NUL at the end stops here too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

char *pv_utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t len = utf8_char_len(p);

		if (len) {
			p += len;
		} else {
			*p++ = '?';
		}
	}
	return s;
}
