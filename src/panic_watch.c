#include "panic_watch.h"

#include <string.h>

static const char panic_start[] = "Kernel panic - not syncing";
static const char panic_end[] = "---[ end Kernel panic - not syncing";
/* Linux's words when a CPU stops making progress (kernel/watchdog.c, kernel/rcu,
 * kernel/hung_task.c). */
static const char *const stall_marks[] = {
	"BUG: soft lockup - CPU#", "Watchdog detected hard LOCKUP on cpu",
	"detected stalls on CPUs/tasks", "self-detected stall on CPU",
	"blocked for more than", NULL,
};

void panic_watch_init(struct panic_watch *w)
{
	memset(w, 0, sizeof(*w));
}

static enum panic_watch_seen judge_line(struct panic_watch *w)
{
	w->line[w->len] = '\0';
	memcpy(w->judged, w->line, w->len + 1);
	w->len = 0;
	if (strstr(w->line, panic_end))
		return PANIC_WATCH_ENDED;
	if (strstr(w->line, panic_start)) {
		w->started = true;
		return PANIC_WATCH_STARTED;
	}
	for (unsigned i = 0; stall_marks[i]; i++)
		if (strstr(w->line, stall_marks[i]))
			return PANIC_WATCH_STALL;
	return PANIC_WATCH_NOTHING;
}

enum panic_watch_seen panic_watch_feed(struct panic_watch *w, uint8_t byte)
{
	if (byte == '\r' || byte == '\n')
		return w->len ? judge_line(w) : PANIC_WATCH_NOTHING;
	/* A NUL inside a line would hide the rest of it from strstr. */
	if (byte == '\0')
		byte = ' ';
	if (w->len < PANIC_WATCH_LINE_MAX)
		w->line[w->len++] = (char)byte;
	return PANIC_WATCH_NOTHING;
}

const char *panic_watch_last_line(const struct panic_watch *w)
{
	return w->judged;
}

bool panic_watch_started(const struct panic_watch *w)
{
	return w->started;
}
