#include "monitor/json_frame.h"

#include <stdbool.h>
#include <string.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_structural(char c)
{
	return strchr("{}[]:,\"", c) != NULL;
}

/* Index just past the string that opens at buf[i], or 0 if unfinished. */
static size_t string_end(const char *buf, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			return i + 1;
	}
	return 0;
}

static size_t container_end(const char *buf, size_t len, size_t i)
{
	unsigned depth = 0;

	for (; i < len; i++) {
		char c = buf[i];

		if (c == '"') {
			size_t end = string_end(buf, len, i);

			if (!end)
				return 0;
			i = end - 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

size_t json_frame_next(const char *buf, size_t len, size_t *start)
{
	size_t i = 0, j;

	while (i < len && is_space(buf[i]))
		i++;
	*start = i;
	if (i == len)
		return 0;
	if (buf[i] == '{' || buf[i] == '[')
		return container_end(buf, len, i);
	if (buf[i] == '"')
		return string_end(buf, len, i);
	if (is_structural(buf[i]))
		return i + 1; /* a stray '}' ':' ... on its own */
	/* A bare word or number: it ends at whitespace or a bracket. */
	for (j = i; j < len && !is_space(buf[j]) && !is_structural(buf[j]); j++)
		;
	return j < len ? j : 0;
}
