/* Shared helpers of the hot-remove e2e tests (t_unplug*.c): a small QMP client that
 * keeps every event it sees, an HMP client, and a plugvm VM with both sockets.
 *
 * QMP messages are kept "compacted": whitespace outside strings removed, so a test can
 * look for `"device":"dimm1"` whatever spacing the server uses. */
#ifndef PLUGVM_E2E_T_UNPLUG_H
#define PLUGVM_E2E_T_UNPLUG_H

#include "e2e.h"
#include "qmp_client.h" /* qc_json_int, qc_memtotal, qc_wait_memtotal */

#include <stdint.h>

struct uq {
    struct e2e_stream s;
    size_t scan;          /* s.buf up to here has been split into messages */
    char **ev;            /* every event so far, compacted, in arrival order */
    int nev, cap;
    char **rep;           /* replies not yet taken by uq_exec, oldest first */
    int nrep, repcap;
    /* The VMM may end at any moment (a guest that pulled memory from under itself): a
     * closed connection is then logged and the call returns NULL/false, but it is not a
     * failure by itself; the caller judges the VMM's exit. */
    bool may_close;
    bool closed;
};

/* Connects, reads the greeting and negotiates capabilities. */
bool uq_open(struct uq *q, const char *path, double timeout_s);
void uq_close(struct uq *q);
/* Reads what has arrived within ms milliseconds and files it.  False on EOF. */
bool uq_pump(struct uq *q, int ms);
/* Sends raw text (one or more requests). */
bool uq_send(struct uq *q, const char *text);
/* Waits for the next reply (compacted, malloc'ed), returns NULL with a diagnostic. */
char *uq_reply(struct uq *q, double timeout_s);
/* Sends one request and returns its reply (compacted, malloc'ed) or NULL. */
char *uq_exec(struct uq *q, const char *json, double timeout_s);
/* The request must succeed; *ret (may be NULL) gets the whole reply. */
bool uq_ok(struct uq *q, const char *json, char **ret, double timeout_s);
/* The request must fail and the error text must contain want (if not NULL). */
bool uq_err(struct uq *q, const char *json, const char *want, double timeout_s);

/* Matching an event: its name, and every condition of a NULL-terminated list, each
 * either a substring of the compacted event (`"device":"dimm1"`) or KEY=INTEGER, which
 * compares the first integer member named KEY (`status=132`). */
int uq_find_event(struct uq *q, int from, const char *name, const char *const *conds);
/* Waits until a matching event with index >= from exists and returns its index, or -1
 * (with a diagnostic listing the events seen). */
int uq_wait_event(struct uq *q, int from, const char *name, const char *const *conds,
                  double timeout_s);
/* Number of events named name (with conds) at index >= from. */
int uq_count_events(struct uq *q, int from, const char *name, const char *const *conds);
void uq_dump_events(struct uq *q, int from);

/* HMP over a unix socket. */
struct uh {
    struct e2e_stream s;
};
bool uh_open(struct uh *h, const char *path, double timeout_s);
void uh_close(struct uh *h);
/* Runs one command line; returns its output (malloc'ed, echo included) or NULL. */
char *uh_cmd(struct uh *h, const char *line, double timeout_s);

/* plugvm with a QMP socket (and an HMP socket when hmp is set). */
struct ut {
    struct e2e_vm vm;
    struct uq q;
    struct uh h;
    char qsock[256], hsock[256];
};
#define UT_INIT {.vm = E2E_VM_INIT, .q = {.s = {.fd = -1}}, .h = {.s = {.fd = -1}}}
bool ut_boot(struct ut *t, const char *append, bool hmp);
/* The same on a chosen VMM (QEMU -machine pc speaks the same QMP for pc-dimms). */
bool ut_boot_on(struct ut *t, enum e2e_vmm_kind vmm, const char *append, bool hmp);
/* E2E_STRESS_VMM=qemu runs endurance and data_integrity on QEMU instead of plugvm: a
 * reference run, to tell the test bed's own failures from plugvm's (docs/testing.md). */
enum e2e_vmm_kind ut_stress_vmm(void);
/* ... with smp vCPUs; E2E_STRESS_SMP (default 2) for the stress tests. */
bool ut_boot_smp(struct ut *t, enum e2e_vmm_kind vmm, const char *append, bool hmp, int smp);
int ut_stress_smp(void);
bool ut_poweroff(struct ut *t);
void ut_destroy(struct ut *t);

/* object-add memory-backend-ram (size in MiB) + device_add pc-dimm, then waits for the
 * guest's _OST(1, 0) for it. */
bool ut_plug(struct ut *t, const char *mem, const char *dimm, unsigned size_mib);
/* The same for any backend: object_json is object-add's arguments (with "id": mem). */
bool ut_plug_backend(struct ut *t, const char *object_json, const char *mem, const char *dimm);
/* device_del: the reply, then ACPI_DEVICE_OST(3, 0x84), DEVICE_DELETED and
 * ACPI_DEVICE_OST(3, 0) in this order; then object-del (when mem is not NULL). */
bool ut_unplug(struct ut *t, const char *mem, const char *dimm, double timeout_s);
/* Number of DIMMs in query-memory-devices, or -1. */
int ut_dimm_count(struct ut *t);
/* addr, size and slot of a DIMM from query-memory-devices. */
bool ut_dimm_info(struct ut *t, const char *dimm, uint64_t *addr, uint64_t *size, int *slot);

/* A number from /proc/PID/status ("VmRSS", "Threads"), or -1. */
/* Free kB of the guest's Movable zone (where hot-plugged memory goes with
 * memhp_default_state=online_movable; boot RAM is never Movable), or -1. */
long movable_free_kb(struct ut *t);
long proc_status(pid_t pid, const char *key);
/* Entries in /proc/PID/fd, or -1. */
int proc_fds(pid_t pid);

#endif
