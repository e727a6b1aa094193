/*
 * \_SB.PEVT: QEMU's pvpanic device (HID QEMU0001, one I/O port). Linux's
 * pvpanic-mmio driver binds to it and writes "panicked" there from its
 * panic notifier, so plugvm can end with "guest panicked" instead of
 * leaving a dead guest running.
 */
#include "acpi/dsdt.h"

#include "arch/x86/platform.h"

void pvpanic_aml(struct aml_buf *a)
{
	aml_mark dev = aml_device_begin(a, "PEVT");
	aml_name_decl(a, "_HID", aml_string("QEMU0001"));
	aml_name_decl(a, "_UID", aml_zero());
	aml_name_decl(a, "_STA", aml_int(0x0F));
	aml_name_decl(a, "_CRS", aml_restemplate(aml_res_io(PVPANIC_PORT, PVPANIC_PORT, 1, 1)));
	aml_end(a, dev);
}
