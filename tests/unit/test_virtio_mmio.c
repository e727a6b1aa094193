/* virtio-mmio v2 register block: registers, status machine, queues, interrupts, config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "virtio/virtio_mmio.h"
#include "virtio_fake_guest.h"

/* ---- a fake device behind the transport ---- */

struct fake_dev {
	uint64_t features;
	bool refuse;          /* features_ok says no */
	uint8_t config[16];
	uint8_t written[16];
	unsigned notifies, resets, last_index;
	bool push;            /* give back what it pops */
};

static uint64_t fd_features(void *dev) { return ((struct fake_dev *)dev)->features; }
static bool fd_features_ok(void *dev, uint64_t f) { (void)f; return !((struct fake_dev *)dev)->refuse; }

static void fd_config_read(void *dev, uint64_t off, uint8_t *data, unsigned size)
{
	struct fake_dev *d = dev;

	memset(data, 0, size);
	if (off < sizeof(d->config) && size <= sizeof(d->config) - off)
		memcpy(data, d->config + off, size);
}

static void fd_config_write(void *dev, uint64_t off, const uint8_t *data, unsigned size)
{
	struct fake_dev *d = dev;

	if (off < sizeof(d->written) && size <= sizeof(d->written) - off)
		memcpy(d->written + off, data, size);
}

static void fd_notify(void *dev, unsigned index, struct virtqueue *vq)
{
	struct fake_dev *d = dev;
	struct vq_buf b[4];
	struct vq_chain c;

	d->notifies++;
	d->last_index = index;
	while (d->push && virtqueue_pop(vq, &c, b, 4) == 1)
		virtqueue_push(vq, c.head, 0);
}

static void fd_reset(void *dev) { ((struct fake_dev *)dev)->resets++; }

static const struct virtio_device_ops fake_ops = {
	.device_id = VIRTIO_ID_MEM,
	.num_queues = 2,
	.queue_max = 64,
	.features = fd_features,
	.features_ok = fd_features_ok,
	.config_read = fd_config_read,
	.config_write = fd_config_write,
	.queue_notify = fd_notify,
	.reset = fd_reset,
};

struct fixture {
	struct fake_guest g;
	struct fake_dev dev;
	struct virtio_mmio t;
	int level;
	unsigned edges;
};

static void set_level(void *opaque, bool level)
{
	struct fixture *f = opaque;

	if (level && !f->level)
		f->edges++;
	f->level = level;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fg_init(&f->g, 8);
	f->dev.features = 0x3; /* two device bits */
	f->dev.push = true;
	for (unsigned i = 0; i < sizeof(f->dev.config); i++)
		f->dev.config[i] = (uint8_t)(0xa0 + i);
	struct virtio_mmio_irq irq = { .set_level = set_level, .opaque = f };
	assert_int_equal(virtio_mmio_init(&f->t, &fake_ops, &f->dev, &f->g.view, irq), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_mmio_destroy(&f->t);
	fg_free(&f->g);
	free(f);
	return 0;
}

static uint32_t rd(struct fixture *f, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	virtio_mmio_access(&f->t, off, false, (uint8_t *)&v, 4);
	return le32toh(v);
}

static void wr(struct fixture *f, uint64_t off, uint32_t v)
{
	v = htole32(v);
	virtio_mmio_access(&f->t, off, true, (uint8_t *)&v, 4);
}

static void negotiate(struct fixture *f, uint64_t features)
{
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					  VIRTIO_CONFIG_S_FEATURES_OK);
}

#define V1 (1ull << VIRTIO_F_VERSION_1)
#define ALL_OK (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | \
		VIRTIO_CONFIG_S_DRIVER_OK)

static void setup_queue(struct fixture *f, unsigned index, uint32_t num)
{
	wr(f, VIRTIO_MMIO_QUEUE_SEL, index);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, num);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)FG_DESC);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)FG_AVAIL);
	wr(f, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)FG_USED);
	wr(f, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* A driver that went through the whole initialisation of §3.1.1 with queue 0 live. */
static void bring_up(struct fixture *f)
{
	negotiate(f, V1 | 1);
	setup_queue(f, 0, 8);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	wr(f, VIRTIO_MMIO_STATUS, ALL_OK);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), ALL_OK);
}

/* ---- identity and access width ---- */

static void test_identity_registers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(f, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_MEM);
	assert_int_equal(rd(f, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_PLUGVM_VENDOR);
	/* Device features in two words; VERSION_1 is bit 0 of the high word. */
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 0x3);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 1);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	/* No shared memory regions. */
	wr(f, VIRTIO_MMIO_SHM_SEL, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(rd(f, VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffff);
	/* Write-only registers read 0. */
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NOTIFY), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
}

static void test_wrong_width_accesses(void **state)
{
	struct fixture *f = *state;
	static const struct { uint64_t off; unsigned size; } bad[] = {
		{ VIRTIO_MMIO_MAGIC_VALUE, 1 }, { VIRTIO_MMIO_MAGIC_VALUE, 2 },
		{ VIRTIO_MMIO_MAGIC_VALUE, 8 }, { VIRTIO_MMIO_MAGIC_VALUE + 1, 4 },
		{ VIRTIO_MMIO_STATUS, 2 },      { VIRTIO_MMIO_STATUS + 2, 4 },
		{ VIRTIO_MMIO_VERSION, 3 },     { VIRTIO_MMIO_CONFIG_GENERATION, 1 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[16];
		memset(buf, 0x5a, sizeof(buf));
		virtio_mmio_access(&f->t, bad[i].off, false, buf, bad[i].size);
		for (unsigned j = 0; j < bad[i].size; j++)
			if (buf[j] != 0)
				fail_msg("read of %u bytes at %#llx gave data", bad[i].size,
					 (unsigned long long)bad[i].off);
		assert_int_equal(buf[bad[i].size], 0x5a); /* nothing past size */
	}
	/* A 16-bit write of a status value is dropped. */
	uint16_t s = htole16(VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_mmio_access(&f->t, VIRTIO_MMIO_STATUS, true, (uint8_t *)&s, 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
	/* A misaligned 32-bit write next to QueueSel is dropped. */
	uint32_t v = htole32(1);
	virtio_mmio_access(&f->t, VIRTIO_MMIO_QUEUE_SEL + 1, true, (uint8_t *)&v, 4);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	assert_int_equal(f->t.queue_sel, 0);
}

static void test_any_access_is_safe(void **state)
{
	struct fixture *f = *state;

	/* Every offset in and past the window, every size up to 8, both ways;
	 * ASan and UBSan watch. Writes of all-ones hit reset, ready, notify... */
	for (uint64_t off = 0; off < 0x240; off++)
		for (unsigned size = 0; size <= 8; size++) {
			uint8_t buf[8];
			memset(buf, 0xff, sizeof(buf));
			virtio_mmio_access(&f->t, off, true, buf, size);
			virtio_mmio_access(&f->t, off, false, buf, size);
		}
	uint8_t buf[8] = { 0 };
	virtio_mmio_access(&f->t, UINT64_MAX - 3, false, buf, 4);
	virtio_mmio_access(&f->t, UINT64_MAX, true, buf, 8);
	assert_int_equal(rd(f, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
}

/* ---- status state machine ---- */

static void test_features_ok_rules(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *what;
		uint64_t features;
		bool refuse, beyond_64, accepted;
	} cases[] = {
		{ "offered subset with VERSION_1", V1 | 1, false, false, true },
		{ "all offered", V1 | 3, false, false, true },
		{ "VERSION_1 alone", V1, false, false, true },
		{ "no VERSION_1", 1, false, false, false },
		{ "a bit not offered", V1 | 4, false, false, false },
		{ "a ring bit not offered (EVENT_IDX)", V1 | (1ull << 29), false, false, false },
		{ "a high bit not offered", V1 | (1ull << 40), false, false, false },
		{ "a bit past 64", V1 | 1, false, true, false },
		{ "the device's own check says no", V1 | 1, true, false, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wr(f, VIRTIO_MMIO_STATUS, 0);
		f->dev.refuse = cases[i].refuse;
		if (cases[i].beyond_64) {
			wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
			wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1);
		}
		negotiate(f, cases[i].features);
		bool ok = rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK;
		if (ok != cases[i].accepted)
			fail_msg("%s: FEATURES_OK %s", cases[i].what, ok ? "set" : "refused");
		/* DRIVER_OK never sticks without FEATURES_OK. */
		wr(f, VIRTIO_MMIO_STATUS, rd(f, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
		assert_int_equal(!!(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK), ok);
	}
}

static void test_features_frozen_after_features_ok(void **state)
{
	struct fixture *f = *state;

	negotiate(f, V1 | 1);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	assert_int_equal(f->t.driver_features, V1 | 1);
}

static void test_status_bits_only_grow(void **state)
{
	struct fixture *f = *state;

	bring_up(f);
	/* Clearing DRIVER_OK (anything but a reset) is dropped. */
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), ALL_OK);
	/* NEEDS_RESET belongs to the device: a driver cannot set it... */
	wr(f, VIRTIO_MMIO_STATUS, ALL_OK | VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), ALL_OK);
	/* ...and FAILED it can. */
	wr(f, VIRTIO_MMIO_STATUS, ALL_OK | VIRTIO_CONFIG_S_FAILED);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), ALL_OK | VIRTIO_CONFIG_S_FAILED);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;

	bring_up(f);
	virtio_mmio_config_changed(&f->t, true);
	assert_int_equal(f->level, 1);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(f->level, 0);
	assert_int_equal(f->dev.resets, 1);
	assert_int_equal(f->t.driver_features, 0);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(f->t.vqs[0].desc_gpa, 0);
	/* And the device works again from scratch. */
	bring_up(f);
}

/* ---- queues ---- */

static void test_queue_registers(void **state)
{
	struct fixture *f = *state;

	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 2); /* no such queue */
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);

	negotiate(f, V1);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x89abcdef);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x01234567);
	assert_int_equal(f->t.vqs[0].desc_gpa, 0x0123456789abcdefull);
	setup_queue(f, 0, 8);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	/* Layout writes while ready are dropped. */
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 16);
	wr(f, VIRTIO_MMIO_QUEUE_USED_LOW, 0x1000);
	assert_int_equal(f->t.vqs[0].num, 8);
	assert_int_equal(f->t.vqs[0].used_gpa, FG_USED);
	/* Ready 0 stops the queue and frees the layout again. */
	wr(f, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 16);
	assert_int_equal(f->t.vqs[0].num, 16);
	assert_false(virtio_mmio_needs_reset(&f->t));
}

static void test_bad_queue_layout_needs_reset(void **state)
{
	struct fixture *f = *state;

	negotiate(f, V1);
	setup_queue(f, 0, 12); /* not a power of two */
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(virtio_mmio_needs_reset(&f->t));
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(f->level, 0); /* no interrupt before DRIVER_OK */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_false(virtio_mmio_needs_reset(&f->t));
}

static void test_notify_and_used_interrupt(void **state)
{
	struct fixture *f = *state;

	negotiate(f, V1 | 1);
	setup_queue(f, 0, 8);
	fg_desc(&f->g, 0, FG_BUF, 8, 0, 0);
	fg_publish(&f->g, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* before DRIVER_OK: not delivered */
	assert_int_equal(f->dev.notifies, 0);
	wr(f, VIRTIO_MMIO_STATUS, ALL_OK);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 1); /* queue 1 is not ready */
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 7); /* no such queue */
	assert_int_equal(f->dev.notifies, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->dev.notifies, 1);
	assert_int_equal(fg_used_idx(&f->g), 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(f->level, 1);
	wr(f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(f->level, 0);
	/* A notify that finds nothing raises nothing. */
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->level, 0);
	/* NO_INTERRUPT is honoured. */
	fg_set_avail_flags(&f->g, VRING_AVAIL_F_NO_INTERRUPT);
	fg_publish(&f->g, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(fg_used_idx(&f->g), 2);
	assert_int_equal(f->level, 0);
}

static void test_broken_queue_needs_reset(void **state)
{
	struct fixture *f = *state;

	bring_up(f);
	fg_publish(&f->g, 200); /* head out of range */
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_true(virtio_mmio_needs_reset(&f->t));
	/* A running driver hears about it through a configuration interrupt. */
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(f->level, 1);
	/* The device is left alone until the reset. */
	unsigned n = f->dev.notifies;
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->dev.notifies, n);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_false(virtio_mmio_needs_reset(&f->t));
	assert_false(f->t.vqs[0].broken);
}

/* ---- configuration space and generation ---- */

static void test_config_space_access(void **state)
{
	struct fixture *f = *state;
	uint8_t b[8];

	virtio_mmio_access(&f->t, VIRTIO_MMIO_CONFIG + 2, false, b, 1);
	assert_int_equal(b[0], 0xa2);
	virtio_mmio_access(&f->t, VIRTIO_MMIO_CONFIG + 4, false, b, 4);
	assert_int_equal(b[0], 0xa4);
	assert_int_equal(b[3], 0xa7);
	virtio_mmio_access(&f->t, VIRTIO_MMIO_CONFIG + 8, false, b, 8);
	assert_int_equal(b[7], 0xaf);
	memset(b, 0x77, sizeof(b));
	virtio_mmio_access(&f->t, VIRTIO_MMIO_CONFIG, false, b, 3); /* odd size */
	assert_int_equal(b[0], 0);
	assert_int_equal(b[2], 0);
	assert_int_equal(b[3], 0x77);
	b[0] = 0x42;
	b[1] = 0x43;
	virtio_mmio_access(&f->t, VIRTIO_MMIO_CONFIG + 6, true, b, 2);
	assert_int_equal(f->dev.written[6], 0x42);
	assert_int_equal(f->dev.written[7], 0x43);
}

static void test_config_generation_and_interrupt(void **state)
{
	struct fixture *f = *state;
	uint32_t g0 = rd(f, VIRTIO_MMIO_CONFIG_GENERATION);

	/* Before DRIVER_OK: the generation moves, no interrupt. */
	virtio_mmio_config_changed(&f->t, true);
	uint32_t g1 = rd(f, VIRTIO_MMIO_CONFIG_GENERATION);
	assert_int_not_equal(g0, g1);
	assert_int_equal(f->level, 0);
	bring_up(f);
	/* A silent change (plugged_size) moves the generation only. */
	struct virtio_transport_link link = virtio_mmio_link(&f->t);
	link.config_changed(link.transport, false);
	uint32_t g2 = rd(f, VIRTIO_MMIO_CONFIG_GENERATION);
	assert_int_not_equal(g1, g2);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* A notified change raises the configuration interrupt. */
	link.config_changed(link.transport, true);
	assert_int_not_equal(g2, rd(f, VIRTIO_MMIO_CONFIG_GENERATION));
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(f->level, 1);
	assert_int_equal(f->edges, 1);
	/* Acking the wrong bit keeps the line up. */
	wr(f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(f->level, 1);
	wr(f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(f->level, 0);
}

static void test_init_refuses_bad_ops(void **state)
{
	struct fixture *f = *state;
	struct virtio_mmio t;
	struct virtio_device_ops ops = fake_ops;
	struct virtio_mmio_irq irq = { 0 };

	ops.queue_max = 48;
	assert_int_equal(virtio_mmio_init(&t, &ops, &f->dev, &f->g.view, irq), -1);
	ops.queue_max = 64;
	ops.num_queues = 0;
	assert_int_equal(virtio_mmio_init(&t, &ops, &f->dev, &f->g.view, irq), -1);
	ops.num_queues = VIRTIO_MMIO_MAX_QUEUES + 1;
	assert_int_equal(virtio_mmio_init(&t, &ops, &f->dev, &f->g.view, irq), -1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_identity_registers),
		T(test_wrong_width_accesses),
		T(test_any_access_is_safe),
		T(test_features_ok_rules),
		T(test_features_frozen_after_features_ok),
		T(test_status_bits_only_grow),
		T(test_reset),
		T(test_queue_registers),
		T(test_bad_queue_layout_needs_reset),
		T(test_notify_and_used_interrupt),
		T(test_broken_queue_needs_reset),
		T(test_config_space_access),
		T(test_config_generation_and_interrupt),
		T(test_init_refuses_bad_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
