/* hpregs: read and write plugvm's memory hotplug registers from inside the guest
 * (I/O ports 0x0B00-0x0B2F, 32-bit accesses, docs/hotplug-protocol.md), bypassing the
 * kernel's ACPI code.  Used by the e2e test hostile_registers.
 *
 *   hpregs read OFF          prints the 32-bit register at MEMHP_IO_BASE+OFF as 0x%08x
 *   hpregs write OFF VAL     one 32-bit OUT
 *   hpregs flood N           N reads of QUEUE (0x28); prints how many were non-zero
 *   hpregs garbage N SEED    N random 32-bit writes (and reads) across all 12 registers;
 *                            a selector write never selects a real slot (< 0x100), so
 *                            the garbage cannot eject a DIMM by chance
 *
 * OFF and VAL take C notation (0x...).  Built static by guest/build.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>

#define BASE 0x0B00u
#define LEN 0x30u
#define REG_SEL 0x00u
#define REG_QUEUE 0x28u

static unsigned long num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || end == s || *end) {
        fprintf(stderr, "hpregs: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static unsigned off_arg(const char *s)
{
    unsigned long o = num(s);
    if (o >= LEN || (o & 3)) {
        fprintf(stderr, "hpregs: offset %s is not a register (0x00..0x2c, step 4)\n", s);
        exit(2);
    }
    return (unsigned)o;
}

/* xorshift32: a reproducible stream from the seed. */
static uint32_t rnd(uint32_t *st)
{
    uint32_t x = *st;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *st = x;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hpregs read OFF | write OFF VAL | flood N | garbage N SEED\n");
        return 2;
    }
    if (ioperm(BASE, LEN, 1) < 0 && iopl(3) < 0) {
        fprintf(stderr, "hpregs: ioperm/iopl: %s\n", strerror(errno));
        return 1;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "read") == 0 && argc == 3) {
        printf("0x%08x\n", inl((unsigned short)(BASE + off_arg(argv[2]))));
    } else if (strcmp(cmd, "write") == 0 && argc == 4) {
        outl((unsigned)num(argv[3]), (unsigned short)(BASE + off_arg(argv[2])));
    } else if (strcmp(cmd, "flood") == 0 && argc == 3) {
        unsigned long n = num(argv[2]), nonzero = 0;
        for (unsigned long i = 0; i < n; i++)
            if (inl(BASE + REG_QUEUE))
                nonzero++;
        printf("flood %lu reads, %lu non-zero\n", n, nonzero);
    } else if (strcmp(cmd, "garbage") == 0 && argc == 4) {
        unsigned long n = num(argv[2]);
        uint32_t st = (uint32_t)num(argv[3]) | 1u;
        for (unsigned long i = 0; i < n; i++) {
            unsigned off = (rnd(&st) % (LEN / 4)) * 4;
            uint32_t v = rnd(&st);
            if (off == REG_SEL && v < 0x100)
                v |= 0x100; /* never a real slot */
            if (rnd(&st) & 1)
                outl(v, (unsigned short)(BASE + off));
            else
                (void)inl((unsigned short)(BASE + off));
        }
        printf("garbage %lu accesses done\n", n);
    } else {
        fprintf(stderr, "hpregs: bad command line\n");
        return 2;
    }
    return 0;
}
