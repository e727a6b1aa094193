#include "arch/x86/bzimage.h"

#include <string.h>

#include "util.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }

int bzimage_parse(const uint8_t *f, size_t size, struct bzimage *bz, char *err, size_t errlen)
{
	unsigned setup_sects;

	memset(bz, 0, sizeof(*bz));
	if (size < 0x1000) {
		pv_format(err, errlen, "not a Linux bzImage: only %zu bytes", size);
		return -1;
	}
	if (rd16(f + 0x1fe) != 0xaa55) {
		pv_format(err, errlen, "not a Linux bzImage: no boot flag 0xAA55 at offset 0x1FE");
		return -1;
	}
	if (memcmp(f + 0x202, "HdrS", 4) != 0) {
		pv_format(err, errlen, "not a Linux bzImage: no \"HdrS\" setup header signature");
		return -1;
	}
	bz->protocol = rd16(f + 0x206);
	if (bz->protocol < BZ_MIN_PROTOCOL) {
		pv_format(err, errlen, "boot protocol %u.%02u is too old, plugvm needs 2.12 or newer",
			  bz->protocol >> 8, bz->protocol & 0xff);
		return -1;
	}
	bz->xloadflags = rd16(f + 0x236);
	if (!(bz->xloadflags & BZ_XLF_KERNEL_64)) {
		pv_format(err, errlen, "kernel has no 64-bit entry point (XLF_KERNEL_64 not set)");
		return -1;
	}
	setup_sects = f[0x1f1] ? f[0x1f1] : 4;
	bz->kernel_offset = (size_t)(setup_sects + 1) * 512;
	bz->setup_header_end = 0x202 + f[0x201];
	if (bz->kernel_offset >= size || bz->setup_header_end > 0x1000) {
		pv_format(err, errlen, "truncated bzImage: setup_sects %u beyond the file", setup_sects);
		return -1;
	}
	bz->file = f;
	bz->file_size = size;
	bz->kernel_size = size - bz->kernel_offset;
	bz->initrd_addr_max = rd32(f + 0x22c);
	bz->kernel_alignment = rd32(f + 0x230);
	bz->cmdline_size = rd32(f + 0x238);
	bz->pref_address = (uint64_t)rd32(f + 0x258) | (uint64_t)rd32(f + 0x25c) << 32;
	bz->init_size = rd32(f + 0x260);
	if (bz->init_size < bz->kernel_size)
		bz->init_size = (uint32_t)bz->kernel_size;
	/* payload_offset counts from the protected-mode kernel. A file cut short inside its
	 * payload would only make the guest's decompressor fail (and hang): refuse it here. */
	bz->payload_offset = bz->kernel_offset + rd32(f + 0x248);
	bz->payload_length = rd32(f + 0x24c);
	if (bz->payload_length &&
	    (bz->payload_offset >= size || bz->payload_length > size - bz->payload_offset)) {
		pv_format(err, errlen, "truncated bzImage: its compressed kernel (%zu bytes at "
				       "offset %zu) runs past the end of the file (%zu bytes)",
			  bz->payload_length, bz->payload_offset, size);
		return -1;
	}
	return 0;
}
