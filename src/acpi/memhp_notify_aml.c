/*
 * MHC0.SNFY(slot, code): Notify(Mnnn, code) for one slot.
 *
 * Notify needs the device's name written into the AML; ACPICA rejects a
 * reference held in a Local or a package (docs/linux-facts.md, "AML: Notify needs a name"). So the slot
 * number is turned into a name by a balanced binary tree of
 * If (Arg0 < mid) {...} Else {...}: at most ceil(log2 N) compares (8 for
 * 256 slots), all inside the interpreter, no VM exits.
 */
#include "acpi/dsdt.h"

/* Emits the subtree for slots [lo, hi), hi > lo. */
static void memhp_notify_tree(struct aml_buf *a, unsigned lo, unsigned hi)
{
	if (hi - lo == 1) {
		char name[5];
		dimm_aml_name(lo, name);
		aml_put(a, aml_notify(name, aml_arg(1)));
		return;
	}
	unsigned mid = lo + (hi - lo) / 2;
	aml_mark m = aml_if_begin(a, aml_lless(aml_arg(0), aml_int(mid)));
	memhp_notify_tree(a, lo, mid);
	aml_end(a, m);
	m = aml_else_begin(a);
	memhp_notify_tree(a, mid, hi);
	aml_end(a, m);
}

void memhp_notify_aml(struct aml_buf *a, unsigned nr_slots)
{
	aml_mark m = aml_method_begin(a, "SNFY", 2, false);
	if (nr_slots) {
		/* The tree's rightmost leaf would catch any slot >= N: a bogus
		 * slot number from the VMM must notify nobody. */
		aml_mark i = aml_if_begin(a, aml_lless(aml_arg(0), aml_int(nr_slots)));
		memhp_notify_tree(a, 0, nr_slots);
		aml_end(a, i);
	}
	aml_end(a, m);
}
