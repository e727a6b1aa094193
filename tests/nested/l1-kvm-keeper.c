/*
 * l1-kvm-keeper: holds one idle KVM VM open for the whole life of the nested test bed's
 * L1 guest, so that L1's kernel does not rewrite its own code each time an L2 VM starts
 * or ends (docs/testing.md, "L1 freezes").
 *
 * Why: KVM enables the static key preempt_notifier_key when the first VM is created and
 * disables it when the last one is destroyed, and it keeps apic_sw_disabled raised while
 * any vCPU's local APIC is software-disabled. Each flip of such a key patches kernel text
 * (int3, IPIs to sync the other CPU, then the new instruction) at sites inside
 * __schedule(), code the other L1 CPU runs all the time. Under QEMU's multi-threaded TCG
 * that cross-CPU code patching sometimes leaves both L1 vCPUs looping through the int3
 * handler with interrupts off: L1 stops for good. One VM with one (never run) vCPU keeps
 * both keys up, so L2 VMs come and go without any patching.
 *
 * Prints "l1-kvm-keeper: holding" once the VM and vCPU exist, then sleeps until killed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0) {
		perror("l1-kvm-keeper: /dev/kvm, KVM_CREATE_VM");
		return 1;
	}
	/* The in-kernel local APIC comes with the irqchip; it starts software-disabled. */
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		perror("l1-kvm-keeper: KVM_CREATE_IRQCHIP, KVM_CREATE_VCPU");
		return 1;
	}
	printf("l1-kvm-keeper: holding\n");
	fflush(stdout);
	for (;;)
		pause();
}
