/*
 * Size strings with QEMU's rules (util/cutils.c do_strtosz), re-implemented:
 *   DIGITS[.DIGITS][SUFFIX]   decimal, optional fraction
 *   0xHEX[SUFFIX]             hexadecimal, no fraction
 * SUFFIX is one of B K M G T P E in either case, each a power of 1024. A
 * bare number is multiplied by default_unit. A fraction needs a multiplier
 * above one byte ("1.5G" or "1.5" for -m, never "1.5B"), and the result is
 * rounded down to whole bytes, as QEMU does. Leading zeros are decimal, not
 * octal. Signs, blanks, empty strings and anything after the suffix are
 * rejected, and so is any value that does not fit in 64 bits.
 */
#include "size.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Fraction digits beyond this cannot change a 64-bit byte count by more
 * than rounding; they are checked for being digits and then ignored. */
#define MAX_FRACTION_DIGITS 19

static int suffix_shift(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'B': return 0;
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	case 'P': return 50;
	case 'E': return 60;
	default: return -1;
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads the integer part; returns the number of characters used, 0 if there
 * were no digits, -1 on overflow. */
static int read_integer(const char *s, unsigned base, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	for (;; n++) {
		int d = base == 16 ? hex_value(s[n]) : (isdigit((unsigned char)s[n]) ? s[n] - '0' : -1);

		if (d < 0)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -1;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return n;
}

int parse_size(const char *text, uint64_t default_unit, uint64_t *out)
{
	const char *p = text;
	unsigned base = 10;
	uint64_t whole, frac_num = 0, frac_den = 1, mul;
	int n;
	int has_fraction = 0;

	if (!text || !*text || default_unit == 0)
		return -1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	n = read_integer(p, base, &whole);
	if (n <= 0)
		return -1; /* no digits (covers "-1", " 1", ".5", "G") or overflow */
	p += n;

	if (*p == '.') {
		if (base == 16)
			return -1;
		has_fraction = 1;
		p++;
		for (n = 0; isdigit((unsigned char)*p); p++, n++) {
			if (n < MAX_FRACTION_DIGITS) {
				frac_num = frac_num * 10 + (uint64_t)(*p - '0');
				frac_den *= 10;
			}
		}
	}

	if (*p) {
		int shift = suffix_shift(*p);

		if (shift < 0 || p[1] != '\0')
			return -1;
		mul = 1ULL << shift;
	} else {
		mul = default_unit;
	}
	if (has_fraction && mul == 1)
		return -1; /* "1.5B": a fraction of a byte */

	unsigned __int128 total = (unsigned __int128)whole * mul;

	total += (unsigned __int128)frac_num * mul / frac_den;
	if (total > UINT64_MAX)
		return -1;
	*out = (uint64_t)total;
	return 0;
}

const char *format_size(uint64_t bytes, char *buf, unsigned len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	unsigned i = 0;

	/* Climb while the next unit still divides exactly, so the text is
	 * never rounded. */
	while (bytes && i + 1 < sizeof(units) / sizeof(units[0]) && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)bytes, units[i]);
	return buf;
}
