/*
 * The DSDT's parts. Each device contributes its own AML through a function
 * named after it; dsdt_devices.c lists the machine's contributors in order and
 * dsdt.c writes them one after the other, naming none.
 */
#ifndef PLUGVM_ACPI_DSDT_H
#define PLUGVM_ACPI_DSDT_H

#include <stdbool.h>
#include <stddef.h>

#include "acpi/acpi.h"
#include "acpi/aml.h"

/* One device's part of the DSDT: fn(a, opaque) writes its AML inside Scope(scope), or
 * at the root when scope is NULL. Consecutive contributors of one scope share one
 * Scope term. opaque points into the struct acpi_machine the list was made from. */
struct aml_contributor {
	const char *scope;
	void (*fn)(struct aml_buf *a, const void *opaque);
	const void *opaque;
};

/* sleep, COM1, pvpanic, virtio-mmio devices, hotplug controller, power button, GED */
#define DSDT_MAX_CONTRIBUTORS (6 + PLUGVM_MAX_VIRTIO_MEM)

/* The machine's contributors in DSDT order, into out[DSDT_MAX_CONTRIBUTORS]: how many,
 * or -1 with err if m describes a machine the DSDT cannot (piece size, slots, windows). */
int dsdt_devices(const struct acpi_machine *m, struct aml_contributor *out, char *err,
		 size_t errlen);
/* A whole DSDT of the contributors c[0..n), in that order (dsdt_build: the machine's). */
void dsdt_write(struct aml_buf *t, const struct aml_contributor *c, unsigned n);

/* The memory hotplug controller device and its shared methods. */
#define MEMHP_AML_DEVICE "\\_SB.MHC0"
#define MEMHP_AML_METHOD(name) MEMHP_AML_DEVICE "." name

/* Name(\_S5, Package(4){5,0,0,0}): makes Linux offer poweroff. Root scope. */
void sleep_aml(struct aml_buf *a);
/* \_SB.COM1: the 8250 at 0x3F8, GSI 4. Inside Scope(\_SB). */
void uart_aml(struct aml_buf *a);
/* \_SB.PEVT: the pvpanic device (QEMU0001) at PVPANIC_PORT. Inside Scope(\_SB). */
void pvpanic_aml(struct aml_buf *a);
/* \_SB.VMnn: virtio-mmio device n (LNRO0005), its window [base, base + 0x200) and a
 * level-triggered, active-high interrupt. Inside Scope(\_SB). */
void virtio_mmio_aml(struct aml_buf *a, unsigned n, uint64_t base, uint32_t gsi);
/* \_SB.PWRB: the power button (PNP0C0C), pressed through the GED. */
#define POWER_BUTTON_AML_NAME "PWRB"
void power_button_aml(struct aml_buf *a);
/* \_SB.GED0: the Generic Event Device on GED_GSI (memory hotplug: with memhp
 * its _EVT drains the hotplug event queue) and POWER_BUTTON_GSI (Notify(PWRB,
 * 0x80)). */
void ged_aml(struct aml_buf *a, bool memhp);
/* \_SB.MHC0: register block, mutex and the per-slot helper methods. piece_size 0: a
 * DIMM's _CRS is one descriptor; else one per piece_size bytes (a power of two, the
 * guest's memory block size), see struct acpi_machine. */
void memhp_aml(struct aml_buf *a, unsigned nr_slots, uint64_t piece_size);
/* MHC0.SNFY: Notify(Mnnn, code) for slot Arg0 via a balanced compare tree. */
void memhp_notify_aml(struct aml_buf *a, unsigned nr_slots);
/* \_SB.Mnnn: one PNP0C80 memory device for DIMM slot `slot`. */
void dimm_aml(struct aml_buf *a, unsigned slot);
/* The device name of a slot: "M000".."M999" (decimal). */
void dimm_aml_name(unsigned slot, char name[5]);
/* As many slots as those names tell apart: the DSDT's own limit, above the
 * configuration's PLUGVM_MAX_SLOTS (QEMU's 256), and what the table area above
 * 1 MiB has room for (docs/acpi.md, "Where the tables are"). */
#define DSDT_MAX_SLOTS 1000

#endif
