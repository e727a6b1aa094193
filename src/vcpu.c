#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arch.h"
#include "fault_inject.h"
#include "bus.h"
#include "mm/virtio_mem_devices.h"
#include "trace.h"
#include "util.h"

#define VCPU_KICK_SIGNAL SIGUSR1

static void kick_handler(int sig)
{
	(void)sig;
}

void vcpu_init_signals(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
}

int vcpu_create(struct machine *m, unsigned index, struct vcpu *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->m = m;
	v->index = index;
	v->fd = ioctl(m->kvm.vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0) {
		pv_format(err, errlen, "KVM_CREATE_VCPU %u: %s", index, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, (size_t)m->kvm.vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		pv_format(err, errlen, "mmap of vCPU %u run area: %s", index, strerror(errno));
		goto fail;
	}
	if (arch_vcpu_setup(m, index, v->fd, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	vcpu_destroy(v);
	return -1;
}

static void report_internal_error(struct vcpu *v)
{
	struct kvm_regs regs;
	unsigned long long rip = 0;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
		rip = regs.rip;
	if (v->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
					 "vCPU %u: KVM emulation failure at guest RIP 0x%llx%s",
					 v->index, rip,
					 v->m->kvm.pvm_host ?
						 " (expected on a kvm_pvm host: it cannot run an "
						 "unmodified kernel)" :
						 "");
		return;
	}
	machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
				 "vCPU %u: KVM internal error, suberror %u, at guest RIP 0x%llx",
				 v->index, v->run->internal.suberror, rip);
}

/* Where the guest was when it triple-faulted: the first clue for its crash. */
static void report_triple_fault(struct vcpu *v)
{
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = { 0 };

	ioctl(v->fd, KVM_GET_REGS, &regs);
	ioctl(v->fd, KVM_GET_SREGS, &sregs);
	/* QEMU resets the machine on a triple fault (guest-reset); plugvm exits 3. */
	machine_request_shutdown(v->m, STOP_GUEST_RESET, EXIT_GUEST_CRASHED,
				 "vCPU %u: guest triple fault (shutdown) at RIP 0x%llx, "
				 "RSP 0x%llx, CR2 0x%llx; the guest crashed", v->index,
				 (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
				 (unsigned long long)sregs.cr2);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* String I/O (rep ins/outs) arrives as `count` back-to-back accesses. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		bus_dispatch(&v->m->pio_bus, run->io.port, is_write, data, run->io.size);
}

static void handle_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		machine_request_shutdown(v->m, STOP_GUEST_SHUTDOWN, EXIT_GUEST_DONE,
					 "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		machine_request_shutdown(v->m, STOP_GUEST_RESET, EXIT_GUEST_DONE,
					 "guest rebooted (plugvm exits on reboot)");
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		machine_guest_panicked(v->m, "KVM crash event");
		break;
	default:
		machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
					 "vCPU %u: unknown system event %u", v->index,
					 v->run->system_event.type);
		break;
	}
}

/* KVM_EXIT_MEMORY_FAULT (Linux 6.8+, KVM_CAP_MEMORY_FAULT_INFO): KVM_RUN failed with
 * EFAULT and says which guest-physical page it could not fault in. Older headers lack it. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif

/* KVM_RUN failed with EFAULT: KVM could not fault in a page of a memory slot. The pages
 * plugvm keeps PROT_NONE are unplugged virtio-mem blocks (docs/memory.md): a guest that
 * touches one is stopped, so it never costs the host memory. */
static void report_memory_fault(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	const struct vmem_device *d;
	struct {
		uint64_t flags, gpa, size;
	} fault;

	if (run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
		/* The union after the fixed header, where struct kvm_run keeps memory_fault. */
		memcpy(&fault, &run->hw, sizeof(fault));
		d = vmem_devices_unplugged_at(v->m->virtio_mem, fault.gpa);
		if (d) {
			machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
						 "vCPU %u: guest touched unplugged virtio-mem memory at "
						 "GPA 0x%llx (device '%s'); the VM is stopped", v->index,
						 (unsigned long long)fault.gpa, d->id);
			return;
		}
		machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
					 "vCPU %u: KVM_RUN: %s: KVM could not fault in guest-physical "
					 "0x%llx", v->index, strerror(EFAULT),
					 (unsigned long long)fault.gpa);
		return;
	}
	if (v->m->virtio_mem && v->m->virtio_mem->nr) {
		machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
					 "vCPU %u: guest touched unplugged virtio-mem memory (KVM_RUN: "
					 "%s; this KVM does not report the GPA); the VM is stopped",
					 v->index, strerror(EFAULT));
		return;
	}
	machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE, "vCPU %u: KVM_RUN: %s",
				 v->index, strerror(EFAULT));
}

/* Returns false when the thread should end. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		/* Unclaimed addresses: reads float high, writes vanish (bus.h). */
		bus_dispatch(&v->m->mmio_bus, run->mmio.phys_addr, run->mmio.is_write, run->mmio.data,
			     run->mmio.len);
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		report_triple_fault(v);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(v);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		report_internal_error(v);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
					 "vCPU %u: KVM entry failed, hardware reason 0x%llx", v->index,
					 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	default:
		machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
					 "vCPU %u: unexpected KVM exit %u", v->index,
					 run->exit_reason);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	char name[16];

	/* "vcpuN" in top -H, ps -L and /proc/PID/task/TID/comm (before the sandbox). */
	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	/* Not a guest instruction before the sandbox is in force (vm_run). */
	machine_wait_for_release(v->m);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	pv_trace("boot vcpu%u-first-run", v->index);

	while (machine_vcpus_may_run(v->m)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EFAULT) {
				report_memory_fault(v);
				break;
			}
			machine_request_shutdown(v->m, STOP_HOST_ERROR, EXIT_VMM_FAILURE,
						 "vCPU %u: KVM_RUN: %s", v->index, strerror(errno));
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

/*
 * vCPU thread stack size. glibc's default is 8 MiB; with transparent huge pages set to
 * "always" (Debian's default) the first touch of such a stack can fault in a whole
 * 2 MiB huge page, which was most of plugvm's anonymous overhead in the nested bed.
 * A stack smaller than 2 MiB can never hold an aligned huge page. The exit handlers
 * use well under 64 KiB; the sanitizers' redzones get more room.
 */
#if defined(__SANITIZE_ADDRESS__)
#define VCPU_STACK_SIZE (1024 * 1024)
#else
#define VCPU_STACK_SIZE (256 * 1024)
#endif

int vcpu_start(struct vcpu *v, char *err, size_t errlen)
{
	pthread_attr_t attr;
	int ret = pthread_attr_init(&attr);

	if (!ret)
		ret = pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
	if (!ret)
		ret = fault_pthread_create(&v->thread, &attr, vcpu_thread, v);
	pthread_attr_destroy(&attr);
	if (ret) {
		pv_format(err, errlen, "vCPU %u thread: %s", v->index, strerror(ret));
		return -1;
	}
	v->started = true;
	return 0;
}

void vcpu_stop(struct vcpu *v)
{
	if (!v->started)
		return;
	/* immediate_exit covers a kick that lands just before KVM_RUN starts. */
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	pthread_join(v->thread, NULL);
	v->started = false;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->m->kvm.vcpu_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
