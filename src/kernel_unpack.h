/* The bzImage payload (the compressed kernel proper) decompressed on the host, streamed
 * to a sink in pieces so that the whole image is never held twice. */
#ifndef PLUGVM_KERNEL_UNPACK_H
#define PLUGVM_KERNEL_UNPACK_H

#include <stddef.h>
#include <stdint.h>

enum kernel_payload_format {
	KERNEL_PAYLOAD_UNKNOWN, /* bzip2, LZMA, LZO or anything else: left to the guest */
	KERNEL_PAYLOAD_GZIP,
	KERNEL_PAYLOAD_LZ4,     /* LZ4's legacy format, as the kernel's build writes it */
	KERNEL_PAYLOAD_ZSTD,
	KERNEL_PAYLOAD_XZ,
};

/* Takes the next len decompressed bytes. 0, or -1 with err set. */
typedef int (*kernel_unpack_sink)(void *ctx, const uint8_t *data, size_t len, char *err,
				  size_t errlen);

/* Recognises the compression by its magic bytes. */
enum kernel_payload_format kernel_payload_detect(const uint8_t *payload, size_t len);
const char *kernel_payload_name(enum kernel_payload_format format);

/* Decompresses the payload into sink. The kernel's build appends the decompressed size to
 * every format but gzip; when present it must match. More than max_out decompressed bytes
 * is an error. -1 with a one-line reason; -ENOMEM (with one) when plugvm ran out of
 * memory, not the payload's fault. */
int kernel_payload_unpack(enum kernel_payload_format format, const uint8_t *payload, size_t len,
			  uint64_t max_out, kernel_unpack_sink sink, void *ctx, char *err,
			  size_t errlen);

#endif
