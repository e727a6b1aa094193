/*
 * Recognises a Linux kernel panic in the guest's serial output, for guests that
 * cannot report it through pvpanic: a panic before the initramfs loads the
 * pvpanic module, or a kernel without it (docs/options.md, "-action: when the guest panics").
 *
 * Linux prints "Kernel panic - not syncing: REASON", then a backtrace, runs the
 * panic notifiers (pvpanic among them), and last prints "---[ end Kernel panic -
 * not syncing: REASON ]---" before it spins forever. The end line is the signal:
 * by then the backtrace has reached the console, and pvpanic, when loaded, has
 * already spoken. The first line alone is remembered, because a guest booted with
 * panic=N reboots instead of printing the end line.
 *
 * Only the guest's own output is read, so a guest that prints these words can
 * only stop itself, which it may do anyway with poweroff.
 */
#ifndef PLUGVM_PANIC_WATCH_H
#define PLUGVM_PANIC_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longer lines are judged by their first bytes: the markers follow at most a
 * printk timestamp and a CPU/caller prefix. */
#define PANIC_WATCH_LINE_MAX 160

enum panic_watch_seen {
	PANIC_WATCH_NOTHING,
	PANIC_WATCH_STARTED, /* "Kernel panic - not syncing" */
	PANIC_WATCH_ENDED,   /* "---[ end Kernel panic - not syncing" */
	/* The guest says one of its CPUs stopped making progress: a soft or hard lockup,
	 * an RCU stall, a hung task. The guest lives on; plugvm only says so. */
	PANIC_WATCH_STALL,
};

struct panic_watch {
	char line[PANIC_WATCH_LINE_MAX + 1];
	char judged[PANIC_WATCH_LINE_MAX + 1]; /* the last complete line */
	size_t len;
	bool started;
};

void panic_watch_init(struct panic_watch *w);
/* One byte of guest output. Returns what the line it completes shows (a line
 * ends at '\r' or '\n'); PANIC_WATCH_NOTHING for every other byte. */
enum panic_watch_seen panic_watch_feed(struct panic_watch *w, uint8_t byte);
/* The line that gave the last PANIC_WATCH_STALL, for a note (valid until the next byte). */
const char *panic_watch_last_line(const struct panic_watch *w);
/* Whether a panic's first line has gone by. */
bool panic_watch_started(const struct panic_watch *w);

#endif
