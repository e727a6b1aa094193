/* \_S5: soft-off. With HW_REDUCED_ACPI Linux offers poweroff only when this
 * package exists and the FADT has sleep control/status registers; the
 * first element (SLP_TYP 5) ends up in the 0x34 written to SLEEP_CONTROL. */
#include "acpi/dsdt.h"

void sleep_aml(struct aml_buf *a)
{
	static const uint64_t s5[] = { 5, 0, 0, 0 };
	/* Emitted in the root scope, so the plain name "_S5" is \_S5. */
	aml_name_decl(a, "_S5", aml_package_ints(s5, 4));
}
