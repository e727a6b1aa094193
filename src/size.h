/* Sizes as QEMU writes them: "512M", "1G", "1.5G", "4096". */
#ifndef PLUGVM_SIZE_H
#define PLUGVM_SIZE_H

#include <stdint.h>

/* default_unit is what a bare number means: 1 for bytes, 1<<20 for -m.
 * Suffixes B K M G T P E (either case, powers of 1024). Fractions are
 * allowed with a suffix ("1.5G") as in QEMU. Returns 0, or -1 on syntax
 * error or overflow. */
int parse_size(const char *text, uint64_t default_unit, uint64_t *out);

/* Human-readable "1 GiB", "512 MiB", "3 KiB", "100 B" (exact multiples only,
 * else bytes) into buf. */
const char *format_size(uint64_t bytes, char *buf, unsigned len);

#endif
