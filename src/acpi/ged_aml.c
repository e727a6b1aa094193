/*
 * The Generic Event Device (ACPI0013). Linux's evged requests every
 * interrupt listed in _CRS (one per descriptor: it reads only the first GSI
 * of each) and, having no _Exx methods, runs _EVT(GSI) on each interrupt.
 * Two sources, one GSI each, so _EVT needs no event register: GED_GSI is
 * memory hotplug, whose details come from the event queue register that
 * MHC0.SSCN drains; POWER_BUTTON_GSI is a power button press.
 */
#include "acpi/dsdt.h"

#include "arch/x86/platform.h"

void ged_aml(struct aml_buf *a, bool memhp)
{
	aml_mark dev = aml_device_begin(a, "GED0");
	aml_name_decl(a, "_HID", aml_string("ACPI0013"));
	aml_name_decl(a, "_UID", aml_zero());
	/* Edge: each KVM_IRQ_LINE pulse is one interrupt, and an edge that
	 * arrives while _EVT runs makes it run again, so nothing is lost. */
	aml_name_decl(a, "_CRS",
		      aml_restemplate(aml_cat(aml_res_interrupt(GED_GSI, true, false),
					      aml_res_interrupt(POWER_BUTTON_GSI, true, false))));
	aml_mark evt = aml_method_begin(a, "_EVT", 1, true);
	if (memhp) {
		aml_mark m = aml_if_begin(a, aml_lequal(aml_arg(0), aml_int(GED_GSI)));
		aml_put(a, aml_call0(MEMHP_AML_METHOD("SSCN")));
		aml_end(a, m);
	}
	aml_mark pb = aml_if_begin(a, aml_lequal(aml_arg(0), aml_int(POWER_BUTTON_GSI)));
	aml_put(a, aml_notify("\\_SB." POWER_BUTTON_AML_NAME, aml_int(0x80)));
	aml_end(a, pb);
	aml_end(a, evt);
	aml_end(a, dev);
}
