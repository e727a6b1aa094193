/*
 * Fault injection (docs/testing.md, "Fault injection"): each site armed through the real
 * QMP command, then the real object-add / device_add path over QMP. The failed request
 * gives one GenericError naming the operation and the errno, and leaves nothing behind
 * (no KVM slot, mapping, id, fd or thread; query-memory-devices unchanged); the same
 * request then succeeds. KVM is faked at the ioctl (this program is linked with
 * --wrap=ioctl), so kvm_set_memory_slot and its site are plugvm's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>

#include "event_loop.h"
#include "fault_inject.h"
#include "kvm.h"
#include "mm/memhp_regs.h"
#include "mm/memmap_warmup.h"
#include "mm/memory_devices.h"
#include "monitor/memory_device_events.h"
#include "monitor/qmp.h"
#include "monitor/qmp_internal.h"
#include "options.h"
#include "proc_self.h"
#include "arch/x86/platform.h"
#include "test_md_fixture.h"
#include "util.h"

/* ---- KVM, faked at the system call ---------------------------------------------------- */

static int fake_vm_fd = -1;
static struct kvm fake_kvm;
static struct kvm_userspace_memory_region fake_slots[KVM_BASE + SLOTS];

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

/* KVM's own rule for a new slot: no overlap with another (EEXIST). */
static int fake_set_region(const struct kvm_userspace_memory_region *r)
{
	if (r->slot >= ARRAY_SIZE(fake_slots)) {
		errno = EINVAL;
		return -1;
	}
	for (unsigned i = 0; r->memory_size && i < ARRAY_SIZE(fake_slots); i++) {
		const struct kvm_userspace_memory_region *o = &fake_slots[i];

		if (i != r->slot && o->memory_size && r->guest_phys_addr < o->guest_phys_addr +
		    o->memory_size && o->guest_phys_addr < r->guest_phys_addr + r->memory_size) {
			errno = EEXIST;
			return -1;
		}
	}
	fake_slots[r->slot] = *r;
	return 0;
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == fake_vm_fd && request == KVM_SET_USER_MEMORY_REGION)
		return fake_set_region(arg);
	return __real_ioctl(fd, request, arg);
}

static unsigned kvm_slots_in_use(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(fake_slots); i++)
		n += fake_slots[i].memory_size != 0;
	return n;
}

/* vm.c's hooks, as they are there. */
static int kvm_map(void *opaque, uint64_t gpa, uint64_t size, void *hva)
{
	return kvm_memslot_add(opaque, gpa, size, hva);
}

static int kvm_unmap(void *opaque, int slot)
{
	return kvm_memslot_del(opaque, slot);
}

/* ---- the machine ---------------------------------------------------------------------- */

static struct qmp_context qctx;
static struct qmp_session qsession;
static char events[64][40];
static unsigned nr_events, main_wakes;
static char tmpdir[64];

static void fake_emit(const struct memory_device_event *ev)
{
	snprintf(events[nr_events++ % 64], sizeof(events[0]), "%s", memory_device_event_name(ev));
}

static void fake_wake_main(void *opaque)
{
	(void)opaque;
	main_wakes++;
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	md_fixture_setup(2 * GiB);
	fake_vm_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fake_vm_fd >= 0);
	memset(&fake_kvm, 0, sizeof(fake_kvm));
	fake_kvm.vm_fd = fake_vm_fd;
	memset(fake_slots, 0, sizeof(fake_slots));
	/* KVM_BASE slots taken, as boot RAM takes them: the first DIMM's is KVM_BASE. */
	kvm_memslots_init(&fake_kvm.memslots, KVM_BASE + SLOTS);
	for (unsigned i = 0; i < KVM_BASE; i++)
		assert_int_equal(kvm_memslots_get(&fake_kvm.memslots), (int)i);
	md.kvm_map = kvm_map;
	md.kvm_unmap = kvm_unmap;
	md.kvm_opaque = &fake_kvm;
	md.emit = fake_emit;
	qctx = (struct qmp_context){ .ops = &ops };
	qsession = (struct qmp_session){ .negotiated = true };
	nr_events = main_wakes = 0;
	fault_inject_reset();
	assert_int_equal(fault_inject_init("1", err, sizeof(err)), 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_fault_inject.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	fault_inject_reset();
	md_fixture_teardown();
	close(fake_vm_fd);
	fake_vm_fd = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* One QMP request through the real dispatcher: the reply (a new reference). */
static json_t *qmp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *qmp(const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return qmp_handle_text(&qctx, &qsession, text, strlen(text));
}

static void qmp_ok(const char *text)
{
	json_t *r = qmp("%s", text);

	if (!json_object_get(r, "return"))
		fail_msg("%s: %s", text, json_string_value(json_object_get(
			json_object_get(r, "error"), "desc")));
	json_decref(r);
}

/* The request must fail with class cls; *desc gets its description (malloc'ed). */
static char *qmp_error(const char *cls, const char *text)
{
	json_t *r = qmp("%s", text), *e = json_object_get(r, "error");
	char *desc;

	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "class")), cls);
	desc = strdup(json_string_value(json_object_get(e, "desc")));
	json_decref(r);
	return desc;
}

static void arm(const char *site, const char *err_name)
{
	char text[256];

	snprintf(text, sizeof(text), "{\"execute\": \"x-plugvm-inject-fault\", \"arguments\": "
		 "{\"site\": \"%s\", \"errno\": \"%s\", \"count\": 1}}", site, err_name);
	qmp_ok(text);
}

/* ---- what a process holds ------------------------------------------------------------- */

struct held {
	unsigned fds, threads, kvm_slots, backends, devices;
	unsigned long vm_kb;
	char devices_json[1024];
};

static void snapshot(struct held *h)
{
	json_t *r = qmp("{\"execute\": \"query-memory-devices\"}");
	char *text = json_dumps(json_object_get(r, "return"), JSON_COMPACT | JSON_SORT_KEYS);

	h->fds = count_fds();
	h->threads = count_dir("/proc/self/task");
	h->kvm_slots = kvm_slots_in_use();
	h->backends = backends.count + backends.nr_reserved;
	h->devices = (unsigned)json_array_size(json_object_get(r, "return"));
	h->vm_kb = vm_size_kb();
	snprintf(h->devices_json, sizeof(h->devices_json), "%s", text);
	free(text);
	json_decref(r);
}

/* Nothing left of the failed request. The address space may grow a little (the heap,
 * for the replies), never by a backend: every one here is 128 MiB or more. */
static void assert_nothing_left(const struct held *before)
{
	struct held now;

	snapshot(&now);
	assert_int_equal(now.fds, before->fds);
	assert_int_equal(now.threads, before->threads);
	assert_int_equal(now.kvm_slots, before->kvm_slots);
	assert_int_equal(now.backends, before->backends);
	assert_int_equal(now.devices, before->devices);
	assert_string_equal(now.devices_json, before->devices_json);
	assert_true(now.vm_kb < before->vm_kb + 16 * 1024);
}

/* The DIMM is in the guest's view: its Device Check queued, its slot enabled. */
static void assert_dimm_online(unsigned slot)
{
	assert_int_equal(guest_read(MEMHP_REG_QUEUE),
			 MEMHP_QUEUE_VALID | MEMHP_NOTIFY_DEVICE_CHECK << 16 | slot);
	assert_int_equal(guest_read(MEMHP_REG_STATUS) & MEMHP_STATUS_ENABLED, MEMHP_STATUS_ENABLED);
	assert_int_equal(kvm_slots_in_use(), 1);
}

/* ---- the switch and the command ------------------------------------------------------- */

static void test_off_means_no_command(void **state)
{
	char err[256];
	char *desc, *text;
	json_t *r;

	(void)state;
	fault_inject_reset();
	assert_false(fault_inject_enabled());
	desc = qmp_error("CommandNotFound", "{\"execute\": \"x-plugvm-inject-fault\", "
			 "\"arguments\": {\"site\": \"backend-mmap\"}}");
	assert_string_equal(desc, "The command x-plugvm-inject-fault has not been found");
	free(desc);
	r = qmp("{\"execute\": \"query-commands\"}");
	text = json_dumps(r, 0);
	assert_non_null(strstr(text, "query-memory-devices"));
	assert_null(strstr(text, "x-plugvm"));
	free(text);
	json_decref(r);
	assert_int_equal(fault_inject_arm("backend-mmap", NULL, 1, err, sizeof(err)), -1);
	assert_int_equal(fault_inject_hit(FAULT_BACKEND_MMAP), 0);
	/* "0" and "" are off too. */
	assert_int_equal(fault_inject_init("0", err, sizeof(err)), 0);
	assert_int_equal(fault_inject_init("", err, sizeof(err)), 0);
	assert_false(fault_inject_enabled());
}

static void test_command_arguments(void **state)
{
	char *desc;
	json_t *r;
	char *text;

	(void)state;
	r = qmp("{\"execute\": \"query-commands\"}");
	text = json_dumps(r, 0);
	assert_non_null(strstr(text, "x-plugvm-inject-fault"));
	free(text);
	json_decref(r);
	desc = qmp_error("GenericError", "{\"execute\": \"x-plugvm-inject-fault\", "
			 "\"arguments\": {\"site\": \"nowhere\"}}");
	assert_non_null(strstr(desc, "unknown fault site 'nowhere'"));
	assert_non_null(strstr(desc, "kvm-set-memory-region"));
	free(desc);
	desc = qmp_error("GenericError", "{\"execute\": \"x-plugvm-inject-fault\", "
			 "\"arguments\": {\"site\": \"backend-mmap\", \"errno\": \"EWHAT\"}}");
	assert_non_null(strstr(desc, "unknown errno 'EWHAT'"));
	free(desc);
	desc = qmp_error("GenericError", "{\"execute\": \"x-plugvm-inject-fault\", "
			 "\"arguments\": {\"site\": \"backend-mmap\", \"count\": -1}}");
	assert_non_null(strstr(desc, "count"));
	free(desc);
	desc = qmp_error("GenericError", "{\"execute\": \"x-plugvm-inject-fault\", "
			 "\"arguments\": {\"errno\": \"ENOMEM\"}}");
	assert_string_equal(desc, "Parameter 'site' is missing");
	free(desc);
	/* count 2: two failures, then the call goes through; count 0 disarms. */
	qmp_ok("{\"execute\": \"x-plugvm-inject-fault\", \"arguments\": {\"site\": "
	       "\"eventfd\", \"count\": 2}}");
	assert_int_equal(fault_inject_hit(FAULT_EVENTFD), EMFILE);
	assert_int_equal(fault_inject_hit(FAULT_EVENTFD), EMFILE);
	assert_int_equal(fault_inject_hit(FAULT_EVENTFD), 0);
	qmp_ok("{\"execute\": \"x-plugvm-inject-fault\", \"arguments\": {\"site\": "
	       "\"eventfd\", \"count\": 5}}");
	qmp_ok("{\"execute\": \"x-plugvm-inject-fault\", \"arguments\": {\"site\": "
	       "\"eventfd\", \"count\": 0}}");
	assert_int_equal(fault_inject_hit(FAULT_EVENTFD), 0);
}

/* The environment arms the sites that only start-up reaches. */
static void test_environment_list(void **state)
{
	char err[256];

	(void)state;
	fault_inject_reset();
	assert_int_equal(fault_inject_init("eventfd:ENFILE:2,thread-create", err, sizeof(err)), 0);
	assert_true(fault_inject_enabled());
	assert_int_equal(fault_inject_hit(FAULT_EVENTFD), ENFILE);
	assert_int_equal(fault_inject_hit(FAULT_THREAD_CREATE), EAGAIN);
	assert_int_equal(fault_inject_hit(FAULT_EVENTFD), ENFILE);
	assert_int_equal(fault_inject_hit(FAULT_EVENTFD), 0);
	assert_int_equal(fault_inject_hit(FAULT_THREAD_CREATE), 0);
	fault_inject_reset();
	assert_int_equal(fault_inject_init("eventfd:ENOPE", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "PLUGVM_FAULT_INJECTION: unknown errno 'ENOPE'"));
	assert_int_equal(fault_inject_init("kvm:ENOMEM", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown fault site 'kvm'"));
	assert_int_equal(fault_inject_init("eventfd:EMFILE:x", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "count 'x'"));
}

/* ---- object-add: a backend that cannot be made ------------------------------------------ */

struct backend_case {
	const char *site, *err_name;
	int err;
	const char *props; /* object-add's arguments after qom-type and id; %s: tmpdir */
	const char *type;
	const char *operation; /* what the error must name */
};

static const struct backend_case backend_cases[] = {
	{ "backend-mmap", "ENOMEM", ENOMEM, "\"size\": 134217728", "memory-backend-ram",
	  "cannot map" },
	{ "backend-mmap", "ENOMEM", ENOMEM, "\"size\": 134217728",
	  "memory-backend-memfd", "cannot map" },
	{ "memfd-create", "EMFILE", EMFILE, "\"size\": 134217728", "memory-backend-memfd",
	  "memfd_create" },
	{ "backend-ftruncate", "ENOSPC", ENOSPC, "\"size\": 134217728",
	  "memory-backend-memfd", "ftruncate" },
	{ "backend-ftruncate", "EFBIG", EFBIG, "\"size\": 134217728, \"mem-path\": \"%s\"",
	  "memory-backend-file", "ftruncate" },
	{ "backend-ftruncate", "ENOSPC", ENOSPC,
	  "\"size\": 134217728, \"mem-path\": \"%s/named\"", "memory-backend-file", "ftruncate" },
	{ "backend-fallocate", "ENOSPC", ENOSPC, "\"size\": 134217728, \"prealloc\": true",
	  "memory-backend-memfd", "fallocate" },
	{ "backend-fallocate", "EDQUOT", EDQUOT,
	  "\"size\": 134217728, \"prealloc\": true, \"mem-path\": \"%s\"",
	  "memory-backend-file", "fallocate" },
};

static void test_object_add_faults(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(backend_cases); i++) {
		const struct backend_case *c = &backend_cases[i];
		char props[256], add[512], named[128], *desc;
		struct held before;
		struct stat st;

		snprintf(props, sizeof(props), c->props, tmpdir);
		snprintf(add, sizeof(add), "{\"execute\": \"object-add\", \"arguments\": "
			 "{\"qom-type\": \"%s\", \"id\": \"m1\", %s}}", c->type, props);
		snprintf(named, sizeof(named), "%s/named", tmpdir);
		print_message("%s %s on %s\n", c->site, c->err_name, c->type);
		snapshot(&before);
		arm(c->site, c->err_name);
		desc = qmp_error("GenericError", add);
		assert_non_null(strstr(desc, c->operation));
		assert_non_null(strstr(desc, strerror(c->err)));
		assert_non_null(strstr(desc, "'m1'"));
		free(desc);
		assert_nothing_left(&before);
		assert_null(backend_registry_find(&backends, "m1"));
		/* A file plugvm created for the request is gone with it. */
		assert_int_equal(stat(named, &st), -1);
		assert_int_equal(count_dir(tmpdir), 0);
		/* The same request again: the id is free, and the DIMM on it comes online. */
		qmp_ok(add);
		qmp_ok("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", "
		       "\"id\": \"d1\", \"memdev\": \"m1\"}}");
		assert_dimm_online(0);
		/* Out again through the guest's _EJ0, so the next case starts empty. */
		qmp_ok("{\"execute\": \"device_del\", \"arguments\": {\"id\": \"d1\"}}");
		guest_write(MEMHP_REG_SEL, 0);
		guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
		qmp_ok("{\"execute\": \"object-del\", \"arguments\": {\"id\": \"m1\"}}");
		unlink(named);
		assert_int_equal(kvm_slots_in_use(), 0);
	}
}

/* ---- device_add: KVM refuses the slot ------------------------------------------------- */

static void kvm_refuses(const char *err_name, int err)
{
	const char *add = "{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
			  "\"pc-dimm\", \"id\": \"d1\", \"memdev\": \"m1\"}}";
	struct held before;
	char *desc;

	qmp_ok("{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": "
	       "\"memory-backend-ram\", \"id\": \"m1\", \"size\": 268435456}}");
	snapshot(&before);
	arm("kvm-set-memory-region", err_name);
	desc = qmp_error("GenericError", add);
	assert_non_null(strstr(desc, "KVM_SET_USER_MEMORY_REGION"));
	assert_non_null(strstr(desc, strerror(err)));
	assert_non_null(strstr(desc, "'d1'"));
	free(desc);
	assert_nothing_left(&before);
	assert_false(backend_registry_find(&backends, "m1")->in_use);
	/* The guest sees nothing: no event, an empty slot. */
	assert_int_equal(guest_read(MEMHP_REG_QUEUE), 0);
	guest_write(MEMHP_REG_SEL, 0);
	assert_int_equal(guest_read(MEMHP_REG_STATUS), 0);
	/* The same request again: the id, the slot and the memdev are free. */
	qmp_ok(add);
	assert_dimm_online(0);
	assert_int_equal(fake_slots[KVM_BASE].memory_size, 256 * MiB);
}

static void test_kvm_enomem(void **state)
{
	(void)state;
	kvm_refuses("ENOMEM", ENOMEM);
}

static void test_kvm_eexist(void **state)
{
	(void)state;
	kvm_refuses("EEXIST", EEXIST);
}

/* ---- the deferred event FIFO full --------------------------------------------------------- */

/* With the FIFO full, nothing is carried out inside the guest's exit (issue 13 item 3):
 * what answers the host (the _OST answering device_del, the eject) still queues, in
 * order, and the memory goes back on the main thread; an _OST that answers no one is held
 * for the tick, like one over the rate limit. */
static void test_deferred_queue_full(void **state)
{
	struct held before;
	unsigned n;

	(void)state;
	md.wake_main = fake_wake_main;
	snapshot(&before);
	qmp_ok("{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": "
	       "\"memory-backend-ram\", \"id\": \"m1\", \"size\": 134217728}}");
	qmp_ok("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", "
	       "\"id\": \"d1\", \"memdev\": \"m1\"}}");
	assert_dimm_online(0);
	qmp_ok("{\"execute\": \"x-plugvm-inject-fault\", \"arguments\": {\"site\": "
	       "\"deferred-queue-full\", \"count\": 100}}");
	n = nr_events;
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, 1);
	guest_write(MEMHP_REG_OST_ST, 0);
	assert_int_equal(nr_events, n); /* held for the tick */
	assert_int_equal(main_wakes, 0);
	qmp_ok("{\"execute\": \"device_del\", \"arguments\": {\"id\": \"d1\"}}");
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, 3);
	guest_write(MEMHP_REG_OST_ST, 0x84);
	guest_write(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	guest_write(MEMHP_REG_OST_EV, 3);
	guest_write(MEMHP_REG_OST_ST, 0);
	assert_int_equal(nr_events, n);
	assert_int_equal(main_wakes, 1);
	/* The memdev is in use until the main thread gave its memory back. */
	free(qmp_error("GenericError",
		       "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"m1\"}}"));
	memory_devices_run_deferred(&md);
	assert_int_equal(nr_events, n + 2);
	assert_string_equal(events[n % 64], "ACPI_DEVICE_OST");
	assert_string_equal(events[(n + 1) % 64], "DEVICE_DELETED");
	qmp_ok("{\"execute\": \"object-del\", \"arguments\": {\"id\": \"m1\"}}");
	/* The tick sends the latest _OST held (the first was replaced by the answer sent
	 * after it): the site stands for a vCPU finding the FIFO full, not the tick. */
	memory_devices_tick(&md, pv_now_ns());
	qmp_ok("{\"execute\": \"x-plugvm-inject-fault\", \"arguments\": {\"site\": "
	       "\"deferred-queue-full\", \"count\": 0}}");
	assert_int_equal(nr_events, n + 3);
	assert_string_equal(events[(n + 2) % 64], "ACPI_DEVICE_OST");
	assert_nothing_left(&before);
	/* The FIFO takes the next _OST and wakes the main thread. */
	qmp_ok("{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": "
	       "\"memory-backend-ram\", \"id\": \"m1\", \"size\": 134217728}}");
	qmp_ok("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", "
	       "\"id\": \"d1\", \"memdev\": \"m1\"}}");
	n = nr_events;
	guest_write(MEMHP_REG_SEL, 0);
	guest_write(MEMHP_REG_OST_EV, 1);
	guest_write(MEMHP_REG_OST_ST, 0);
	assert_int_equal(nr_events, n);
	assert_int_equal(main_wakes, 2);
	memory_devices_run_deferred(&md);
	assert_int_equal(nr_events, n + 1);
}

/* ---- start-up sites: eventfd and threads -------------------------------------------------- */

static void test_eventfd(void **state)
{
	struct event_loop loop;
	struct held before;
	char err[256];

	(void)state;
	event_loop_init(&loop);
	snapshot(&before);
	arm("eventfd", "EMFILE");
	assert_int_not_equal(qmp_init(&loop, &ops, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "eventfd"));
	assert_non_null(strstr(err, strerror(EMFILE)));
	assert_nothing_left(&before);
	assert_int_equal(qmp_init(&loop, &ops, NULL, err, sizeof(err)), 0);
	qmp_close();
	assert_nothing_left(&before);
}

static int no_populate(void *addr, uint64_t len)
{
	(void)addr, (void)len;
	return 0;
}

static void test_thread_create(void **state)
{
	struct memmap_warmup w;
	struct held before;

	(void)state;
	snapshot(&before);
	arm("thread-create", "EAGAIN");
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, no_populate), -1);
	assert_int_equal(errno, EAGAIN);
	assert_nothing_left(&before);
	memmap_warmup_stop(&w); /* safe: it never started */
	assert_int_equal(memmap_warmup_start(&w, 128 * MiB, 2 * MiB, no_populate), 0);
	assert_int_equal(count_dir("/proc/self/task"), before.threads + 1);
	memmap_warmup_stop(&w);
	assert_nothing_left(&before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off_means_no_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_add_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_eexist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_queue_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eventfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_create, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
