/*
 * The serial port's host side (-serial): stdio, mon:stdio (guest console and
 * monitor multiplexed behind Ctrl-a, as QEMU does), file:PATH, a unix socket
 * server, or none. Output comes from vCPU threads, input is read by the
 * main loop and queued into the UART.
 *
 * A unix client is written to without ever blocking: what its socket does
 * not take waits in a bounded queue that the main loop flushes when the
 * socket becomes writable; a client that stops reading loses the oldest
 * queued output, never stalls the guest or the loop.
 */
#ifndef PLUGVM_CONSOLE_H
#define PLUGVM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "config.h"
#include "event_loop.h"
#include "monitor/unix_listen.h"
#include "uart.h"

#define CONSOLE_ESCAPE 0x01 /* Ctrl-a */
/* Guest output held for a unix client that is not reading. 64 KiB is a
 * few screens of boot log: enough to ride out a slow client, and a hard
 * cap on what a stalled one costs. */
#define CONSOLE_OUT_QUEUE (64 * 1024)

struct machine;

/* Receives monitor input while the multiplexer shows the monitor. */
struct console_monitor {
	void (*input)(void *opaque, const uint8_t *buf, size_t len);
	void (*focus)(void *opaque, bool focused); /* prints the prompt etc. */
	void *opaque;
};

struct console {
	struct machine *m;
	struct chardev_config cfg;
	struct uart *uart;
	int in_fd;         /* -1 when the backend has no input */
	int out_fd;        /* -1 when output is dropped */
	struct unix_listener listener; /* unix server */
	int kick_fd;       /* unix: eventfd, a vCPU asks the main loop to flush */
	bool mux;          /* mon:stdio */
	bool escape_pending;
	bool monitor_focused;
	bool raw;
	struct termios saved_termios;
	pthread_mutex_t out_lock;  /* out_fd and the output queue */
	struct console_monitor monitor;

	/* Unix client output not yet taken by its socket: a ring of the
	 * newest CONSOLE_OUT_QUEUE bytes (under out_lock). */
	uint8_t out_queue[CONSOLE_OUT_QUEUE];
	size_t out_head, out_len;
	uint64_t out_dropped; /* bytes lost since the last report */
};

/* Opens the backend and registers its fds in the main loop. 0, or an exit status
 * (exit_status.h) with err: EXIT_BAD_USAGE when the -serial file or socket cannot be
 * made, EXIT_VMM_FAILURE when plugvm runs out of descriptors or loop entries. */
int console_open(struct console *c, struct machine *m, const struct chardev_config *cfg,
		 struct uart *uart, char *err, size_t errlen);
void console_close(struct console *c);
/* Guest output (UART transmit). Never blocks on a unix client. */
void console_transmit(struct console *c, uint8_t byte);
/* Text for the user on the same terminal (monitor output, messages). */
void console_print(struct console *c, const char *text, size_t len);
void console_set_monitor(struct console *c, const struct console_monitor *mon);
/* Restores the terminal mode (also done by console_close). */
void console_restore_terminal(struct console *c);

/* Feeds bytes read from the user through the Ctrl-a escape handling; split
 * out of the read path so tests can drive it. */
void console_handle_input(struct console *c, const uint8_t *buf, size_t len);

#endif
