/* Unpacking the kernel proper on the host: every compression the kernel's build can
 * produce and plugvm supports, streamed into guest RAM as ELF segments; and the errors. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "arch/x86/kernel_elf.h"
#include "kernel_unpack.h"

#define RAM_SIZE (64u << 20)
#define LOAD 0x1000000u
#define WINDOW (32u << 20)
#define SEG_A_OFF 0x200000u
#define SEG_A_LEN (9u << 20) /* more than one 8 MiB LZ4 legacy block */
#define SEG_B_OFF (SEG_A_OFF + SEG_A_LEN)
#define SEG_B_GPA (LOAD + (12u << 20))
#define SEG_B_FILESZ 0x3000u
#define SEG_B_MEMSZ 0x9000u /* the rest is bss */
#define TRAILER_LEN 0x1234u  /* like vmlinux.relocs after the last segment */
#define ELF_LEN (SEG_B_OFF + SEG_B_FILESZ + TRAILER_LEN)

static uint8_t *elf_image; /* the "vmlinux" */
static struct boot_ram ram;

static void put_phdr(unsigned i, uint32_t type, uint64_t off, uint64_t gpa, uint64_t filesz,
		     uint64_t memsz)
{
	Elf64_Phdr ph = {.p_type = type, .p_offset = off, .p_paddr = gpa,
			 .p_vaddr = 0xffffffff80000000ull + gpa, .p_filesz = filesz,
			 .p_memsz = memsz};

	memcpy(elf_image + sizeof(Elf64_Ehdr) + i * sizeof(ph), &ph, sizeof(ph));
}

static void build_elf(uint64_t entry, uint64_t seg_b_gpa)
{
	Elf64_Ehdr eh = {.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			 .e_entry = entry, .e_phoff = sizeof(Elf64_Ehdr),
			 .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
			 .e_phnum = 3};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memset(elf_image, 0, ELF_LEN);
	memcpy(elf_image, &eh, sizeof(eh));
	put_phdr(0, PT_LOAD, SEG_A_OFF, LOAD, SEG_A_LEN, SEG_A_LEN);
	put_phdr(1, PT_NOTE, SEG_A_OFF + 0x100, LOAD + 0x100, 0x40, 0x40);
	put_phdr(2, PT_LOAD, SEG_B_OFF, seg_b_gpa, SEG_B_FILESZ, SEG_B_MEMSZ);
	/* Compressible but not constant, so that every block carries real data. */
	for (size_t i = SEG_A_OFF; i < ELF_LEN; i++)
		elf_image[i] = (uint8_t)((i * 2654435761u) >> 13 ^ i >> 9);
}

static int setup(void **state)
{
	(void)state;
	elf_image = malloc(ELF_LEN);
	ram.nr = 1;
	ram.map[0].gpa = 0;
	ram.map[0].size = RAM_SIZE;
	ram.map[0].hva = malloc(RAM_SIZE);
	/* Old contents, as a file-backed RAM could have: bss must come out zero. */
	memset(ram.map[0].hva, 0xaa, RAM_SIZE);
	build_elf(LOAD, SEG_B_GPA);
	return elf_image && ram.map[0].hva ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(elf_image);
	free(ram.map[0].hva);
	return 0;
}

static void append_size(uint8_t *out, size_t *len, uint32_t size)
{
	memcpy(out + *len, &size, 4);
	*len += 4;
}

/* The payload as the kernel's build writes it, in a malloc'd buffer. */
static uint8_t *compress_payload(enum kernel_payload_format f, size_t *len)
{
	size_t cap = ELF_LEN + ELF_LEN / 8 + (1u << 16);
	uint8_t *out = malloc(cap);

	assert_non_null(out);
	switch (f) {
	case KERNEL_PAYLOAD_GZIP: {
		z_stream zs = {0};

		assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
					      Z_DEFAULT_STRATEGY), Z_OK);
		zs.next_in = elf_image;
		zs.avail_in = ELF_LEN;
		zs.next_out = out;
		zs.avail_out = (uInt)cap;
		assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		*len = zs.total_out;
		deflateEnd(&zs);
		break;
	}
	case KERNEL_PAYLOAD_LZ4: { /* legacy frame: magic, then (size, block) per 8 MiB */
		uint32_t magic = 0x184c2102;

		memcpy(out, &magic, 4);
		*len = 4;
		for (size_t off = 0; off < ELF_LEN; off += 8u << 20) {
			int in = (int)(ELF_LEN - off < (8u << 20) ? ELF_LEN - off : 8u << 20);
			int n = LZ4_compress_default((const char *)elf_image + off,
						     (char *)out + *len + 4, in,
						     (int)(cap - *len - 4));

			assert_true(n > 0);
			memcpy(out + *len, &n, 4);
			*len += 4 + (size_t)n;
		}
		append_size(out, len, ELF_LEN);
		break;
	}
	case KERNEL_PAYLOAD_ZSTD:
		*len = ZSTD_compress(out, cap, elf_image, ELF_LEN, 3);
		assert_false(ZSTD_isError(*len));
		append_size(out, len, ELF_LEN);
		break;
	case KERNEL_PAYLOAD_XZ:
		*len = 0;
		assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, elf_image,
							 ELF_LEN, out, len, cap), LZMA_OK);
		append_size(out, len, ELF_LEN);
		break;
	default:
		fail();
	}
	return out;
}

static int sink(void *ctx, const uint8_t *data, size_t len, char *err, size_t errlen)
{
	return kernel_elf_write(ctx, data, len, err, errlen);
}

/* Unpacks payload into ram; returns 0/-1 and the error text. */
static int unpack(enum kernel_payload_format f, const uint8_t *p, size_t len, uint64_t max,
		  uint64_t *entry, char *err, size_t errlen)
{
	static struct kernel_elf k;

	kernel_elf_init(&k, &ram, LOAD, LOAD + WINDOW);
	if (kernel_payload_unpack(f, p, len, max, sink, &k, err, errlen) < 0)
		return -1;
	return kernel_elf_finish(&k, entry, err, errlen);
}

static void expect_unpack_error(enum kernel_payload_format f, const uint8_t *p, size_t len,
				uint64_t max, const char *needle)
{
	char err[256] = "";
	uint64_t entry;

	assert_int_equal(unpack(f, p, len, max, &entry, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("%s: error '%s' does not mention '%s'", kernel_payload_name(f), err,
			 needle);
}

static void check_format(enum kernel_payload_format f)
{
	size_t len;
	uint8_t *payload = compress_payload(f, &len);
	uint8_t *gram = ram.map[0].hva;
	char err[256] = "";
	uint64_t entry = 0;

	assert_int_equal(kernel_payload_detect(payload, len), f);
	memset(gram, 0xaa, RAM_SIZE);
	if (unpack(f, payload, len, 1u << 30, &entry, err, sizeof(err)) < 0)
		fail_msg("%s: %s", kernel_payload_name(f), err);
	assert_int_equal(entry, LOAD);
	assert_memory_equal(gram + LOAD, elf_image + SEG_A_OFF, SEG_A_LEN);
	assert_memory_equal(gram + SEG_B_GPA, elf_image + SEG_B_OFF, SEG_B_FILESZ);
	for (size_t i = SEG_B_FILESZ; i < SEG_B_MEMSZ; i++)
		assert_int_equal(gram[SEG_B_GPA + i], 0);
	/* Nothing outside the segments is written (the trailer, the gap between them). */
	assert_int_equal(gram[LOAD - 1], 0xaa);
	assert_int_equal(gram[LOAD + SEG_A_LEN], 0xaa);
	assert_int_equal(gram[SEG_B_GPA + SEG_B_MEMSZ], 0xaa);

	/* Cut short: a clear error, never a partial kernel that boots. */
	expect_unpack_error(f, payload, len / 2, 1u << 30,
			    f == KERNEL_PAYLOAD_LZ4 ? "truncated or corrupt" : "truncated");
	/* More output than allowed (a decompression bomb). */
	expect_unpack_error(f, payload, len, 1u << 20, "decompresses to more than 1 MiB");
	/* The appended size disagrees (gzip carries its own length check instead). */
	if (f != KERNEL_PAYLOAD_GZIP) {
		payload[len - 4] ^= 1;
		expect_unpack_error(f, payload, len, 1u << 30, "its trailer says");
	}
	free(payload);
}

static void test_gzip(void **state) { (void)state; check_format(KERNEL_PAYLOAD_GZIP); }
static void test_lz4(void **state) { (void)state; check_format(KERNEL_PAYLOAD_LZ4); }
static void test_zstd(void **state) { (void)state; check_format(KERNEL_PAYLOAD_ZSTD); }
static void test_xz(void **state) { (void)state; check_format(KERNEL_PAYLOAD_XZ); }

static void test_unknown_formats_are_left_to_the_guest(void **state)
{
	static const uint8_t bzip2[] = "BZh91AY&SY";
	static const uint8_t lzma_alone[] = {0x5d, 0, 0, 0x80, 0};

	(void)state;
	assert_int_equal(kernel_payload_detect(bzip2, sizeof(bzip2)), KERNEL_PAYLOAD_UNKNOWN);
	assert_int_equal(kernel_payload_detect(lzma_alone, sizeof(lzma_alone)),
			 KERNEL_PAYLOAD_UNKNOWN);
	assert_int_equal(kernel_payload_detect(bzip2, 1), KERNEL_PAYLOAD_UNKNOWN);
}

static void test_corrupt_lz4_block(void **state)
{
	size_t len;
	uint8_t *payload = compress_payload(KERNEL_PAYLOAD_LZ4, &len);

	(void)state;
	memset(payload + 8, 0xff, 64); /* the first block's first literals/offsets */
	expect_unpack_error(KERNEL_PAYLOAD_LZ4, payload, len, 1u << 30, "LZ4 kernel payload");
	free(payload);
}

static void expect_elf_error(const char *needle)
{
	size_t len;
	uint8_t *payload = compress_payload(KERNEL_PAYLOAD_ZSTD, &len);

	expect_unpack_error(KERNEL_PAYLOAD_ZSTD, payload, len, 1u << 30, needle);
	free(payload);
}

static void test_segment_outside_the_window(void **state)
{
	(void)state;
	build_elf(LOAD, LOAD + WINDOW - 0x1000); /* segment B runs past the window */
	expect_elf_error("outside its load area");
	build_elf(LOAD, LOAD - 0x200000); /* below the load address: would need relocation */
	expect_elf_error("outside its load area");
	build_elf(LOAD, LOAD + RAM_SIZE); /* far beyond, and beyond RAM */
	expect_elf_error("outside its load area");
	build_elf(LOAD, SEG_B_GPA);
}

/* Two loadable segments over the same guest memory: which bytes won depended on how the
 * decompressor cut its output (found by tests/fuzz/fuzz_bzimage), and one segment's bss
 * zeroing wiped the other's file bytes. Refused. */
static void test_overlapping_segments(void **state)
{
	(void)state;
	build_elf(LOAD, LOAD + SEG_A_LEN - 0x1000); /* B's start inside A */
	expect_elf_error("overlap");
	build_elf(LOAD, LOAD); /* B at A's very start */
	expect_elf_error("overlap");
	build_elf(LOAD, LOAD + SEG_A_LEN); /* B right after A: fine */
	{
		size_t len;
		uint8_t *payload = compress_payload(KERNEL_PAYLOAD_GZIP, &len);
		char err[256] = "";
		uint64_t entry;

		if (unpack(KERNEL_PAYLOAD_GZIP, payload, len, 1u << 30, &entry, err, sizeof(err)) < 0)
			fail_msg("adjacent segments: %s", err);
		free(payload);
	}
	build_elf(LOAD, SEG_B_GPA);
}

/* A segment whose file offset + size wraps past 2^64 (offset near the top) looked
 * complete to kernel_elf_finish although none of its bytes were in the stream: the guest
 * got whatever the RAM held there (caught by tests/fuzz/fuzz_bzimage's check that every
 * file byte of a placed segment arrived). Refused as a kernel that ends early. */
static void test_segment_file_offset_wraps(void **state)
{
	Elf64_Phdr ph;

	(void)state;
	memcpy(&ph, elf_image + sizeof(Elf64_Ehdr) + 2 * sizeof(ph), sizeof(ph));
	ph.p_offset = UINT64_MAX - SEG_B_FILESZ / 2 + 1; /* + p_filesz wraps to a small value */
	memcpy(elf_image + sizeof(Elf64_Ehdr) + 2 * sizeof(ph), &ph, sizeof(ph));
	expect_elf_error("ends inside its segment");
	build_elf(LOAD, SEG_B_GPA);
}

static void test_entry_outside_the_segments(void **state)
{
	(void)state;
	build_elf(0xffffffff81000000ull, SEG_B_GPA); /* a virtual entry point */
	expect_elf_error("entry point 0xffffffff81000000 is not in a loaded segment");
	build_elf(LOAD, SEG_B_GPA);
}

static void test_not_an_elf(void **state)
{
	(void)state;
	elf_image[1] = 'X';
	expect_elf_error("not an x86-64 ELF image");
	elf_image[1] = 'E';
	((Elf64_Ehdr *)elf_image)->e_phnum = 200;
	expect_elf_error("program headers are malformed");
	build_elf(LOAD, SEG_B_GPA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_lz4),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_xz),
		cmocka_unit_test(test_unknown_formats_are_left_to_the_guest),
		cmocka_unit_test(test_corrupt_lz4_block),
		cmocka_unit_test(test_segment_outside_the_window),
		cmocka_unit_test(test_overlapping_segments),
		cmocka_unit_test(test_segment_file_offset_wraps),
		cmocka_unit_test(test_entry_outside_the_segments),
		cmocka_unit_test(test_not_an_elf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
