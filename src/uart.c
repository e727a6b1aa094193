#include "uart.h"

#include <string.h>

#include "util.h"

void uart_init(struct uart *u, const struct uart_ops *ops, void *opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->ops = ops;
	u->opaque = opaque;
}

/* Highest-priority pending interrupt as IIR reports it (without FIFO bits). */
static uint8_t pending_iir(const struct uart *u)
{
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && u->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NONE;
}

/* Drives the interrupt line from the pending state. The line is edge
 * triggered, so only changes are forwarded: a new interrupt after the
 * guest saw "none pending" is always a rising edge. */
static void update_irq(struct uart *u)
{
	int level = pending_iir(u) != UART_IIR_NONE;

	if (level != u->irq_level) {
		u->irq_level = level;
		u->ops->set_irq(u->opaque, level);
	}
}

static void rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count == UART_RX_BUFFER)
		return;
	u->rx[(u->rx_head + u->rx_count) % UART_RX_BUFFER] = byte;
	u->rx_count++;
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_RX_BUFFER;
	u->rx_count--;
	return byte;
}

static uint8_t modem_status(const struct uart *u)
{
	if (u->mcr & UART_MCR_LOOP) {
		/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
		return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) |
				 ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
	}
	/* A terminal is always there: carrier, data set ready, clear to send. */
	return 0xb0;
}

/* Returns true when the receive FIFO just became empty. */
static bool uart_read(struct uart *u, unsigned reg, uint8_t *val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t iir;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab) {
			*val = u->dll;
			return false;
		}
		*val = rx_pop(u);
		return u->rx_count == 0;
	case UART_IER:
		*val = dlab ? u->dlm : u->ier;
		return false;
	case UART_IIR_FCR:
		iir = pending_iir(u);
		/* Reading IIR while it reports THRE acknowledges that interrupt. */
		if (iir == UART_IIR_THRI)
			u->thre_pending = false;
		*val = iir | (u->fifo_enabled ? UART_IIR_FIFO : 0);
		return false;
	case UART_LCR:
		*val = u->lcr;
		return false;
	case UART_MCR:
		*val = u->mcr;
		return false;
	case UART_LSR:
		/* Never 0xff: Linux takes that for an absent port. */
		*val = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
		return false;
	case UART_MSR:
		*val = modem_status(u) | u->msr_delta;
		u->msr_delta = 0;
		return false;
	default:
		*val = u->scr;
		return false;
	}
}

static void uart_write(struct uart *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab) {
			u->dll = val;
			return;
		}
		if (u->mcr & UART_MCR_LOOP)
			rx_push(u, val);
		else
			u->ops->transmit(u->opaque, val);
		/* The byte left at once, so THR is empty again. */
		u->thre_pending = true;
		return;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			return;
		}
		/* Enabling THRI with THR empty raises THRE again: Linux tests this. */
		if (val & UART_IER_THRI)
			u->thre_pending = true;
		u->ier = val & 0x0f;
		return;
	case UART_IIR_FCR:
		u->fifo_enabled = val & 0x01;
		if (val & 0x02) {
			u->rx_head = 0;
			u->rx_count = 0;
		}
		return;
	case UART_LCR:
		u->lcr = val;
		return;
	case UART_MCR:
		u->mcr = val & 0x1f;
		return;
	case UART_SCR:
		u->scr = val;
		return;
	default:
		return; /* LSR and MSR are read-only */
	}
}

void uart_io(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct uart *u = opaque;
	unsigned reg = offset & 7;
	bool drained = false;

	/* The 8250 has byte registers; wider accesses touch only the first. */
	if (!is_write && size > 1)
		memset(data + 1, 0, size - 1);
	pthread_mutex_lock(&u->lock);
	if (is_write)
		uart_write(u, reg, data[0]);
	else
		drained = uart_read(u, reg, &data[0]);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (drained && u->ops->rx_space)
		u->ops->rx_space(u->opaque);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = UART_RX_BUFFER - u->rx_count;
	if (n > len)
		n = len;
	for (size_t i = 0; i < n; i++)
		rx_push(u, buf[i]);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart_rx_space(struct uart *u)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = UART_RX_BUFFER - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return n;
}
