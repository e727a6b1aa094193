#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86/cpuid_xstate.h"
#include "fault_inject.h"
#include "arch/arch.h"
#include "util.h"

bool kvm_host_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

struct required_cap {
	int cap;
	const char *name;
	const char *why;
};

static const struct required_cap required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "the in-kernel IOAPIC and LAPICs" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest memory slots" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "the TSS area below 4 GiB" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "KVM_GET_SUPPORTED_CPUID" },
	{ KVM_CAP_IRQ_INJECT_STATUS, "KVM_CAP_IRQ_INJECT_STATUS", "interrupt injection" },
	{ KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS", "one memory slot per DIMM" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING", "IOAPIC-only interrupt routing" },
};

/* One line per XSAVE component the host offers but the guest must not get
 * (src/cpuid_xstate.h): rare, and the first clue if a guest's FPU misbehaves. */
static void report_dropped_xstate(void *opaque, unsigned component, const char *name,
				  const char *why)
{
	(void)opaque;
	pv_info("CPUID: XSAVE component %u (%s) withheld from the guest: %s", component, name, why);
}

static struct kvm_cpuid2 *get_supported_cpuid(int dev_fd)
{
	/* Grow the buffer until KVM stops answering E2BIG. */
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(dev_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

/* KVM_X86_QUIRK_SLOT_ZAP_ALL (Linux 6.12+): by default deleting a memory slot throws
 * away every mapping KVM built for the guest, all of which the guest then faults in
 * again; a hot-remove pays for that on every DIMM (docs/benchmarks.md: after a removal
 * the next hot-add took ~8 900 nested page faults instead of ~520). With the quirk off
 * KVM drops only the deleted slot's mappings. The quirk exists for assigned devices
 * that cache translations; plugvm assigns none. */
#ifndef KVM_X86_QUIRK_SLOT_ZAP_ALL
#define KVM_X86_QUIRK_SLOT_ZAP_ALL (1 << 7)
#endif

uint64_t kvm_quirks_to_disable(uint64_t supported)
{
	return supported & KVM_X86_QUIRK_SLOT_ZAP_ALL;
}

static void disable_quirks(struct kvm *kvm)
{
	int supported = ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DISABLE_QUIRKS2 };

	if (supported <= 0)
		return;
	cap.args[0] = kvm_quirks_to_disable((uint64_t)supported);
	if (!cap.args[0])
		return;
	if (ioctl(kvm->vm_fd, KVM_ENABLE_CAP, &cap) == 0)
		kvm->slot_zap_all_off = true;
	else
		pv_debug("KVM_CAP_DISABLE_QUIRKS2 (slot zap-all): %s", strerror(errno));
}

int kvm_init(struct kvm *kvm, char *err, size_t errlen)
{
	int version, n;

	memset(kvm, 0, sizeof(*kvm));
	kvm->dev_fd = kvm->vm_fd = -1;
	kvm->pvm_host = kvm_host_is_pvm();

	kvm->dev_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm->dev_fd < 0) {
		pv_format(err, errlen, "/dev/kvm: %s%s", strerror(errno),
			  errno == ENOENT ? " (is the kvm module loaded?)" :
			  errno == EACCES ? " (add yourself to the kvm group)" : "");
		return -1;
	}
	version = ioctl(kvm->dev_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		pv_format(err, errlen, "/dev/kvm: API version %d, plugvm needs %d", version,
			  KVM_API_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(kvm->dev_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			pv_format(err, errlen, "/dev/kvm lacks %s, needed for %s",
				  required_caps[i].name, required_caps[i].why);
			goto fail;
		}
	}
	n = ioctl(kvm->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	kvm->max_memslots = n > 0 ? (unsigned)n : 32;
	kvm_memslots_init(&kvm->memslots, kvm->max_memslots);
	kvm->vcpu_mmap_size = ioctl(kvm->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm->vcpu_mmap_size <= 0) {
		pv_format(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		goto fail;
	}
	kvm->tsc_deadline = ioctl(kvm->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	kvm->supported_cpuid = get_supported_cpuid(kvm->dev_fd);
	if (!kvm->supported_cpuid) {
		pv_format(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		goto fail;
	}
	cpuid_sanitize_xstate(kvm->supported_cpuid, report_dropped_xstate, NULL);

	kvm->vm_fd = ioctl(kvm->dev_fd, KVM_CREATE_VM, 0);
	if (kvm->vm_fd < 0) {
		pv_format(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	disable_quirks(kvm);
	if (arch_vm_setup(kvm, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	kvm_close(kvm);
	return -1;
}

void kvm_close(struct kvm *kvm)
{
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->dev_fd >= 0)
		close(kvm->dev_fd);
	free(kvm->supported_cpuid);
	kvm->supported_cpuid = NULL;
	kvm->vm_fd = kvm->dev_fd = -1;
}

static int set_memory_region(struct kvm *kvm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	/* Only a slot being created or changed: a deletion that failed would leave the
	 * guest's memory mapped, which no real KVM does for a valid slot. */
	if (size && fault_inject_hit(FAULT_KVM_SET_MEMORY_REGION))
		return -1;
	return ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

int kvm_memslot_add(struct kvm *kvm, uint64_t gpa, uint64_t size, void *hva)
{
	int slot = kvm_memslots_get(&kvm->memslots);

	if (slot < 0)
		return -1;
	if (set_memory_region(kvm, (uint32_t)slot, gpa, size, hva) < 0) {
		int e = errno;

		kvm_memslots_put(&kvm->memslots, (unsigned)slot);
		errno = e;
		return -1;
	}
	return slot;
}

int kvm_memslot_del(struct kvm *kvm, int slot)
{
	/* Size 0 deletes; KVM ignores the address then. */
	if (slot < 0 || set_memory_region(kvm, (uint32_t)slot, 0, 0, NULL) < 0)
		return -1;
	kvm_memslots_put(&kvm->memslots, (unsigned)slot);
	return 0;
}

int kvm_irq_line(struct kvm *kvm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	return ioctl(kvm->vm_fd, KVM_IRQ_LINE, &irq);
}

unsigned kvm_guest_phys_bits(const struct kvm *kvm)
{
	const struct kvm_cpuid2 *c = kvm->supported_cpuid;

	for (unsigned i = 0; c && i < c->nent; i++)
		if (c->entries[i].function == 0x80000008 && (c->entries[i].eax & 0xff))
			return c->entries[i].eax & 0xff;
	return 36; /* the architectural minimum when the leaf is missing */
}
