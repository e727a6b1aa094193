#include "mm/boot_ram.h"

void *boot_ram_hva(const struct boot_ram *ram, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < ram->nr; i++) {
		const struct boot_ram_map *m = &ram->map[i];

		if (gpa >= m->gpa && len <= m->size && gpa - m->gpa <= m->size - len)
			return m->hva + (gpa - m->gpa);
	}
	return 0;
}
