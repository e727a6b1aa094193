/*
 * AML terms built by value: names, constants and operators with their
 * operands.  Each is a short byte string; nesting C calls nests the terms
 * in the same prefix order AML uses.
 */
#include "acpi/aml.h"

#include <ctype.h>
#include <string.h>

#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_ONES_OP 0xFF
#define AML_BYTE_PREFIX 0x0A
#define AML_WORD_PREFIX 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_QWORD_PREFIX 0x0E
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_DUAL_NAME_PREFIX 0x2E
#define AML_MULTI_NAME_PREFIX 0x2F
#define AML_ROOT_CHAR 0x5C
#define AML_PARENT_PREFIX 0x5E
#define AML_LOCAL0_OP 0x60
#define AML_ARG0_OP 0x68
#define AML_STORE_OP 0x70
#define AML_ADD_OP 0x72
#define AML_SUBTRACT_OP 0x74
#define AML_INCREMENT_OP 0x75
#define AML_DECREMENT_OP 0x76
#define AML_SHIFT_LEFT_OP 0x79
#define AML_SHIFT_RIGHT_OP 0x7A
#define AML_AND_OP 0x7B
#define AML_OR_OP 0x7D
#define AML_CONCAT_RES_OP 0x84
#define AML_NOTIFY_OP 0x86
#define AML_CREATE_QWORD_FIELD_OP 0x8F
#define AML_LAND_OP 0x90
#define AML_LOR_OP 0x91
#define AML_LNOT_OP 0x92
#define AML_LEQUAL_OP 0x93
#define AML_LGREATER_OP 0x94
#define AML_LLESS_OP 0x95
#define AML_TO_INTEGER_OP 0x99
#define AML_RETURN_OP 0xA4
#define AML_EXT_PREFIX 0x5B
#define AML_EXT_ACQUIRE_OP 0x23
#define AML_EXT_RELEASE_OP 0x27

static void expr_bytes(struct aml_expr *e, const void *p, size_t n)
{
	if (e->overflow || e->len + n > AML_EXPR_MAX) {
		e->overflow = true;
		return;
	}
	memcpy(e->b + e->len, p, n);
	e->len += (uint16_t)n;
}

static void expr_byte(struct aml_expr *e, uint8_t v)
{
	expr_bytes(e, &v, 1);
}

static void expr_le(struct aml_expr *e, uint64_t v, unsigned nbytes)
{
	for (unsigned i = 0; i < nbytes; i++)
		expr_byte(e, (uint8_t)(v >> (8 * i)));
}

static void expr_append(struct aml_expr *e, const struct aml_expr *x)
{
	if (x->overflow)
		e->overflow = true;
	expr_bytes(e, x->b, x->len);
}

struct aml_expr aml_raw(const void *p, size_t n)
{
	struct aml_expr e = { 0 };
	expr_bytes(&e, p, n);
	return e;
}

struct aml_expr aml_cat(struct aml_expr x, struct aml_expr y)
{
	expr_append(&x, &y);
	return x;
}

/* One NameSeg: up to four characters, padded with '_' (so "_S5" is "_S5_"). */
static const char *expr_nameseg(struct aml_expr *e, const char *p)
{
	char seg[4] = { '_', '_', '_', '_' };
	unsigned n = 0;
	while (*p && *p != '.') {
		unsigned char c = (unsigned char)*p++;
		bool ok = isupper(c) || c == '_' || (n > 0 && isdigit(c));
		if (n >= 4 || !ok) {
			e->overflow = true; /* not a valid name: poison the term */
			return p;
		}
		seg[n++] = (char)c;
	}
	if (n == 0)
		e->overflow = true;
	expr_bytes(e, seg, 4);
	return p;
}

struct aml_expr aml_name(const char *path)
{
	struct aml_expr e = { 0 };
	const char *p = path;
	if (*p == '\\')
		expr_byte(&e, *p++);
	else
		while (*p == '^')
			expr_byte(&e, *p++);

	unsigned nsegs = 0;
	if (*p) {
		nsegs = 1;
		for (const char *q = p; *q; q++)
			nsegs += *q == '.';
	}
	if (nsegs == 0) {
		expr_byte(&e, 0x00); /* NullName, e.g. a bare "\" */
		return e;
	}
	if (nsegs == 2) {
		expr_byte(&e, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		expr_byte(&e, AML_MULTI_NAME_PREFIX);
		expr_byte(&e, (uint8_t)nsegs);
	}
	for (unsigned i = 0; i < nsegs; i++) {
		p = expr_nameseg(&e, p);
		if (*p == '.')
			p++;
	}
	return e;
}

struct aml_expr aml_int(uint64_t v)
{
	struct aml_expr e = { 0 };
	if (v == 0) {
		expr_byte(&e, AML_ZERO_OP);
	} else if (v == 1) {
		expr_byte(&e, AML_ONE_OP);
	} else if (v <= 0xFF) {
		expr_byte(&e, AML_BYTE_PREFIX);
		expr_le(&e, v, 1);
	} else if (v <= 0xFFFF) {
		expr_byte(&e, AML_WORD_PREFIX);
		expr_le(&e, v, 2);
	} else if (v <= 0xFFFFFFFFULL) {
		expr_byte(&e, AML_DWORD_PREFIX);
		expr_le(&e, v, 4);
	} else {
		expr_byte(&e, AML_QWORD_PREFIX);
		expr_le(&e, v, 8);
	}
	return e;
}

struct aml_expr aml_zero(void)
{
	struct aml_expr e = { 0 };
	expr_byte(&e, AML_ZERO_OP);
	return e;
}

struct aml_expr aml_one(void)
{
	struct aml_expr e = { 0 };
	expr_byte(&e, AML_ONE_OP);
	return e;
}

struct aml_expr aml_ones(void)
{
	struct aml_expr e = { 0 };
	expr_byte(&e, AML_ONES_OP);
	return e;
}

struct aml_expr aml_null(void)
{
	struct aml_expr e = { 0 };
	expr_byte(&e, 0x00);
	return e;
}

struct aml_expr aml_string(const char *s)
{
	struct aml_expr e = { 0 };
	expr_byte(&e, AML_STRING_PREFIX);
	expr_bytes(&e, s, strlen(s) + 1);
	return e;
}

/* EISA id "PNP0C80": three letters packed 5 bits each, then four hex
 * digits; stored big-endian in a DWord, as iasl's EisaId() does. */
struct aml_expr aml_eisaid(const char *id)
{
	struct aml_expr e = { 0 };
	if (strlen(id) != 7) {
		e.overflow = true;
		return e;
	}
	uint32_t v = 0;
	for (int i = 0; i < 3; i++)
		v = (v << 5) | (uint32_t)((id[i] - 0x40) & 0x1F);
	for (int i = 3; i < 7; i++) {
		char c = (char)toupper((unsigned char)id[i]);
		v = (v << 4) | (uint32_t)(isdigit((unsigned char)c) ? c - '0' : c - 'A' + 10);
	}
	expr_byte(&e, AML_DWORD_PREFIX);
	for (int i = 3; i >= 0; i--)
		expr_byte(&e, (uint8_t)(v >> (8 * i)));
	return e;
}

struct aml_expr aml_local(unsigned n)
{
	struct aml_expr e = { 0 };
	expr_byte(&e, (uint8_t)(AML_LOCAL0_OP + (n & 7)));
	e.overflow = n > 7;
	return e;
}

struct aml_expr aml_arg(unsigned n)
{
	struct aml_expr e = { 0 };
	expr_byte(&e, (uint8_t)(AML_ARG0_OP + (n & 7)));
	e.overflow = n > 6;
	return e;
}

/* Buffer and Package are small here, so their PkgLength is known at once. */
static struct aml_expr expr_package(uint8_t op, const struct aml_expr *body)
{
	struct aml_expr e = { 0 };
	uint8_t pl[4];
	unsigned n = aml_pkglen_encode(body->len, pl);
	expr_byte(&e, op);
	expr_bytes(&e, pl, n);
	expr_append(&e, body);
	return e;
}

struct aml_expr aml_buffer(const void *bytes, size_t n)
{
	struct aml_expr body = aml_int(n);
	expr_bytes(&body, bytes, n);
	return expr_package(AML_BUFFER_OP, &body);
}

struct aml_expr aml_package_ints(const uint64_t *v, size_t n)
{
	struct aml_expr body = { 0 };
	if (n > 255)
		body.overflow = true;
	expr_byte(&body, (uint8_t)n);
	for (size_t i = 0; i < n; i++) {
		struct aml_expr x = aml_int(v[i]);
		expr_append(&body, &x);
	}
	return expr_package(AML_PACKAGE_OP, &body);
}

struct aml_expr aml_package(unsigned count, struct aml_expr elements)
{
	struct aml_expr body = { 0 };
	body.overflow = count > 255;
	expr_byte(&body, (uint8_t)count);
	expr_append(&body, &elements);
	return expr_package(AML_PACKAGE_OP, &body);
}

static struct aml_expr expr_op(const uint8_t *op, size_t oplen, const struct aml_expr *ops, size_t n)
{
	struct aml_expr e = { 0 };
	expr_bytes(&e, op, oplen);
	for (size_t i = 0; i < n; i++)
		expr_append(&e, &ops[i]);
	return e;
}

#define EXPR_OP(opcode, ...)                                                            \
	do {                                                                            \
		static const uint8_t op_[] = { opcode };                                \
		const struct aml_expr ops_[] = { __VA_ARGS__ };                          \
		return expr_op(op_, sizeof(op_), ops_, sizeof(ops_) / sizeof(ops_[0])); \
	} while (0)

struct aml_expr aml_store(struct aml_expr src, struct aml_expr dst) { EXPR_OP(AML_STORE_OP, src, dst); }
struct aml_expr aml_add(struct aml_expr x, struct aml_expr y, struct aml_expr t) { EXPR_OP(AML_ADD_OP, x, y, t); }
struct aml_expr aml_subtract(struct aml_expr x, struct aml_expr y, struct aml_expr t) { EXPR_OP(AML_SUBTRACT_OP, x, y, t); }
struct aml_expr aml_and(struct aml_expr x, struct aml_expr y, struct aml_expr t) { EXPR_OP(AML_AND_OP, x, y, t); }
struct aml_expr aml_or(struct aml_expr x, struct aml_expr y, struct aml_expr t) { EXPR_OP(AML_OR_OP, x, y, t); }
struct aml_expr aml_shiftleft(struct aml_expr x, struct aml_expr n, struct aml_expr t) { EXPR_OP(AML_SHIFT_LEFT_OP, x, n, t); }
struct aml_expr aml_shiftright(struct aml_expr x, struct aml_expr n, struct aml_expr t) { EXPR_OP(AML_SHIFT_RIGHT_OP, x, n, t); }
struct aml_expr aml_increment(struct aml_expr x) { EXPR_OP(AML_INCREMENT_OP, x); }
struct aml_expr aml_decrement(struct aml_expr x) { EXPR_OP(AML_DECREMENT_OP, x); }
struct aml_expr aml_land(struct aml_expr x, struct aml_expr y) { EXPR_OP(AML_LAND_OP, x, y); }
struct aml_expr aml_lor(struct aml_expr x, struct aml_expr y) { EXPR_OP(AML_LOR_OP, x, y); }
struct aml_expr aml_lnot(struct aml_expr x) { EXPR_OP(AML_LNOT_OP, x); }
struct aml_expr aml_lequal(struct aml_expr x, struct aml_expr y) { EXPR_OP(AML_LEQUAL_OP, x, y); }
struct aml_expr aml_lless(struct aml_expr x, struct aml_expr y) { EXPR_OP(AML_LLESS_OP, x, y); }
struct aml_expr aml_lgreater(struct aml_expr x, struct aml_expr y) { EXPR_OP(AML_LGREATER_OP, x, y); }
struct aml_expr aml_tointeger(struct aml_expr x, struct aml_expr t) { EXPR_OP(AML_TO_INTEGER_OP, x, t); }
struct aml_expr aml_return(struct aml_expr x) { EXPR_OP(AML_RETURN_OP, x); }
struct aml_expr aml_concat_res(struct aml_expr x, struct aml_expr y, struct aml_expr t) { EXPR_OP(AML_CONCAT_RES_OP, x, y, t); }

/* Notify's object must be a name written into the AML: ACPICA rejects a
 * reference held in a Local (docs/linux-facts.md, "AML: Notify needs a name"), so only a path is accepted. */
struct aml_expr aml_notify(const char *device, struct aml_expr value)
{
	EXPR_OP(AML_NOTIFY_OP, aml_name(device), value);
}

struct aml_expr aml_acquire(const char *mutex, uint16_t timeout)
{
	struct aml_expr e = { 0 };
	expr_byte(&e, AML_EXT_PREFIX);
	expr_byte(&e, AML_EXT_ACQUIRE_OP);
	struct aml_expr n = aml_name(mutex);
	expr_append(&e, &n);
	expr_le(&e, timeout, 2); /* a raw WordData, not an integer term */
	return e;
}

struct aml_expr aml_release(const char *mutex)
{
	static const uint8_t op[] = { AML_EXT_PREFIX, AML_EXT_RELEASE_OP };
	struct aml_expr n = aml_name(mutex);
	return expr_op(op, sizeof(op), &n, 1);
}

struct aml_expr aml_create_qword_field(struct aml_expr buffer, struct aml_expr byte_index,
				       const char *name)
{
	EXPR_OP(AML_CREATE_QWORD_FIELD_OP, buffer, byte_index, aml_name(name));
}

struct aml_expr aml_call(const char *path, const struct aml_expr *args, size_t nargs)
{
	struct aml_expr e = aml_name(path);
	for (size_t i = 0; i < nargs; i++)
		expr_append(&e, &args[i]);
	return e;
}

struct aml_expr aml_call0(const char *path)
{
	return aml_call(path, NULL, 0);
}

struct aml_expr aml_call1(const char *path, struct aml_expr a0)
{
	return aml_call(path, &a0, 1);
}

struct aml_expr aml_call2(const char *path, struct aml_expr a0, struct aml_expr a1)
{
	const struct aml_expr args[] = { a0, a1 };
	return aml_call(path, args, 2);
}

struct aml_expr aml_call3(const char *path, struct aml_expr a0, struct aml_expr a1, struct aml_expr a2)
{
	const struct aml_expr args[] = { a0, a1, a2 };
	return aml_call(path, args, 3);
}
