/* Loading Linux with the 64-bit boot protocol and the BSP's initial state. */
#ifndef PLUGVM_BOOT_H
#define PLUGVM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/boot_ram.h"
#include "mm/layout.h"

struct boot_request {
	const char *kernel_path;
	const char *initrd_path; /* NULL: none */
	const char *cmdline;
	uint64_t rsdp_gpa;
	uint64_t acpi_tables_size; /* at ACPI_TABLES_GPA, e820 ACPI (acpi_build's used) */
	const struct guest_layout *layout;
	const struct boot_ram *ram;
	/* Decompress the kernel proper in plugvm and enter it directly, instead of running
	 * the bzImage's own decompressor in the guest (docs/options.md, -kernel-unpack). */
	bool unpack_on_host;
};

struct boot_result {
	uint64_t entry_gpa; /* where the boot vCPU starts in 64-bit mode */
	bool unpacked;      /* the kernel proper was decompressed by plugvm */
};

/* Places the kernel, initrd, command line, zero page, GDT and identity page
 * tables in guest RAM. 0, or an exit status (exit_status.h) with a one-line error:
 * EXIT_BAD_USAGE naming the file or limit of the command line, EXIT_VMM_FAILURE when
 * plugvm ran out of memory or its boot RAM lacks the first MiB. */
int boot_load_linux(const struct boot_request *req, struct boot_result *res, char *err,
		    size_t errlen);

/* Validates the kernel file alone (used before anything is allocated). */
int boot_check_kernel(const char *path, char *err, size_t errlen);

/* Puts the boot vCPU into 64-bit mode at entry_gpa (boot_result). */
int boot_setup_bsp(int vcpu_fd, uint64_t entry_gpa, char *err, size_t errlen);

#endif
