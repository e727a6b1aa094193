#include "arch/x86/kernel_elf.h"

#include <elf.h>
#include <string.h>

#include "util.h"

void kernel_elf_init(struct kernel_elf *k, const struct boot_ram *ram, uint64_t window_start,
		     uint64_t window_end)
{
	memset(k, 0, sizeof(*k));
	k->ram = ram;
	k->window_start = window_start;
	k->window_end = window_end;
}

/* Needs the whole ELF header and program header table in k->header. Returns 1 when parsed,
 * 0 when more bytes are needed, -1 on a bad header. */
static int parse_header(struct kernel_elf *k, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	size_t table_end;

	if (k->header_len < sizeof(eh))
		return 0;
	memcpy(&eh, k->header, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
		pv_format(err, errlen, "the decompressed kernel is not an x86-64 ELF image");
		return -1;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phoff > KERNEL_ELF_HEADER_MAX ||
	    eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > KERNEL_ELF_HEADER_MAX) {
		pv_format(err, errlen, "the decompressed kernel's program headers are malformed "
				       "(%u entries of %u bytes at offset %llu)",
			  eh.e_phnum, eh.e_phentsize, (unsigned long long)eh.e_phoff);
		return -1;
	}
	table_end = (size_t)eh.e_phoff + (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (k->header_len < table_end)
		return 0;

	k->nr_seg = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		struct kernel_elf_segment *s;

		memcpy(&ph, k->header + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (k->nr_seg == KERNEL_ELF_MAX_PHDRS) {
			pv_format(err, errlen, "the decompressed kernel has more than %u loadable "
					       "segments", KERNEL_ELF_MAX_PHDRS);
			return -1;
		}
		/* The kernel proper runs where it was linked to run physically; plugvm does not
		 * relocate it (that is the guest decompressor's KASLR work). */
		if (ph.p_filesz > ph.p_memsz || ph.p_paddr < k->window_start ||
		    ph.p_memsz > k->window_end - k->window_start ||
		    ph.p_paddr - k->window_start > k->window_end - k->window_start - ph.p_memsz) {
			pv_format(err, errlen,
				  "kernel segment at 0x%llx (%llu bytes) lies outside its load area "
				  "0x%llx-0x%llx",
				  (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz,
				  (unsigned long long)k->window_start,
				  (unsigned long long)k->window_end);
			return -1;
		}
		if (!boot_ram_hva(k->ram, ph.p_paddr, ph.p_memsz)) {
			pv_format(err, errlen, "kernel segment at 0x%llx (%llu bytes) is not in boot RAM",
				  (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz);
			return -1;
		}
		s = &k->seg[k->nr_seg++];
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
		s->gpa = ph.p_paddr;
	}
	if (k->nr_seg == 0) {
		pv_format(err, errlen, "the decompressed kernel has no loadable segment");
		return -1;
	}
	/* Overlapping segments would be placed in stream order, so what lands in RAM would
	 * depend on how the decompressor cuts its output, and one's bss would wipe the
	 * other's bytes. A vmlinux has none. */
	for (unsigned i = 0; i < k->nr_seg; i++)
		for (unsigned j = i + 1; j < k->nr_seg; j++) {
			const struct kernel_elf_segment *a = &k->seg[i], *b = &k->seg[j];

			if (a->gpa < b->gpa + b->memsz && b->gpa < a->gpa + a->memsz) {
				pv_format(err, errlen, "the decompressed kernel's segments at 0x%llx "
						       "and 0x%llx overlap",
					  (unsigned long long)a->gpa, (unsigned long long)b->gpa);
				return -1;
			}
		}
	k->entry = eh.e_entry;
	return 1;
}

/* Copies the part of [pos, pos+len) of the file that belongs to segment s. */
static void copy_into_segment(const struct kernel_elf *k, const struct kernel_elf_segment *s,
			      uint64_t pos, const uint8_t *data, size_t len)
{
	uint64_t start = pos > s->offset ? pos : s->offset;
	uint64_t end = pos + len;
	uint8_t *dst;

	if (end > s->offset + s->filesz)
		end = s->offset + s->filesz;
	if (start >= end)
		return;
	dst = boot_ram_hva(k->ram, s->gpa + (start - s->offset), end - start);
	memcpy(dst, data + (start - pos), end - start); /* dst checked with the whole segment */
}

int kernel_elf_write(struct kernel_elf *k, const uint8_t *data, size_t len, char *err,
		     size_t errlen)
{
	if (!k->parsed) {
		size_t take = KERNEL_ELF_HEADER_MAX - k->header_len;
		int r;

		if (take > len)
			take = len;
		memcpy(k->header + k->header_len, data, take);
		k->header_len += take;
		r = parse_header(k, err, errlen);
		if (r < 0)
			return -1;
		if (r == 0 && k->header_len == KERNEL_ELF_HEADER_MAX) {
			pv_format(err, errlen, "the decompressed kernel's ELF header is incomplete");
			return -1;
		}
		if (r == 0) {
			k->received += len;
			return 0;
		}
		k->parsed = true;
		/* A real vmlinux has no segment bytes among the first 4 KiB; replay the
		 * buffered bytes anyway so that any layout is placed correctly. */
		for (unsigned i = 0; i < k->nr_seg; i++)
			copy_into_segment(k, &k->seg[i], 0, k->header, k->header_len);
		if (len > take) {
			uint64_t pos = k->header_len;

			for (unsigned i = 0; i < k->nr_seg; i++)
				copy_into_segment(k, &k->seg[i], pos, data + take, len - take);
		}
		k->received = (uint64_t)k->header_len + (len - take);
		return 0;
	}
	for (unsigned i = 0; i < k->nr_seg; i++)
		copy_into_segment(k, &k->seg[i], k->received, data, len);
	k->received += len;
	return 0;
}

int kernel_elf_finish(struct kernel_elf *k, uint64_t *entry_gpa, char *err, size_t errlen)
{
	bool entry_ok = false;

	if (!k->parsed) {
		pv_format(err, errlen, "the decompressed kernel is too short for an ELF header "
				       "(%llu bytes)", (unsigned long long)k->received);
		return -1;
	}
	for (unsigned i = 0; i < k->nr_seg; i++) {
		const struct kernel_elf_segment *s = &k->seg[i];

		/* Not offset + filesz, which a hostile header can wrap past 2^64. */
		if (s->offset > k->received || s->filesz > k->received - s->offset) {
			pv_format(err, errlen, "the decompressed kernel ends inside its segment at "
					       "0x%llx (%llu of %llu bytes)",
				  (unsigned long long)s->gpa,
				  (unsigned long long)(k->received > s->offset ? k->received - s->offset : 0),
				  (unsigned long long)s->filesz);
			return -1;
		}
		/* Guest RAM may come from a file with old contents: bss must read as zero. */
		if (s->memsz > s->filesz)
			memset(boot_ram_hva(k->ram, s->gpa + s->filesz, s->memsz - s->filesz), 0,
			       s->memsz - s->filesz);
		if (k->entry >= s->gpa && k->entry - s->gpa < s->memsz)
			entry_ok = true;
	}
	if (!entry_ok) {
		pv_format(err, errlen, "the decompressed kernel's entry point 0x%llx is not in a "
				       "loaded segment",
			  (unsigned long long)k->entry);
		return -1;
	}
	*entry_gpa = k->entry;
	return 0;
}
