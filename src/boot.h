/* Loading Linux with the 64-bit boot protocol and the BSP's initial state. */
#ifndef PLUGVM_BOOT_H
#define PLUGVM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "mm/boot_ram.h"
#include "mm/layout.h"

struct boot_request {
	const char *kernel_path;
	const char *initrd_path; /* NULL: none */
	const char *cmdline;
	uint64_t rsdp_gpa;
	const struct guest_layout *layout;
	const struct boot_ram *ram;
};

/* Places the kernel, initrd, command line, zero page, GDT and identity page
 * tables in guest RAM. -1 with a one-line error naming the file or limit. */
int boot_load_linux(const struct boot_request *req, char *err, size_t errlen);

/* Validates the kernel file alone (used before anything is allocated). */
int boot_check_kernel(const char *path, char *err, size_t errlen);

/* Puts the boot vCPU into 64-bit mode at the kernel's 64-bit entry. */
int boot_setup_bsp(int vcpu_fd, char *err, size_t errlen);

#endif
