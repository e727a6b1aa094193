/* Fault injection in a running guest (issue 17, scope 5; docs/testing.md, "Fault
 * injection"): plugvm started with PLUGVM_FAULT_INJECTION=1, each site armed in turn for
 * one object-add or device_add. Each failure is one QMP GenericError naming the operation
 * and the errno, and changes nothing: query-memory-devices, the guest's MemTotal, plugvm's
 * fds, threads and address space; the guest's shell still answers. Then the same ids are
 * hot-added and come online, with the deferred event FIFO "full", so the guest's _OST
 * events are sent from the vCPU thread. The sandbox is on (a file backend in its
 * mem-path directory): nothing a failure path does may be a call it forbids. */
#include "e2e.h"
#include "qmp_client.h"
#include "t_unplug.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DIMM_SIZE (256ull << 20)

struct fault_case {
    const char *site, *err_name;
    const char *strerror_text; /* the errno as plugvm words it (strerror) */
    const char *object;        /* object-add's arguments (%s: the mem-path directory), or
                                * NULL for a device_add of d1 on m1 */
    const char *operation;     /* what the error must name */
};

static const struct fault_case cases[] = {
    {"backend-mmap", "ENOMEM", "Cannot allocate memory",
     "{\"qom-type\":\"memory-backend-ram\",\"id\":\"m1\",\"size\":268435456}", "cannot map"},
    {"memfd-create", "EMFILE", "Too many open files",
     "{\"qom-type\":\"memory-backend-memfd\",\"id\":\"m1\",\"size\":268435456}", "memfd_create"},
    {"backend-ftruncate", "ENOSPC", "No space left on device",
     "{\"qom-type\":\"memory-backend-file\",\"id\":\"m1\",\"size\":268435456,"
     "\"mem-path\":\"%s\"}", "ftruncate"},
    {"backend-fallocate", "ENOSPC", "No space left on device",
     "{\"qom-type\":\"memory-backend-memfd\",\"id\":\"m1\",\"size\":268435456,"
     "\"prealloc\":true}", "fallocate"},
    {"kvm-set-memory-region", "ENOMEM", "Cannot allocate memory", NULL,
     "KVM_SET_USER_MEMORY_REGION"},
    {"kvm-set-memory-region", "EEXIST", "File exists", NULL, "KVM_SET_USER_MEMORY_REGION"},
};

static const char *const add_d1 =
    "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\",\"id\":\"d1\","
    "\"memdev\":\"m1\"}}";

/* Files in dir, or -1. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

struct held {
    int fds, threads;
    long vm_kb, memtotal;
    char *devices;
};

static bool snapshot(struct e2e_vm *vm, struct qc *q, struct held *h)
{
    h->fds = proc_fds(vm->pid);
    h->threads = (int)proc_status(vm->pid, "Threads");
    h->vm_kb = proc_status(vm->pid, "VmSize");
    h->memtotal = qc_memtotal(vm);
    h->devices = NULL;
    return h->fds > 0 && h->threads > 0 && h->vm_kb > 0 && h->memtotal > 0 &&
           qc_ok(q, "{\"execute\":\"query-memory-devices\"}", &h->devices, 10);
}

/* Nothing of the failed request is left, and the guest still answers. A leaked backend
 * would add its 256 MiB to plugvm's address space. */
static bool unchanged(struct e2e_vm *vm, struct qc *q, const struct held *before)
{
    struct held now;
    bool ok = false;

    if (!snapshot(vm, q, &now))
        goto out;
    if (now.fds != before->fds || now.threads != before->threads) {
        e2e_fail("plugvm holds %d fds and %d threads, %d and %d before", now.fds, now.threads,
                 before->fds, before->threads);
        goto out;
    }
    if (now.vm_kb > before->vm_kb + 64 * 1024) {
        e2e_fail("plugvm's address space grew from %ld to %ld kB", before->vm_kb, now.vm_kb);
        goto out;
    }
    if (now.memtotal != before->memtotal) {
        e2e_fail("guest MemTotal %ld kB, %ld before", now.memtotal, before->memtotal);
        goto out;
    }
    if (strcmp(now.devices, before->devices) != 0) {
        e2e_fail("query-memory-devices changed: %s, before %s", now.devices, before->devices);
        goto out;
    }
    ok = e2e_vm_sh(vm, "echo guest-alive", NULL, 30);
out:
    free(now.devices);
    return ok;
}

static bool arm(struct qc *q, const char *site, const char *err_name, int count)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "{\"execute\":\"x-plugvm-inject-fault\",\"arguments\":"
             "{\"site\":\"%s\",\"errno\":\"%s\",\"count\":%d}}", site, err_name, count);
    return qc_ok(q, cmd, NULL, 10);
}

/* One case: armed, the request fails with the error it must, nothing changes. */
static bool one_fault(struct e2e_vm *vm, struct qc *q, const struct fault_case *c,
                      const char *memdir)
{
    char object[512], cmd[640], *reply = NULL;
    struct held before;
    bool ok = false;

    if (c->object) {
        snprintf(object, sizeof(object), c->object, memdir);
        snprintf(cmd, sizeof(cmd), "{\"execute\":\"object-add\",\"arguments\":%s}", object);
    } else {
        snprintf(cmd, sizeof(cmd), "%s", add_d1);
    }
    if (!snapshot(vm, q, &before) || !arm(q, c->site, c->err_name, 1))
        goto out;
    reply = qc_exec(q, cmd, 10);
    if (!reply || !strstr(reply, "\"class\":\"GenericError\"") ||
        !strstr(reply, c->operation) || !strstr(reply, c->strerror_text)) {
        e2e_fail("%s %s: expected a GenericError naming '%s' and '%s', got %s", c->site,
                 c->err_name, c->operation, c->strerror_text, reply ? reply : "(nothing)");
        goto out;
    }
    e2e_log("%s %s: %s", c->site, c->err_name, reply);
    if (!unchanged(vm, q, &before))
        goto out;
    if (count_entries(memdir) != 0) {
        e2e_fail("%s: a file was left in %s", c->site, memdir);
        goto out;
    }
    ok = true;
out:
    free(reply);
    free(before.devices);
    return ok;
}

bool test_fault_injection(void)
{
    static char qarg[320], sarg[320], memdir[256];
    char qsock[256];
    struct e2e_vm vm = E2E_VM_INIT;
    struct qc q = QC_INIT;
    bool ok = false;
    long base;
    int mark;

    snprintf(qsock, sizeof(qsock), "%s/qmp.sock", e2e_tmpdir());
    snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", qsock);
    snprintf(memdir, sizeof(memdir), "%s/mem", e2e_tmpdir());
    if (mkdir(memdir, 0700) < 0)
        return e2e_fail("mkdir %s: %s", memdir, strerror(errno));
    snprintf(sarg, sizeof(sarg), "on,mem-path=%s", memdir);
    const char *extra[] = {"-qmp", qarg, "-sandbox", sarg, NULL};
    struct e2e_vm_opts o = {.vmm = E2E_VMM_PLUGVM, .mem = "512M,slots=4,maxmem=4G",
                            .extra = extra};
    /* The VMM inherits the runner's environment; only this plugvm gets the switch. */
    setenv("PLUGVM_FAULT_INJECTION", "1", 1);
    bool booted = e2e_vm_boot(&vm, &o, 120);
    unsetenv("PLUGVM_FAULT_INJECTION");
    if (!booted || !qc_open(&q, qsock, 10) || (base = qc_memtotal(&vm)) < 0)
        goto out;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* The KVM cases need the backend; it is made once, with the id every failed
         * object-add left free. */
        if (!cases[i].object && (i == 0 || cases[i - 1].object) &&
            !qc_ok(&q, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"
                       "\"memory-backend-ram\",\"id\":\"m1\",\"size\":268435456}}", NULL, 10))
            goto out;
        if (!one_fault(&vm, &q, &cases[i], memdir))
            goto out;
    }
    e2e_log("every site failed its request alone; nothing changed, the guest answers");

    /* The same ids, with the event FIFO "full": the guest's _OST is held back and the
     * next tick (within a second) sends it; nothing is sent from the guest's exit. */
    if (!arm(&q, "deferred-queue-full", "ENOSPC", 16))
        goto out;
    mark = qc_mark(&q);
    if (!qc_ok(&q, add_d1, NULL, 10))
        goto out;
    const char *conds[] = {"\"device\":\"d1\"", "\"source\":1,", "\"status\":0}", NULL};
    if (qc_wait_event(&q, mark, "ACPI_DEVICE_OST", conds, 60) < 0 ||
        !qc_wait_memtotal(&vm, base + (long)(DIMM_SIZE >> 10), 0, 60))
        goto out;
    char *devices = NULL;
    if (!qc_ok(&q, "{\"execute\":\"query-memory-devices\"}", &devices, 10))
        goto out;
    bool listed = strstr(devices, "\"id\":\"d1\"") && strstr(devices, "\"memdev\":\"/objects/m1\"");
    free(devices);
    if (!listed) {
        e2e_fail("query-memory-devices does not list d1 on m1");
        goto out;
    }
    if (!qc_blocks_online(&vm, 0x100000000ull, DIMM_SIZE, "Movable", 30))
        goto out;
    e2e_log("d1 on m1 hot-added after the failures: online, MemTotal +%llu kB",
            (unsigned long long)(DIMM_SIZE >> 10));
    if (strstr(vm.con.buf, "sandbox: blocked")) {
        e2e_fail("plugvm reported a blocked system call");
        goto out;
    }
    ok = true;
out:
    qc_close(&q);
    e2e_vm_destroy(&vm);
    return ok;
}
