/*
 * A small AML (ACPI Machine Language) encoder.
 *
 * AML is a prefix encoding: an operator byte is followed by its operands.
 * Two kinds of objects cover everything plugvm's DSDT needs:
 *
 *  - struct aml_expr: a short, self-contained term (a name, an integer, an
 *    operator with its operands, a resource template) built by value, so
 *    nested ASL expressions read like nested C calls:
 *        aml_store(aml_arg(0), aml_name("RSEL"))       Store (Arg0, RSEL)
 *  - struct aml_buf: a growable byte stream (a struct strbuf) for the open-ended objects
 *    (Scope, Device, Method, If, Else, While, Field, whole tables).  Their
 *    PkgLength can only be encoded once the body is known, so
 *    aml_*_begin() returns a mark and aml_end() inserts the PkgLength there.
 *
 * Errors are sticky: an allocation failure or an expression that outgrows
 * AML_EXPR_MAX sets a flag that aml_buf_failed() reports at the end, so the
 * builders need not check every call.
 */
#ifndef PLUGVM_ACPI_AML_H
#define PLUGVM_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Big enough for the largest single term plugvm emits (a QWordMemory
 * resource template is 52 bytes). */
#define AML_EXPR_MAX 192

struct aml_expr {
	uint16_t len;
	bool overflow;
	uint8_t b[AML_EXPR_MAX];
};

/* Blocks open at once (Scope > Device > Method > If > While ... ); plugvm nests 6 deep. */
#define AML_MAX_DEPTH 32

struct aml_buf {
	struct strbuf bytes; /* the stream (src/strbuf.h); bytes.oom: out of memory */
	bool failed;         /* a malformed object: the table cannot be used */
	/* The marks of the open blocks, innermost last: aml_end() must close the innermost
	 * one, and a table with a block left open is failed (aml_buf_failed). */
	size_t open[AML_MAX_DEPTH];
	unsigned depth;
};

/* --- the byte stream ------------------------------------------------- */
void aml_buf_init(struct aml_buf *a);
void aml_buf_free(struct aml_buf *a);
bool aml_buf_failed(const struct aml_buf *a);
static inline const uint8_t *aml_buf_data(const struct aml_buf *a)
{
	return (const uint8_t *)a->bytes.buf;
}
static inline size_t aml_buf_len(const struct aml_buf *a)
{
	return a->bytes.len;
}
void aml_buf_bytes(struct aml_buf *a, const void *p, size_t n);
void aml_buf_byte(struct aml_buf *a, uint8_t v);
void aml_buf_le(struct aml_buf *a, uint64_t v, unsigned nbytes); /* little endian */
void aml_buf_zeros(struct aml_buf *a, size_t n);
/* Overwrites already emitted bytes (table headers patched afterwards). */
void aml_buf_patch_le(struct aml_buf *a, size_t off, uint64_t v, unsigned nbytes);
/* Appends a finished term. */
void aml_put(struct aml_buf *a, struct aml_expr e);

/* PkgLength of a package whose body (everything after the PkgLength) is
 * body_len bytes; writes 1-4 bytes to out, returns how many (0: too big). */
unsigned aml_pkglen_encode(size_t body_len, uint8_t out[4]);

/* --- blocks: begin returns a mark for aml_end() ------------------------- */
typedef size_t aml_mark;
aml_mark aml_scope_begin(struct aml_buf *a, const char *path);          /* Scope (path) { */
aml_mark aml_device_begin(struct aml_buf *a, const char *path);         /* Device (path) { */
aml_mark aml_method_begin(struct aml_buf *a, const char *path, unsigned nargs, bool serialized);
aml_mark aml_if_begin(struct aml_buf *a, struct aml_expr predicate);    /* If (p) { */
aml_mark aml_else_begin(struct aml_buf *a);                             /* Else { */
aml_mark aml_while_begin(struct aml_buf *a, struct aml_expr predicate); /* While (p) { */
/* Closes the innermost open block: inserts its PkgLength at the mark. A mark that is not
 * the innermost open block's fails the buffer. */
void aml_end(struct aml_buf *a, aml_mark m);

/* --- named objects written straight to the stream --------------------- */
void aml_name_decl(struct aml_buf *a, const char *path, struct aml_expr value); /* Name (path, value) */
void aml_opregion(struct aml_buf *a, const char *name, uint8_t space, uint64_t offset, uint64_t len);
#define AML_SPACE_SYSTEM_MEMORY 0
#define AML_SPACE_SYSTEM_IO 1

enum aml_access { AML_ANY_ACC = 0, AML_BYTE_ACC, AML_WORD_ACC, AML_DWORD_ACC, AML_QWORD_ACC };
enum aml_update { AML_PRESERVE = 0, AML_WRITE_AS_ONES = 1, AML_WRITE_AS_ZEROS = 2 };
struct aml_field_unit {
	const char *name;     /* 4-character NameSeg */
	unsigned bit_offset;  /* from the start of the region; gaps become Offset() */
	unsigned bits;
};
/* Field (region, access, NoLock, update) { units... }: units in ascending
 * order, not overlapping, else the buffer is marked failed. */
void aml_field(struct aml_buf *a, const char *region, enum aml_access acc, enum aml_update upd,
	       const struct aml_field_unit *units, size_t n);
void aml_mutex(struct aml_buf *a, const char *name, unsigned sync_level); /* Mutex (name, level) */

/* --- terms ------------------------------------------------------------- */
struct aml_expr aml_raw(const void *p, size_t n);
struct aml_expr aml_cat(struct aml_expr x, struct aml_expr y); /* x then y */
struct aml_expr aml_name(const char *path); /* NameString: "\\_SB.M000", "^^MHC0.SSTA", "_S5" */
struct aml_expr aml_int(uint64_t v);        /* smallest encoding, as iasl does */
struct aml_expr aml_zero(void);
struct aml_expr aml_one(void);
struct aml_expr aml_ones(void);
struct aml_expr aml_string(const char *s);
struct aml_expr aml_eisaid(const char *id); /* "PNP0C80" -> DWordConst */
struct aml_expr aml_local(unsigned n);      /* Local0..Local7 */
struct aml_expr aml_arg(unsigned n);        /* Arg0..Arg6 */
struct aml_expr aml_buffer(const void *bytes, size_t n);      /* Buffer (n) { bytes } */
struct aml_expr aml_package_ints(const uint64_t *v, size_t n); /* Package (n) { v... } */
struct aml_expr aml_package(unsigned count, struct aml_expr elements); /* Package (count) { elements } */

/* Operators.  `target` is where the result goes; pass aml_null() for none. */
struct aml_expr aml_null(void); /* NullName: "no target" */
struct aml_expr aml_store(struct aml_expr src, struct aml_expr dst);
struct aml_expr aml_add(struct aml_expr x, struct aml_expr y, struct aml_expr target);
struct aml_expr aml_subtract(struct aml_expr x, struct aml_expr y, struct aml_expr target);
struct aml_expr aml_and(struct aml_expr x, struct aml_expr y, struct aml_expr target);
struct aml_expr aml_or(struct aml_expr x, struct aml_expr y, struct aml_expr target);
struct aml_expr aml_shiftleft(struct aml_expr x, struct aml_expr n, struct aml_expr target);
struct aml_expr aml_shiftright(struct aml_expr x, struct aml_expr n, struct aml_expr target);
struct aml_expr aml_increment(struct aml_expr x);
struct aml_expr aml_decrement(struct aml_expr x);
struct aml_expr aml_land(struct aml_expr x, struct aml_expr y);
struct aml_expr aml_lor(struct aml_expr x, struct aml_expr y);
struct aml_expr aml_lnot(struct aml_expr x);
struct aml_expr aml_lequal(struct aml_expr x, struct aml_expr y);
struct aml_expr aml_lless(struct aml_expr x, struct aml_expr y);
struct aml_expr aml_lgreater(struct aml_expr x, struct aml_expr y);
struct aml_expr aml_tointeger(struct aml_expr x, struct aml_expr target);
struct aml_expr aml_return(struct aml_expr x);
/* ConcatenateResTemplate (x, y, target): x's descriptors, then y's, one End Tag. */
struct aml_expr aml_concat_res(struct aml_expr x, struct aml_expr y, struct aml_expr target);
struct aml_expr aml_notify(const char *device, struct aml_expr value); /* literal device name */
struct aml_expr aml_acquire(const char *mutex, uint16_t timeout);
struct aml_expr aml_release(const char *mutex);
struct aml_expr aml_create_qword_field(struct aml_expr buffer, struct aml_expr byte_index,
				       const char *name);
/* Method invocation: the name followed by exactly the method's arguments. */
struct aml_expr aml_call(const char *path, const struct aml_expr *args, size_t nargs);
struct aml_expr aml_call0(const char *path);
struct aml_expr aml_call1(const char *path, struct aml_expr a0);
struct aml_expr aml_call2(const char *path, struct aml_expr a0, struct aml_expr a1);
struct aml_expr aml_call3(const char *path, struct aml_expr a0, struct aml_expr a1, struct aml_expr a2);

/* --- resource descriptors (aml_res.c) ---------------------------------- */
/* ResourceTemplate () { body } : a Buffer ending in an EndTag (checksum 0). */
struct aml_expr aml_restemplate(struct aml_expr body);
struct aml_expr aml_res_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len); /* IO (Decode16, ...) */
struct aml_expr aml_res_irq_noflags(unsigned irq);                                  /* IRQNoFlags () {irq} */
/* Memory32Fixed (ReadWrite|ReadOnly, base, len) */
struct aml_expr aml_res_memory32_fixed(uint32_t base, uint32_t len, bool writable);
/* Interrupt (ResourceConsumer, Edge|Level, ActiveHigh|ActiveLow, Exclusive) {gsi} */
struct aml_expr aml_res_interrupt(uint32_t gsi, bool edge, bool active_low);
/* QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable,
 * ReadWrite, 0, base, base+len-1, 0, len); len 0 gives max = base (a
 * placeholder that AML patches at run time). */
struct aml_expr aml_res_qword_memory(uint64_t base, uint64_t len);
/* Byte offsets of _MIN/_MAX/_LEN inside the QWordMemory descriptor. */
#define AML_QWMEM_MIN_OFF 0x0E
#define AML_QWMEM_MAX_OFF 0x16
#define AML_QWMEM_LEN_OFF 0x26

#endif
