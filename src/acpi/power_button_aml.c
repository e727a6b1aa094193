/*
 * \_SB.PWRB: the ACPI power button (PNP0C0C). A hardware-reduced machine has
 * no fixed power button, so the button is a device, and a press is
 * Notify(PWRB, 0x80) from the GED's _EVT when POWER_BUTTON_GSI fires (see
 * ged_aml.c). Linux's button driver turns that into a KEY_POWER input event
 * for whatever handles it in the guest (systemd-logind, acpid).
 */
#include "acpi/dsdt.h"

void power_button_aml(struct aml_buf *a)
{
	aml_mark dev = aml_device_begin(a, POWER_BUTTON_AML_NAME);
	aml_name_decl(a, "_HID", aml_eisaid("PNP0C0C"));
	aml_name_decl(a, "_UID", aml_zero());
	aml_end(a, dev);
}
