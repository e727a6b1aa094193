/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c): reading structured values out
 * of the input, keeping plugvm's log lines off the terminal, and failing an invariant. */
#ifndef PLUGVM_FUZZ_COMMON_H
#define PLUGVM_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the input as a stream of choices ---------------------------------- */

/* Reading past the end gives zeros, so every input is a complete program. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool fuzz_more(const struct fuzz_in *in)
{
	return in->n > 0;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);

	return lo | (uint32_t)fuzz_u16(in) << 16;
}

/* ---- plugvm's stdout/stderr ------------------------------------------- */

/*
 * plugvm logs to stderr (pv_error, pv_info) and prints --help to stdout. A harness swaps
 * the FILE pointers around each run so millions of such lines do not slow the fuzzer or
 * flood the terminal; libFuzzer's own output and the sanitizers' reports do not go
 * through these pointers and stay visible. PLUGVM_FUZZ_VERBOSE=1 keeps the lines.
 */
struct fuzz_stdio {
	FILE *out, *err;
	bool swapped;
};

static struct fuzz_stdio fuzz_saved;

static inline FILE *fuzz_devnull(void)
{
	static FILE *null;

	if (!null)
		null = fopen("/dev/null", "w");
	return null;
}

/* Sends plugvm's stdout and stderr to out and err (NULL: /dev/null). */
static inline void fuzz_stdio_redirect(FILE *out, FILE *err)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("PLUGVM_FUZZ_VERBOSE") != NULL;
	if (fuzz_saved.swapped || (verbose && !out && !err))
		return;
	fuzz_saved = (struct fuzz_stdio){ stdout, stderr, true };
	stdout = out ? out : fuzz_devnull();
	stderr = err ? err : fuzz_devnull();
}

static inline void fuzz_stdio_restore(void)
{
	if (!fuzz_saved.swapped)
		return;
	stdout = fuzz_saved.out;
	stderr = fuzz_saved.err;
	fuzz_saved.swapped = false;
}

static inline void fuzz_quiet(void)
{
	fuzz_stdio_redirect(NULL, NULL);
}

/* ---- invariants --------------------------------------------------------- */

/* A broken invariant is a crash for libFuzzer: the message, then abort() (ASan prints the
 * stack and libFuzzer saves the input). */
#define FUZZ_CHECK(cond, ...)                                                         \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fuzz_stdio_restore();                                         \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__,    \
				__LINE__, #cond);                                     \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
			abort();                                                      \
		}                                                                     \
	} while (0)

#endif
