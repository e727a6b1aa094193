#include "arch/x86/e820.h"

#include "arch/x86/platform.h"
#include "util.h"

_Static_assert(sizeof(struct e820_entry) == 20, "boot_params e820 entries are 20 bytes");

/* Low RAM must reach past 1 MiB: the kernel loads at 16 MiB anyway, and
 * layout_compute() refuses less than 128 MiB. */
#define E820_LOW_RAM_START 0x100000ULL
_Static_assert(ACPI_TABLES_GPA == E820_LOW_RAM_START, "the ACPI tables start low RAM");

unsigned e820_build(const struct guest_layout *l, uint64_t acpi_size, struct e820_entry *out,
		    unsigned max)
{
	struct e820_entry map[6];
	unsigned n = 0;
	uint64_t ram_start = E820_LOW_RAM_START;

	/* Below 640 KiB: RAM, because Linux allocates the AP trampoline
	 * there, and a reserved EBDA stub as a BIOS would leave it. */
	map[n++] = (struct e820_entry){0, EBDA_START_GPA, E820_TYPE_RAM};
	map[n++] = (struct e820_entry){EBDA_START_GPA, 0xA0000 - EBDA_START_GPA,
				       E820_TYPE_RESERVED};
	/* The RSDP: Linux wants it in reserved (or ACPI) memory, and the
	 * legacy RSDP scan looks in this BIOS area. */
	map[n++] = (struct e820_entry){ACPI_RSDP_GPA, E820_LOW_RAM_START - ACPI_RSDP_GPA,
				       E820_TYPE_RESERVED};
	/* The other tables, at the start of low RAM (docs/acpi.md, "Where the
	 * tables are"): ACPI memory, so that Linux neither uses it nor maps
	 * it as RAM, as firmware marks its tables. */
	if (acpi_size) {
		uint64_t len = align_up(acpi_size, 4096);

		map[n++] = (struct e820_entry){ACPI_TABLES_GPA, len, E820_TYPE_ACPI};
		ram_start = ACPI_TABLES_GPA + len;
	}
	if (l->low_ram_end > ram_start)
		map[n++] = (struct e820_entry){ram_start, l->low_ram_end - ram_start, E820_TYPE_RAM};
	if (l->high_ram_end > HIGH_RAM_START)
		map[n++] = (struct e820_entry){HIGH_RAM_START, l->high_ram_end - HIGH_RAM_START,
					       E820_TYPE_RAM};
	if (n > max)
		return 0;
	for (unsigned i = 0; i < n; i++)
		out[i] = map[i];
	return n;
}
