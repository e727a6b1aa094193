/*
 * One PNP0C80 memory device per DIMM slot. The devices always exist; _STA
 * tells whether the slot is populated. Every method forwards to the shared
 * helper in MHC0 with the slot index, so each slot costs about 90 bytes.
 */
#include "acpi/dsdt.h"

#include <stdio.h>

void dimm_aml_name(unsigned slot, char name[5])
{
	snprintf(name, 5, "M%03u", slot % 1000);
}

static void dimm_method(struct aml_buf *a, const char *name, unsigned nargs, struct aml_expr body)
{
	aml_mark m = aml_method_begin(a, name, nargs, false);
	aml_put(a, body);
	aml_end(a, m);
}

void dimm_aml(struct aml_buf *a, unsigned slot)
{
	char name[5];
	struct aml_expr s = aml_int(slot);
	dimm_aml_name(slot, name);
	aml_mark dev = aml_device_begin(a, name);
	/* The HID is what binds Linux's acpi_memhotplug scan handler. */
	aml_name_decl(a, "_HID", aml_eisaid("PNP0C80"));
	aml_name_decl(a, "_UID", s);
	dimm_method(a, "_STA", 0, aml_return(aml_call1(MEMHP_AML_METHOD("SSTA"), s)));
	dimm_method(a, "_CRS", 0, aml_return(aml_call1(MEMHP_AML_METHOD("SCRS"), s)));
	dimm_method(a, "_PXM", 0, aml_return(aml_call1(MEMHP_AML_METHOD("SPXM"), s)));
	/* _EJ0 makes the device ejectable; Linux calls _OST with 3 arguments. */
	dimm_method(a, "_EJ0", 1, aml_call2(MEMHP_AML_METHOD("SEJ0"), s, aml_arg(0)));
	dimm_method(a, "_OST", 3, aml_call3(MEMHP_AML_METHOD("SOST"), s, aml_arg(0), aml_arg(1)));
	aml_end(a, dev);
}
