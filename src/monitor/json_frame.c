#include "monitor/json_frame.h"

#include <string.h>

enum { KIND_NONE, KIND_CONTAINER, KIND_STRING, KIND_WORD };

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_structural(char c)
{
	return c && strchr("{}[]:,\"", c) != NULL;
}

static void forget_text(struct json_frame *f)
{
	f->pos = f->start = 0;
	f->depth = 0;
	f->kind = KIND_NONE;
	f->in_string = f->escape = false;
}

void json_frame_init(struct json_frame *f, size_t max_len, unsigned max_depth)
{
	memset(f, 0, sizeof(*f));
	f->max_len = max_len;
	f->max_depth = max_depth;
}

/* The caller drops everything up to text_end, so positions restart at 0. */
static enum json_frame_status emit(struct json_frame *f, size_t text_end, size_t *start,
				   size_t *end)
{
	*start = f->start;
	*end = text_end;
	forget_text(f);
	return JSON_FRAME_TEXT;
}

static enum json_frame_status fail(struct json_frame *f, enum json_frame_status why, size_t len,
				   size_t *start, size_t *end)
{
	*start = *end = len;
	forget_text(f);
	return why;
}

/* Starts a text at buf[f->pos]; returns true for a one-character text. */
static bool begin_text(struct json_frame *f, char c)
{
	f->start = f->pos;
	if (c == '{' || c == '[')
		f->kind = KIND_CONTAINER; /* the bracket itself is counted below */
	else if (c == '"')
		f->kind = KIND_STRING; /* the quote opens the string below */
	else if (is_structural(c))
		return true; /* a stray '}' ':' ... on its own */
	else
		f->kind = KIND_WORD;
	return false;
}

enum json_frame_status json_frame_scan(struct json_frame *f, const char *buf, size_t len,
				       size_t *start, size_t *end)
{
	for (; f->pos < len; f->pos++) {
		char c = buf[f->pos];

		f->scanned++;
		if (f->kind == KIND_NONE) {
			if (is_space(c))
				continue;
			if (begin_text(f, c))
				return emit(f, f->pos + 1, start, end);
		}
		/* A bare word or number ends at whitespace or a bracket, which
		 * is not part of it. */
		if (f->kind == KIND_WORD && (is_space(c) || is_structural(c)))
			return emit(f, f->pos, start, end);
		if (f->max_len && f->pos - f->start >= f->max_len)
			return fail(f, JSON_FRAME_TOO_LONG, len, start, end);
		if (f->kind == KIND_WORD)
			continue;
		if (f->in_string) {
			if (f->escape)
				f->escape = false;
			else if (c == '\\')
				f->escape = true;
			else if (c == '"')
				f->in_string = false;
			if (!f->in_string && f->kind == KIND_STRING)
				return emit(f, f->pos + 1, start, end);
		} else if (c == '"') {
			f->in_string = true;
		} else if (c == '{' || c == '[') {
			if (f->max_depth && f->depth == f->max_depth)
				return fail(f, JSON_FRAME_TOO_DEEP, len, start, end);
			f->depth++;
		} else if ((c == '}' || c == ']') && --f->depth == 0) {
			return emit(f, f->pos + 1, start, end);
		}
	}
	/* Whitespace before the text is the caller's to drop; keeping only the
	 * text means positions stay small and the caller's buffer holds no
	 * more than the limit. */
	*start = *end = f->kind == KIND_NONE ? len : f->start;
	f->pos -= *end;
	f->start = 0;
	return JSON_FRAME_MORE;
}

size_t json_frame_next(const char *buf, size_t len, size_t *start)
{
	struct json_frame f;
	size_t end;

	json_frame_init(&f, 0, 0);
	return json_frame_scan(&f, buf, len, start, &end) == JSON_FRAME_TEXT ? end : 0;
}
