/* The hotplug controller's registers, event queue and callbacks, driven
 * the way the DSDT's AML drives them. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mm/memhp.h"
#include "mm/memhp_regs.h"
#include "util.h"

struct recorder {
	unsigned irqs;
	unsigned ejects;
	unsigned last_eject;
	unsigned osts;
	unsigned ost_slot;
	uint32_t ost_event, ost_status;
};

static void rec_irq(void *opaque)
{
	((struct recorder *)opaque)->irqs++;
}

static void rec_eject(void *opaque, unsigned slot)
{
	struct recorder *r = opaque;

	r->ejects++;
	r->last_eject = slot;
}

static void rec_ost(void *opaque, unsigned slot, uint32_t event, uint32_t status)
{
	struct recorder *r = opaque;

	r->osts++;
	r->ost_slot = slot;
	r->ost_event = event;
	r->ost_status = status;
}

static const struct memhp_ops rec_ops = {rec_irq, rec_eject, rec_ost};

struct fixture {
	struct memhp m;
	struct recorder r;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(memhp_init(&f.m, 8, &rec_ops, &f.r), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	memhp_destroy(&f->m);
	return 0;
}

static uint32_t rd(struct memhp *m, unsigned reg)
{
	return memhp_read(m, reg, 4);
}

static void wr(struct memhp *m, unsigned reg, uint32_t v)
{
	memhp_write(m, reg, 4, v);
}

static uint32_t sel_status(struct memhp *m, unsigned slot)
{
	wr(m, MEMHP_REG_SEL, slot);
	return rd(m, MEMHP_REG_STATUS);
}

static uint32_t ev(unsigned code, unsigned slot)
{
	return MEMHP_QUEUE_VALID | code << 16 | slot;
}

static void test_info(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(&f->m, MEMHP_REG_INFO), MEMHP_INTERFACE_VERSION << 16 | 8);
	assert_int_equal(rd(&f->m, MEMHP_REG_QUEUE), 0);
}

static void test_insert_event(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	assert_int_equal(memhp_plug(m, 2, 0x140000000ULL, 128 * MiB, 1, true), 0);
	assert_int_equal(f->r.irqs, 1);
	wr(m, MEMHP_REG_SEL, 0);
	/* One pop yields the event and selects slot 2. */
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(MEMHP_NOTIFY_DEVICE_CHECK, 2));
	assert_int_equal(rd(m, MEMHP_REG_SEL), 2);
	assert_int_equal(rd(m, MEMHP_REG_BASE_LO), 0x40000000);
	assert_int_equal(rd(m, MEMHP_REG_BASE_HI), 1);
	assert_int_equal(rd(m, MEMHP_REG_LEN_LO), 128 * MiB);
	assert_int_equal(rd(m, MEMHP_REG_LEN_HI), 0);
	assert_int_equal(rd(m, MEMHP_REG_PXM), 1);
	assert_int_equal(rd(m, MEMHP_REG_STATUS),
			 MEMHP_STATUS_ENABLED | MEMHP_STATUS_INSERT_PENDING);
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), 0);
	/* _OST(1, 0) ends the insert. */
	wr(m, MEMHP_REG_OST_EV, 1);
	wr(m, MEMHP_REG_OST_ST, 0);
	assert_int_equal(f->r.osts, 1);
	assert_int_equal(f->r.ost_slot, 2);
	assert_int_equal(f->r.ost_event, 1);
	assert_int_equal(f->r.ost_status, 0);
	assert_int_equal(sel_status(m, 2), MEMHP_STATUS_ENABLED);
	/* Plugging an enabled slot is refused. */
	assert_int_equal(memhp_plug(m, 2, 0, 128 * MiB, 0, true), -EBUSY);
	assert_int_equal(memhp_plug(m, 8, 0, 128 * MiB, 0, true), -EINVAL);
	assert_int_equal(memhp_plug(m, 3, 0, 0, 0, true), -EINVAL);
}

static void test_cold_plug(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	assert_int_equal(memhp_plug(m, 0, 0x100000000ULL, GiB, 0, false), 0);
	assert_int_equal(f->r.irqs, 0);
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), 0);
	assert_int_equal(sel_status(m, 0), MEMHP_STATUS_ENABLED);
	assert_int_equal(memhp_kick(m), 0);
	assert_int_equal(f->r.irqs, 0);
}

static void test_ack_insert_cmd(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 1, 0x100000000ULL, GiB, 0, true);
	wr(m, MEMHP_REG_SEL, 1);
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_ACK_INSERT);
	assert_int_equal(rd(m, MEMHP_REG_STATUS), MEMHP_STATUS_ENABLED);
}

static void test_queue_order(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 5, 0x100000000ULL, GiB, 0, true);
	memhp_plug(m, 1, 0x140000000ULL, GiB, 0, true);
	memhp_plug(m, 7, 0x180000000ULL, GiB, 0, true);
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(1, 5));
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(1, 1));
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(1, 7));
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), 0);
	/* An empty read leaves the selector where the last pop put it. */
	assert_int_equal(rd(m, MEMHP_REG_SEL), 7);
}

static void test_one_entry_per_slot(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 3, 0x100000000ULL, GiB, 0, true);
	memhp_plug(m, 4, 0x140000000ULL, GiB, 0, true);
	/* The eject request replaces slot 3's pending insert in place. */
	assert_int_equal(memhp_request_eject(m, 3), 0);
	assert_int_equal(memhp_request_eject(m, 3), -EALREADY);
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(MEMHP_NOTIFY_EJECT_REQUEST, 3));
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(MEMHP_NOTIFY_DEVICE_CHECK, 4));
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), 0);
	assert_int_equal(f->r.irqs, 3);
}

static void test_cancel_eject(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 0, 0x100000000ULL, GiB, 0, true);
	memhp_plug(m, 1, 0x140000000ULL, GiB, 0, false);
	memhp_request_eject(m, 0);
	memhp_request_eject(m, 1);
	memhp_cancel_eject(m, 0); /* back to the insert the guest never saw */
	memhp_cancel_eject(m, 1); /* dropped */
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(MEMHP_NOTIFY_DEVICE_CHECK, 0));
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), 0);
	assert_int_equal(sel_status(m, 1), MEMHP_STATUS_ENABLED);
	/* And it can be requested again. */
	assert_int_equal(memhp_request_eject(m, 1), 0);
	assert_int_equal(memhp_request_eject(m, 2), -ENODEV);
	assert_int_equal(memhp_request_eject(m, 99), -EINVAL);
}

static void test_eject_flow(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 6, 0x200000000ULL, GiB, 0, false);
	assert_int_equal(memhp_request_eject(m, 6), 0);
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(3, 6));
	assert_int_equal(rd(m, MEMHP_REG_STATUS),
			 MEMHP_STATUS_ENABLED | MEMHP_STATUS_EJECT_REQUESTED);
	/* _OST(3, 0x84): in progress, request stays. */
	wr(m, MEMHP_REG_OST_EV, 3);
	wr(m, MEMHP_REG_OST_ST, 0x84);
	assert_int_equal(f->r.ost_status, 0x84);
	assert_true(sel_status(m, 6) & MEMHP_STATUS_EJECT_REQUESTED);
	/* _EJ0: the callback runs inside the write, then the slot is empty. */
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(f->r.ejects, 1);
	assert_int_equal(f->r.last_eject, 6);
	assert_int_equal(rd(m, MEMHP_REG_STATUS), 0);
	assert_int_equal(rd(m, MEMHP_REG_BASE_HI), 0);
	assert_int_equal(rd(m, MEMHP_REG_LEN_LO), 0);
	/* _OST(3, 0) on the now empty slot still reaches the VMM. */
	wr(m, MEMHP_REG_OST_EV, 3);
	wr(m, MEMHP_REG_OST_ST, 0);
	assert_int_equal(f->r.osts, 2);
	assert_int_equal(f->r.ost_slot, 6);
	assert_int_equal(f->r.ost_event, 3);
	assert_int_equal(f->r.ost_status, 0);
	/* A second eject of the empty slot does nothing. */
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(f->r.ejects, 1);
	/* The slot can be plugged again. */
	assert_int_equal(memhp_plug(m, 6, 0x200000000ULL, GiB, 0, true), 0);
}

static void test_eject_refused(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;
	static const uint32_t refusals[] = {0x82, 0x80, 0x01};

	memhp_plug(m, 2, 0x100000000ULL, GiB, 0, false);
	for (unsigned i = 0; i < ARRAY_SIZE(refusals); i++) {
		assert_int_equal(memhp_request_eject(m, 2), 0);
		assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(3, 2));
		wr(m, MEMHP_REG_OST_EV, 3);
		wr(m, MEMHP_REG_OST_ST, refusals[i]);
		assert_int_equal(f->r.ost_status, refusals[i]);
		assert_int_equal(rd(m, MEMHP_REG_STATUS), MEMHP_STATUS_ENABLED);
	}
	assert_int_equal(f->r.ejects, 0);
}

static void test_guest_initiated_eject(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 4, 0x100000000ULL, GiB, 0, false);
	wr(m, MEMHP_REG_SEL, 4);
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(f->r.ejects, 1);
	assert_int_equal(f->r.last_eject, 4);
	wr(m, MEMHP_REG_OST_EV, 0x103);
	wr(m, MEMHP_REG_OST_ST, 0);
	assert_int_equal(f->r.ost_event, 0x103);
	/* Eject of a slot that was never plugged. */
	wr(m, MEMHP_REG_SEL, 5);
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(f->r.ejects, 1);
}

static void test_eject_drops_queued_event(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 1, 0x100000000ULL, GiB, 0, false);
	memhp_request_eject(m, 1);
	/* The guest ejects on its own before popping our request. */
	wr(m, MEMHP_REG_SEL, 1);
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), 0);
}

static void test_ack_eject_cmd(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 1, 0x100000000ULL, GiB, 0, false);
	memhp_request_eject(m, 1);
	wr(m, MEMHP_REG_SEL, 1);
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_ACK_EJECT);
	assert_int_equal(rd(m, MEMHP_REG_STATUS), MEMHP_STATUS_ENABLED);
	wr(m, MEMHP_REG_CMD, 0x55); /* unknown command: ignored */
	assert_int_equal(rd(m, MEMHP_REG_STATUS), MEMHP_STATUS_ENABLED);
}

static void test_out_of_range_selector(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 0, 0x100000000ULL, GiB, 0, false);
	wr(m, MEMHP_REG_SEL, 8);
	assert_int_equal(rd(m, MEMHP_REG_SEL), 8);
	assert_int_equal(rd(m, MEMHP_REG_STATUS), 0);
	assert_int_equal(rd(m, MEMHP_REG_BASE_HI), 0);
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	wr(m, MEMHP_REG_OST_EV, 3);
	wr(m, MEMHP_REG_OST_ST, 0);
	wr(m, MEMHP_REG_SEL, 0xffffffff);
	wr(m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(f->r.ejects, 0);
	assert_int_equal(f->r.osts, 0);
	assert_int_equal(sel_status(m, 0), MEMHP_STATUS_ENABLED);
}

static void test_garbage_accesses(void **state)
{
	struct fixture *f = *state;
	struct memhp *m = &f->m;

	memhp_plug(m, 0, 0x123456789000ULL, GiB, 0, true);
	/* Narrow reads of plain registers give the addressed bytes. */
	assert_int_equal(memhp_read(m, MEMHP_REG_INFO, 2), 8);
	assert_int_equal(memhp_read(m, MEMHP_REG_INFO + 2, 2), MEMHP_INTERFACE_VERSION);
	assert_int_equal(memhp_read(m, MEMHP_REG_INFO + 2, 1), MEMHP_INTERFACE_VERSION);
	/* Bad offsets and sizes read 0. */
	assert_int_equal(memhp_read(m, 0x30, 4), 0);
	assert_int_equal(memhp_read(m, 0x1000, 4), 0);
	assert_int_equal(memhp_read(m, MEMHP_REG_INFO, 3), 0);
	assert_int_equal(memhp_read(m, MEMHP_REG_INFO, 8), 0);
	assert_int_equal(memhp_read(m, MEMHP_REG_INFO + 1, 4), 0);
	assert_int_equal(memhp_read(m, MEMHP_REG_CMD, 4), 0);
	/* A narrow QUEUE read does not pop. */
	assert_int_equal(memhp_read(m, MEMHP_REG_QUEUE, 2), 0);
	assert_int_equal(memhp_read(m, MEMHP_REG_QUEUE + 3, 1), 0);
	/* Narrow, misaligned and out-of-range writes are ignored. */
	memhp_write(m, MEMHP_REG_SEL, 1, 5);
	memhp_write(m, MEMHP_REG_SEL + 1, 4, 5);
	memhp_write(m, 0x2F, 1, 0xff);
	memhp_write(m, 0x40, 4, 0xff);
	memhp_write(m, MEMHP_REG_INFO, 4, 0xff);
	memhp_write(m, MEMHP_REG_QUEUE, 4, 0xff);
	assert_int_equal(rd(m, MEMHP_REG_SEL), 0);
	assert_int_equal(rd(m, MEMHP_REG_QUEUE), ev(1, 0));
	assert_int_equal(rd(m, MEMHP_REG_BASE_LO), 0x56789000);
	assert_int_equal(memhp_read(m, MEMHP_REG_BASE_LO + 2, 2), 0x5678);
	assert_int_equal(rd(m, MEMHP_REG_BASE_HI), 0x1234);
	assert_int_equal(rd(m, MEMHP_REG_INFO), MEMHP_INTERFACE_VERSION << 16 | 8);
}

/* Many events: every slot gets one entry, later changes replace, and the
 * guest drains them in one pass of one pop each. */
static void test_flood(void **state)
{
	struct memhp m;
	struct recorder r = {0};
	unsigned pops = 0;
	uint32_t v;

	(void)state;
	assert_int_equal(memhp_init(&m, PLUGVM_MAX_SLOTS, &rec_ops, &r), 0);
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned s = 0; s < PLUGVM_MAX_SLOTS; s++) {
			if (round == 0)
				assert_int_equal(memhp_plug(&m, s, (4 + s) * GiB, GiB, 0, true), 0);
			else if (round == 1 && s % 2)
				assert_int_equal(memhp_request_eject(&m, s), 0);
			else if (round == 2 && s % 4 == 1)
				memhp_cancel_eject(&m, s);
		}
	}
	while ((v = rd(&m, MEMHP_REG_QUEUE)) != 0) {
		unsigned slot = v & 0xffff, code = (v >> 16) & 0xff;

		assert_int_equal(slot, pops); /* FIFO: slot order of the first event */
		assert_int_equal(code, slot % 4 == 3 ? 3 : 1);
		assert_int_equal(rd(&m, MEMHP_REG_SEL), slot);
		pops++;
	}
	assert_int_equal(pops, PLUGVM_MAX_SLOTS);
	assert_int_equal(memhp_kick(&m), 0);
	memhp_destroy(&m);
}

static void test_null_ops(void **state)
{
	struct memhp m;

	(void)state;
	assert_int_equal(memhp_init(&m, PLUGVM_MAX_SLOTS + 1, NULL, NULL), -EINVAL);
	assert_int_equal(memhp_init(&m, 2, NULL, NULL), 0);
	assert_int_equal(memhp_plug(&m, 1, 4 * GiB, GiB, 0, true), 0);
	wr(&m, MEMHP_REG_SEL, 1);
	wr(&m, MEMHP_REG_OST_ST, 0);
	wr(&m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(rd(&m, MEMHP_REG_STATUS), 0);
	memhp_destroy(&m);
}

/* ---- hot-add with the KVM slot created after the interrupt (memhp_plug_begin) ---- */

struct popper {
	struct memhp *m;
	uint32_t value;
	atomic_bool done;
};

static void *pop_queue(void *arg)
{
	struct popper *p = arg;

	p->value = rd(p->m, MEMHP_REG_QUEUE);
	p->done = true;
	return NULL;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* The guest's QUEUE read waits for the slot's mapping and then gets the event; until then
 * the slot reads as empty and cannot be ejected. */
static void test_plug_begin_waits_for_mapping(void **state)
{
	struct fixture *f = *state;
	struct popper p = {.m = &f->m};
	pthread_t t;

	assert_int_equal(memhp_plug_begin(&f->m, 2, 4 * GiB, GiB, 1), 0);
	assert_int_equal(f->r.irqs, 1);
	assert_int_equal(memhp_plug_begin(&f->m, 2, 4 * GiB, GiB, 1), -EBUSY);
	assert_int_equal(memhp_plug(&f->m, 2, 4 * GiB, GiB, 1, true), -EBUSY);
	wr(&f->m, MEMHP_REG_SEL, 2);
	assert_int_equal(rd(&f->m, MEMHP_REG_STATUS), 0);
	assert_int_equal(rd(&f->m, MEMHP_REG_BASE_HI), 0);
	wr(&f->m, MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	assert_int_equal(f->r.ejects, 0);

	assert_int_equal(pthread_create(&t, NULL, pop_queue, &p), 0);
	sleep_ms(50);
	assert_false(p.done);
	assert_int_equal(memhp_plug_mapped(&f->m, 2), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(p.value, MEMHP_QUEUE_VALID | MEMHP_NOTIFY_DEVICE_CHECK << 16 | 2);
	assert_int_equal(f->r.irqs, 1); /* the event was taken: no second interrupt */
	assert_int_equal(rd(&f->m, MEMHP_REG_STATUS),
			 MEMHP_STATUS_ENABLED | MEMHP_STATUS_INSERT_PENDING);
	assert_int_equal(rd(&f->m, MEMHP_REG_BASE_HI), 1);
	assert_int_equal(rd(&f->m, MEMHP_REG_PXM), 1);
	assert_int_equal(memhp_plug_mapped(&f->m, 2), -EINVAL);
}

/* Events queued before the one being mapped pop at once. */
static void test_plug_begin_keeps_earlier_events_moving(void **state)
{
	struct fixture *f = *state;

	f->m.mapping_wait_ns = 10 * 1000 * 1000;
	assert_int_equal(memhp_plug(&f->m, 1, 4 * GiB, GiB, 0, true), 0);
	assert_int_equal(memhp_plug_begin(&f->m, 3, 6 * GiB, GiB, 0), 0);
	assert_int_equal(rd(&f->m, MEMHP_REG_QUEUE),
			 MEMHP_QUEUE_VALID | MEMHP_NOTIFY_DEVICE_CHECK << 16 | 1);
	assert_int_equal(rd(&f->m, MEMHP_REG_QUEUE), 0); /* slot 3 still mapping: wait ran out */
	assert_int_equal(memhp_plug_mapped(&f->m, 3), 0);
	assert_int_equal(rd(&f->m, MEMHP_REG_QUEUE),
			 MEMHP_QUEUE_VALID | MEMHP_NOTIFY_DEVICE_CHECK << 16 | 3);
}

/* A read that gave up waiting leaves the event queued; the mapping raises the interrupt
 * again so the guest comes back for it. */
static void test_plug_wait_times_out(void **state)
{
	struct fixture *f = *state;

	f->m.mapping_wait_ns = 10 * 1000 * 1000;
	assert_int_equal(memhp_plug_begin(&f->m, 0, 4 * GiB, GiB, 0), 0);
	assert_int_equal(rd(&f->m, MEMHP_REG_QUEUE), 0);
	assert_int_equal(f->r.irqs, 1);
	assert_int_equal(memhp_plug_mapped(&f->m, 0), 0);
	assert_int_equal(f->r.irqs, 2);
	assert_int_equal(rd(&f->m, MEMHP_REG_QUEUE),
			 MEMHP_QUEUE_VALID | MEMHP_NOTIFY_DEVICE_CHECK << 16 | 0);
}

/* KVM refused the slot: the event goes, a waiting read moves on to what is behind it
 * (here nothing), and the slot is free again. */
static void test_plug_abort_releases_waiting_read(void **state)
{
	struct fixture *f = *state;
	struct popper p = {.m = &f->m};
	pthread_t t;

	assert_int_equal(memhp_plug_begin(&f->m, 5, 4 * GiB, GiB, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, pop_queue, &p), 0);
	sleep_ms(50);
	assert_false(p.done);
	memhp_plug_abort(&f->m, 5);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(p.value, 0);
	wr(&f->m, MEMHP_REG_SEL, 5);
	assert_int_equal(rd(&f->m, MEMHP_REG_STATUS), 0);
	assert_int_equal(memhp_plug_mapped(&f->m, 5), -EINVAL);
	assert_int_equal(memhp_plug_begin(&f->m, 5, 4 * GiB, GiB, 0), 0);
	memhp_plug_abort(&f->m, 5);
	/* abort of an enabled slot changes nothing */
	assert_int_equal(memhp_plug(&f->m, 5, 4 * GiB, GiB, 0, false), 0);
	memhp_plug_abort(&f->m, 5);
	assert_int_equal(rd(&f->m, MEMHP_REG_STATUS), MEMHP_STATUS_ENABLED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_info),
		T(test_insert_event),
		T(test_cold_plug),
		T(test_ack_insert_cmd),
		T(test_queue_order),
		T(test_one_entry_per_slot),
		T(test_cancel_eject),
		T(test_eject_flow),
		T(test_eject_refused),
		T(test_guest_initiated_eject),
		T(test_eject_drops_queued_event),
		T(test_ack_eject_cmd),
		T(test_out_of_range_selector),
		T(test_garbage_accesses),
		T(test_plug_begin_waits_for_mapping),
		T(test_plug_begin_keeps_earlier_events_moving),
		T(test_plug_wait_times_out),
		T(test_plug_abort_releases_waiting_read),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_null_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
