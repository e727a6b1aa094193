/*
 * The machine's DSDT contributors, in the order the guest sees them: the one place
 * that names the devices of the DSDT (dsdt.c iterates the list). A device that
 * comes with its own AML adds an entry here.
 */
#include "acpi/dsdt.h"

#include "arch/x86/platform.h"
#include "util.h"

#define SB "\\_SB"

/* A device whose AML depends on nothing: opaque is its function. */
struct fixed_aml {
	void (*fn)(struct aml_buf *a);
};

static const struct fixed_aml sleep_fixed = { sleep_aml }, uart_fixed = { uart_aml },
			      pvpanic_fixed = { pvpanic_aml },
			      power_button_fixed = { power_button_aml };

static void fixed_contrib(struct aml_buf *a, const void *opaque)
{
	((const struct fixed_aml *)opaque)->fn(a);
}

static void virtio_mmio_contrib(struct aml_buf *a, const void *opaque)
{
	const struct acpi_machine *m = opaque;

	for (unsigned i = 0; i < m->nr_virtio_mmio; i++)
		virtio_mmio_aml(a, i, m->virtio_mmio[i].base, m->virtio_mmio[i].gsi);
}

/* The hotplug controller and its DIMM slots. */
static void memhp_contrib(struct aml_buf *a, const void *opaque)
{
	const struct acpi_machine *m = opaque;

	memhp_aml(a, m->nr_slots, m->dimm_piece_size);
	for (unsigned i = 0; i < m->nr_slots; i++)
		dimm_aml(a, i);
}

static void ged_contrib(struct aml_buf *a, const void *opaque)
{
	const struct acpi_machine *m = opaque;

	ged_aml(a, m->nr_slots > 0);
}

static int check_machine(const struct acpi_machine *m, char *err, size_t errlen)
{
	if (m->dimm_piece_size & (m->dimm_piece_size - 1)) {
		pv_format(err, errlen, "DSDT: DIMM piece size 0x%llx is not a power of two",
			  (unsigned long long)m->dimm_piece_size);
		return -1;
	}
	if (m->nr_slots > DSDT_MAX_SLOTS) {
		pv_format(err, errlen, "DSDT: %u memory slots, at most %u", m->nr_slots, DSDT_MAX_SLOTS);
		return -1;
	}
	if (m->nr_virtio_mmio > PLUGVM_MAX_VIRTIO_MEM) {
		pv_format(err, errlen, "DSDT: %u virtio-mmio devices, at most %u", m->nr_virtio_mmio,
			  PLUGVM_MAX_VIRTIO_MEM);
		return -1;
	}
	for (unsigned i = 0; i < m->nr_virtio_mmio; i++) {
		if (m->virtio_mmio[i].base + VIRTIO_MMIO_WINDOW_SIZE > 0x100000000ULL) {
			pv_format(err, errlen, "DSDT: virtio-mmio window 0x%llx is not below 4 GiB",
				  (unsigned long long)m->virtio_mmio[i].base);
			return -1;
		}
	}
	return 0;
}

int dsdt_devices(const struct acpi_machine *m, struct aml_contributor *out, char *err,
		 size_t errlen)
{
	int n = 0;

	if (check_machine(m, err, errlen) < 0)
		return -1;
	out[n++] = (struct aml_contributor){ NULL, fixed_contrib, &sleep_fixed };
	out[n++] = (struct aml_contributor){ SB, fixed_contrib, &uart_fixed };
	out[n++] = (struct aml_contributor){ SB, fixed_contrib, &pvpanic_fixed };
	if (m->nr_virtio_mmio)
		out[n++] = (struct aml_contributor){ SB, virtio_mmio_contrib, m };
	/* Without slots there is no hotplug controller at all; the GED stays
	 * so the guest's view of the machine does not change shape. */
	if (m->nr_slots)
		out[n++] = (struct aml_contributor){ SB, memhp_contrib, m };
	out[n++] = (struct aml_contributor){ SB, fixed_contrib, &power_button_fixed };
	out[n++] = (struct aml_contributor){ SB, ged_contrib, m };
	return n;
}
