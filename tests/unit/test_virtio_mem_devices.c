/*
 * The virtio-mem devices of a machine (src/mm/virtio_mem_devices.c), without KVM: a real
 * memory backend, the device-memory window shared with the DIMMs, the MMIO bus, and a
 * fake guest driving the device through its registers as Linux's virtio_mmio and
 * virtio_mem drivers do. Checked: where the region goes, what KVM is asked for, that
 * unplugged blocks are PROT_NONE and hold no host memory, the interrupt level, the
 * MEMORY_DEVICE_SIZE_CHANGE event and its rate limit, rings outside boot RAM, qom-get and
 * qom-set, and the query.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "mm/backend.h"
#include "mm/layout.h"
#include "mm/memory_devices.h"
#include "mm/virtio_mem_devices.h"
#include "mm/virtio_mem_props.h"
#include "monitor/memory_device_events.h"
#include "bus.h"
#include "arch/x86/platform.h"
#include "util.h"
#include "virtio_fake_guest.h"

#define REGION (64 * MiB)
#define BLOCK (2 * MiB)

struct fixture {
	struct plugvm_config cfg;
	struct guest_layout layout;
	struct backend_registry backends;
	struct memory_devices md;
	struct boot_ram ram;
	struct vmem_devices s;
	struct bus mmio;
	struct fake_guest g;
	/* What the hooks saw. */
	int irq_level[32];
	unsigned irq_changes;
	uint32_t slot;
	uint64_t slot_gpa, slot_size;
	void *slot_hva;
	unsigned wakes;
	char event_name[64];
	json_t *event;
	unsigned events;
};

static struct fixture *F;

static void set_irq(void *opaque, uint32_t gsi, bool level)
{
	struct fixture *f = opaque;

	f->irq_level[gsi] = level;
	f->irq_changes++;
}

/* As kvm_memslot_add: KVM slot 7 is the one kvm.c would pick next. */
static int kvm_map(void *opaque, uint64_t gpa, uint64_t size, void *hva)
{
	struct fixture *f = opaque;

	f->slot = 7;
	f->slot_gpa = gpa;
	f->slot_size = size;
	f->slot_hva = hva;
	return 7;
}

static void wake(void *opaque)
{
	((struct fixture *)opaque)->wakes++;
}

static void emit(const struct memory_device_event *ev)
{
	snprintf(F->event_name, sizeof(F->event_name), "%s", memory_device_event_name(ev));
	json_decref(F->event);
	F->event = memory_device_event_data(ev);
	F->events++;
}

static void add_backend(struct fixture *f, const char *text)
{
	struct keyval_list kv;
	struct mem_backend *b;
	char err[256];

	assert_int_equal(keyval_parse(text, "qom-type", &kv, err, sizeof(err)), 0);
	if (backend_create(&kv, &b, err, sizeof(err)) < 0)
		fail_msg("backend_create: %s", err);
	assert_int_equal(backend_registry_add(&f->backends, b, err, sizeof(err)), 0);
	keyval_free(&kv);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	F = f;
	f->cfg.ram_size = 512 * MiB;
	f->cfg.maxmem = 512 * MiB + 4 * GiB;
	f->cfg.nr_cpus = 1;
	f->cfg.nr_virtio_mem = 1;
	assert_int_equal(layout_compute(&f->cfg, 40, &f->layout, err, sizeof(err)), 0);
	backend_registry_init(&f->backends);
	add_backend(f, "memory-backend-ram,id=m0,size=64M");
	assert_int_equal(memory_devices_init(&f->md, &f->cfg, &f->layout, &f->backends), 0);
	/* Boot RAM as the rings see it: the fake guest's buffer. */
	fg_init(&f->g, 8);
	f->ram.nr = 1;
	f->ram.map[0] = (struct boot_ram_map){ .gpa = FG_BASE, .size = FG_SIZE, .hva = f->g.flat.host };
	vmem_devices_init(&f->s, &f->cfg, &f->ram);
	f->s.set_irq = set_irq;
	f->s.irq_opaque = f;
	f->s.kvm_map = kvm_map;
	f->s.kvm_opaque = f;
	f->s.wake_main = wake;
	f->s.wake_main_opaque = f;
	f->s.emit = emit;
	f->s.mmio = &f->mmio;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vmem_devices_destroy(&f->s);
	memory_devices_destroy(&f->md);
	backend_registry_clear(&f->backends);
	fg_free(&f->g);
	json_decref(f->event);
	free(f);
	return 0;
}

static int add(struct fixture *f, const char *text, char *err, size_t errlen, bool *host)
{
	struct keyval_list kv;
	int ret;

	assert_int_equal(keyval_parse(text, "driver", &kv, err, errlen), 0);
	ret = vmem_devices_add(&f->s, &f->md, &kv, err, errlen, host);
	keyval_free(&kv);
	return ret;
}

static void add_ok(struct fixture *f, const char *text)
{
	char err[400];
	bool host;

	if (add(f, text, err, sizeof(err), &host) < 0)
		fail_msg("vmem_devices_add(%s): %s", text, err);
}

/* The permissions of the host mapping at p, as /proc/self/maps shows them ("rw-p"). */
static void prot_at(const void *p, char out[5])
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	uintptr_t a = (uintptr_t)p;

	strcpy(out, "????");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && a >= lo && a < hi) {
			memcpy(out, perms, 5);
			break;
		}
	}
	fclose(maps);
}

static void assert_prot(const void *p, const char *want)
{
	char got[5];

	prot_at(p, got);
	if (strcmp(got, want) != 0)
		fail_msg("mapping at %p is %s, want %s", p, got, want);
}

/* Pages of [p, p + len) the host holds. */
static size_t resident(const void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, count = 0;
	unsigned char *vec = malloc(n);

	assert_non_null(vec);
	assert_int_equal(mincore((void *)p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/* ---- a guest behind the MMIO bus ---- */

static void wr(uint64_t base, uint64_t off, uint32_t v)
{
	v = htole32(v);
	bus_dispatch(&F->mmio, base + off, true, (uint8_t *)&v, 4);
}

static uint32_t rd(uint64_t base, uint64_t off)
{
	uint32_t v = 0;

	bus_dispatch(&F->mmio, base + off, false, (uint8_t *)&v, 4);
	return le32toh(v);
}

static uint64_t rd64(uint64_t base, uint64_t off)
{
	return rd(base, off) | (uint64_t)rd(base, off + 4) << 32;
}

/* Linux's probe: features (VERSION_1 and what the device offers), one queue. Returns
 * whether the queue was taken. */
static bool driver_up(uint64_t base, uint64_t desc, uint64_t avail, uint64_t used)
{
	uint32_t feat;

	wr(base, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	feat = rd(base, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(base, VIRTIO_MMIO_DRIVER_FEATURES, feat);
	wr(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(base, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	wr(base, VIRTIO_MMIO_STATUS, 0xb);
	wr(base, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(base, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(base, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(base, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(base, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(base, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	wr(base, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(base, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	wr(base, VIRTIO_MMIO_QUEUE_READY, 1);
	if (rd(base, VIRTIO_MMIO_QUEUE_READY) != 1)
		return false;
	wr(base, VIRTIO_MMIO_STATUS, 0xf);
	return true;
}

/* One request (PLUG, UNPLUG, ...) through the ring; returns the response type. */
static uint16_t request(struct fixture *f, uint64_t base, uint16_t type, uint64_t addr,
			uint16_t nb)
{
	struct virtio_mem_req req = { 0 };
	uint16_t d = (uint16_t)(f->g.avail_idx * 2 % f->g.num), t;
	struct vring_used_elem u;

	req.type = htole16(type);
	req.u.plug.addr = htole64(addr);
	req.u.plug.nb_blocks = htole16(nb);
	memcpy(fg_host(&f->g, FG_BUF), &req, sizeof(req));
	memset(fg_host(&f->g, FG_BUF + 64), 0xaa, 16);
	fg_desc(&f->g, d, FG_BUF, sizeof(req), VRING_DESC_F_NEXT, (uint16_t)(d + 1));
	fg_desc(&f->g, (uint16_t)(d + 1), FG_BUF + 64, 16, VRING_DESC_F_WRITE, 0);
	fg_publish(&f->g, d);
	wr(base, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	u = fg_used(&f->g, (uint16_t)(fg_used_idx(&f->g) - 1));
	assert_int_equal(u.id, d);
	assert_int_equal(u.len, 10);
	memcpy(&t, fg_host(&f->g, FG_BUF + 64), 2);
	return le16toh(t);
}

static void test_setup_and_memory(void **state)
{
	struct fixture *f = *state;
	const uint64_t base = VIRTIO_MMIO_BASE_GPA;
	struct mem_backend *b = backend_registry_find(&f->backends, "m0");
	uint8_t *hva = b->hva;
	struct control_error err = { 0 };

	add_ok(f, "virtio-mem-pci,id=vm0,memdev=m0,node=0,requested-size=0");
	/* The region is the whole backend, first in the window, in KVM slot 7. */
	assert_int_equal(f->s.nr, 1);
	assert_int_equal(f->s.dev[0].addr, f->layout.hotplug_base);
	assert_int_equal(f->slot, 7);
	assert_int_equal(f->s.dev[0].kvm_slot, 7);
	assert_int_equal(f->slot_gpa, f->layout.hotplug_base);
	assert_int_equal(f->slot_size, REGION);
	assert_ptr_equal(f->slot_hva, hva);
	assert_true(b->in_use);
	/* Every block starts unplugged: inaccessible. */
	assert_prot(hva, "---p");
	assert_prot(hva + REGION - 1, "---p");
	assert_ptr_equal(vmem_devices_unplugged_at(&f->s, f->layout.hotplug_base + 5 * BLOCK),
			 &f->s.dev[0]);
	assert_null(vmem_devices_unplugged_at(&f->s, f->layout.hotplug_base + REGION));

	/* Its registers at the first window: a virtio-mem device, version 2. */
	assert_int_equal(rd(base, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(base, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(base, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_MEM);
	assert_true(driver_up(base, FG_DESC, FG_AVAIL, FG_USED));
	assert_int_equal(rd64(base, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_mem_config, addr)),
			 f->layout.hotplug_base);
	assert_int_equal(rd64(base, VIRTIO_MMIO_CONFIG +
				    offsetof(struct virtio_mem_config, region_size)), REGION);
	assert_int_equal(rd64(base, VIRTIO_MMIO_CONFIG +
				    offsetof(struct virtio_mem_config, block_size)), BLOCK);

	/* qom-set requested-size: a configuration interrupt on GSI 22, level high until acked. */
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "requested-size", "16M", &err), 0);
	assert_int_equal(f->irq_level[22], 1);
	assert_int_equal(rd64(base, VIRTIO_MMIO_CONFIG +
				    offsetof(struct virtio_mem_config, requested_size)), 16 * MiB);
	assert_int_equal(rd(base, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	wr(base, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(f->irq_level[22], 0);

	/* The guest plugs 8 blocks: accessible now; then it uses them. */
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_PLUG, f->layout.hotplug_base, 8),
			 VIRTIO_MEM_RESP_ACK);
	assert_int_equal(f->irq_level[22], 1); /* used buffer */
	wr(base, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_prot(hva, "rw-p");
	assert_prot(hva + 8 * BLOCK - 1, "rw-p");
	assert_prot(hva + 8 * BLOCK, "---p");
	memset(hva, 0x5a, 8 * BLOCK);
	assert_int_equal(resident(hva, 8 * BLOCK), 8 * BLOCK / (size_t)sysconf(_SC_PAGESIZE));
	assert_null(vmem_devices_unplugged_at(&f->s, f->layout.hotplug_base));
	assert_int_equal(vmem_devices_plugged_size(&f->s), 8 * BLOCK);

	/* It unplugs the last 4: inaccessible again, and the host has their memory back. */
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_UNPLUG, f->layout.hotplug_base + 4 * BLOCK, 4),
			 VIRTIO_MEM_RESP_ACK);
	assert_prot(hva + 4 * BLOCK, "---p");
	assert_prot(hva + 4 * BLOCK - 1, "rw-p");
	assert_int_equal(resident(hva + 4 * BLOCK, 4 * BLOCK), 0);
	assert_int_equal(resident(hva, 4 * BLOCK), 4 * BLOCK / (size_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(hva[4 * BLOCK - 1], 0x5a);
	assert_ptr_equal(vmem_devices_unplugged_at(&f->s, f->layout.hotplug_base + 4 * BLOCK),
			 &f->s.dev[0]);

	/* UNPLUG_ALL: everything inaccessible and empty. */
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0), VIRTIO_MEM_RESP_ACK);
	assert_prot(hva, "---p");
	assert_int_equal(resident(hva, REGION), 0);
}

static void test_size_change_events(void **state)
{
	struct fixture *f = *state;
	const uint64_t base = VIRTIO_MMIO_BASE_GPA;
	struct control_error err = { 0 };

	add_ok(f, "virtio-mem-pci,id=vm0,memdev=m0");
	assert_true(driver_up(base, FG_DESC, FG_AVAIL, FG_USED));
	assert_int_equal(vmem_devices_qom_set(&f->s, "/machine/peripheral/vm0", "requested-size",
					      "33554432", &err), 0);
	/* The vCPU thread only wakes the main thread; nothing is built or sent there. */
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_PLUG, f->layout.hotplug_base, 2),
			 VIRTIO_MEM_RESP_ACK);
	assert_int_equal(f->wakes, 1);
	assert_int_equal(f->events, 0);
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_PLUG, f->layout.hotplug_base + 2 * BLOCK, 2),
			 VIRTIO_MEM_RESP_ACK);
	assert_int_equal(f->wakes, 1); /* already pending */
	/* The main thread sends one event with the size now: QEMU's fields. */
	vmem_devices_run_deferred(&f->s, 10 * VMEM_EVENT_INTERVAL_NS);
	assert_int_equal(f->events, 1);
	assert_string_equal(f->event_name, "MEMORY_DEVICE_SIZE_CHANGE");
	assert_string_equal(json_string_value(json_object_get(f->event, "id")), "vm0");
	assert_string_equal(json_string_value(json_object_get(f->event, "qom-path")),
			    "/machine/peripheral/vm0");
	assert_int_equal(json_integer_value(json_object_get(f->event, "size")), 4 * BLOCK);
	assert_int_equal(json_object_size(f->event), 3);
	/* Nothing new: nothing sent. */
	vmem_devices_run_deferred(&f->s, 10 * VMEM_EVENT_INTERVAL_NS);
	assert_int_equal(f->events, 1);
	/* Within a second of the last one: held back, then sent with the latest size. */
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_UNPLUG, f->layout.hotplug_base, 1),
			 VIRTIO_MEM_RESP_ACK);
	assert_int_equal(f->wakes, 2);
	vmem_devices_run_deferred(&f->s, 10 * VMEM_EVENT_INTERVAL_NS + 1);
	assert_int_equal(f->events, 1);
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_UNPLUG, f->layout.hotplug_base + BLOCK, 1),
			 VIRTIO_MEM_RESP_ACK);
	vmem_devices_run_deferred(&f->s, 11 * VMEM_EVENT_INTERVAL_NS);
	assert_int_equal(f->events, 2);
	assert_int_equal(json_integer_value(json_object_get(f->event, "size")), 2 * BLOCK);
	/* A refused request changes no size: no event. */
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_UNPLUG, f->layout.hotplug_base, 1),
			 VIRTIO_MEM_RESP_ERROR);
	vmem_devices_run_deferred(&f->s, 20 * VMEM_EVENT_INTERVAL_NS);
	assert_int_equal(f->events, 2);
}

/* Rings and buffers must be boot RAM: a ring in the virtio-mem region (or anywhere else)
 * is refused at QueueReady. */
static void test_rings_only_in_boot_ram(void **state)
{
	struct fixture *f = *state;
	const uint64_t base = VIRTIO_MMIO_BASE_GPA, region = f->layout.hotplug_base;

	add_ok(f, "virtio-mem-pci,id=vm0,memdev=m0");
	assert_false(driver_up(base, region, region + 0x1000, region + 0x2000));
	assert_true(rd(base, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(base, VIRTIO_MMIO_STATUS, 0);
	assert_false(driver_up(base, FG_DESC, FG_AVAIL, 0x80000000ULL));
	wr(base, VIRTIO_MMIO_STATUS, 0);
	assert_true(driver_up(base, FG_DESC, FG_AVAIL, FG_USED));
}

static void test_prealloc(void **state)
{
	struct fixture *f = *state;
	const uint64_t base = VIRTIO_MMIO_BASE_GPA;
	uint8_t *hva = backend_registry_find(&f->backends, "m0")->hva;

	add_ok(f, "virtio-mem-device,id=vm0,memdev=m0,prealloc=on,requested-size=4M");
	assert_true(driver_up(base, FG_DESC, FG_AVAIL, FG_USED));
	assert_int_equal(request(f, base, VIRTIO_MEM_REQ_PLUG, f->layout.hotplug_base, 2),
			 VIRTIO_MEM_RESP_ACK);
	/* Populated before the ACK, without the guest touching a byte. */
	assert_int_equal(resident(hva, 2 * BLOCK), 2 * BLOCK / (size_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(resident(hva + 2 * BLOCK, BLOCK), 0);
}

static void test_query_and_qom(void **state)
{
	struct fixture *f = *state;
	struct virtio_mem_device_info info[4];
	struct control_error err = { 0 };
	struct qom_value v;

	add_backend(f, "memory-backend-ram,id=m1,size=32M");
	add_ok(f, "virtio-mem-pci,id=vm0,memdev=m0,requested-size=8M");
	add_ok(f, "virtio-mem-device,id=vm1,memdev=m1,block-size=4M,memaddr=0x140000000");
	assert_int_equal(vmem_devices_query(&f->s, info, 4), 2);
	assert_string_equal(info[0].id, "vm0");
	assert_int_equal(info[0].memaddr, f->layout.hotplug_base);
	assert_int_equal(info[0].requested_size, 8 * MiB);
	assert_int_equal(info[0].size, 0);
	assert_int_equal(info[0].max_size, REGION);
	assert_int_equal(info[0].block_size, BLOCK);
	assert_string_equal(info[0].memdev, "m0");
	assert_int_equal(info[1].memaddr, 0x140000000ULL);
	assert_int_equal(info[1].block_size, 4 * MiB);
	assert_int_equal(vmem_devices_query(&f->s, info, 1), 1);
	/* Its own window and GSI. */
	assert_int_equal(f->s.dev[1].mmio_base, VIRTIO_MMIO_BASE_GPA + VIRTIO_MMIO_WINDOW_SIZE);
	assert_int_equal(f->s.dev[1].gsi, 23);
	assert_int_equal(rd(VIRTIO_MMIO_BASE_GPA + 0x200, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_MEM);

	assert_int_equal(vmem_devices_qom_get(&f->s, "vm0", "requested-size", &v, &err), 0);
	assert_int_equal(v.kind, QOM_VALUE_INT);
	assert_int_equal(v.u, 8 * MiB);
	assert_int_equal(vmem_devices_qom_get(&f->s, "/machine/peripheral/vm1", "block-size", &v,
					      &err), 0);
	assert_int_equal(v.u, 4 * MiB);
	assert_int_equal(vmem_devices_qom_get(&f->s, "vm1", "size", &v, &err), 0);
	assert_int_equal(v.u, 0);
	assert_int_equal(vmem_devices_qom_get(&f->s, "vm1", "memaddr", &v, &err), 0);
	assert_int_equal(v.u, 0x140000000ULL);
	assert_int_equal(vmem_devices_qom_get(&f->s, "vm1", "memdev", &v, &err), 0);
	assert_int_equal(v.kind, QOM_VALUE_STRING);
	assert_string_equal(v.s, "/objects/m1");
	assert_int_equal(vmem_devices_qom_get(&f->s, "vm0", "prealloc", &v, &err), 0);
	assert_int_equal(v.kind, QOM_VALUE_BOOL);
	assert_false(v.b);

	/* Errors: QEMU's classes and words. */
	assert_int_equal(vmem_devices_qom_get(&f->s, "nope", "size", &v, &err), -1);
	assert_string_equal(err.cls, CONTROL_ERR_DEVICE_NOT_FOUND);
	assert_string_equal(err.desc, "Device 'nope' not found");
	memset(&err, 0, sizeof(err));
	assert_int_equal(vmem_devices_qom_get(&f->s, "/machine/vm0", "size", &v, &err), -1);
	assert_string_equal(err.cls, CONTROL_ERR_DEVICE_NOT_FOUND);
	memset(&err, 0, sizeof(err));
	assert_int_equal(vmem_devices_qom_get(&f->s, "vm0", "colour", &v, &err), -1);
	assert_null(err.cls);
	assert_string_equal(err.desc, "Property 'virtio-mem-pci.colour' not found");
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm1", "colour", "1", &err), -1);
	assert_string_equal(err.desc, "Property 'virtio-mem-device.colour' not found");
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "size", "1", &err), -1);
	assert_string_equal(err.desc, "Insufficient permission to perform this operation");
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "block-size", "4M", &err), -1);
	assert_string_equal(err.desc, "'block-size' cannot be changed");
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "node", "0", &err), -1);
	assert_non_null(strstr(err.desc, "after it was realized"));
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "requested-size", "3M", &err), -1);
	assert_string_equal(err.desc, "'requested-size' has to be multiples of 'block-size' (0x200000)");
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "requested-size", "128M", &err), -1);
	assert_string_equal(err.desc, "'requested-size' cannot exceed the memory backend size (0x4000000)");
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "requested-size", "lots", &err), -1);
	assert_non_null(strstr(err.desc, "expects a size"));
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "requested-size", "-1", &err), -1);
	/* Nothing changed; then a good one does. */
	assert_int_equal(vmem_devices_qom_get(&f->s, "vm0", "requested-size", &v, &err), 0);
	assert_int_equal(v.u, 8 * MiB);
	assert_int_equal(vmem_devices_qom_set(&f->s, "vm0", "requested-size", "64M", &err), 0);
	assert_int_equal(vmem_devices_qom_get(&f->s, "vm0", "requested-size", &v, &err), 0);
	assert_int_equal(v.u, 64 * MiB);
}

/* The command line's rules that need the backend, and the shared window. */
static void test_add_errors(void **state)
{
	struct fixture *f = *state;
	char err[400];
	bool host;

	add_backend(f, "memory-backend-ram,id=m1,size=2G");
	add_backend(f, "memory-backend-ram,id=m2,size=3G");
	add_ok(f, "virtio-mem-pci,id=vm0,memdev=m0");
	/* memdev in use, unknown, node out of range. */
	assert_int_equal(add(f, "virtio-mem-pci,id=vm1,memdev=m0", err, sizeof(err), &host), -1);
	assert_false(host);
	assert_non_null(strstr(err, "busy memdev: m0"));
	assert_int_equal(add(f, "virtio-mem-pci,id=vm1,memdev=zz", err, sizeof(err), &host), -1);
	assert_non_null(strstr(err, "'zz' does not exist"));
	assert_int_equal(add(f, "virtio-mem-pci,id=vm1,memdev=m1,node=1", err, sizeof(err), &host), -1);
	assert_non_null(strstr(err, "'node=1'"));
	/* A region over another one. */
	assert_int_equal(add(f, "virtio-mem-pci,id=vm1,memdev=m1,memaddr=0x100000000", err,
			     sizeof(err), &host), -1);
	assert_non_null(strstr(err, "overlaps"));
	/* 2 GiB fits, then 3 GiB no longer does (4 GiB of window). */
	add_ok(f, "virtio-mem-pci,id=vm1,memdev=m1");
	assert_int_equal(add(f, "virtio-mem-pci,id=vm2,memdev=m2", err, sizeof(err), &host), -1);
	assert_false(host);
	assert_non_null(strstr(err, "maxmem"));
	assert_int_equal(f->s.nr, 2);
}

/* Backend rules with a page size only the VM knows (a hugetlbfs backend). */
static void test_props_page_size(void **state)
{
	struct vmem_props p;
	struct keyval_list kv;
	char err[256];

	(void)state;
	assert_int_equal(keyval_parse("virtio-mem-pci,id=vm0,memdev=h", "driver", &kv, err,
				      sizeof(err)), 0);
	assert_int_equal(vmem_props_parse(&kv, &p, err, sizeof(err)), 0);
	assert_int_equal(vmem_props_check_backend(&p, 4 * GiB, GiB, false, err, sizeof(err)), -1);
	assert_string_equal(err, "'block-size' property has to be at least the page size "
				 "(0x40000000) of memdev 'h'");
	assert_int_equal(vmem_props_check_backend(&p, 4 * GiB, 2 * MiB, false, err, sizeof(err)), 0);
	keyval_free(&kv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setup_and_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_change_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rings_only_in_boot_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prealloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_and_qom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_errors, setup, teardown),
		cmocka_unit_test(test_props_page_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
