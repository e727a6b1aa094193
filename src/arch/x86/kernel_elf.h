/* Placing the kernel proper (the ELF vmlinux inside a bzImage) in guest RAM while its
 * bytes stream out of the decompressor, so that no second copy of the image is held. */
#ifndef PLUGVM_KERNEL_ELF_H
#define PLUGVM_KERNEL_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/boot_ram.h"

#define KERNEL_ELF_MAX_PHDRS 16
#define KERNEL_ELF_HEADER_MAX 4096 /* ELF header and program headers must fit here */

struct kernel_elf_segment {
	uint64_t offset; /* in the ELF file */
	uint64_t filesz;
	uint64_t memsz;
	uint64_t gpa;
};

struct kernel_elf {
	const struct boot_ram *ram;
	uint64_t window_start; /* every segment must lie in [start, end) */
	uint64_t window_end;
	uint8_t header[KERNEL_ELF_HEADER_MAX];
	size_t header_len;
	bool parsed;
	struct kernel_elf_segment seg[KERNEL_ELF_MAX_PHDRS];
	unsigned nr_seg;
	uint64_t entry;
	uint64_t received; /* bytes of the ELF file seen so far */
};

void kernel_elf_init(struct kernel_elf *k, const struct boot_ram *ram, uint64_t window_start,
		     uint64_t window_end);

/* The next len bytes of the ELF file. -1 with a one-line reason (bad header, a segment
 * outside the window or outside boot RAM). */
int kernel_elf_write(struct kernel_elf *k, const uint8_t *data, size_t len, char *err,
		     size_t errlen);

/* After the last byte: checks that every segment arrived whole, zeroes the part of each
 * segment beyond its file bytes, and gives the entry point's guest-physical address. */
int kernel_elf_finish(struct kernel_elf *k, uint64_t *entry_gpa, char *err, size_t errlen);

#endif
