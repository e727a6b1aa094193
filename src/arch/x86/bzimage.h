/* The Linux bzImage setup header (Documentation/x86/boot.rst), validated. */
#ifndef PLUGVM_BZIMAGE_H
#define PLUGVM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#define BZ_SETUP_HEADER_OFFSET 0x1f1
#define BZ_MIN_PROTOCOL 0x020c /* 2.12: xloadflags and the 64-bit entry */
#define BZ_XLF_KERNEL_64 0x1

struct bzimage {
	const uint8_t *file;
	size_t file_size;
	size_t setup_header_end;   /* 0x202 + byte[0x201] */
	size_t kernel_offset;      /* protected-mode kernel in the file */
	size_t kernel_size;
	uint16_t protocol;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint32_t cmdline_size;
	uint32_t init_size;
	uint64_t pref_address;
	uint16_t xloadflags;
	size_t payload_offset;     /* the compressed kernel proper, in the file (0: none) */
	size_t payload_length;
};

/* Checks boot flag, "HdrS", protocol >= 2.12, XLF_KERNEL_64 and sizes.
 * -1 with a one-line reason naming the field. */
int bzimage_parse(const uint8_t *file, size_t size, struct bzimage *out, char *err, size_t errlen);

#endif
