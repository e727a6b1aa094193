/*
 * A whole plugvm under the sandbox (issue 17, finding 1, item 7): main()'s path —
 * options_parse, vm_create, vm_run, vm_destroy, exit — in a forked child, on a fake
 * /dev/kvm, with the real threads, the real monitors and the real filter.
 *
 * The fake KVM answers every KVM request of plugvm's (this file's ioctl() and open()
 * stand in for libc's); it still makes each ioctl system call, on a memfd, so the
 * seccomp filter judges every request number as it would on real KVM. vCPU 0's KVM_RUN
 * returns the port accesses of a scripted guest (a thread of the child) as
 * KVM_EXIT_IO exits, so they go through the real exit handling in the vCPU thread:
 * the serial port, the memory hotplug registers (_OST, _EJ0) and pvpanic.
 *
 * The parent is the user: over QMP and HMP it hot-adds a ram, a memfd and a file DIMM
 * (and a file outside the sandbox's directories, which must fail with an error), runs
 * every query, removes all three through the guest's eject, types on the console (the
 * guest echoes), makes the guest panic (-action panic=pause: vCPUs stopped with
 * pthread_kill and joined), and quits. The child must exit 3 without a blocked call,
 * with Seccomp 2 already at each vCPU's first KVM_RUN, and leave no socket file.
 * Run with Landlock and again with seccomp alone (PLUGVM_SANDBOX_LANDLOCK=0).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <linux/kvm.h>

#include "machine.h"
#include "mm/memhp_regs.h"
#include "options.h"
#include "platform.h"
#include "test_bzimage_fake.h"
#include "util.h"
#include "vm.h"

/* ---- the fake KVM (child) ------------------------------------------------------------ */

#define FAKE_RUN_SIZE (3 * 4096)
#define FAKE_IO_DATA 4096 /* offset of the port data in the run area */
#define MAX_FAKE_VCPUS 4

struct fake_vcpu {
	int fd;
	unsigned index;
	struct kvm_run *run; /* our own view of the memfd plugvm maps */
	bool ran;
	int seccomp_at_first_run;
};

static struct fake_vcpu fake_vcpus[MAX_FAKE_VCPUS];
static unsigned nr_fake_vcpus;
static int status_fd = -1; /* /proc/self/status, opened before the sandbox */

static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_open)(const char *, int, ...);

/* The Seccomp: field of the main thread's status: TSYNC gives every thread the same. */
static int seccomp_mode(void)
{
	char buf[4096];
	ssize_t n = pread(status_fd, buf, sizeof(buf) - 1, 0);
	const char *s;

	if (n <= 0)
		return -1;
	buf[n] = 0;
	s = strstr(buf, "\nSeccomp:");
	return s ? atoi(s + 9) : -1;
}

/* The guest's port access that vCPU 0 turns into its next exit. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool posted, taken, done;
	bool out;
	uint16_t port;
	uint8_t size;
	uint32_t value;
} gio = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static atomic_bool guest_stop, guest_started;

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += (ms % 1000) * 1000000L;
	ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static int fake_run(struct fake_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + FAKE_IO_DATA;
	struct timespec until;
	bool exit_io = false;

	if (!v->ran) {
		v->ran = true;
		v->seccomp_at_first_run = seccomp_mode();
	}
	deadline_in(&until, 20);
	pthread_mutex_lock(&gio.lock);
	if (v->index == 0 && gio.taken && !gio.done) {
		/* KVM completes an IN when the vCPU enters again */
		if (!gio.out)
			memcpy(&gio.value, data, gio.size);
		gio.done = true;
		pthread_cond_broadcast(&gio.cond);
	}
	while (!run->immediate_exit && !(v->index == 0 && gio.posted && !gio.taken))
		if (pthread_cond_timedwait(&gio.cond, &gio.lock, &until) == ETIMEDOUT)
			break;
	if (!run->immediate_exit && v->index == 0 && gio.posted && !gio.taken) {
		gio.taken = exit_io = true;
		run->exit_reason = KVM_EXIT_IO;
		run->io.direction = gio.out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
		run->io.size = gio.size;
		run->io.port = gio.port;
		run->io.count = 1;
		run->io.data_offset = FAKE_IO_DATA;
		memset(data, 0, 4);
		if (gio.out)
			memcpy(data, &gio.value, gio.size);
	}
	pthread_mutex_unlock(&gio.lock);
	if (run->immediate_exit) {
		errno = EINTR;
		return -1;
	}
	if (!exit_io)
		run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

static struct fake_vcpu *fake_vcpu_of(int fd)
{
	for (unsigned i = 0; i < nr_fake_vcpus; i++)
		if (fake_vcpus[i].fd == fd)
			return &fake_vcpus[i];
	return NULL;
}

static int fake_create_vcpu(unsigned long index)
{
	struct fake_vcpu *v = &fake_vcpus[nr_fake_vcpus];
	int fd = memfd_create("fake-vcpu", MFD_CLOEXEC);

	if (fd < 0 || nr_fake_vcpus == MAX_FAKE_VCPUS || ftruncate(fd, FAKE_RUN_SIZE) < 0)
		return -1;
	v->run = mmap(NULL, FAKE_RUN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v->run == MAP_FAILED)
		return -1;
	v->fd = fd;
	v->index = (unsigned)index;
	v->seccomp_at_first_run = -1;
	nr_fake_vcpus++;
	return fd;
}

static int fake_kvm(int fd, unsigned long req, void *arg)
{
	switch (req) {
	case KVM_GET_API_VERSION:
		return KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		if ((unsigned long)arg == KVM_CAP_NR_MEMSLOTS)
			return 64;
		return (unsigned long)arg == KVM_CAP_DISABLE_QUIRKS2 ? 0 : 1;
	case KVM_GET_VCPU_MMAP_SIZE:
		return FAKE_RUN_SIZE;
	case KVM_GET_SUPPORTED_CPUID: {
		struct kvm_cpuid2 *c = arg;

		/* one leaf: 40 physical address bits */
		c->nent = 1;
		memset(&c->entries[0], 0, sizeof(c->entries[0]));
		c->entries[0].function = 0x80000008;
		c->entries[0].eax = 40;
		return 0;
	}
	case KVM_CREATE_VM:
		return memfd_create("fake-vm", MFD_CLOEXEC);
	case KVM_CREATE_VCPU:
		return fake_create_vcpu((unsigned long)arg);
	case KVM_SET_MSRS:
		return (int)((struct kvm_msrs *)arg)->nmsrs;
	case KVM_GET_LAPIC:
		memset(arg, 0, sizeof(struct kvm_lapic_state));
		return 0;
	case KVM_GET_SREGS:
		memset(arg, 0, sizeof(struct kvm_sregs));
		return 0;
	case KVM_GET_REGS:
		memset(arg, 0, sizeof(struct kvm_regs));
		return 0;
	case KVM_RUN: {
		struct fake_vcpu *v = fake_vcpu_of(fd);

		if (!v) {
			errno = EBADF;
			return -1;
		}
		return fake_run(v);
	}
	case KVM_SET_TSS_ADDR:
	case KVM_SET_IDENTITY_MAP_ADDR:
	case KVM_CREATE_IRQCHIP:
	case KVM_SET_GSI_ROUTING:
	case KVM_ENABLE_CAP:
	case KVM_SET_CPUID2:
	case KVM_SET_LAPIC:
	case KVM_SET_SREGS:
	case KVM_SET_REGS:
	case KVM_SET_FPU:
	case KVM_SET_USER_MEMORY_REGION:
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

/* plugvm's own ioctl calls (libc's internal ones, tcgetattr's say, do not come here). */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		*(void **)&real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	if (_IOC_TYPE(req) != KVMIO)
		return real_ioctl(fd, req, arg);
	/* The filter sees the request as on real KVM; a memfd answers ENOTTY. */
	syscall(SYS_ioctl, fd, req, req == KVM_RUN ? NULL : arg);
	return fake_kvm(fd, req, arg);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	if (!real_open)
		*(void **)&real_open = dlsym(RTLD_NEXT, "open");
	if (strcmp(path, "/dev/kvm") == 0)
		return memfd_create("fake-kvm", MFD_CLOEXEC);
	return real_open(path, flags, mode);
}

/* ---- the guest (a thread of the child) ----------------------------------------------- */

/* One port access through vCPU 0; false once the vCPUs are gone. */
static bool guest_io(uint16_t port, uint8_t size, bool out, uint32_t *value)
{
	struct timespec until;
	bool ok;

	pthread_mutex_lock(&gio.lock);
	gio.posted = true;
	gio.taken = gio.done = false;
	gio.out = out;
	gio.port = port;
	gio.size = size;
	gio.value = out ? *value : 0;
	pthread_cond_broadcast(&gio.cond);
	while (!gio.done && !guest_stop) {
		deadline_in(&until, 20);
		pthread_cond_timedwait(&gio.cond, &gio.lock, &until);
	}
	ok = gio.done;
	if (ok && !out)
		*value = gio.value;
	gio.posted = false;
	pthread_mutex_unlock(&gio.lock);
	return ok;
}

static bool out8(uint16_t port, uint8_t v)
{
	uint32_t x = v;

	return guest_io(port, 1, true, &x);
}

static bool out32(unsigned reg, uint32_t v)
{
	return guest_io(MEMHP_IO_BASE + reg, 4, true, &v);
}

static bool in32(unsigned reg, uint32_t *v)
{
	return guest_io(MEMHP_IO_BASE + reg, 4, false, v);
}

static bool puts_com1(const char *s)
{
	for (; *s; s++)
		if (!out8(COM1_PORT, (uint8_t)*s))
			return false;
	return true;
}

/* What Linux's AML does for a hotplug event (docs/hotplug-protocol.md). */
static bool guest_hotplug_event(uint32_t ev)
{
	uint32_t slot = ev & 0xffff, code = (ev >> 16) & 0xff, status;

	if (!out32(MEMHP_REG_SEL, slot) || !in32(MEMHP_REG_STATUS, &status))
		return false;
	if (code == MEMHP_NOTIFY_DEVICE_CHECK) /* _STA, _CRS, online, _OST(1, 0) */
		return in32(MEMHP_REG_LEN_LO, &status) && out32(MEMHP_REG_OST_EV, 1) &&
		       out32(MEMHP_REG_OST_ST, 0);
	if (code == MEMHP_NOTIFY_EJECT_REQUEST) /* _OST(3, 0x84), offline, _EJ0 */
		return out32(MEMHP_REG_OST_EV, 3) && out32(MEMHP_REG_OST_ST, 0x84) &&
		       out32(MEMHP_REG_SEL, slot) && out32(MEMHP_REG_CMD, MEMHP_CMD_EJECT);
	return true;
}

static void *guest_main(void *arg)
{
	const struct timespec pause = { .tv_nsec = 2 * 1000 * 1000 };

	(void)arg;
	guest_started = true;
	if (!puts_com1("guest: ready\r\n"))
		return NULL;
	while (!guest_stop) {
		uint32_t ev, lsr = 0, byte = 0;

		if (!in32(MEMHP_REG_QUEUE, &ev))
			break;
		if (ev & MEMHP_QUEUE_VALID) {
			if (!guest_hotplug_event(ev))
				break;
			continue;
		}
		if (!guest_io(COM1_PORT + 5, 1, false, &lsr))
			break;
		if (lsr & 1) { /* a byte typed on the console: echo it, 'p' panics */
			if (!guest_io(COM1_PORT, 1, false, &byte))
				break;
			if (byte == 'p' ? !out8(PVPANIC_PORT, 1) : !out8(COM1_PORT, (uint8_t)byte))
				break;
			continue;
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* The child: plugvm's main() with a guest thread. */
static int plugvm_child(char **argv, int argc)
{
	struct plugvm_config cfg;
	struct machine m;
	pthread_t guest;
	int status;

	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (options_parse(argc, argv, &cfg) != 0)
		return 70;
	status = vm_create(&m, &cfg);
	if (status == 0) {
		if (pthread_create(&guest, NULL, guest_main, NULL) != 0)
			return 71;
		/* past its start-up before the filter comes, as plugvm's own threads are */
		while (!guest_started)
			usleep(1000);
		status = vm_run(&m);
		guest_stop = true;
		pthread_join(guest, NULL);
	}
	vm_destroy(&m);
	options_free(&cfg);
	for (unsigned i = 0; i < nr_fake_vcpus; i++)
		if (fake_vcpus[i].ran && fake_vcpus[i].seccomp_at_first_run != 2) {
			fprintf(stderr, "vCPU %u's first KVM_RUN ran with Seccomp %d (want 2)\n", i,
				fake_vcpus[i].seccomp_at_first_run);
			return 77;
		}
	return status;
}

/* ---- the user (parent) --------------------------------------------------------------- */

static char dir[64], inside[96], outside[96], qsock[128], hsock[128], kernel[128];

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

static pid_t child_pid;
static int child_in = -1, child_out = -1, child_err = -1;
static char console[16384], errors[16384];
static size_t console_len, errors_len;

static void drain(int fd, char *buf, size_t *len, size_t cap)
{
	ssize_t n;

	while (*len < cap - 1 && (n = read(fd, buf + *len, cap - 1 - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = 0;
}

/* Takes whatever the child wrote on its console and stderr. */
static void collect(void)
{
	drain(child_out, console, &console_len, sizeof(console));
	drain(child_err, errors, &errors_len, sizeof(errors));
}

static void give_up(const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	collect();
	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		child_pid = 0;
	}
	fail_msg("%s\nplugvm stderr:\n%s\nconsole:\n%s", what, errors, console);
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	for (int tries = 0; tries < 500; tries++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		collect();
		usleep(20 * 1000);
	}
	give_up("cannot connect to %s", path);
	return -1;
}

/* Reads until needle is in c->buf (10 s); returns where it starts. */
static char *wait_for(struct conn *c, const char *needle, size_t from)
{
	for (int waited = 0; waited < 10000; waited += 20) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		char *at;

		c->buf[c->len] = 0;
		if ((at = strstr(c->buf + from, needle)))
			return at;
		collect();
		if (poll(&p, 1, 20) > 0) {
			ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

			if (n <= 0)
				give_up("monitor closed while waiting for '%s'", needle);
			c->len += (size_t)n;
		}
	}
	give_up("no '%s' from the monitor; got: %s", needle, c->buf + from);
	return NULL;
}

/* One QMP command; the reply's line (a "return" or an "error"). */
static char *qmp(struct conn *q, const char *fmt, ...)
{
	static char line[8192];
	char cmd[1024];
	size_t from = q->len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strcat(cmd, "\n");
	if (write(q->fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		give_up("QMP write: %s", strerror(errno));
	for (;;) {
		char *r = wait_for(q, "\n", from), *start = q->buf + from;

		from = (size_t)(r - q->buf) + 1;
		if (strncmp(start, "{\"return\"", 9) == 0 || strncmp(start, "{\"error\"", 8) == 0) {
			snprintf(line, sizeof(line), "%.*s", (int)(r - start), start);
			return line;
		}
	}
}

static void qmp_ok(struct conn *q, const char *fmt, ...)
{
	char cmd[1024], *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = qmp(q, "%s", cmd);
	if (strncmp(r, "{\"return\"", 9) != 0)
		give_up("%s: %s", cmd, r);
}

static void hmp(struct conn *h, const char *cmd, const char *want)
{
	size_t from = h->len;

	if (write(h->fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) || write(h->fd, "\n", 1) != 1)
		give_up("HMP write: %s", strerror(errno));
	wait_for(h, "(plugvm) ", from + 1);
	if (want && !strstr(h->buf + from, want))
		give_up("HMP %s: no '%s' in %s", cmd, want, h->buf + from);
}

static void wait_console(const char *needle)
{
	for (int waited = 0; waited < 10000; waited += 20) {
		collect();
		if (strstr(console, needle))
			return;
		usleep(20 * 1000);
	}
	give_up("the console never showed '%s'", needle);
}

static void type_on_console(const char *text)
{
	if (write(child_in, text, strlen(text)) != (ssize_t)strlen(text))
		give_up("console write: %s", strerror(errno));
}

/* Hot-adds a DIMM of backend id (made by object-add props) and waits for the guest's
 * _OST. */
static void plug(struct conn *q, const char *props, const char *id, const char *dimm)
{
	char want[96];
	size_t from = q->len;

	qmp_ok(q, "{\"execute\":\"object-add\",\"arguments\":{%s,\"id\":\"%s\",\"size\":268435456}}",
	       props, id);
	qmp_ok(q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\",\"id\":\"%s\","
	       "\"memdev\":\"%s\"}}", dimm, id);
	snprintf(want, sizeof(want), "\"device\": \"%s\"", dimm);
	wait_for(q, "ACPI_DEVICE_OST", from);
	wait_for(q, want, from);
}

static void unplug(struct conn *q, const char *id, const char *dimm)
{
	char want[96];
	size_t from = q->len;

	qmp_ok(q, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"%s\"}}", dimm);
	snprintf(want, sizeof(want), "\"DEVICE_DELETED\"");
	wait_for(q, want, from);
	qmp_ok(q, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"%s\"}}", id);
}

static void start_plugvm(bool landlock)
{
	static uint8_t img[64 * 1024];
	char qarg[160], harg[160], sbarg[160];
	int in[2], out[2], err[2], fd;

	snprintf(dir, sizeof(dir), "/tmp/plugvm-sbvm-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(inside, sizeof(inside), "%s/mem", dir);
	snprintf(outside, sizeof(outside), "%s/elsewhere", dir);
	assert_int_equal(mkdir(inside, 0700), 0);
	assert_int_equal(mkdir(outside, 0700), 0);
	snprintf(qsock, sizeof(qsock), "%s/qmp.sock", dir);
	snprintf(hsock, sizeof(hsock), "%s/hmp.sock", dir);
	snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
	fake_bzimage(img, sizeof(img));
	fd = open(kernel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, sizeof(img)), sizeof(img));
	close(fd);
	snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", qsock);
	snprintf(harg, sizeof(harg), "unix:%s,server=on,wait=off", hsock);
	snprintf(sbarg, sizeof(sbarg), "on,mem-path=%s", inside);
	char *argv[] = { "plugvm", "-kernel", kernel, "-kernel-unpack", "guest",
			 "-m", "512M,slots=4,maxmem=4G", "-smp", "2", "-serial", "stdio",
			 "-qmp", qarg, "-monitor", harg, "-action", "panic=pause",
			 "-sandbox", sbarg, NULL };

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	fflush(stdout);
	fflush(stderr);
	child_pid = fork();
	assert_true(child_pid >= 0);
	if (child_pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		if (!landlock)
			setenv("PLUGVM_SANDBOX_LANDLOCK", "0", 1);
		/* exit(), not _exit(): atexit handlers and the stdio flush run under the
		 * sandbox, as at the end of plugvm's main() */
		exit(plugvm_child(argv, (int)ARRAY_SIZE(argv) - 1));
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	child_in = in[1];
	child_out = out[0];
	child_err = err[0];
	fcntl(child_out, F_SETFL, O_NONBLOCK);
	fcntl(child_err, F_SETFL, O_NONBLOCK);
	console_len = errors_len = 0;
	console[0] = errors[0] = 0;
}

static void whole_vm(bool landlock)
{
	static struct conn qc, hc;
	struct conn *q = &qc, *h = &hc;
	char props[256], *r;
	int status = 0;
	struct stat st;

	memset(q, 0, sizeof(*q));
	memset(h, 0, sizeof(*h));
	start_plugvm(landlock);
	q->fd = connect_to(qsock);
	wait_for(q, "\"QMP\"", 0);
	qmp_ok(q, "{\"execute\":\"qmp_capabilities\"}");
	wait_console("guest: ready");

	/* every backend kind, hot-added and onlined by the guest */
	plug(q, "\"qom-type\":\"memory-backend-ram\"", "mram", "dram");
	plug(q, "\"qom-type\":\"memory-backend-memfd\"", "mfd", "dfd");
	snprintf(props, sizeof(props), "\"qom-type\":\"memory-backend-file\",\"mem-path\":\"%s\","
		 "\"share\":true,\"discard-data\":true", inside);
	plug(q, props, "mfile", "dfile");
	/* outside the sandbox's directories: an error, and plugvm goes on */
	if (landlock) {
		r = qmp(q, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"
			"\"memory-backend-file\",\"id\":\"mout\",\"size\":268435456,"
			"\"mem-path\":\"%s\"}}", outside);
		if (!strstr(r, "\"error\"") || !strstr(r, "Permission denied"))
			give_up("object-add outside the sandbox's directories: %s", r);
	}

	/* every query */
	r = qmp(q, "{\"execute\":\"query-memory-devices\"}");
	if (!strstr(r, "\"dram\"") || !strstr(r, "\"dfd\"") || !strstr(r, "\"dfile\""))
		give_up("query-memory-devices: %s", r);
	static const char *const queries[] = {
		"query-version", "query-status", "query-name", "query-commands", "query-memdev",
		"query-memory-size-summary", "query-acpi-ospm-status",
	};
	for (size_t i = 0; i < ARRAY_SIZE(queries); i++)
		qmp_ok(q, "{\"execute\":\"%s\"}", queries[i]);
	qmp_ok(q, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":"
	       "\"info memory-devices\"}}");
	h->fd = connect_to(hsock);
	wait_for(h, "(plugvm) ", 0);
	hmp(h, "info memory-devices", "dfile");
	hmp(h, "info memdev", "mfd");
	hmp(h, "info numa", NULL);
	hmp(h, "info status", "running");
	hmp(h, "info version", NULL);
	hmp(h, "help", NULL);

	/* all three removed through the guest's _EJ0 (in the vCPU thread) */
	unplug(q, "mram", "dram");
	unplug(q, "mfd", "dfd");
	unplug(q, "mfile", "dfile");
	/* and once more through HMP */
	hmp(h, "object_add memory-backend-ram,id=mh,size=128M", NULL);
	hmp(h, "device_add pc-dimm,id=dh,memdev=mh", NULL);
	wait_for(q, "\"dh\"", 0);
	hmp(h, "device_del dh", NULL);
	wait_for(q, "DEVICE_DELETED", (size_t)(strstr(q->buf, "\"dh\"") - q->buf));
	hmp(h, "object_del mh", NULL);
	qmp_ok(q, "{\"execute\":\"system_powerdown\"}");

	/* the console both ways */
	type_on_console("x");
	wait_console("x");
	/* a guest panic with panic=pause: the main thread stops the vCPUs (pthread_kill,
	 * pthread_join) and the monitors answer on */
	size_t from = q->len;
	type_on_console("p");
	wait_for(q, "GUEST_PANICKED", from);
	r = qmp(q, "{\"execute\":\"query-status\"}");
	if (!strstr(r, "guest-panicked"))
		give_up("query-status after the panic: %s", r);
	hmp(h, "info status", "guest-panicked");
	qmp(q, "{\"execute\":\"quit\"}");

	for (int waited = 0; waited < 10000 && waitpid(child_pid, &status, WNOHANG) == 0;
	     waited += 20) {
		collect();
		usleep(20 * 1000);
	}
	collect();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != EXIT_GUEST_CRASHED || strstr(errors, "blocked"))
		give_up("plugvm ended with status 0x%x (want exit %d)", status, EXIT_GUEST_CRASHED);
	child_pid = 0;
	/* the socket files were removed at exit, from inside the sandbox */
	if (stat(qsock, &st) == 0 || stat(hsock, &st) == 0)
		give_up("a monitor socket file was left behind");
	close(q->fd);
	close(h->fd);
	close(child_in);
	close(child_out);
	close(child_err);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_whole_vm_landlock_and_seccomp(void **state)
{
	(void)state;
	whole_vm(true);
}

static void test_whole_vm_seccomp_only(void **state)
{
	(void)state;
	whole_vm(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_whole_vm_landlock_and_seccomp, teardown),
		cmocka_unit_test_teardown(test_whole_vm_seccomp_only, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
