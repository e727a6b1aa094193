/*
 * Line editing for an interactive HMP user. The terminal (or socket peer)
 * sends raw bytes, so this echoes them, handles backspace, and ends a line
 * at \r, \n or \r\n. Cursor keys and other escape sequences are swallowed
 * rather than inserted as garbage; there is no history or completion.
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp.h"
#include "strbuf.h"

#define HMP_LINE_MAX 4096

enum esc_state { ESC_NONE, ESC_START, ESC_CSI };

struct hmp_session {
	const struct control_ops *ops;
	bool echo;
	hmp_write_fn write;
	void *opaque;
	char line[HMP_LINE_MAX];
	size_t len;
	bool after_cr;  /* a \n right after \r ends nothing */
	enum esc_state esc;
};

struct hmp_session *hmp_session_new(const struct control_ops *ops, bool echo, hmp_write_fn write,
				    void *opaque)
{
	struct hmp_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = ops;
	s->echo = echo;
	s->write = write;
	s->opaque = opaque;
	return s;
}

void hmp_session_free(struct hmp_session *s)
{
	free(s);
}

static void put(struct hmp_session *s, const char *text)
{
	s->write(s->opaque, text, strlen(text));
}

void hmp_session_prompt(struct hmp_session *s)
{
	put(s, HMP_PROMPT);
}

void hmp_session_start(struct hmp_session *s)
{
	put(s, "plugvm " PLUGVM_VERSION " monitor - type 'help' for more information\r\n");
	hmp_session_prompt(s);
}

static void flush_echo(struct hmp_session *s, struct strbuf *echo)
{
	if (s->echo && echo->len)
		s->write(s->opaque, echo->buf, echo->len);
	strbuf_consume(echo, echo->len);
}

static void run_line(struct hmp_session *s, struct strbuf *echo)
{
	char *out;

	strbuf_puts(echo, "\r\n");
	flush_echo(s, echo);
	s->line[s->len] = '\0';
	s->len = 0;
	out = hmp_execute(s->ops, s->line);
	if (out) {
		put(s, out);
		free(out);
	}
	hmp_session_prompt(s);
}

/* True when c belongs to an escape sequence and must not be inserted. */
static bool in_escape(struct hmp_session *s, unsigned char c)
{
	switch (s->esc) {
	case ESC_START:
		s->esc = (c == '[' || c == 'O') ? ESC_CSI : ESC_NONE;
		return true;
	case ESC_CSI:
		if (c >= 0x40 && c <= 0x7e)
			s->esc = ESC_NONE; /* the final byte */
		return true;
	default:
		if (c != 0x1b)
			return false;
		s->esc = ESC_START;
		return true;
	}
}

void hmp_session_input(struct hmp_session *s, const uint8_t *buf, size_t len)
{
	struct strbuf echo = {0};

	for (size_t i = 0; i < len; i++) {
		unsigned char c = buf[i];
		bool after_cr = s->after_cr;

		s->after_cr = false;
		if (in_escape(s, c))
			continue;
		if (c == '\n' && after_cr)
			continue;
		if (c == '\r' || c == '\n') {
			s->after_cr = c == '\r';
			run_line(s, &echo);
		} else if (c == 0x7f || c == '\b') {
			if (s->len) {
				s->len--;
				strbuf_puts(&echo, "\b \b");
			}
		} else if (c >= 0x20 && s->len + 1 < sizeof(s->line)) {
			s->line[s->len++] = (char)c;
			strbuf_append(&echo, (const char *)&c, 1);
		}
	}
	flush_echo(s, &echo);
	strbuf_free(&echo);
}
