/*
 * Reading memory_hotplug.memmap_on_memory off the guest's command line. The kernel
 * splits its command line at spaces (double quotes may group a value, which this
 * parameter never needs) and stops taking kernel parameters at "--".
 */
#include "mm/memmap_on_memory.h"

#include <string.h>

#define PARAM "memory_hotplug.memmap_on_memory"
#define GUEST_PAGE_SIZE 4096u
#define GUEST_STRUCT_PAGE_SIZE 64u

/* The kernel's kstrtobool() (y/Y/t/T/1..., "on"), plus "force" of Linux 6.6+. Anything
 * else the kernel rejects or reads as off, and the parameter stays off. */
static bool value_means_on(const char *v, size_t n)
{
	if (n == 0)
		return false;
	if (strchr("yYtT1", v[0]))
		return true;
	if (n >= 2 && (v[0] == 'o' || v[0] == 'O') && (v[1] == 'n' || v[1] == 'N'))
		return true;
	return n == 5 && memcmp(v, "force", 5) == 0;
}

bool memmap_on_memory_requested(const char *cmdline)
{
	const size_t plen = strlen(PARAM);
	bool on = false;

	for (const char *p = cmdline ? cmdline : ""; *p;) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == 2 && memcmp(p, "--", 2) == 0)
			break;
		if (n >= plen && memcmp(p, PARAM, plen) == 0) {
			if (n == plen)
				on = true; /* a bare boolean parameter is "on" */
			else if (p[plen] == '=')
				on = value_means_on(p + plen + 1, n - plen - 1);
		}
		p += n;
	}
	return on;
}

uint64_t memmap_on_memory_bytes(uint64_t block_size)
{
	return block_size / GUEST_PAGE_SIZE * GUEST_STRUCT_PAGE_SIZE;
}
