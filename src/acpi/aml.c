/*
 * The AML byte stream: growable buffer, PkgLength framing and the
 * open-ended objects (Scope, Device, Method, If/Else/While, Field).
 * Terms (struct aml_expr) live in aml_expr.c, resource descriptors in
 * aml_res.c.
 */
#include "acpi/aml.h"

#include <stdlib.h>
#include <string.h>

#define AML_SCOPE_OP 0x10
#define AML_NAME_OP 0x08
#define AML_METHOD_OP 0x14
#define AML_IF_OP 0xA0
#define AML_ELSE_OP 0xA1
#define AML_WHILE_OP 0xA2
#define AML_EXT_PREFIX 0x5B
#define AML_EXT_MUTEX_OP 0x01
#define AML_EXT_OPREGION_OP 0x80
#define AML_EXT_FIELD_OP 0x81
#define AML_EXT_DEVICE_OP 0x82

void aml_buf_init(struct aml_buf *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_buf_free(struct aml_buf *a)
{
	strbuf_free(&a->bytes);
	memset(a, 0, sizeof(*a));
}

/* Also true while a block is still open: the table would be cut short. */
bool aml_buf_failed(const struct aml_buf *a)
{
	return a->failed || a->bytes.oom || a->depth;
}

/* Failed for good (unlike aml_buf_failed, an open block does not count). */
static bool broken(const struct aml_buf *a)
{
	return a->failed || a->bytes.oom;
}

void aml_buf_bytes(struct aml_buf *a, const void *p, size_t n)
{
	if (n && !broken(a))
		strbuf_append(&a->bytes, p, n);
}

void aml_buf_byte(struct aml_buf *a, uint8_t v)
{
	aml_buf_bytes(a, &v, 1);
}

void aml_buf_le(struct aml_buf *a, uint64_t v, unsigned nbytes)
{
	uint8_t b[8];
	for (unsigned i = 0; i < nbytes && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_buf_bytes(a, b, nbytes);
}

void aml_buf_zeros(struct aml_buf *a, size_t n)
{
	if (n && !broken(a))
		strbuf_append_zeros(&a->bytes, n);
}

void aml_buf_patch_le(struct aml_buf *a, size_t off, uint64_t v, unsigned nbytes)
{
	if (broken(a) || off + nbytes > a->bytes.len) {
		a->failed = true;
		return;
	}
	for (unsigned i = 0; i < nbytes; i++)
		a->bytes.buf[off + i] = (char)(uint8_t)(v >> (8 * i));
}

void aml_put(struct aml_buf *a, struct aml_expr e)
{
	if (e.overflow) {
		a->failed = true;
		return;
	}
	aml_buf_bytes(a, e.b, e.len);
}

/*
 * PkgLength counts itself, so the encoded size depends on the value: one
 * byte holds up to 63, otherwise bits 7:6 of the lead byte give the number
 * of extra bytes, the lead byte keeps 4 bits and each extra byte 8 more.
 * iasl always picks the shortest form that fits; so do we.
 */
unsigned aml_pkglen_encode(size_t body_len, uint8_t out[4])
{
	if (body_len + 1 <= 0x3F) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	for (unsigned n = 2; n <= 4; n++) {
		size_t total = body_len + n;
		if (total < (1ULL << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0F));
			for (unsigned i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

/* A mark is the offset where the PkgLength goes; aml_end() moves the body
 * up to make room for it. */
void aml_end(struct aml_buf *a, aml_mark m)
{
	uint8_t pl[4];
	if (broken(a) || m > a->bytes.len || !a->depth || a->open[a->depth - 1] != m) {
		a->failed = true;
		return;
	}
	a->depth--;
	unsigned n = aml_pkglen_encode(a->bytes.len - m, pl);
	if (!n) {
		a->failed = true;
		return;
	}
	strbuf_insert(&a->bytes, m, pl, n);
}

static aml_mark aml_block_begin(struct aml_buf *a, const uint8_t *op, size_t oplen)
{
	aml_buf_bytes(a, op, oplen);
	if (a->depth == AML_MAX_DEPTH)
		a->failed = true;
	else
		a->open[a->depth++] = a->bytes.len;
	return a->bytes.len;
}

aml_mark aml_scope_begin(struct aml_buf *a, const char *path)
{
	static const uint8_t op[] = { AML_SCOPE_OP };
	aml_mark m = aml_block_begin(a, op, sizeof(op));
	aml_put(a, aml_name(path));
	return m;
}

aml_mark aml_device_begin(struct aml_buf *a, const char *path)
{
	static const uint8_t op[] = { AML_EXT_PREFIX, AML_EXT_DEVICE_OP };
	aml_mark m = aml_block_begin(a, op, sizeof(op));
	aml_put(a, aml_name(path));
	return m;
}

aml_mark aml_method_begin(struct aml_buf *a, const char *path, unsigned nargs, bool serialized)
{
	static const uint8_t op[] = { AML_METHOD_OP };
	if (nargs > 7)
		a->failed = true;
	aml_mark m = aml_block_begin(a, op, sizeof(op));
	aml_put(a, aml_name(path));
	/* MethodFlags: bits 2:0 arg count, bit 3 serialized, 7:4 sync level 0. */
	aml_buf_byte(a, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
	return m;
}

aml_mark aml_if_begin(struct aml_buf *a, struct aml_expr predicate)
{
	static const uint8_t op[] = { AML_IF_OP };
	aml_mark m = aml_block_begin(a, op, sizeof(op));
	aml_put(a, predicate);
	return m;
}

aml_mark aml_else_begin(struct aml_buf *a)
{
	static const uint8_t op[] = { AML_ELSE_OP };
	return aml_block_begin(a, op, sizeof(op));
}

aml_mark aml_while_begin(struct aml_buf *a, struct aml_expr predicate)
{
	static const uint8_t op[] = { AML_WHILE_OP };
	aml_mark m = aml_block_begin(a, op, sizeof(op));
	aml_put(a, predicate);
	return m;
}

void aml_name_decl(struct aml_buf *a, const char *path, struct aml_expr value)
{
	aml_buf_byte(a, AML_NAME_OP);
	aml_put(a, aml_name(path));
	aml_put(a, value);
}

void aml_opregion(struct aml_buf *a, const char *name, uint8_t space, uint64_t offset, uint64_t len)
{
	static const uint8_t op[] = { AML_EXT_PREFIX, AML_EXT_OPREGION_OP };
	aml_buf_bytes(a, op, sizeof(op));
	aml_put(a, aml_name(name));
	aml_buf_byte(a, space);
	aml_put(a, aml_int(offset));
	aml_put(a, aml_int(len));
}

/* Field list entries carry their bit width as a PkgLength; a gap before a
 * unit is a ReservedField (0x00 + width), which is what ASL Offset() gives. */
static void aml_field_element(struct aml_buf *a, const char *seg, unsigned bits)
{
	uint8_t pl[4];
	/* The element's "PkgLength" is a plain width: it does not count itself,
	 * so undo the self-count aml_pkglen_encode adds. */
	unsigned n = 0;
	if (bits <= 0x3F) {
		pl[0] = (uint8_t)bits;
		n = 1;
	} else {
		for (n = 2; n <= 4; n++)
			if (bits < (1ULL << (4 + 8 * (n - 1))))
				break;
		if (n > 4) {
			a->failed = true;
			return;
		}
		pl[0] = (uint8_t)(((n - 1) << 6) | (bits & 0x0F));
		for (unsigned i = 1; i < n; i++)
			pl[i] = (uint8_t)(bits >> (4 + 8 * (i - 1)));
	}
	if (seg)
		aml_put(a, aml_name(seg));
	else
		aml_buf_byte(a, 0x00);
	aml_buf_bytes(a, pl, n);
}

void aml_field(struct aml_buf *a, const char *region, enum aml_access acc, enum aml_update upd,
	       const struct aml_field_unit *units, size_t n)
{
	static const uint8_t op[] = { AML_EXT_PREFIX, AML_EXT_FIELD_OP };
	aml_mark m = aml_block_begin(a, op, sizeof(op));
	aml_put(a, aml_name(region));
	/* FieldFlags: 3:0 access type, bit 4 lock rule (NoLock), 6:5 update rule. */
	aml_buf_byte(a, (uint8_t)((acc & 0x0F) | ((upd & 3) << 5)));
	unsigned pos = 0;
	for (size_t i = 0; i < n; i++) {
		if (units[i].bit_offset < pos || !units[i].bits || strlen(units[i].name) != 4) {
			a->failed = true;
			return;
		}
		if (units[i].bit_offset > pos)
			aml_field_element(a, NULL, units[i].bit_offset - pos);
		aml_field_element(a, units[i].name, units[i].bits);
		pos = units[i].bit_offset + units[i].bits;
	}
	aml_end(a, m);
}

void aml_mutex(struct aml_buf *a, const char *name, unsigned sync_level)
{
	static const uint8_t op[] = { AML_EXT_PREFIX, AML_EXT_MUTEX_OP };
	aml_buf_bytes(a, op, sizeof(op));
	aml_put(a, aml_name(name));
	aml_buf_byte(a, (uint8_t)(sync_level & 0x0F));
}
