/* Small helpers shared by every part of plugvm. */
#ifndef PLUGVM_UTIL_H
#define PLUGVM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)
#define TiB (1024ULL * GiB)

static inline uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
static inline uint64_t align_down(uint64_t v, uint64_t a) { return v / a * a; }
static inline int is_aligned(uint64_t v, uint64_t a) { return a && v % a == 0; }

/* One line to stderr, prefixed "plugvm: ". */
void pv_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line to stderr, prefixed "plugvm: ". */
void pv_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug line, printed only when PLUGVM_DEBUG is set in the environment. */
void pv_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print an error and exit(1): for failures after start-up has been validated. */
_Noreturn void pv_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats into a caller buffer; used for error messages returned to callers. */
void pv_format(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Monotonic clock in nanoseconds. */
uint64_t pv_now_ns(void);

/* plugvm's one parser of unsigned integers: the whole string, no sign or blanks, at most
 * max; 0, or -1 when s is not such a number.
 * base 0: QEMU's grammar for a number property (slot=, node=, addr= of a device, given
 * as text): decimal, 0x hexadecimal or 0 octal. The command line and the monitors both
 * use it, so "slot=010" means slot 8 everywhere, as in QEMU.
 * base 10: decimal digits only (the command line's counts, CPU lists and node ids). */
int pv_parse_uint(const char *s, int base, uint64_t max, uint64_t *out);

/* The longest id plugvm keeps. QEMU has no limit, but plugvm stores the ids of objects and
 * devices in fixed buffers of PV_ID_MAX + 1 bytes (DIMMs, backends, NUMA nodes, the
 * monitors' query results); a longer id is refused, never cut, because a cut id would
 * be accepted by device_add and then not found by device_del. */
#define PV_ID_MAX 63

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_' (ASCII only,
 * whatever the locale). No length limit: see pv_check_id. */
bool pv_id_wellformed(const char *id);

/* The one rule for every id that enters plugvm: -object, -device, and object-add /
 * device_add from QMP and HMP. 0, or -1 with QEMU's GenericError text in err ("Parameter
 * 'id' expects an identifier", plus plugvm's length limit). The text never quotes the id:
 * it may hold escape sequences meant for a terminal. NULL: "Parameter 'id' is missing". */
int pv_check_id(const char *id, char *err, size_t errlen);

/* s for an error message: bytes outside printable ASCII become \xNN, and a string too
 * long for buf ends in "...". Returns buf. */
const char *pv_printable(const char *s, char *buf, size_t len);

/* An error message quotes a client's text, and may hold bytes that are not UTF-8: the
 * client's own, a character cut by a fixed buffer (snprintf into err->desc), or one cut
 * by jansson's "near '...'". JSON refuses such a string, so before a message goes into
 * one, every byte that is not part of a valid UTF-8 character becomes '?'. Returns s. */
char *pv_utf8_scrub(char *s);

#endif
