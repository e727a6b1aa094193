/*
 * \_SB.VMnn: a virtio-mmio transport, as Linux's drivers/virtio/virtio_mmio.c finds one
 * through ACPI: _HID "LNRO0005", the register window as Memory32Fixed and the interrupt
 * as an extended Interrupt descriptor. The line is a level (InterruptStatus != 0,
 * docs/virtio-mem.md), so Level, ActiveHigh; Exclusive, since no other device shares it.
 */
#include "acpi/dsdt.h"

#include <stdio.h>

#include "config.h"
#include "arch/x86/platform.h"

void virtio_mmio_aml(struct aml_buf *a, unsigned n, uint64_t base, uint32_t gsi)
{
	char name[8];

	snprintf(name, sizeof(name), "VM%02u", n % 100);
	aml_mark dev = aml_device_begin(a, name);
	aml_name_decl(a, "_HID", aml_string("LNRO0005"));
	aml_name_decl(a, "_UID", aml_int(n));
	aml_name_decl(a, "_CRS",
		      aml_restemplate(aml_cat(
			      aml_res_memory32_fixed((uint32_t)base, (uint32_t)VIRTIO_MMIO_WINDOW_SIZE, true),
			      aml_res_interrupt(gsi, false, false))));
	aml_end(a, dev);
}

_Static_assert(VIRTIO_MMIO_MAX_DEVICES == PLUGVM_MAX_VIRTIO_MEM,
	       "one virtio-mmio window and GSI per virtio-mem device");
