/*
 * The DSDT: revision 2, so AML integers are 64 bits wide (DIMM addresses
 * are above 4 GiB). Each device supplies its own AML; dsdt_devices.c lists
 * them in order and this file writes the list, opening a Scope for each run
 * of contributors that share one.
 */
#include "acpi/dsdt.h"
#include "acpi/tables.h"

#include <string.h>

#include "util.h"

void dsdt_write(struct aml_buf *t, const struct aml_contributor *c, unsigned n)
{
	const char *scope = NULL;
	aml_mark open = 0;

	acpi_table_begin(t, "DSDT", ACPI_DSDT_REVISION, "PVDSDT");
	for (unsigned i = 0; i < n; i++) {
		bool same = scope && c[i].scope ? strcmp(scope, c[i].scope) == 0
						: scope == c[i].scope;

		if (!same) {
			if (scope)
				aml_end(t, open);
			scope = c[i].scope;
			if (scope)
				open = aml_scope_begin(t, scope);
		}
		c[i].fn(t, c[i].opaque);
	}
	if (scope)
		aml_end(t, open);
	acpi_table_finish(t);
}

int dsdt_build(struct aml_buf *t, const struct acpi_machine *m, char *err, size_t errlen)
{
	struct aml_contributor c[DSDT_MAX_CONTRIBUTORS];
	int n = dsdt_devices(m, c, err, errlen);

	if (n < 0)
		return -1;
	dsdt_write(t, c, (unsigned)n);
	if (aml_buf_failed(t)) {
		pv_format(err, errlen, "DSDT: AML encoding failed (out of memory or bad term)");
		return -1;
	}
	return 0;
}
