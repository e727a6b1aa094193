/* The main loop's timers, and a paused fd (events 0) staying quiet: what a
 * monitor listener out of descriptors relies on to rest instead of spin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <unistd.h>

#include "event_loop.h"
#include "util.h"

static unsigned long long ms_since(uint64_t t0)
{
	return (pv_now_ns() - t0) / 1000000ULL;
}

struct counter {
	unsigned calls;
	struct event_loop *loop;
	unsigned rearm; /* re-arms itself this many more times */
};

static void count_timer(void *opaque)
{
	struct counter *c = opaque;

	c->calls++;
	if (c->rearm) {
		c->rearm--;
		assert_int_equal(event_loop_add_timer(c->loop, 10, count_timer, c), 0);
	}
}

static void count_fd(void *opaque, int fd, short revents)
{
	(void)fd, (void)revents;
	((struct counter *)opaque)->calls++;
}

/* A timer cuts a long (or endless) wait short, and not before it is due. */
static void test_timer_fires_once_when_due(void **state)
{
	struct event_loop loop;
	struct counter c = { 0 };
	uint64_t t0;

	(void)state;
	event_loop_init(&loop);
	t0 = pv_now_ns();
	assert_int_equal(event_loop_add_timer(&loop, 50, count_timer, &c), 0);
	while (!c.calls && ms_since(t0) < 2000)
		event_loop_run_once(&loop, -1);
	assert_int_equal(c.calls, 1);
	assert_true(ms_since(t0) >= 50);
	assert_true(ms_since(t0) < 1000);
	/* One shot: the next wait is the caller's timeout. */
	t0 = pv_now_ns();
	event_loop_run_once(&loop, 30);
	assert_int_equal(c.calls, 1);
	assert_true(ms_since(t0) >= 30);
}

static void test_timer_cancel_and_rearm(void **state)
{
	struct event_loop loop;
	struct counter a = { 0 }, b = { 0 };
	uint64_t t0 = pv_now_ns();

	(void)state;
	event_loop_init(&loop);
	b.loop = &loop;
	b.rearm = 2;
	assert_int_equal(event_loop_add_timer(&loop, 20, count_timer, &a), 0);
	assert_int_equal(event_loop_add_timer(&loop, 10, count_timer, &b), 0);
	event_loop_cancel_timer(&loop, count_timer, &a);
	while (ms_since(t0) < 150)
		event_loop_run_once(&loop, 20);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 3);
}

static void test_timer_table_full(void **state)
{
	struct event_loop loop;
	struct counter c = { 0 };

	(void)state;
	event_loop_init(&loop);
	for (int i = 0; i < EVENT_LOOP_MAX_TIMERS; i++)
		assert_int_equal(event_loop_add_timer(&loop, 0, count_timer, &c), 0);
	assert_int_equal(event_loop_add_timer(&loop, 0, count_timer, &c), -1);
	event_loop_run_once(&loop, 0);
	assert_int_equal(c.calls, EVENT_LOOP_MAX_TIMERS);
	assert_int_equal(event_loop_add_timer(&loop, 0, count_timer, &c), 0);
}

/* A readable fd with events 0 keeps its slot but wakes nobody. */
static void test_paused_fd_stays_quiet(void **state)
{
	struct event_loop loop;
	struct counter c = { 0 };
	unsigned rounds = 0;
	int p[2];
	uint64_t t0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	event_loop_init(&loop);
	assert_int_equal(event_loop_add(&loop, p[0], POLLIN, count_fd, &c), 0);
	assert_int_equal(event_loop_run_once(&loop, 0), 1);
	assert_int_equal(c.calls, 1);
	event_loop_set_events(&loop, p[0], 0);
	t0 = pv_now_ns();
	while (ms_since(t0) < 100) {
		event_loop_run_once(&loop, 20);
		rounds++;
	}
	assert_int_equal(c.calls, 1);
	assert_true(rounds <= 10);
	event_loop_set_events(&loop, p[0], POLLIN);
	event_loop_run_once(&loop, 0);
	assert_int_equal(c.calls, 2);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_fires_once_when_due),
		cmocka_unit_test(test_timer_cancel_and_rearm),
		cmocka_unit_test(test_timer_table_full),
		cmocka_unit_test(test_paused_fd_stays_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
