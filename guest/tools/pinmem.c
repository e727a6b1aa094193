/* pinmem: pin one page of anonymous memory that lies inside a physical range, so that
 * the guest kernel cannot migrate it and offlining that memory cannot finish.
 *
 *   pinmem BASE LEN       (C notation, e.g. 0x480000000 0x40000000)
 *
 * Allocates and touches anonymous memory (up to 512 MiB, in 16 MiB steps) until a page
 * whose physical address (from /proc/self/pagemap, needs root) lies in [BASE, BASE+LEN)
 * turns up, puts a reference to that page into a pipe with vmsplice(2) and never reads
 * it, frees the rest, prints "pinmem: pinned 0xPHYS" and sleeps until killed.  Memory
 * offlining retries the migration of such a page for as long as the reference exists,
 * so an ACPI eject of that DIMM stays "in progress" (_OST 0x84) until pinmem dies.
 * Used by the e2e test unplug_pending.  Built static by guest/build.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define STEP (16ul << 20)
#define MAXSTEPS 32

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pinmem BASE LEN\n");
        return 2;
    }
    uint64_t base = strtoull(argv[1], NULL, 0), len = strtoull(argv[2], NULL, 0);
    long pg = sysconf(_SC_PAGESIZE);
    int pm = open("/proc/self/pagemap", O_RDONLY);
    if (pm < 0) {
        perror("pinmem: /proc/self/pagemap");
        return 1;
    }
    char *chunks[MAXSTEPS];
    int n = 0;
    for (; n < MAXSTEPS; n++) {
        char *p = mmap(NULL, STEP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("pinmem: mmap");
            return 1;
        }
        chunks[n] = p;
        for (unsigned long off = 0; off < STEP; off += (unsigned long)pg) {
            p[off] = 0x5a;
            uint64_t ent;
            off_t at = (off_t)(((uintptr_t)(p + off) / (uintptr_t)pg) * sizeof(ent));
            if (pread(pm, &ent, sizeof(ent), at) != sizeof(ent)) {
                perror("pinmem: pread pagemap");
                return 1;
            }
            uint64_t pfn = ent & ((1ull << 55) - 1);
            if (!(ent >> 63) || pfn == 0)
                continue; /* not present, or PFNs hidden (not root) */
            uint64_t phys = pfn * (uint64_t)pg;
            if (phys < base || phys - base >= len)
                continue;
            int pfd[2];
            if (pipe(pfd) < 0) {
                perror("pinmem: pipe");
                return 1;
            }
            struct iovec iov = {p + off, (size_t)pg};
            if (vmsplice(pfd[1], &iov, 1, 0) != pg) {
                perror("pinmem: vmsplice");
                return 1;
            }
            for (int i = 0; i <= n; i++) {
                if (chunks[i] == p) {
                    /* keep the pinned page mapped, free the rest of its chunk */
                    if (off)
                        munmap(p, off);
                    if (off + (unsigned long)pg < STEP)
                        munmap(p + off + pg, STEP - off - (unsigned long)pg);
                } else {
                    munmap(chunks[i], STEP);
                }
            }
            printf("pinmem: pinned 0x%llx\n", (unsigned long long)phys);
            fflush(stdout);
            for (;;)
                pause();
        }
    }
    fprintf(stderr, "pinmem: no page in [0x%llx, +0x%llx) after %d MiB\n",
            (unsigned long long)base, (unsigned long long)len, MAXSTEPS * 16);
    return 1;
}
