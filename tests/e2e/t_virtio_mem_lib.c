/* Helpers of the virtio-mem e2e tests (t_virtio_mem.h). */
#include "t_virtio_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool vm_boot_with(struct ut *t, const char *mem, const char *const *extra)
{
    static char qarg[320], harg[320];
    const char *argv[40];
    size_t n = 0;

    snprintf(t->qsock, sizeof(t->qsock), "%s/qmp.sock", e2e_tmpdir());
    snprintf(t->hsock, sizeof(t->hsock), "%s/hmp.sock", e2e_tmpdir());
    snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", t->qsock);
    snprintf(harg, sizeof(harg), "unix:%s,server=on,wait=off", t->hsock);
    for (size_t i = 0; extra && extra[i] && n < 34; i++)
        argv[n++] = extra[i];
    argv[n++] = "-qmp";
    argv[n++] = qarg;
    argv[n++] = "-monitor";
    argv[n++] = harg;
    argv[n] = NULL;
    struct e2e_vm_opts o = {.vmm = E2E_VMM_PLUGVM, .mem = mem, .smp = 2, .extra = argv};
    return e2e_vm_boot(&t->vm, &o, 120) && uq_open(&t->q, t->qsock, 10) &&
           uh_open(&t->h, t->hsock, 10);
}

bool vm_request(struct ut *t, const char *id, long long bytes)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"%s\","
             "\"property\":\"requested-size\",\"value\":%lld}}", id, bytes);
    e2e_log("%s: requested-size %lld MiB", id, bytes / VM_MIB);
    return uq_ok(&t->q, cmd, NULL, 10);
}

long long vm_qom_int(struct ut *t, const char *id, const char *property)
{
    char cmd[256], *r = NULL;
    long long v = -1;
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"%s\","
             "\"property\":\"%s\"}}", id, property);
    if (uq_ok(&t->q, cmd, &r, 10) && !qc_json_int(r, "return", &v)) {
        e2e_fail("qom-get %s %s: %s", id, property, r);
        v = -1;
    }
    free(r);
    return v;
}

bool vm_wait_size(struct ut *t, const char *id, long long bytes, double timeout_s)
{
    double deadline = e2e_elapsed() + timeout_s;
    long long v;
    do {
        if ((v = vm_qom_int(t, id, "size")) < 0)
            return false;
        if (v == bytes)
            return true;
        usleep(300000);
    } while (e2e_elapsed() < deadline);
    return e2e_fail("%s: size %lld after %.0f s, expected %lld", id, v, timeout_s, bytes);
}

int vm_iomem_blocks(struct ut *t)
{
    char *out = NULL;
    int n = -1;
    /* grep -c prints 0 and exits 1 when nothing matches. */
    if (e2e_vm_sh(&t->vm, "grep -c 'System RAM (virtio_mem)' /proc/iomem; true", &out, 30))
        n = atoi(out);
    free(out);
    return n;
}

bool vm_wait_iomem_empty(struct ut *t, double timeout_s)
{
    double t0 = e2e_elapsed(), deadline = t0 + timeout_s;
    int n;
    do {
        if ((n = vm_iomem_blocks(t)) < 0)
            return false;
        if (n == 0) {
            e2e_log("no virtio_mem memory block left in /proc/iomem (%.1f s)",
                    e2e_elapsed() - t0);
            return true;
        }
        usleep(500000);
    } while (e2e_elapsed() < deadline);
    return e2e_fail("%d 'System RAM (virtio_mem)' ranges still in /proc/iomem after %.0f s", n,
                    timeout_s);
}

bool vm_wait_node_memtotal(struct ut *t, int node, long want_kb, long tol_kb, double timeout_s,
                           long *got)
{
    double deadline = e2e_elapsed() + timeout_s;
    long kb;
    do {
        if ((kb = qc_node_memtotal(&t->vm, node)) < 0)
            return false;
        if (got)
            *got = kb;
        if (labs(kb - want_kb) <= tol_kb)
            return true;
        usleep(300000);
    } while (e2e_elapsed() < deadline);
    return e2e_fail("node%d MemTotal %ld kB after %.0f s, expected %ld kB (+-%ld)", node, kb,
                    timeout_s, want_kb, tol_kb);
}

int vm_env_int(const char *name, int fallback)
{
    int n = atoi(e2e_getenv_or(name, ""));
    return n > 0 ? n : fallback;
}

bool vm_file_md5(struct ut *t, const char *path, double timeout_s, char *sum, size_t n)
{
    char cmd[256], *out = NULL;
    snprintf(cmd, sizeof(cmd), "md5sum %s | cut -d' ' -f1", path);
    bool ok = e2e_vm_sh(&t->vm, cmd, &out, timeout_s) && strlen(out) >= 32;
    if (ok)
        snprintf(sum, n, "%.32s", out);
    else
        e2e_fail("md5sum of %s printed '%s'", path, out ? out : "");
    free(out);
    return ok;
}
