/* Split virtqueue, device side: what a hostile or careless driver can do to it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "virtio/guest_mem.h"
#include "virtio/virtqueue.h"
#include "virtio_fake_guest.h"

struct fixture {
	struct fake_guest g;
	struct virtqueue vq;
};

static void layout(struct fixture *f, uint32_t num)
{
	f->vq.num = num;
	f->vq.desc_gpa = FG_DESC;
	f->vq.avail_gpa = FG_AVAIL;
	f->vq.used_gpa = FG_USED;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fg_init(&f->g, 8);
	virtqueue_init(&f->vq, &f->g.view, 256);
	layout(f, 8);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fg_free(&f->g);
	free(f);
	return 0;
}

static struct fixture *ready(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtqueue_enable(&f->vq), 0);
	return f;
}

/* ---- guest_mem ---- */

static void test_guest_mem_bounds(void **state)
{
	struct fixture *f = *state;
	const struct guest_mem_view *m = &f->g.view;

	assert_ptr_equal(guest_mem_ptr(m, FG_BASE, 1), f->g.flat.host);
	assert_ptr_equal(guest_mem_ptr(m, FG_BASE, FG_SIZE), f->g.flat.host);
	assert_ptr_equal(guest_mem_ptr(m, FG_BASE + FG_SIZE - 1, 1), f->g.flat.host + FG_SIZE - 1);
	assert_null(guest_mem_ptr(m, FG_BASE, 0));                 /* empty */
	assert_null(guest_mem_ptr(m, FG_BASE - 1, 1));             /* below */
	assert_null(guest_mem_ptr(m, FG_BASE - 1, 2));             /* straddles the start */
	assert_null(guest_mem_ptr(m, FG_BASE + FG_SIZE - 1, 2));   /* straddles the end */
	assert_null(guest_mem_ptr(m, FG_BASE + FG_SIZE, 1));       /* just past */
	assert_null(guest_mem_ptr(m, UINT64_MAX, 2));              /* wraps */
	assert_null(guest_mem_ptr(m, FG_BASE, UINT64_MAX));        /* wraps */
	assert_null(guest_mem_ptr(m, FG_BASE + 8, UINT64_MAX - 4)); /* huge */
	assert_null(guest_mem_ptr(NULL, FG_BASE, 1));
}

/* A translate that trusts its input, as a quick one over a region table might:
 * guest_mem_ptr must never hand it an empty or wrapping range. */
static void *trusting_translate(void *opaque, uint64_t gpa, uint64_t len)
{
	unsigned *calls = opaque;

	(*calls)++;
	assert_true(len > 0);
	assert_true(gpa + len - 1 >= gpa);
	return (void *)(uintptr_t)0x1000;
}

static void test_guest_mem_shields_translate(void **state)
{
	(void)state;
	unsigned calls = 0;
	struct guest_mem_view v = { .translate = trusting_translate, .opaque = &calls };

	assert_null(guest_mem_ptr(&v, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&v, 2, UINT64_MAX));
	assert_null(guest_mem_ptr(&v, 0x1000, 0));
	assert_null(guest_mem_ptr(&v, 0, 0));
	assert_int_equal(calls, 0);
	assert_non_null(guest_mem_ptr(&v, UINT64_MAX, 1));
	assert_non_null(guest_mem_ptr(&v, 1, UINT64_MAX)); /* last byte 2^64 - 1 */
	assert_int_equal(calls, 2);
}

/* ---- enabling ---- */

static void test_enable_rejects_bad_layouts(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *what;
		uint32_t num;
		uint64_t desc, avail, used;
	} bad[] = {
		{ "size 0", 0, FG_DESC, FG_AVAIL, FG_USED },
		{ "size 3", 3, FG_DESC, FG_AVAIL, FG_USED },
		{ "size 12", 12, FG_DESC, FG_AVAIL, FG_USED },
		{ "size over max", 512, FG_DESC, FG_AVAIL, FG_USED },
		{ "size 0x10000", 0x10000, FG_DESC, FG_AVAIL, FG_USED },
		{ "size 0x10008 (truncates to 8)", 0x10008, FG_DESC, FG_AVAIL, FG_USED },
		{ "desc aligned 8", 8, FG_DESC + 8, FG_AVAIL, FG_USED },
		{ "avail aligned 1", 8, FG_DESC, FG_AVAIL + 1, FG_USED },
		{ "used aligned 2", 8, FG_DESC, FG_AVAIL, FG_USED + 2 },
		{ "desc below RAM", 8, FG_BASE - 0x1000, FG_AVAIL, FG_USED },
		{ "desc past end", 8, FG_BASE + FG_SIZE - 64, FG_AVAIL, FG_USED },
		{ "avail past end", 8, FG_DESC, FG_BASE + FG_SIZE - 20, FG_USED },
		{ "used past end", 8, FG_DESC, FG_AVAIL, FG_BASE + FG_SIZE - 68 },
		{ "used wraps", 8, FG_DESC, FG_AVAIL, 0xfffffffffffffff0ull },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		virtqueue_reset(&f->vq);
		f->vq.num = bad[i].num;
		f->vq.desc_gpa = bad[i].desc;
		f->vq.avail_gpa = bad[i].avail;
		f->vq.used_gpa = bad[i].used;
		if (virtqueue_enable(&f->vq) != -1 || f->vq.ready)
			fail_msg("accepted: %s", bad[i].what);
	}
	/* The same queue with a good layout is accepted, and exactly at the end of RAM too. */
	virtqueue_reset(&f->vq);
	layout(f, 8);
	f->vq.used_gpa = FG_BASE + FG_SIZE - (6 + 8 * 8);
	f->vq.used_gpa &= ~3ull;
	assert_int_equal(virtqueue_enable(&f->vq), 0);
	assert_true(f->vq.ready);
	/* The largest size the spec allows. */
	virtqueue_init(&f->vq, &f->g.view, VIRTQ_SIZE_LIMIT);
	layout(f, 1);
	assert_int_equal(virtqueue_enable(&f->vq), 0);
}

/* ---- the normal path ---- */

static void test_pop_push_one_chain(void **state)
{
	struct fixture *f = ready(state);
	struct vq_buf bufs[4];
	struct vq_chain c;

	assert_int_equal(virtqueue_pop(&f->vq, &c, bufs, 4), 0); /* nothing yet */
	fg_desc(&f->g, 5, FG_BUF, 24, VRING_DESC_F_NEXT, 2);
	fg_desc(&f->g, 2, FG_BUF + 0x100, 10, VRING_DESC_F_WRITE, 0);
	fg_publish(&f->g, 5);

	assert_int_equal(virtqueue_pop(&f->vq, &c, bufs, 4), 1);
	assert_int_equal(c.head, 5);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.total, 2);
	assert_ptr_equal(bufs[0].host, fg_host(&f->g, FG_BUF));
	assert_int_equal(bufs[0].len, 24);
	assert_false(bufs[0].writable);
	assert_ptr_equal(bufs[1].host, fg_host(&f->g, FG_BUF + 0x100));
	assert_true(bufs[1].writable);
	assert_int_equal(virtqueue_pop(&f->vq, &c, bufs, 4), 0); /* consumed */

	assert_false(virtqueue_should_interrupt(&f->vq)); /* nothing pushed */
	assert_int_equal(virtqueue_push(&f->vq, 5, 10), 0);
	assert_int_equal(fg_used_idx(&f->g), 1);
	assert_int_equal(fg_used(&f->g, 0).id, 5);
	assert_int_equal(fg_used(&f->g, 0).len, 10);
	assert_true(virtqueue_should_interrupt(&f->vq));
	assert_false(virtqueue_should_interrupt(&f->vq)); /* once per batch */
	assert_int_equal(virtqueue_push(&f->vq, 5, 10), -1); /* nothing in flight */
}

static void test_no_interrupt_flag(void **state)
{
	struct fixture *f = ready(state);
	struct vq_buf b[2];
	struct vq_chain c;

	fg_set_avail_flags(&f->g, VRING_AVAIL_F_NO_INTERRUPT);
	fg_desc(&f->g, 0, FG_BUF, 8, 0, 0);
	fg_publish(&f->g, 0);
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 2), 1);
	assert_int_equal(virtqueue_push(&f->vq, c.head, 0), 0);
	assert_false(virtqueue_should_interrupt(&f->vq));
}

static void test_indexes_wrap_at_16_bits(void **state)
{
	struct fixture *f = ready(state);
	struct vq_buf b[2];
	struct vq_chain c;

	/* As if 65535 chains had gone through already. */
	f->vq.last_avail = f->vq.shadow_avail = f->vq.used_idx = 0xffff;
	fg_set_avail_idx(&f->g, 0xffff);
	fg_desc(&f->g, 3, FG_BUF, 8, 0, 0);
	fg_desc(&f->g, 4, FG_BUF, 8, 0, 0);
	fg_publish(&f->g, 3); /* slot 7, index becomes 0 */
	fg_publish(&f->g, 4); /* slot 0, index 1 */
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 2), 1);
	assert_int_equal(c.head, 3);
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 2), 1);
	assert_int_equal(c.head, 4);
	assert_int_equal(virtqueue_push(&f->vq, 3, 1), 0);
	assert_int_equal(fg_used_idx(&f->g), 0);
	assert_int_equal(fg_used(&f->g, 0xffff).id, 3);
	assert_false(f->vq.broken);
}

static void test_chain_as_long_as_the_queue(void **state)
{
	struct fixture *f = ready(state);
	struct vq_buf b[8];
	struct vq_chain c;

	for (uint16_t i = 0; i < 8; i++)
		fg_desc(&f->g, i, FG_BUF + 16 * i, 16, i < 7 ? VRING_DESC_F_NEXT : 0, i + 1);
	fg_publish(&f->g, 0);
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 8), 1);
	assert_int_equal(c.total, 8);
}

static void test_small_array_reports_total(void **state)
{
	struct fixture *f = ready(state);
	struct vq_buf b[2];
	struct vq_chain c;

	fg_desc(&f->g, 0, FG_BUF, 4, VRING_DESC_F_NEXT, 1);
	fg_desc(&f->g, 1, FG_BUF, 4, VRING_DESC_F_NEXT, 2);
	fg_desc(&f->g, 2, FG_BUF, 4, VRING_DESC_F_WRITE, 0);
	fg_publish(&f->g, 0);
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 2), 1);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.total, 3);
	assert_false(f->vq.broken);
}

static void test_zero_length_descriptor(void **state)
{
	struct fixture *f = ready(state);
	struct vq_buf b[2];
	struct vq_chain c;

	/* No byte to reach, so even an address outside RAM is harmless. */
	fg_desc(&f->g, 0, 0xdead0000ull, 0, VRING_DESC_F_WRITE, 0);
	fg_publish(&f->g, 0);
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 2), 1);
	assert_null(b[0].host);
	assert_int_equal(b[0].len, 0);
}

static void test_not_ready_queue_is_left_alone(void **state)
{
	struct fixture *f = *state;
	struct vq_buf b[2];
	struct vq_chain c;

	fg_desc(&f->g, 0, FG_BUF, 8, 0, 0);
	fg_publish(&f->g, 0);
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 2), 0);
	assert_int_equal(virtqueue_enable(&f->vq), 0);
	virtqueue_disable(&f->vq);
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 2), 0);
	assert_int_equal(virtqueue_push(&f->vq, 0, 0), -1);
}

/* ---- hostile rings: each breaks the queue, nothing is consumed, and it stays broken ---- */

enum hostile { HEAD_OUT_OF_RANGE, NEXT_OUT_OF_RANGE, NEXT_IS_SIZE, LOOP, SELF_LOOP, AVAIL_JUMP, BUF_OUTSIDE,
	       BUF_STRADDLES_END, BUF_WRAPS, INDIRECT, READ_AFTER_WRITE };

static void build_hostile(struct fake_guest *g, enum hostile h)
{
	switch (h) {
	case HEAD_OUT_OF_RANGE:
		fg_publish(g, 8);
		break;
	case NEXT_OUT_OF_RANGE:
		fg_desc(g, 0, FG_BUF, 8, VRING_DESC_F_NEXT, 200);
		fg_publish(g, 0);
		break;
	case NEXT_IS_SIZE:
		fg_desc(g, 0, FG_BUF, 8, VRING_DESC_F_NEXT, 8);
		fg_publish(g, 0);
		break;
	case LOOP:
		fg_desc(g, 0, FG_BUF, 8, VRING_DESC_F_NEXT, 1);
		fg_desc(g, 1, FG_BUF, 8, VRING_DESC_F_NEXT, 2);
		fg_desc(g, 2, FG_BUF, 8, VRING_DESC_F_NEXT, 0);
		fg_publish(g, 0);
		break;
	case SELF_LOOP:
		fg_desc(g, 0, FG_BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
		fg_publish(g, 0);
		break;
	case AVAIL_JUMP:
		fg_desc(g, 0, FG_BUF, 8, 0, 0);
		fg_set_avail_idx(g, 9); /* 9 outstanding in a queue of 8 */
		break;
	case BUF_OUTSIDE:
		fg_desc(g, 0, 0x1000, 8, 0, 0);
		fg_publish(g, 0);
		break;
	case BUF_STRADDLES_END:
		fg_desc(g, 0, FG_BASE + FG_SIZE - 4, 8, 0, 0);
		fg_publish(g, 0);
		break;
	case BUF_WRAPS:
		fg_desc(g, 0, UINT64_MAX - 3, 8, 0, 0);
		fg_publish(g, 0);
		break;
	case INDIRECT:
		fg_desc(g, 0, FG_BUF, 32, VRING_DESC_F_INDIRECT, 0);
		fg_publish(g, 0);
		break;
	case READ_AFTER_WRITE:
		fg_desc(g, 0, FG_BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		fg_desc(g, 1, FG_BUF, 8, 0, 0);
		fg_publish(g, 0);
		break;
	}
}

static void test_hostile_rings(void **state)
{
	static const char *names[] = { "head out of range", "next out of range", "next = size", "loop", "self loop",
				       "avail jump", "buffer outside RAM", "buffer straddles end",
				       "buffer wraps", "indirect", "readable after writable" };
	struct fixture *f = *state;

	for (enum hostile h = HEAD_OUT_OF_RANGE; h <= READ_AFTER_WRITE; h++) {
		struct vq_buf b[16];
		struct vq_chain c;

		memset(f->g.flat.host, 0, FG_SIZE);
		f->g.avail_idx = 0;
		virtqueue_reset(&f->vq);
		layout(f, 8);
		assert_int_equal(virtqueue_enable(&f->vq), 0);
		build_hostile(&f->g, h);
		if (virtqueue_pop(&f->vq, &c, b, 16) != -1 || !f->vq.broken)
			fail_msg("not refused: %s", names[h]);
		assert_int_equal(f->vq.last_avail, 0);
		assert_non_null(f->vq.broken_reason);
		/* A repaired ring does not revive it, */
		memset(f->g.flat.host, 0, FG_SIZE);
		f->g.avail_idx = 0;
		fg_desc(&f->g, 0, FG_BUF, 8, 0, 0);
		fg_publish(&f->g, 0);
		assert_int_equal(virtqueue_pop(&f->vq, &c, b, 16), -1);
		assert_int_equal(virtqueue_enable(&f->vq), -1);
		/* only a reset does. */
		virtqueue_reset(&f->vq);
		layout(f, 8);
		assert_int_equal(virtqueue_enable(&f->vq), 0);
		assert_int_equal(virtqueue_pop(&f->vq, &c, b, 16), 1);
	}
}

static void test_jump_by_exactly_the_size_is_allowed(void **state)
{
	struct fixture *f = ready(state);
	struct vq_buf b[1];
	struct vq_chain c;

	for (uint16_t i = 0; i < 8; i++) {
		fg_desc(&f->g, i, FG_BUF, 8, 0, 0);
		fg_publish(&f->g, i);
	}
	for (uint16_t i = 0; i < 8; i++)
		assert_int_equal(virtqueue_pop(&f->vq, &c, b, 1), 1);
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 1), 0);
	assert_false(f->vq.broken);
}

static void test_ring_moved_out_of_ram_after_enable(void **state)
{
	struct fixture *f = ready(state);
	struct vq_buf b[1];
	struct vq_chain c;

	fg_desc(&f->g, 0, FG_BUF, 8, 0, 0);
	fg_publish(&f->g, 0);
	/* RAM shrinks under the queue (as if the DIMM holding it went away):
	 * the next access re-translates and fails instead of using a stale pointer. */
	f->g.flat.size = 0x1000;
	assert_int_equal(virtqueue_pop(&f->vq, &c, b, 1), -1);
	assert_true(f->vq.broken);
	f->g.flat.size = FG_SIZE;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guest_mem_bounds, setup, teardown),
		cmocka_unit_test(test_guest_mem_shields_translate),
		cmocka_unit_test_setup_teardown(test_enable_rejects_bad_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pop_push_one_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indexes_wrap_at_16_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_as_long_as_the_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_array_reports_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_length_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ready_queue_is_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_rings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jump_by_exactly_the_size_is_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_moved_out_of_ram_after_enable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
