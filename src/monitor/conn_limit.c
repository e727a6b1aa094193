#include "monitor/conn_limit.h"

#include "util.h"

bool log_throttle_allow(struct log_throttle *t, unsigned *skipped)
{
	uint64_t now = pv_now_ns();

	if (t->next_ns && now < t->next_ns) {
		t->skipped++;
		return false;
	}
	*skipped = t->skipped;
	t->skipped = 0;
	t->next_ns = now + CONN_LIMIT_LOG_INTERVAL_MS * 1000000ULL;
	return true;
}

bool conn_limit_admit(struct conn_limit *l)
{
	unsigned skipped;

	if (l->open < l->max) {
		l->open++;
		return true;
	}
	if (!log_throttle_allow(&l->log, &skipped))
		return false;
	if (skipped)
		pv_info("%s: refused a client: %u connections are open, the limit "
			"(and %u more refused since the last message)",
			l->what, l->open, skipped);
	else
		pv_info("%s: refused a client: %u connections are open, the limit", l->what,
			l->open);
	return false;
}

void conn_limit_release(struct conn_limit *l)
{
	if (l->open)
		l->open--;
}
