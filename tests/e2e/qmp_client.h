/* A small QMP / HMP client for the e2e tests, plus guest-side memory helpers.
 *
 * QMP messages are kept "compacted" (whitespace outside strings removed), so a test can
 * look for `"memdev":"/objects/mem1"` whatever spacing the server uses.  Every message
 * seen (replies and events) is kept in arrival order; replies are taken in order by
 * qc_exec, events are searched with qc_wait_event from an index the test remembers.
 *
 * Everything here is prefixed qc_ so it never collides with other tests' helpers. */
#ifndef PLUGVM_E2E_QMP_CLIENT_H
#define PLUGVM_E2E_QMP_CLIENT_H

#include "e2e.h"

#include <stdint.h>

struct qc_msg {
    char *text;   /* compacted */
    bool event;   /* has a top-level "event" member */
    bool taken;   /* a reply already returned by qc_exec */
};

struct qc {
    struct e2e_stream s;
    size_t scan;  /* s.buf is split into messages up to here */
    struct qc_msg *m;
    int n, cap;
};
#define QC_INIT {.s = {.fd = -1}}

/* Connects (retrying until timeout), reads the greeting and negotiates. */
bool qc_open(struct qc *q, const char *path, double timeout_s);
void qc_close(struct qc *q);
/* Sends one request and returns its reply (compacted, malloc'ed) or NULL on timeout/EOF. */
char *qc_exec(struct qc *q, const char *json, double timeout_s);
/* The request must succeed; *reply (may be NULL) gets the whole compacted reply. */
bool qc_ok(struct qc *q, const char *json, char **reply, double timeout_s);
/* The request must fail; *desc (may be NULL) gets the error's desc (malloc'ed). */
bool qc_err(struct qc *q, const char *json, char **desc, double timeout_s);
/* Number of messages (events included) seen so far: a starting point for qc_wait_event. */
int qc_mark(struct qc *q);
/* Waits for an event named name at message index >= from whose compacted text contains
 * every string of the NULL-terminated list conds (NULL: no conditions).  Returns its
 * index, or -1 with a diagnostic listing the events seen. */
int qc_wait_event(struct qc *q, int from, const char *name, const char *const *conds,
                  double timeout_s);
const char *qc_msg(struct qc *q, int i);

/* Compacts JSON text: whitespace outside strings removed (malloc'ed). */
char *qc_compact(const char *text);
/* An integer member "key":N anywhere in a compacted message; false if absent. */
bool qc_json_int(const char *msg, const char *key, long long *out);
/* The innermost {...} object of a compacted message that contains needle (e.g.
 * `"id":"d1"`), malloc'ed; NULL if none. */
char *qc_object_with(const char *msg, const char *needle);
/* Number of occurrences of needle in s. */
int qc_count(const char *s, const char *needle);

/* HMP over a unix socket (-monitor unix:...). */
struct qc_hmp {
    struct e2e_stream s;
    const char *prompt;
};
#define QC_HMP_INIT {.s = {.fd = -1}}
/* Connects and waits for the first prompt. */
bool qc_hmp_open(struct qc_hmp *h, const char *path, const char *prompt, double timeout_s);
void qc_hmp_close(struct qc_hmp *h);
/* Runs one command line; returns its output (echo line removed, \r removed, malloc'ed). */
char *qc_hmp_cmd(struct qc_hmp *h, const char *line, double timeout_s);

/* A guest shell pipeline printing every worrying kernel log line: ACPI errors and
 * warnings, firmware bugs, memory hotplug failures, kernel WARNINGs and BUGs.  One WARNING
 * is left out: the bed's TCG CPU (-cpu max) reports XSAVE sizes the kernel finds
 * inconsistent (arch/x86/kernel/fpu/xstate.c), under QEMU-KVM in L1 exactly as under
 * plugvm.  grep exits 1 with no output when the log is clean. */
#define QC_DMESG_PROBLEMS                                                                 \
    "dmesg | grep -E 'ACPI (BIOS )?(Error|Warning)|ACPI Exception|Firmware Bug|FW_BUG|"   \
    "acpi_memhotplug|add_memory|WARNING:|BUG:|not on the same node' | grep -v 'at arch/x86/kernel/fpu/xstate.c'"

/* ---- guest memory ----------------------------------------------------------------------- */

/* Guest MemTotal in kB, or -1. */
long qc_memtotal(struct e2e_vm *vm);
/* MemTotal (kB) of NUMA node `node` (/sys/devices/system/node/nodeN/meminfo), or -1. */
long qc_node_memtotal(struct e2e_vm *vm, int node);
/* Polls until MemTotal equals want_kb exactly (tolerance tol_kb). */
bool qc_wait_memtotal(struct e2e_vm *vm, long want_kb, long tol_kb, double timeout_s);
/* Guest memory block size in bytes (from sysfs), or 0. */
uint64_t qc_block_size(struct e2e_vm *vm);
/* Every memory block in [addr, addr+size) exists, is online and its valid_zones is zone
 * (e.g. "Movable"); waits up to timeout_s for them to come online. */
bool qc_blocks_online(struct e2e_vm *vm, uint64_t addr, uint64_t size, const char *zone,
                      double timeout_s);

#endif
