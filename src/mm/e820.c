#include "mm/e820.h"

#include "platform.h"
#include "util.h"

_Static_assert(sizeof(struct e820_entry) == 20, "boot_params e820 entries are 20 bytes");

/* Low RAM must reach past 1 MiB: the kernel loads at 16 MiB anyway, and
 * layout_compute() refuses less than 128 MiB. */
#define E820_LOW_RAM_START 0x100000ULL

unsigned e820_build(const struct guest_layout *l, struct e820_entry *out, unsigned max)
{
	struct e820_entry map[5];
	unsigned n = 0;

	/* Below 640 KiB: RAM, because Linux allocates the AP trampoline
	 * there, and a reserved EBDA stub as a BIOS would leave it. */
	map[n++] = (struct e820_entry){0, EBDA_START_GPA, E820_TYPE_RAM};
	map[n++] = (struct e820_entry){EBDA_START_GPA, 0xA0000 - EBDA_START_GPA,
				       E820_TYPE_RESERVED};
	/* The ACPI tables: Linux wants them in reserved (or ACPI) memory,
	 * and the legacy RSDP scan looks in this BIOS area. */
	map[n++] = (struct e820_entry){ACPI_TABLES_GPA, 0x100000 - ACPI_TABLES_GPA, E820_TYPE_RESERVED};
	if (l->low_ram_end > E820_LOW_RAM_START)
		map[n++] = (struct e820_entry){E820_LOW_RAM_START,
					       l->low_ram_end - E820_LOW_RAM_START,
					       E820_TYPE_RAM};
	if (l->high_ram_end > HIGH_RAM_START)
		map[n++] = (struct e820_entry){HIGH_RAM_START, l->high_ram_end - HIGH_RAM_START,
					       E820_TYPE_RAM};
	if (n > max)
		return 0;
	for (unsigned i = 0; i < n; i++)
		out[i] = map[i];
	return n;
}
