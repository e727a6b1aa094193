/* The 8250 model: what Linux's driver probes and relies on (docs/linux-facts.md, "The 8250 UART Linux probes"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/platform.h"
#include "uart.h"

static uint8_t sent[256];
static size_t nsent;
static int irq_level;
static int irq_edges;

static void transmit(void *opaque, uint8_t b)
{
	(void)opaque;
	sent[nsent++ % sizeof(sent)] = b;
}

static void set_irq(void *opaque, int level)
{
	(void)opaque;
	if (level && !irq_level)
		irq_edges++;
	irq_level = level;
}

static const struct uart_ops ops = { .transmit = transmit, .set_irq = set_irq };
static struct uart u;

static uint8_t rd(unsigned reg)
{
	uint8_t v = 0;

	uart_io(&u, reg, false, &v, 1);
	return v;
}

static void wr(unsigned reg, uint8_t v)
{
	uart_io(&u, reg, true, &v, 1);
}

static int setup(void **state)
{
	(void)state;
	nsent = 0;
	irq_level = 0;
	irq_edges = 0;
	uart_init(&u, &ops, NULL);
	return 0;
}

static void test_lsr_idle_and_never_ff(void **state)
{
	(void)state;
	assert_int_equal(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	uart_receive(&u, (const uint8_t *)"a", 1);
	assert_int_equal(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_DR);
}

static void test_ier_and_scratch_hold_values(void **state)
{
	(void)state;
	wr(UART_IER, 0x0f);
	assert_int_equal(rd(UART_IER), 0x0f);
	wr(UART_IER, 0xff);
	assert_int_equal(rd(UART_IER), 0x0f); /* only the low four bits exist */
	wr(UART_SCR, 0x5a);
	assert_int_equal(rd(UART_SCR), 0x5a);
}

static void test_divisor_latch(void **state)
{
	(void)state;
	wr(UART_LCR, UART_LCR_DLAB);
	wr(0, 0x01);
	wr(1, 0x00);
	assert_int_equal(rd(0), 0x01);
	wr(UART_LCR, 0x03);
	wr(0, 'x'); /* with DLAB clear, offset 0 is THR again */
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0], 'x');
}

static void test_fifo_reported_as_16550a(void **state)
{
	(void)state;
	assert_int_equal(rd(UART_IIR_FCR) & UART_IIR_FIFO, 0);
	wr(UART_IIR_FCR, 0x01);
	assert_int_equal(rd(UART_IIR_FCR) & UART_IIR_FIFO, UART_IIR_FIFO);
}

/* Linux's THRE test: enabling THRI must raise THRE again each time. */
static void test_thre_comes_back_when_ier_rewritten(void **state)
{
	(void)state;
	wr(UART_IER, UART_IER_THRI);
	assert_int_equal(rd(UART_IIR_FCR) & 0x0f, UART_IIR_THRI);
	assert_int_equal(rd(UART_IIR_FCR) & 0x0f, UART_IIR_NONE); /* the read acknowledged it */
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_THRI);
	assert_int_equal(rd(UART_IIR_FCR) & 0x0f, UART_IIR_THRI);
}

static void test_receive_interrupt_and_order(void **state)
{
	(void)state;
	wr(UART_IER, UART_IER_RDI);
	assert_int_equal(irq_level, 0);
	uart_receive(&u, (const uint8_t *)"hi", 2);
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(UART_IIR_FCR) & 0x0f, UART_IIR_RDI);
	assert_int_equal(rd(0), 'h');
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(0), 'i');
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(UART_IIR_FCR) & 0x0f, UART_IIR_NONE);
}

/* Each new interrupt after the guest saw "none" must be a new rising edge. */
static void test_every_interrupt_is_an_edge(void **state)
{
	(void)state;
	wr(UART_IER, UART_IER_RDI);
	for (int i = 0; i < 5; i++) {
		uart_receive(&u, (const uint8_t *)"z", 1);
		rd(0);
	}
	assert_int_equal(irq_edges, 5);
	assert_int_equal(irq_level, 0);
}

static void test_rx_priority_over_thre(void **state)
{
	(void)state;
	wr(UART_IER, UART_IER_RDI | UART_IER_THRI);
	uart_receive(&u, (const uint8_t *)"q", 1);
	assert_int_equal(rd(UART_IIR_FCR) & 0x0f, UART_IIR_RDI);
	rd(0);
	assert_int_equal(rd(UART_IIR_FCR) & 0x0f, UART_IIR_THRI);
}

static void test_loopback(void **state)
{
	(void)state;
	wr(UART_MCR, UART_MCR_LOOP | 0x0b); /* DTR RTS OUT2 */
	wr(0, 'L');
	assert_int_equal(nsent, 0);
	assert_int_equal(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(rd(0), 'L');
	assert_int_equal(rd(UART_MSR) & 0xf0, 0xb0); /* DCD DSR CTS from OUT2 DTR RTS */
}

static void test_rx_overflow_is_bounded(void **state)
{
	static uint8_t big[UART_RX_BUFFER + 100];

	(void)state;
	assert_int_equal(uart_receive(&u, big, sizeof(big)), UART_RX_BUFFER);
	assert_int_equal(uart_rx_space(&u), 0);
	assert_int_equal(uart_receive(&u, big, 1), 0);
}

static void test_wide_access_is_safe(void **state)
{
	uint8_t data[4] = { 0xaa, 0xbb, 0xcc, 0xdd };

	(void)state;
	uart_io(&u, UART_LSR, false, data, 4);
	assert_int_equal(data[0], UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(data[1], 0);
	assert_int_equal(data[3], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lsr_idle_and_never_ff, setup),
		cmocka_unit_test_setup(test_ier_and_scratch_hold_values, setup),
		cmocka_unit_test_setup(test_divisor_latch, setup),
		cmocka_unit_test_setup(test_fifo_reported_as_16550a, setup),
		cmocka_unit_test_setup(test_thre_comes_back_when_ier_rewritten, setup),
		cmocka_unit_test_setup(test_receive_interrupt_and_order, setup),
		cmocka_unit_test_setup(test_every_interrupt_is_an_edge, setup),
		cmocka_unit_test_setup(test_rx_priority_over_thre, setup),
		cmocka_unit_test_setup(test_loopback, setup),
		cmocka_unit_test_setup(test_rx_overflow_is_bounded, setup),
		cmocka_unit_test_setup(test_wide_access_is_safe, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
