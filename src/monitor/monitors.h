/* All monitors of a VM, opened from the configuration in one call. */
#ifndef PLUGVM_MONITOR_MONITORS_H
#define PLUGVM_MONITOR_MONITORS_H

#include <stddef.h>

#include "config.h"
#include "event_loop.h"
#include "monitor/control.h"

struct console;

/* Opens every -qmp and -monitor of cfg in loop (main thread) and, when
 * mux_console is not NULL (serial mon:stdio), makes HMP its monitor side.
 * -monitor stdio is served on stdin/stdout. ops and cfg must outlive
 * monitors_close. Returns 0, or an exit status (exit_status.h) with one
 * message in err (what is already open is closed again). */
int monitors_init(struct event_loop *loop, const struct plugvm_config *cfg,
		  const struct control_ops *ops, struct console *mux_console, char *err,
		  size_t errlen);
/* Flushes pending replies (without blocking), closes every connection and
 * removes the socket files. Safe to call when monitors_init failed. */
void monitors_close(void);

#endif
