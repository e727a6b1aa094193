/*
 * ACPI resource descriptors (ACPI 6.x §6.4) and ResourceTemplate, which is
 * a Buffer holding the descriptors followed by an End Tag.
 */
#include "acpi/aml.h"

#define RES_IO_TAG 0x47         /* small item 8, length 7 */
#define RES_IRQ_NOFLAGS_TAG 0x22 /* small item 4, length 2 (no flags byte) */
#define RES_END_TAG 0x79         /* small item 0xF, length 1 */
#define RES_MEM32_FIXED_TAG 0x86 /* large item 6 */
#define RES_EXT_IRQ_TAG 0x89     /* large item 9 */
#define RES_QWORD_ADDR_TAG 0x8A  /* large item 0xA */

static void res_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

struct aml_expr aml_restemplate(struct aml_expr body)
{
	/* Checksum byte 0 tells the OS not to verify one; iasl emits the same. */
	static const uint8_t end[] = { RES_END_TAG, 0x00 };
	struct aml_expr all = aml_cat(body, aml_raw(end, sizeof(end)));
	if (all.overflow)
		return all;
	return aml_buffer(all.b, all.len);
}

struct aml_expr aml_res_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	uint8_t d[8] = { RES_IO_TAG, 0x01 /* Decode16 */ };
	res_le(d + 2, min, 2);
	res_le(d + 4, max, 2);
	d[6] = align;
	d[7] = len;
	return aml_raw(d, sizeof(d));
}

struct aml_expr aml_res_irq_noflags(unsigned irq)
{
	uint8_t d[3] = { RES_IRQ_NOFLAGS_TAG };
	struct aml_expr e;
	res_le(d + 1, irq < 16 ? 1u << irq : 0, 2);
	e = aml_raw(d, sizeof(d));
	e.overflow = irq >= 16;
	return e;
}

struct aml_expr aml_res_memory32_fixed(uint32_t base, uint32_t len, bool writable)
{
	uint8_t d[12] = { RES_MEM32_FIXED_TAG };
	res_le(d + 1, 9, 2); /* length after the 3-byte header */
	d[3] = writable ? 0x01 : 0x00;
	res_le(d + 4, base, 4);
	res_le(d + 8, len, 4);
	return aml_raw(d, sizeof(d));
}

struct aml_expr aml_res_interrupt(uint32_t gsi, bool edge, bool active_low)
{
	uint8_t d[9] = { RES_EXT_IRQ_TAG };
	res_le(d + 1, 6, 2); /* length after the 3-byte header */
	/* bit 0 consumer, bit 1 edge, bit 2 active low; exclusive and
	 * not wake-capable are the zero bits 3 and 4. */
	d[3] = (uint8_t)(0x01 | (edge ? 0x02 : 0) | (active_low ? 0x04 : 0));
	d[4] = 1; /* one interrupt number follows */
	res_le(d + 5, gsi, 4);
	return aml_raw(d, sizeof(d));
}

struct aml_expr aml_res_qword_memory(uint64_t base, uint64_t len)
{
	uint8_t d[46] = { RES_QWORD_ADDR_TAG };
	res_le(d + 1, 43, 2);
	d[3] = 0;    /* resource type: memory range */
	d[4] = 0x0D; /* consumer, positive decode, min fixed, max fixed */
	d[5] = 0x03; /* read-write, cacheable */
	res_le(d + 6, 0, 8);                       /* granularity */
	res_le(d + AML_QWMEM_MIN_OFF, base, 8);
	res_le(d + AML_QWMEM_MAX_OFF, len ? base + len - 1 : base, 8);
	res_le(d + 0x1E, 0, 8);                    /* translation offset */
	res_le(d + AML_QWMEM_LEN_OFF, len, 8);
	return aml_raw(d, sizeof(d));
}
