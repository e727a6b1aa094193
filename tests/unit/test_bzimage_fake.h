/* A minimal bzImage setup header shaped like Debian's 6.1 kernel, for the tests that
 * need a kernel file (Documentation/x86/boot.rst names the fields). */
#ifndef TEST_BZIMAGE_FAKE_H
#define TEST_BZIMAGE_FAKE_H

#include <stdint.h>
#include <string.h>

static inline void fake_put16(uint8_t *img, size_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static inline void fake_put32(uint8_t *img, size_t off, uint32_t v) { memcpy(img + off, &v, 4); }

/* img holds len bytes (at least 40 sectors of setup); the rest is the kernel. */
static inline void fake_bzimage(uint8_t *img, size_t len)
{
	memset(img, 0, len);
	img[0x1f1] = 39;                   /* setup_sects */
	fake_put16(img, 0x1fe, 0xaa55);    /* boot_flag */
	img[0x201] = 0x6a;                 /* end of the header, from 0x202 */
	memcpy(img + 0x202, "HdrS", 4);
	fake_put16(img, 0x206, 0x020f);    /* protocol 2.15 */
	fake_put32(img, 0x22c, 0x7fffffff); /* initrd_addr_max */
	fake_put32(img, 0x230, 0x200000);  /* kernel_alignment */
	fake_put16(img, 0x236, 0x7f);      /* xloadflags */
	fake_put32(img, 0x238, 0x7ff);     /* cmdline_size */
	fake_put32(img, 0x258, 0x1000000); /* pref_address */
	fake_put32(img, 0x260, 0x3378000); /* init_size */
}

#endif
