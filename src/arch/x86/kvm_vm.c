/* The x86 parts of a new KVM VM: the TSS and identity-map areas, the in-kernel
 * IOAPIC/LAPICs and the GSI routing to the IOAPIC alone. */
#include "arch/arch.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "arch/x86/platform.h"
#include "kvm.h"
#include "util.h"

/*
 * KVM's default routing sends GSIs 0-15 to the 8259 PIC as well as to the
 * IOAPIC. A hardware-reduced guest never programs the PIC (Linux uses a
 * null PIC there), so the UART's IRQ 4 would reach the BSP's LINT0 as an
 * ExtINT with a stale vector. Route every GSI to the IOAPIC only.
 */
static int route_gsis_to_ioapic(int vm_fd)
{
	/* The header's flexible entries[] array, with room for every pin (a struct with the
	 * header followed by an array is a GNU extension that clang refuses). */
	union {
		struct kvm_irq_routing hdr;
		uint8_t bytes[sizeof(struct kvm_irq_routing) +
			      KVM_IOAPIC_NUM_PINS * sizeof(struct kvm_irq_routing_entry)];
	} r;
	struct kvm_irq_routing_entry *e = r.hdr.entries;

	memset(&r, 0, sizeof(r));
	r.hdr.nr = KVM_IOAPIC_NUM_PINS;
	for (unsigned gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		e[gsi].gsi = gsi;
		e[gsi].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[gsi].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[gsi].u.irqchip.pin = gsi;
	}
	return ioctl(vm_fd, KVM_SET_GSI_ROUTING, &r);
}

int arch_vm_setup(struct kvm *kvm, char *err, size_t errlen)
{
	/* Intel needs both areas below 4 GiB outside RAM and MMIO; AMD ignores them. */
	if (ioctl(kvm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_GPA) < 0) {
		pv_format(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	if (ioctl(kvm->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t addr = KVM_IDENTITY_MAP_GPA;

		if (ioctl(kvm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0) {
			pv_format(err, errlen, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
			return -1;
		}
	}
	if (ioctl(kvm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		pv_format(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	if (route_gsis_to_ioapic(kvm->vm_fd) < 0) {
		pv_format(err, errlen, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -1;
	}
	return 0;
}
