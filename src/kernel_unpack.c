#include "kernel_unpack.h"

#include <errno.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "util.h"

#define CHUNK (1u << 20)                 /* output piece for the streaming formats */
#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20)      /* uncompressed size of a legacy block */

static uint32_t rd32(const uint8_t *p) { return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24); }

enum kernel_payload_format kernel_payload_detect(const uint8_t *p, size_t len)
{
	static const uint8_t xz_magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return KERNEL_PAYLOAD_GZIP;
	if (len >= 4 && rd32(p) == LZ4_LEGACY_MAGIC)
		return KERNEL_PAYLOAD_LZ4;
	if (len >= 4 && rd32(p) == ZSTD_MAGICNUMBER)
		return KERNEL_PAYLOAD_ZSTD;
	if (len >= sizeof(xz_magic) && memcmp(p, xz_magic, sizeof(xz_magic)) == 0)
		return KERNEL_PAYLOAD_XZ;
	return KERNEL_PAYLOAD_UNKNOWN;
}

const char *kernel_payload_name(enum kernel_payload_format f)
{
	switch (f) {
	case KERNEL_PAYLOAD_GZIP: return "gzip";
	case KERNEL_PAYLOAD_LZ4: return "LZ4";
	case KERNEL_PAYLOAD_ZSTD: return "zstd";
	case KERNEL_PAYLOAD_XZ: return "xz";
	default: return "unknown";
	}
}

/* Output bookkeeping shared by the formats: the sink, the running total and its limit. */
struct unpack_out {
	kernel_unpack_sink sink;
	void *ctx;
	uint64_t total;
	uint64_t max;
	const char *format;
};

static int emit(struct unpack_out *o, const uint8_t *data, size_t len, char *err, size_t errlen)
{
	if (len == 0)
		return 0;
	if (o->total + len > o->max) {
		pv_format(err, errlen, "the %s kernel payload decompresses to more than %llu MiB",
			  o->format, (unsigned long long)(o->max >> 20));
		return -1;
	}
	o->total += len;
	return o->sink(o->ctx, data, len, err, errlen);
}

/* The kernel's build appends the decompressed size (32 bits) to all formats but gzip. */
static int check_size_trailer(const struct unpack_out *o, const uint8_t *rest, size_t rest_len,
			      char *err, size_t errlen)
{
	if (rest_len == 4 && rd32(rest) != (uint32_t)o->total) {
		pv_format(err, errlen, "the %s kernel payload decompressed to %llu bytes, its "
				       "trailer says %u",
			  o->format, (unsigned long long)o->total, rd32(rest));
		return -1;
	}
	return 0;
}

static int unpack_lz4(const uint8_t *p, size_t len, struct unpack_out *o, char *err,
		      size_t errlen)
{
	size_t pos = 4; /* past the magic */
	uint8_t *block = malloc(LZ4_LEGACY_BLOCK);
	int ret = -1;

	if (!block) {
		pv_format(err, errlen, "out of memory for LZ4 decompression");
		return -ENOMEM;
	}
	while (len - pos > 4) {
		uint32_t csize = rd32(p + pos);
		int n;

		pos += 4;
		if (csize == LZ4_LEGACY_MAGIC) /* concatenated streams */
			continue;
		if (csize > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK) || csize > len - pos) {
			pv_format(err, errlen, "LZ4 kernel payload: block of %u bytes at offset %zu "
					       "is truncated or corrupt",
				  csize, pos - 4);
			goto out;
		}
		n = LZ4_decompress_safe((const char *)p + pos, (char *)block, (int)csize,
					LZ4_LEGACY_BLOCK);
		if (n < 0) {
			pv_format(err, errlen, "LZ4 kernel payload: corrupt block at offset %zu",
				  pos - 4);
			goto out;
		}
		if (emit(o, block, (size_t)n, err, errlen) < 0)
			goto out;
		pos += csize;
	}
	ret = check_size_trailer(o, p + pos, len - pos, err, errlen);
out:
	free(block);
	return ret;
}

static int unpack_gzip(const uint8_t *p, size_t len, struct unpack_out *o, char *err,
		       size_t errlen)
{
	z_stream zs;
	uint8_t *buf = malloc(CHUNK);
	int ret = -1, z;

	memset(&zs, 0, sizeof(zs));
	if (!buf || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		pv_format(err, errlen, "out of memory for gzip decompression");
		free(buf);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)p;
	zs.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	do {
		zs.next_out = buf;
		zs.avail_out = CHUNK;
		z = inflate(&zs, Z_NO_FLUSH);
		if (z != Z_OK && z != Z_STREAM_END) {
			pv_format(err, errlen, "gzip kernel payload: %s",
				  z == Z_BUF_ERROR ? "truncated" : zs.msg ? zs.msg : "corrupt");
			goto out;
		}
		if (emit(o, buf, CHUNK - zs.avail_out, err, errlen) < 0)
			goto out;
	} while (z != Z_STREAM_END);
	ret = 0;
out:
	inflateEnd(&zs);
	free(buf);
	return ret;
}

static int unpack_zstd(const uint8_t *p, size_t len, struct unpack_out *o, char *err,
		       size_t errlen)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	uint8_t *buf = malloc(CHUNK);
	ZSTD_inBuffer in = {p, len, 0};
	int ret = -1;

	if (!d || !buf) {
		pv_format(err, errlen, "out of memory for zstd decompression");
		ret = -ENOMEM;
		goto out;
	}
	/* The kernel is compressed with zstd -22 --ultra: a 128 MiB window (log 27). */
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 27);
	for (;;) {
		ZSTD_outBuffer out = {buf, CHUNK, 0};
		size_t r = ZSTD_decompressStream(d, &out, &in);

		if (ZSTD_isError(r)) {
			pv_format(err, errlen, "zstd kernel payload: %s", ZSTD_getErrorName(r));
			goto out;
		}
		if (emit(o, buf, out.pos, err, errlen) < 0)
			goto out;
		if (r == 0) /* end of the frame */
			break;
		if (in.pos == in.size && out.pos < out.size) {
			pv_format(err, errlen, "zstd kernel payload: truncated");
			goto out;
		}
	}
	ret = check_size_trailer(o, p + in.pos, len - in.pos, err, errlen);
out:
	ZSTD_freeDCtx(d);
	free(buf);
	return ret;
}

static int unpack_xz(const uint8_t *p, size_t len, struct unpack_out *o, char *err,
		     size_t errlen)
{
	lzma_stream xs = LZMA_STREAM_INIT;
	uint8_t *buf = malloc(CHUNK);
	lzma_ret r;
	int ret = -1;

	if (!buf || lzma_stream_decoder(&xs, UINT64_MAX, 0) != LZMA_OK) {
		pv_format(err, errlen, "out of memory for xz decompression");
		free(buf);
		return -ENOMEM;
	}
	xs.next_in = p;
	xs.avail_in = len;
	do {
		xs.next_out = buf;
		xs.avail_out = CHUNK;
		r = lzma_code(&xs, xs.avail_in ? LZMA_RUN : LZMA_FINISH);
		if (r != LZMA_OK && r != LZMA_STREAM_END) {
			pv_format(err, errlen, "xz kernel payload: %s",
				  r == LZMA_BUF_ERROR ? "truncated" : "corrupt (liblzma error)");
			goto out;
		}
		if (emit(o, buf, CHUNK - xs.avail_out, err, errlen) < 0)
			goto out;
	} while (r != LZMA_STREAM_END);
	ret = check_size_trailer(o, xs.next_in, xs.avail_in, err, errlen);
out:
	lzma_end(&xs);
	free(buf);
	return ret;
}

int kernel_payload_unpack(enum kernel_payload_format format, const uint8_t *payload, size_t len,
			  uint64_t max_out, kernel_unpack_sink sink, void *ctx, char *err,
			  size_t errlen)
{
	struct unpack_out o = {sink, ctx, 0, max_out, kernel_payload_name(format)};

	if (kernel_payload_detect(payload, len) != format || format == KERNEL_PAYLOAD_UNKNOWN) {
		pv_format(err, errlen, "kernel payload is not %s", kernel_payload_name(format));
		return -1;
	}
	switch (format) {
	case KERNEL_PAYLOAD_GZIP: return unpack_gzip(payload, len, &o, err, errlen);
	case KERNEL_PAYLOAD_LZ4: return unpack_lz4(payload, len, &o, err, errlen);
	case KERNEL_PAYLOAD_ZSTD: return unpack_zstd(payload, len, &o, err, errlen);
	case KERNEL_PAYLOAD_XZ: return unpack_xz(payload, len, &o, err, errlen);
	default: return -1;
	}
}
