/*
 * The plugvm of test_sandbox_vm: main()'s path (options_parse, vm_create, vm_run,
 * vm_destroy, exit) on a fake /dev/kvm, with a scripted guest. A program of its own so
 * that the release build links it statically, as it links plugvm: static glibc makes
 * other system calls than the shared one, and the filter must allow those too.
 *
 * The fake KVM answers every KVM request of plugvm's (the linker's --wrap sends
 * plugvm_core's ioctl() and open() here); it still makes each ioctl system call, on a
 * memfd, so the seccomp filter judges every request number as it would on real KVM.
 * vCPU 0's KVM_RUN returns the port accesses of a scripted guest (a thread of this
 * process) as KVM_EXIT_IO exits, so they go through the real exit handling in the vCPU
 * thread: the serial port, the memory hotplug registers (_OST, _EJ0) and pvpanic.
 *
 * Usage: sandbox-vm-child PLUGVM-OPTIONS... Exit status: plugvm's, or 77 when a vCPU's
 * first KVM_RUN came before the filter, 70-71 for a setup failure of this program.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "machine.h"
#include "mm/memhp_regs.h"
#include "options.h"
#include "arch/x86/platform.h"
#include "util.h"
#include "vm.h"

/* ---- the fake KVM ------------------------------------------------------------ */

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

int __real_ioctl(int fd, unsigned long req, ...);
int __real_open(const char *path, int flags, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_open(const char *path, int flags, ...);

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
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(req) != KVMIO)
		return __real_ioctl(fd, req, arg);
	/* The filter sees the request as on real KVM; a memfd answers ENOTTY. */
	syscall(SYS_ioctl, fd, req, req == KVM_RUN ? NULL : arg);
	return fake_kvm(fd, req, arg);
}

int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	if (strcmp(path, "/dev/kvm") == 0)
		return memfd_create("fake-kvm", MFD_CLOEXEC);
	return __real_open(path, flags, mode);
}

/* ---- the guest (a thread of this process) ----------------------------------------------- */

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

/* plugvm's main() with a guest thread. */
int main(int argc, char **argv)
{
	struct plugvm_config cfg;
	/* A quarter MiB with the devices it owns: kept off the main thread's stack. */
	static struct machine m;
	pthread_t guest;
	int status;

	status_fd = __real_open("/proc/self/status", O_RDONLY | O_CLOEXEC);
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
