#include "mm/memhp.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "mm/memhp_regs.h"
#include "arch/x86/platform.h"

#define NO_SLOT (-1)

_Static_assert(PLUGVM_MAX_SLOTS <= 0x7fff, "queue links are int16_t");
_Static_assert(PLUGVM_MAX_SLOTS <= 0x10000, "QUEUE reports the slot in 16 bits");

/* ---- the event queue: O(1) append, pop, replace and drop ---- */

static void queue_append(struct memhp *m, unsigned slot, uint8_t code)
{
	struct memhp_slot *s = &m->slot[slot];

	if (s->queued_code) {
		/* One pending entry per slot: the newer event replaces the
		 * older one and keeps its place, so no slot waits longer
		 * because its request changed. */
		s->queued_code = code;
		return;
	}
	s->queued_code = code;
	s->next = NO_SLOT;
	s->prev = m->tail;
	if (m->tail == NO_SLOT)
		m->head = (int16_t)slot;
	else
		m->slot[m->tail].next = (int16_t)slot;
	m->tail = (int16_t)slot;
	m->queued++;
}

static void queue_drop(struct memhp *m, unsigned slot)
{
	struct memhp_slot *s = &m->slot[slot];

	if (!s->queued_code)
		return;
	if (s->prev == NO_SLOT)
		m->head = s->next;
	else
		m->slot[s->prev].next = s->next;
	if (s->next == NO_SLOT)
		m->tail = s->prev;
	else
		m->slot[s->next].prev = s->prev;
	s->queued_code = 0;
	s->prev = s->next = NO_SLOT;
	m->queued--;
}

/* m->lock held: waits while the oldest event belongs to a slot whose KVM
 * slot is still being created (memhp_plug_begin). False when the wait timed
 * out: the event stays queued and memhp_plug_mapped() raises the interrupt
 * again. */
static bool wait_until_head_mapped(struct memhp *m)
{
	struct timespec deadline;
	uint64_t ns;

	if (m->head == NO_SLOT || !m->slot[m->head].mapping)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	ns = (uint64_t)deadline.tv_nsec + m->mapping_wait_ns;
	deadline.tv_sec += (time_t)(ns / 1000000000u);
	deadline.tv_nsec = (long)(ns % 1000000000u);
	while (m->head != NO_SLOT && m->slot[m->head].mapping) {
		if (pthread_cond_timedwait(&m->mapped, &m->lock, &deadline) == ETIMEDOUT &&
		    m->head != NO_SLOT && m->slot[m->head].mapping) {
			m->slot[m->head].mapping_missed = true;
			return false;
		}
	}
	return true;
}

/* Pops the oldest event and selects its slot, as the AML's REVQ read
 * expects: the following register reads then describe that slot. */
static uint32_t queue_pop(struct memhp *m)
{
	unsigned slot;
	uint8_t code;

	if (!wait_until_head_mapped(m) || m->head == NO_SLOT)
		return 0;
	slot = (unsigned)m->head;
	code = m->slot[slot].queued_code;
	queue_drop(m, slot);
	m->selector = slot;
	return MEMHP_QUEUE_VALID | (uint32_t)code << 16 | slot;
}

static void raise_irq(struct memhp *m)
{
	if (m->ops && m->ops->raise_irq)
		m->ops->raise_irq(m->opaque);
}

/* The selected slot, or NULL when the selector points past the slots. */
static struct memhp_slot *selected(struct memhp *m)
{
	return m->selector < m->nr_slots ? &m->slot[m->selector] : NULL;
}

static void slot_clear(struct memhp *m, unsigned slot)
{
	queue_drop(m, slot);
	m->slot[slot] = (struct memhp_slot){.prev = NO_SLOT, .next = NO_SLOT};
}

/* ---- setup ---- */

int memhp_init(struct memhp *m, unsigned nr_slots, const struct memhp_ops *ops, void *opaque)
{
	pthread_condattr_t attr;

	if (nr_slots > PLUGVM_MAX_SLOTS)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (pthread_mutex_init(&m->lock, NULL) != 0)
		return -EINVAL;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&m->mapped, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		pthread_mutex_destroy(&m->lock);
		return -EINVAL;
	}
	pthread_condattr_destroy(&attr);
	m->mapping_wait_ns = MEMHP_MAPPING_WAIT_NS;
	m->nr_slots = nr_slots;
	m->ops = ops;
	m->opaque = opaque;
	m->head = m->tail = NO_SLOT;
	for (unsigned i = 0; i < PLUGVM_MAX_SLOTS; i++)
		m->slot[i].prev = m->slot[i].next = NO_SLOT;
	return 0;
}

void memhp_destroy(struct memhp *m)
{
	pthread_cond_destroy(&m->mapped);
	pthread_mutex_destroy(&m->lock);
}

/* ---- guest side ---- */

static uint32_t read_reg(struct memhp *m, unsigned reg)
{
	struct memhp_slot *s = selected(m);

	switch (reg) {
	case MEMHP_REG_SEL:
		return m->selector;
	case MEMHP_REG_INFO:
		return (uint32_t)MEMHP_INTERFACE_VERSION << 16 | m->nr_slots;
	case MEMHP_REG_QUEUE:
		return queue_pop(m);
	}
	/* An empty slot reads as all zeros, whatever stale values it had. */
	if (!s || !s->enabled)
		return 0;
	switch (reg) {
	case MEMHP_REG_BASE_LO:
		return (uint32_t)s->base;
	case MEMHP_REG_BASE_HI:
		return (uint32_t)(s->base >> 32);
	case MEMHP_REG_LEN_LO:
		return (uint32_t)s->len;
	case MEMHP_REG_LEN_HI:
		return (uint32_t)(s->len >> 32);
	case MEMHP_REG_PXM:
		return s->pxm;
	case MEMHP_REG_STATUS:
		return MEMHP_STATUS_ENABLED |
		       (s->insert_pending ? MEMHP_STATUS_INSERT_PENDING : 0) |
		       (s->eject_requested ? MEMHP_STATUS_EJECT_REQUESTED : 0);
	}
	return 0; /* write-only registers */
}

uint32_t memhp_read(struct memhp *m, unsigned offset, unsigned size)
{
	unsigned reg = offset & ~3u, shift = (offset & 3) * 8;
	uint32_t v;

	if (offset >= MEMHP_IO_LEN || (size != 1 && size != 2 && size != 4) ||
	    (offset & 3) + size > 4)
		return 0;
	/* A narrow read must not pop: the guest would lose the event. */
	if (reg == MEMHP_REG_QUEUE && size != 4)
		return 0;
	pthread_mutex_lock(&m->lock);
	v = read_reg(m, reg) >> shift;
	pthread_mutex_unlock(&m->lock);
	return size == 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void do_eject(struct memhp *m, unsigned slot)
{
	/* Guest-initiated ejects (sysfs eject, _OST 0x103) arrive here without
	 * a request from us, and are just as legitimate. An empty slot has
	 * nothing to unmap. */
	if (!m->slot[slot].enabled)
		return;
	if (m->ops && m->ops->eject)
		m->ops->eject(m->opaque, slot);
	slot_clear(m, slot);
}

static void do_cmd(struct memhp *m, unsigned slot, uint32_t cmd)
{
	struct memhp_slot *s = &m->slot[slot];

	switch (cmd) {
	case MEMHP_CMD_ACK_INSERT:
		s->insert_pending = false;
		break;
	case MEMHP_CMD_ACK_EJECT:
		s->eject_requested = false;
		break;
	case MEMHP_CMD_EJECT:
		do_eject(m, slot);
		break;
	}
}

static void do_ost(struct memhp *m, unsigned slot, uint32_t status)
{
	struct memhp_slot *s = &m->slot[slot];
	uint32_t event = s->ost_event;

	if (event == MEMHP_OST_EV_DEVICE_CHECK)
		s->insert_pending = false; /* the guest is done with the insert */
	/* 0x84 means "working on it"; any other answer to our Eject Request ends it
	 * (success comes after _EJ0 emptied the slot). A refusal ends it too when the
	 * guest reports it as its own eject failing (0x103): the memory stays online,
	 * the slot stays, and the host may ask again. */
	if ((event == MEMHP_OST_EV_EJECT_REQUEST && status != MEMHP_OST_EJECT_IN_PROGRESS) ||
	    memhp_ost_refuses_eject(event, status))
		s->eject_requested = false;
	if (m->ops && m->ops->ost)
		m->ops->ost(m->opaque, slot, event, status);
}

void memhp_write(struct memhp *m, unsigned offset, unsigned size, uint32_t value)
{
	struct memhp_slot *s;

	if (offset >= MEMHP_IO_LEN || size != 4 || (offset & 3))
		return;
	pthread_mutex_lock(&m->lock);
	s = selected(m);
	switch (offset) {
	case MEMHP_REG_SEL:
		m->selector = value;
		break;
	case MEMHP_REG_CMD:
		if (s)
			do_cmd(m, m->selector, value);
		break;
	case MEMHP_REG_OST_EV:
		if (s)
			s->ost_event = value;
		break;
	case MEMHP_REG_OST_ST:
		if (s)
			do_ost(m, m->selector, value);
		break;
	}
	pthread_mutex_unlock(&m->lock);
}

/* ---- host side ---- */

/* Fills an empty slot: `enabled` (mapped) or `mapping` (KVM slot still being
 * created); with notify, insert_pending plus a queued Device Check and the
 * interrupt. */
static int fill_slot(struct memhp *m, unsigned slot, uint64_t base, uint64_t len, uint32_t pxm,
		     bool mapped, bool notify)
{
	struct memhp_slot *s;
	int ret = 0;

	if (slot >= m->nr_slots || len == 0)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	s = &m->slot[slot];
	if (s->enabled || s->mapping) {
		ret = -EBUSY;
		goto out;
	}
	/* A stale event (e.g. an Eject Request the guest never popped
	 * before ejecting on its own) must not describe the new DIMM. */
	slot_clear(m, slot);
	s->enabled = mapped;
	s->mapping = !mapped;
	s->base = base;
	s->len = len;
	s->pxm = pxm;
	if (notify) {
		s->insert_pending = true;
		queue_append(m, slot, MEMHP_NOTIFY_DEVICE_CHECK);
		raise_irq(m);
	}
out:
	pthread_mutex_unlock(&m->lock);
	return ret;
}

int memhp_plug(struct memhp *m, unsigned slot, uint64_t base, uint64_t len, uint32_t pxm,
	       bool hotplugged)
{
	return fill_slot(m, slot, base, len, pxm, true, hotplugged);
}

int memhp_plug_begin(struct memhp *m, unsigned slot, uint64_t base, uint64_t len, uint32_t pxm)
{
	return fill_slot(m, slot, base, len, pxm, false, true);
}

int memhp_plug_mapped(struct memhp *m, unsigned slot)
{
	struct memhp_slot *s;
	int ret = -EINVAL;

	if (slot >= m->nr_slots)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	s = &m->slot[slot];
	if (s->mapping) {
		s->mapping = false;
		s->enabled = true;
		pthread_cond_broadcast(&m->mapped);
		/* A QUEUE read that gave up waiting left the Device Check queued. */
		if (s->mapping_missed && s->queued_code)
			raise_irq(m);
		s->mapping_missed = false;
		ret = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void memhp_plug_abort(struct memhp *m, unsigned slot)
{
	if (slot >= m->nr_slots)
		return;
	pthread_mutex_lock(&m->lock);
	if (m->slot[slot].mapping) {
		slot_clear(m, slot);
		pthread_cond_broadcast(&m->mapped);
	}
	pthread_mutex_unlock(&m->lock);
}

int memhp_request_eject(struct memhp *m, unsigned slot)
{
	struct memhp_slot *s;
	int ret = 0;

	if (slot >= m->nr_slots)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	s = &m->slot[slot];
	if (!s->enabled)
		ret = -ENODEV;
	else if (s->eject_requested)
		ret = -EALREADY;
	if (ret == 0) {
		s->eject_requested = true;
		queue_append(m, slot, MEMHP_NOTIFY_EJECT_REQUEST);
		raise_irq(m);
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void memhp_cancel_eject(struct memhp *m, unsigned slot)
{
	struct memhp_slot *s;

	if (slot >= m->nr_slots)
		return;
	pthread_mutex_lock(&m->lock);
	s = &m->slot[slot];
	s->eject_requested = false;
	if (s->queued_code == MEMHP_NOTIFY_EJECT_REQUEST) {
		/* If the Eject Request had replaced a Device Check the guest
		 * never saw, put the Device Check back. */
		if (s->insert_pending)
			s->queued_code = MEMHP_NOTIFY_DEVICE_CHECK;
		else
			queue_drop(m, slot);
	}
	pthread_mutex_unlock(&m->lock);
}

int memhp_get_slot(struct memhp *m, unsigned slot, struct memhp_slot *out)
{
	if (slot >= m->nr_slots)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	*out = m->slot[slot];
	pthread_mutex_unlock(&m->lock);
	return 0;
}

unsigned memhp_kick(struct memhp *m)
{
	unsigned n;

	pthread_mutex_lock(&m->lock);
	n = m->queued;
	if (n)
		raise_irq(m);
	pthread_mutex_unlock(&m->lock);
	return n;
}
