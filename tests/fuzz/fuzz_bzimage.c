/*
 * The kernel image: the input is the -kernel file. Two paths, both on every input:
 *
 *  A. as boot.c loads it: bzimage_parse (src/arch/x86/bzimage.c) validates the setup header; a
 *     payload gzip, LZ4 (legacy), zstd or xz can unpack (src/kernel_unpack.c) streams
 *     into kernel_elf (src/arch/x86/kernel_elf.c), which places the vmlinux segments in a small
 *     fake guest RAM (a few MiB at the kernel's load address, with a hole), with the
 *     decompressed size capped at 8 MiB so a decompression bomb costs little;
 *  B. the input as the decompressed vmlinux itself, written into kernel_elf twice: at once
 *     and in pieces (sizes from the last byte), into two identical fake RAMs.
 *
 * Invariants:
 *   - an accepted bzImage's offsets and sizes lie inside the file;
 *   - a placed kernel's segments lie in the load window and in RAM, its entry in one,
 *     and every file byte of every segment was in the stream;
 *   - B: the kernel placed in pieces is the kernel placed at once: the same result, the
 *     same entry point, the same bytes in RAM (segments and zeroed bss);
 *   - nothing is written outside the segments (the RAM around them keeps its pattern).
 */
#include "arch/x86/bzimage.h"
#include "fuzz_common.h"
#include "arch/x86/kernel_elf.h"
#include "kernel_unpack.h"
#include "mm/boot_ram.h"

#define LOAD 0x1000000ULL          /* KERNEL_LOAD_GPA: boot.c loads the kernel at 16 MiB */
#define UNPACK_MAX (8ULL << 20)    /* boot.c allows 1 GiB; small enough to fuzz fast */
#define WINDOW_B (8ULL << 20)      /* path B's load window: [LOAD, LOAD + 8 MiB) */
#define PATTERN 0xaa

/* Fake boot RAM: [0, 1 MiB), [16 MiB, 19 MiB), a hole, [20 MiB, 22 MiB). */
static const struct { uint64_t gpa, size; } ranges[] = {
	{ 0, 1ULL << 20 },
	{ LOAD, 3ULL << 20 },
	{ LOAD + (4ULL << 20), 2ULL << 20 },
};
#define NR_RANGES (sizeof(ranges) / sizeof(ranges[0]))

static struct boot_ram ram[2];

static void ram_init(void)
{
	for (unsigned r = 0; r < 2; r++) {
		if (ram[r].nr)
			continue;
		for (unsigned i = 0; i < NR_RANGES; i++) {
			ram[r].map[i].gpa = ranges[i].gpa;
			ram[r].map[i].size = ranges[i].size;
			ram[r].map[i].hva = malloc(ranges[i].size);
			FUZZ_CHECK(ram[r].map[i].hva, "malloc");
			memset(ram[r].map[i].hva, PATTERN, ranges[i].size);
		}
		ram[r].nr = NR_RANGES;
	}
}

/* Checks that nothing around the segments of k was written, then puts the pattern back
 * where they were, so the next input starts from the same RAM. */
static void ram_check_and_reset(struct boot_ram *r, const struct kernel_elf *k)
{
	for (unsigned i = 0; i < r->nr; i++) {
		const struct boot_ram_map *m = &r->map[i];

		/* Spot checks on each range's edges: cheap, and a stray write near a
		 * segment would be the likely one. */
		for (unsigned s = 0; s < k->nr_seg; s++) {
			uint64_t lo = k->seg[s].gpa, hi = k->seg[s].gpa + k->seg[s].memsz;

			if (lo > m->gpa && lo - 1 < m->gpa + m->size) {
				bool inside = false;

				for (unsigned t = 0; t < k->nr_seg; t++)
					inside |= lo - 1 >= k->seg[t].gpa &&
						  lo - 1 < k->seg[t].gpa + k->seg[t].memsz;
				FUZZ_CHECK(inside || m->hva[lo - 1 - m->gpa] == PATTERN,
					   "byte before the segment at 0x%llx written",
					   (unsigned long long)lo);
			}
			if (hi >= m->gpa && hi < m->gpa + m->size) {
				bool inside = false;

				for (unsigned t = 0; t < k->nr_seg; t++)
					inside |= hi >= k->seg[t].gpa &&
						  hi < k->seg[t].gpa + k->seg[t].memsz;
				FUZZ_CHECK(inside || m->hva[hi - m->gpa] == PATTERN,
					   "byte after the segment ending at 0x%llx written",
					   (unsigned long long)hi);
			}
		}
	}
	for (unsigned s = 0; s < k->nr_seg; s++) {
		uint8_t *p = boot_ram_hva(r, k->seg[s].gpa, k->seg[s].memsz);

		FUZZ_CHECK(p, "segment 0x%llx+0x%llx is not in RAM",
			   (unsigned long long)k->seg[s].gpa, (unsigned long long)k->seg[s].memsz);
		memset(p, PATTERN, k->seg[s].memsz);
	}
}

static void check_placed(const struct kernel_elf *k, uint64_t entry)
{
	bool entry_ok = false;

	for (unsigned s = 0; s < k->nr_seg; s++) {
		const struct kernel_elf_segment *g = &k->seg[s];

		FUZZ_CHECK(g->filesz <= g->memsz, "segment %u: filesz > memsz", s);
		FUZZ_CHECK(g->offset <= k->received && g->filesz <= k->received - g->offset,
			   "segment %u's file bytes 0x%llx+0x%llx were not all received (0x%llx)",
			   s, (unsigned long long)g->offset, (unsigned long long)g->filesz,
			   (unsigned long long)k->received);
		FUZZ_CHECK(g->gpa >= k->window_start && g->memsz <= k->window_end - k->window_start &&
				   g->gpa - k->window_start <= k->window_end - k->window_start - g->memsz,
			   "segment %u at 0x%llx+0x%llx outside the window", s,
			   (unsigned long long)g->gpa, (unsigned long long)g->memsz);
		FUZZ_CHECK(boot_ram_hva(k->ram, g->gpa, g->memsz), "segment %u not in RAM", s);
		entry_ok |= entry >= g->gpa && entry - g->gpa < g->memsz;
	}
	FUZZ_CHECK(entry_ok, "entry 0x%llx in no segment", (unsigned long long)entry);
}

static int elf_sink(void *ctx, const uint8_t *data, size_t len, char *err, size_t errlen)
{
	return kernel_elf_write(ctx, data, len, err, errlen);
}

/* ---- A: the bzImage as boot.c loads it ---------------------------------- */

static struct kernel_elf elf_a, elf_b[2];

static void path_bzimage(const uint8_t *data, size_t size)
{
	enum kernel_payload_format format;
	struct bzimage bz;
	char err[256] = "";
	uint64_t entry = 0;

	if (bzimage_parse(data, size, &bz, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0], "refused without a reason");
		return;
	}
	FUZZ_CHECK(bz.file == data && bz.file_size == size, "file");
	FUZZ_CHECK(bz.kernel_offset < size && bz.kernel_size == size - bz.kernel_offset,
		   "kernel at %zu+%zu in %zu bytes", bz.kernel_offset, bz.kernel_size, size);
	FUZZ_CHECK(bz.setup_header_end <= 0x1000, "setup header ends at %zu", bz.setup_header_end);
	FUZZ_CHECK(bz.protocol >= BZ_MIN_PROTOCOL && (bz.xloadflags & BZ_XLF_KERNEL_64),
		   "protocol 0x%x, xloadflags 0x%x", bz.protocol, bz.xloadflags);
	FUZZ_CHECK(bz.init_size >= bz.kernel_size, "init_size %u below the kernel's %zu",
		   bz.init_size, bz.kernel_size);
	if (!bz.payload_length)
		return;
	FUZZ_CHECK(bz.payload_offset < size && bz.payload_length <= size - bz.payload_offset,
		   "payload %zu+%zu in %zu bytes", bz.payload_offset, bz.payload_length, size);
	format = kernel_payload_detect(data + bz.payload_offset, bz.payload_length);
	if (format == KERNEL_PAYLOAD_UNKNOWN)
		return; /* left to the guest's decompressor */
	kernel_elf_init(&elf_a, &ram[0], LOAD, LOAD + bz.init_size);
	if (kernel_payload_unpack(format, data + bz.payload_offset, bz.payload_length, UNPACK_MAX,
				  elf_sink, &elf_a, err, sizeof(err)) == 0 &&
	    kernel_elf_finish(&elf_a, &entry, err, sizeof(err)) == 0)
		check_placed(&elf_a, entry);
	else
		FUZZ_CHECK(err[0], "%s kernel refused without a reason", kernel_payload_name(format));
	ram_check_and_reset(&ram[0], &elf_a);
}

/* ---- B: the decompressed vmlinux, at once and in pieces ----------------- */

static int place(struct kernel_elf *k, struct boot_ram *r, const uint8_t *data, size_t size,
		 size_t piece, uint64_t *entry)
{
	char err[256] = "";

	kernel_elf_init(k, r, LOAD, LOAD + WINDOW_B);
	for (size_t off = 0; off < size; off += piece)
		if (kernel_elf_write(k, data + off, size - off < piece ? size - off : piece, err,
				     sizeof(err)) < 0) {
			FUZZ_CHECK(err[0], "write refused without a reason");
			return -1;
		}
	if (kernel_elf_finish(k, entry, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0], "finish refused without a reason");
		return -1;
	}
	return 0;
}

static void path_elf(const uint8_t *data, size_t size)
{
	static const size_t pieces[] = { 1, 3, 64, 100, 511, 4095, 4096, 4097 };
	size_t piece = pieces[(size ? data[size - 1] : 0) % (sizeof(pieces) / sizeof(pieces[0]))];
	uint64_t entry[2] = { 0, 0 };
	int ret[2];

	ret[0] = place(&elf_b[0], &ram[0], data, size, size ? size : 1, &entry[0]);
	ret[1] = place(&elf_b[1], &ram[1], data, size, piece, &entry[1]);
	FUZZ_CHECK(ret[0] == ret[1], "at once: %d, in pieces of %zu: %d", ret[0], piece, ret[1]);
	if (ret[0] == 0) {
		FUZZ_CHECK(entry[0] == entry[1], "entry 0x%llx at once, 0x%llx in pieces",
			   (unsigned long long)entry[0], (unsigned long long)entry[1]);
		FUZZ_CHECK(elf_b[0].nr_seg == elf_b[1].nr_seg, "segments");
		check_placed(&elf_b[0], entry[0]);
		for (unsigned s = 0; s < elf_b[0].nr_seg; s++) {
			const struct kernel_elf_segment *g = &elf_b[0].seg[s];
			const uint8_t *a = boot_ram_hva(&ram[0], g->gpa, g->memsz);
			const uint8_t *b = boot_ram_hva(&ram[1], g->gpa, g->memsz);

			FUZZ_CHECK(memcmp(a, b, g->memsz) == 0,
				   "segment %u at 0x%llx differs when written in pieces of %zu", s,
				   (unsigned long long)g->gpa, piece);
		}
	}
	ram_check_and_reset(&ram[0], &elf_b[0]);
	ram_check_and_reset(&ram[1], &elf_b[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ram_init();
	path_bzimage(data, size);
	path_elf(data, size);
	return 0;
}
