/*
 * COM1 in the DSDT. A hardware-reduced Linux has no legacy PIC, so the
 * hard-wired "ttyS0 = IRQ 4" is not mapped; 8250_pnp maps GSI 4 from this
 * _CRS instead (docs/linux-facts.md, "Hardware-reduced ACPI: COM1 must be in the DSDT").
 */
#include "acpi/dsdt.h"

#include "arch/x86/platform.h"

void uart_aml(struct aml_buf *a)
{
	aml_mark dev = aml_device_begin(a, "COM1");
	aml_name_decl(a, "_HID", aml_eisaid("PNP0501"));
	aml_name_decl(a, "_UID", aml_one());
	aml_name_decl(a, "_STA", aml_int(0x0F));
	/* IRQNoFlags means ISA semantics: edge, active high. */
	aml_name_decl(a, "_CRS", aml_restemplate(aml_cat(aml_res_io(COM1_PORT, COM1_PORT, 1, 8),
							 aml_res_irq_noflags(COM1_GSI))));
	aml_end(a, dev);
}
