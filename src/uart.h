/*
 * A 16550A UART as Linux's 8250 driver probes and drives it (docs/linux-facts.md, "The 8250 UART Linux probes"):
 * transmit is instantaneous, receive has a software FIFO, and the interrupt
 * output follows the pending state so each new interrupt is a rising edge.
 */
#ifndef PLUGVM_UART_H
#define PLUGVM_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_RX_BUFFER 65536

struct uart_ops {
	void (*transmit)(void *opaque, uint8_t byte);
	void (*set_irq)(void *opaque, int level);
	/* Called (with the UART lock dropped) when the guest drained the receive
	 * FIFO, so the console can feed more input. May be NULL. */
	void (*rx_space)(void *opaque);
};

struct uart {
	pthread_mutex_t lock;
	const struct uart_ops *ops;
	void *opaque;

	uint8_t ier, lcr, mcr, msr_delta, scr, dll, dlm;
	bool fifo_enabled;
	bool thre_pending;
	int irq_level;

	uint8_t rx[UART_RX_BUFFER];
	size_t rx_head, rx_count;
};

void uart_init(struct uart *u, const struct uart_ops *ops, void *opaque);
/* Port bus handler (bus.h) for the 8 ports at base; `offset` is the register. */
void uart_io(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size);
/* Queues input for the guest; returns how many bytes fitted. */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
/* Free bytes in the receive FIFO. */
size_t uart_rx_space(struct uart *u);

/* Register offsets and bits used by the driver and the tests. */
enum {
	UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3,
	UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};
#define UART_IER_RDI  0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI  0x08
#define UART_IIR_NONE 0x01
#define UART_IIR_MSI  0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI  0x04
#define UART_IIR_FIFO 0xc0
#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR   0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#endif
