/*
 * HMP, QEMU's human monitor: "(plugvm) " prompt, QEMU's command names,
 * argument syntax and output text. hmp_execute is the whole command
 * language; the interactive front ends (unix sockets, stdio, the mon:stdio
 * multiplexer) only edit lines and call it.
 */
#ifndef PLUGVM_MONITOR_HMP_H
#define PLUGVM_MONITOR_HMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"
#include "monitor/control.h"

#define HMP_PROMPT "(plugvm) "

/* At most this many socket clients at once over all -monitor unix:
 * sockets; one more gets an "Error: " line naming the limit and is closed.
 * Well below the main loop's table, see monitor/conn_limit.h. */
#define HMP_MAX_CLIENTS 32

struct console;

/* Runs one command line and returns its output (malloc'd, never NULL
 * unless out of memory), with QEMU's "\r\n" line endings as QEMU's
 * human-monitor-command returns them. Errors are part of the text
 * ("Error: ...", "unknown command: ..."), as in QEMU. Main thread. */
char *hmp_execute(const struct control_ops *ops, const char *line);
/* For "info name" (NULL: no -name). */
void hmp_set_vm_name(const char *name);

/* ---- interactive sessions (hmp_session.c) ---- */

typedef void (*hmp_write_fn)(void *opaque, const char *text, size_t len);

struct hmp_session;

/* echo: repeat typed characters back (raw terminals and sockets; a
 * cooked terminal echoes by itself). */
struct hmp_session *hmp_session_new(const struct control_ops *ops, bool echo, hmp_write_fn write,
				    void *opaque);
/* Prints the banner and the first prompt. */
void hmp_session_start(struct hmp_session *s);
void hmp_session_prompt(struct hmp_session *s);
/* Feeds typed bytes: handles \r, \n, \r\n, backspace/DEL, and drops
 * escape sequences (arrow keys) and other control characters. */
void hmp_session_input(struct hmp_session *s, const uint8_t *buf, size_t len);
void hmp_session_free(struct hmp_session *s);

/* ---- front ends (hmp_server.c), main thread ---- */

/* The front ends return 0, or an exit status (exit_status.h) with err. */

/* -monitor unix:PATH,server=on,wait=off: up to HMP_MAX_CLIENTS clients. EXIT_BAD_USAGE
 * when the socket cannot be made at path. */
int hmp_listen(struct event_loop *loop, const struct control_ops *ops, const char *path,
	       char *err, size_t errlen);
/* -monitor stdio: reads stdin, writes stdout. Only valid when the serial
 * port does not use stdio (options_chardev.c enforces that). */
int hmp_attach_stdio(struct event_loop *loop, const struct control_ops *ops, char *err,
		     size_t errlen);
/* mon:stdio: the monitor half of the console multiplexer (Ctrl-a c). */
void hmp_attach_mux(struct console *c, const struct control_ops *ops);
/* Closes every front end and removes the socket files. */
void hmp_close(void);

#endif
