/* Hot-add tests (issue 3): plugvm with a QMP socket (and an HMP socket), DIMMs added
 * through QMP and HMP, cold-plugged, on a NUMA node, until the slots are full, every
 * error case, memfd/hugetlbfs backends, and data written into hot-added memory. */
#include "e2e.h"
#include "qmp_client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GiB ((uint64_t)1 << 30)
#define MiB ((uint64_t)1 << 20)
#define BOOT_512M_BASE ((uint64_t)0x100000000) /* hotplug window base with < 3 GiB of boot RAM */

struct hv {
    struct e2e_vm vm;
    struct qc q;
    struct qc_hmp h;
    char qsock[256], hsock[256];
};
#define HV_INIT {.vm = E2E_VM_INIT, .q = QC_INIT, .h = QC_HMP_INIT}

/* Boots plugvm (the tests drive plugvm explicitly: QEMU's reference test is t_qmp.c)
 * with a QMP socket, an HMP socket when hmp is set, and extra arguments. */
static bool hv_boot(struct hv *t, const char *mem, const char *const *extra, bool hmp)
{
    char qarg[320], harg[320];
    const char *args[40];
    size_t n = 0;

    snprintf(t->qsock, sizeof(t->qsock), "%s/qmp.sock", e2e_tmpdir());
    snprintf(t->hsock, sizeof(t->hsock), "%s/hmp.sock", e2e_tmpdir());
    snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", t->qsock);
    snprintf(harg, sizeof(harg), "unix:%s,server=on,wait=off", t->hsock);
    args[n++] = "-qmp";
    args[n++] = qarg;
    if (hmp) {
        args[n++] = "-monitor";
        args[n++] = harg;
    }
    for (size_t i = 0; extra && extra[i] && n < 38; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    struct e2e_vm_opts opts = {.vmm = E2E_VMM_PLUGVM, .mem = mem, .smp = 2, .extra = args};
    if (!e2e_vm_boot(&t->vm, &opts, 120) || !qc_open(&t->q, t->qsock, 10))
        return false;
    return !hmp || qc_hmp_open(&t->h, t->hsock, "(plugvm) ", 10);
}

static void hv_destroy(struct hv *t)
{
    qc_hmp_close(&t->h);
    qc_close(&t->q);
    e2e_vm_destroy(&t->vm);
}

static bool object_add(struct hv *t, const char *type, const char *id, const char *props)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"%s\",\"id\":\"%s\"%s%s}}",
             type, id, props && *props ? "," : "", props ? props : "");
    return qc_ok(&t->q, cmd, NULL, 10);
}

static bool ram_add(struct hv *t, const char *id, uint64_t size)
{
    char props[64];
    snprintf(props, sizeof(props), "\"size\":%" PRIu64, size);
    return object_add(t, "memory-backend-ram", id, props);
}

/* device_add pc-dimm id=dimm memdev=mem plus more (JSON members, may be NULL). */
static char *dimm_json(const char *dimm, const char *mem, const char *more)
{
    char *cmd;
    if (asprintf(&cmd,
                 "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\",\"id\":\"%s\","
                 "\"memdev\":\"%s\"%s%s}}",
                 dimm, mem, more ? "," : "", more ? more : "") < 0)
        abort();
    return cmd;
}

static bool dimm_add(struct hv *t, const char *dimm, const char *mem, const char *more)
{
    char *cmd = dimm_json(dimm, mem, more);
    bool ok = qc_ok(&t->q, cmd, NULL, 10);
    free(cmd);
    return ok;
}

/* Waits for the guest's _OST(Device Check = 1, success = 0) for dimm. */
static bool wait_ost_ok(struct hv *t, int from, const char *dimm, double timeout_s)
{
    char dev[96];
    snprintf(dev, sizeof(dev), "\"device\":\"%s\"", dimm);
    const char *conds[] = {dev, "\"source\":1,", "\"status\":0}", "\"slot-type\":\"DIMM\"", NULL};
    int i = qc_wait_event(&t->q, from, "ACPI_DEVICE_OST", conds, timeout_s);
    if (i >= 0)
        e2e_log("event: %s", qc_msg(&t->q, i));
    return i >= 0;
}

static int count_events(struct hv *t, int from, const char *name, const char *cond)
{
    int n = 0;
    char pat[128];
    qc_mark(&t->q);
    snprintf(pat, sizeof(pat), "\"event\":\"%s\"", name);
    for (int i = from; i < t->q.n; i++)
        if (t->q.m[i].event && strstr(t->q.m[i].text, pat) &&
            (!cond || strstr(t->q.m[i].text, cond)))
            n++;
    return n;
}

/* query-memory-devices, compacted (malloc'ed) or NULL. */
static char *memory_devices(struct hv *t)
{
    char *r = NULL;
    qc_ok(&t->q, "{\"execute\":\"query-memory-devices\"}", &r, 10);
    return r;
}

/* Checks dimm's entry in query-memory-devices; *addr gets its address. */
static bool check_dimm(struct hv *t, const char *dimm, const char *mem, uint64_t size, int slot,
                       int node, bool hotplugged, uint64_t *addr)
{
    char *r = memory_devices(t), idpat[96], want[160], *obj = NULL;
    bool ok = false;
    long long a;
    if (!r)
        return false;
    snprintf(idpat, sizeof(idpat), "\"id\":\"%s\"", dimm);
    obj = qc_object_with(r, idpat);
    if (!obj || !strstr(r, "\"type\":\"dimm\"")) {
        e2e_fail("query-memory-devices has no dimm '%s': %s", dimm, r);
        goto out;
    }
    const char *need[6];
    char s_slot[32], s_node[32], s_size[48], s_mem[96];
    snprintf(s_slot, sizeof(s_slot), "\"slot\":%d", slot);
    snprintf(s_node, sizeof(s_node), "\"node\":%d", node);
    snprintf(s_size, sizeof(s_size), "\"size\":%" PRIu64, size);
    snprintf(s_mem, sizeof(s_mem), "\"memdev\":\"/objects/%s\"", mem);
    need[0] = s_slot;
    need[1] = s_node;
    need[2] = s_size;
    need[3] = s_mem;
    need[4] = hotplugged ? "\"hotplugged\":true" : "\"hotplugged\":false";
    need[5] = "\"hotpluggable\":true";
    for (int i = 0; i < 6; i++) {
        /* Whole members only: "slot":1 must not match "slot":10. */
        snprintf(want, sizeof(want), "%s", need[i]);
        const char *p = strstr(obj, want);
        char next = p ? p[strlen(want)] : 0;
        if (!p || (next != ',' && next != '}')) {
            e2e_fail("query-memory-devices entry of '%s' lacks %s: %s", dimm, need[i], obj);
            goto out;
        }
    }
    if (!qc_json_int(obj, "addr", &a) || a <= 0) {
        e2e_fail("query-memory-devices entry of '%s' has no addr: %s", dimm, obj);
        goto out;
    }
    *addr = (uint64_t)a;
    e2e_log("query-memory-devices: %s", obj);
    ok = true;
out:
    free(obj);
    free(r);
    return ok;
}

/* No ACPI errors or kernel warnings in the guest's log. */
static bool dmesg_clean(struct e2e_vm *vm)
{
    char *out = NULL;
    int rc;
    if (!e2e_vm_run(vm, QC_DMESG_PROBLEMS, &out, &rc, 30))
        return false;
    bool ok = rc == 1 && !*out;
    if (!ok)
        e2e_fail("guest dmesg has errors (grep rc %d):\n%s", rc, out);
    free(out);
    return ok;
}

/* ---- hotadd_qmp --------------------------------------------------------------------------- */

bool test_hotadd_qmp(void)
{
    struct hv t = HV_INIT;
    char *out = NULL, *r = NULL;
    uint64_t addr = 0;
    bool ok = false;
    long before;
    int mark;
    double t0;

    if (!hv_boot(&t, "512M,slots=16,maxmem=64G", NULL, false) || (before = qc_memtotal(&t.vm)) < 0)
        goto out;
    e2e_log("MemTotal before: %ld kB", before);
    mark = qc_mark(&t.q);
    t0 = e2e_elapsed();
    if (!ram_add(&t, "mem1", GiB) || !dimm_add(&t, "dimm1", "mem1", NULL))
        goto out;
    if (!wait_ost_ok(&t, mark, "dimm1", 30))
        goto out;
    e2e_log("ACPI_DEVICE_OST(source 1, status 0) for dimm1 after %.2f s", e2e_elapsed() - t0);
    if (!qc_wait_memtotal(&t.vm, before + 1048576, 0, 30))
        goto out;
    e2e_log("MemTotal grew by exactly 1048576 kB after %.2f s", e2e_elapsed() - t0);

    if (!check_dimm(&t, "dimm1", "mem1", GiB, 0, 0, true, &addr))
        goto out;
    if (addr != BOOT_512M_BASE) {
        e2e_fail("dimm1 at 0x%" PRIx64 ", expected the window base 0x%" PRIx64, addr, BOOT_512M_BASE);
        goto out;
    }
    if (!qc_blocks_online(&t.vm, addr, GiB, "Movable", 10))
        goto out;

    /* lsmem: the DIMM is one online 1G range of its own. */
    if (!e2e_vm_sh(&t.vm, "lsmem -r -n -o RANGE,SIZE,STATE", &out, 30))
        goto out;
    if (!strstr(out, "0x0000000100000000-0x000000013fffffff 1G online\n")) {
        e2e_fail("lsmem does not show 0x0000000100000000-0x000000013fffffff 1G online:\n%s", out);
        goto out;
    }
    e2e_log("lsmem shows 0x0000000100000000-0x000000013fffffff 1G online");

    if (!qc_ok(&t.q, "{\"execute\":\"query-memory-size-summary\"}", &r, 10))
        goto out;
    if (!strstr(r, "\"base-memory\":536870912") || !strstr(r, "\"plugged-memory\":1073741824")) {
        e2e_fail("query-memory-size-summary: expected base 536870912, plugged 1073741824: %s", r);
        goto out;
    }
    free(r);
    r = NULL;
    if (!qc_ok(&t.q, "{\"execute\":\"query-acpi-ospm-status\"}", &r, 10))
        goto out;
    char *slot0 = qc_object_with(r, "\"device\":\"dimm1\"");
    bool good = slot0 && strstr(slot0, "\"slot\":\"0\"") && strstr(slot0, "\"source\":1") &&
                strstr(slot0, "\"status\":0");
    free(slot0);
    if (!good) {
        e2e_fail("query-acpi-ospm-status lacks dimm1 slot 0 source 1 status 0: %s", r);
        goto out;
    }
    if (count_events(&t, mark, "ACPI_DEVICE_OST", NULL) != 1) {
        e2e_fail("expected exactly one ACPI_DEVICE_OST for one hot-add");
        goto out;
    }
    if (!dmesg_clean(&t.vm))
        goto out;
    ok = true;
out:
    free(out);
    free(r);
    hv_destroy(&t);
    return ok;
}

/* ---- hotadd_hmp --------------------------------------------------------------------------- */

static const char expected_info[] = "Memory device [dimm]: \"dimm1\"\n"
                                    "  addr: 0x100000000\n"
                                    "  slot: 0\n"
                                    "  node: 0\n"
                                    "  size: 1073741824\n"
                                    "  memdev: /objects/mem1\n"
                                    "  hotplugged: true\n"
                                    "  hotpluggable: true\n";

/* The same plug in a paused QEMU (no guest needed): its `info memory-devices` text. */
static char *qemu_info_memory_devices(void)
{
    struct e2e_vm qemu = E2E_VM_INIT;
    struct qc_hmp h = QC_HMP_INIT;
    char sock[256], arg[320], *out = NULL, *info = NULL;
    snprintf(sock, sizeof(sock), "%s/qemu-hmp.sock", e2e_tmpdir());
    snprintf(arg, sizeof(arg), "unix:%s,server=on,wait=off", sock);
    char *argv[] = {(char *)e2e_getenv_or("E2E_QEMU", "qemu-system-x86_64"), "-enable-kvm",
                    "-cpu", "host", "-machine", "pc", "-nodefaults", "-display", "none", "-S",
                    "-m", "512M,slots=16,maxmem=64G", "-smp", "2", "-monitor", arg, NULL};
    if (!e2e_vm_spawn(&qemu, argv) || !qc_hmp_open(&h, sock, "(qemu) ", 30))
        goto out;
    if (!(out = qc_hmp_cmd(&h, "object_add memory-backend-ram,id=mem1,size=1G", 10)) || *out)
        goto out;
    free(out);
    if (!(out = qc_hmp_cmd(&h, "device_add pc-dimm,id=dimm1,memdev=mem1", 10)) || *out)
        goto out;
    info = qc_hmp_cmd(&h, "info memory-devices", 10);
out:
    if (out && *out)
        e2e_fail("QEMU printed: %s", out);
    free(out);
    qc_hmp_close(&h);
    e2e_vm_destroy(&qemu);
    return info;
}

bool test_hotadd_hmp(void)
{
    struct hv t = HV_INIT;
    char *out = NULL, *ref = NULL;
    uint64_t addr;
    bool ok = false;
    long before;
    int mark;

    if (!hv_boot(&t, "512M,slots=16,maxmem=64G", NULL, true) || (before = qc_memtotal(&t.vm)) < 0)
        goto out;
    if (!(out = qc_hmp_cmd(&t.h, "info memory-devices", 10)) || *out) {
        e2e_fail("info memory-devices before any plug: expected no output, got '%s'", out);
        goto out;
    }
    free(out);
    mark = qc_mark(&t.q);
    if (!(out = qc_hmp_cmd(&t.h, "object_add memory-backend-ram,id=mem1,size=1G", 10)) || *out) {
        e2e_fail("object_add: expected no output, got '%s'", out);
        goto out;
    }
    free(out);
    if (!(out = qc_hmp_cmd(&t.h, "device_add pc-dimm,id=dimm1,memdev=mem1", 10)) || *out) {
        e2e_fail("device_add: expected no output, got '%s'", out);
        goto out;
    }
    free(out);
    out = NULL;
    if (!wait_ost_ok(&t, mark, "dimm1", 30) || !qc_wait_memtotal(&t.vm, before + 1048576, 0, 30))
        goto out;
    e2e_log("MemTotal grew by exactly 1048576 kB");
    if (!check_dimm(&t, "dimm1", "mem1", GiB, 0, 0, true, &addr) ||
        !qc_blocks_online(&t.vm, addr, GiB, "Movable", 10))
        goto out;

    if (!(out = qc_hmp_cmd(&t.h, "info memory-devices", 10)))
        goto out;
    if (strcmp(out, expected_info) != 0) {
        e2e_fail("info memory-devices:\n%s\nexpected (QEMU's format):\n%s", out, expected_info);
        goto out;
    }
    e2e_log("info memory-devices matches QEMU's format");
    if (!(ref = qemu_info_memory_devices()))
        goto out;
    if (strcmp(out, ref) != 0) {
        e2e_fail("info memory-devices differs from QEMU's for the same plug:\nplugvm:\n%s\nQEMU:\n%s",
                 out, ref);
        goto out;
    }
    e2e_log("info memory-devices is byte for byte QEMU 's for the same plug");
    free(out);

    if (!(out = qc_hmp_cmd(&t.h, "info memory_size_summary", 10)))
        goto out;
    if (strcmp(out, "base memory: 536870912\nplugged memory: 1073741824\n") != 0) {
        e2e_fail("info memory_size_summary: %s", out);
        goto out;
    }
    free(out);
    /* An error through HMP changes nothing and reads like QEMU's. */
    if (!(out = qc_hmp_cmd(&t.h, "device_add pc-dimm,id=dimm1,memdev=mem1", 10)))
        goto out;
    if (strncmp(out, "Error: ", 7) != 0 || !strstr(out, "dimm1")) {
        e2e_fail("duplicate device_add through HMP: expected 'Error: ...dimm1...', got '%s'", out);
        goto out;
    }
    free(out);
    if (!(out = qc_hmp_cmd(&t.h, "info memory-devices", 10)) || strcmp(out, expected_info) != 0) {
        e2e_fail("info memory-devices changed after a failed device_add: %s", out);
        goto out;
    }
    if (!dmesg_clean(&t.vm))
        goto out;
    ok = true;
out:
    free(out);
    free(ref);
    hv_destroy(&t);
    return ok;
}

/* ---- coldplug ----------------------------------------------------------------------------- */

bool test_coldplug(void)
{
    struct hv t = HV_INIT;
    const char *extra[] = {"-object", "memory-backend-ram,id=m1,size=1G", "-device",
                           "pc-dimm,id=d1,memdev=m1", NULL};
    char *r = NULL;
    uint64_t addr;
    bool ok = false;
    long kb;

    if (!hv_boot(&t, "512M,slots=4,maxmem=4G", extra, false))
        goto out;
    if (!check_dimm(&t, "d1", "m1", GiB, 0, 0, false, &addr))
        goto out;
    if (addr != BOOT_512M_BASE) {
        e2e_fail("d1 at 0x%" PRIx64 ", expected the window base 0x%" PRIx64, addr, BOOT_512M_BASE);
        goto out;
    }
    /* The guest found the DIMM while booting: no QMP command was needed. */
    if (!qc_blocks_online(&t.vm, addr, GiB, "Movable", 20))
        goto out;
    if ((kb = qc_memtotal(&t.vm)) < 0)
        goto out;
    /* 512 MiB of boot RAM (less what the kernel keeps) + 1 GiB. */
    if (kb < 1024 * 1024 + 400 * 1024 || kb > 1536 * 1024) {
        e2e_fail("MemTotal %ld kB, expected 1 GiB + most of 512 MiB", kb);
        goto out;
    }
    e2e_log("MemTotal %ld kB includes the cold-plugged 1 GiB", kb);
    if (!qc_ok(&t.q,
               "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":"
               "\"info memory-devices\"}}",
               &r, 10))
        goto out;
    if (!strstr(r, "Memory device [dimm]: \\\"d1\\\"") ||
        !strstr(r, "  hotplugged: false\\r\\n  hotpluggable: true\\r\\n")) {
        e2e_fail("info memory-devices should say d1 hotplugged: false, hotpluggable: true: %s", r);
        goto out;
    }
    e2e_log("info memory-devices: d1 hotplugged: false, hotpluggable: true");
    free(r);
    r = NULL;
    if (!qc_ok(&t.q, "{\"execute\":\"query-memory-size-summary\"}", &r, 10))
        goto out;
    if (!strstr(r, "\"plugged-memory\":1073741824")) {
        e2e_fail("query-memory-size-summary: expected plugged-memory 1073741824: %s", r);
        goto out;
    }
    if (!dmesg_clean(&t.vm))
        goto out;
    ok = true;
out:
    free(r);
    hv_destroy(&t);
    return ok;
}

/* ---- numa_dimm ---------------------------------------------------------------------------- */

bool test_numa_dimm(void)
{
    struct hv t = HV_INIT;
    const char *extra[] = {"-object", "memory-backend-ram,id=m0,size=512M",
                           "-object", "memory-backend-ram,id=m1,size=512M",
                           "-numa", "node,nodeid=0,cpus=0,memdev=m0",
                           "-numa", "node,nodeid=1,cpus=1,memdev=m1", NULL};
    char *out = NULL, cmd[256];
    uint64_t addr;
    bool ok = false;
    long n0, n1, kb;
    int mark;

    if (!hv_boot(&t, "1G,slots=4,maxmem=4G", extra, false))
        goto out;
    if ((n0 = qc_node_memtotal(&t.vm, 0)) < 0 || (n1 = qc_node_memtotal(&t.vm, 1)) < 0)
        goto out;
    e2e_log("before: node0 %ld kB, node1 %ld kB", n0, n1);
    mark = qc_mark(&t.q);
    if (!ram_add(&t, "mem1", GiB) || !dimm_add(&t, "dimm1", "mem1", "\"node\":1") ||
        !wait_ost_ok(&t, mark, "dimm1", 30))
        goto out;
    if (!check_dimm(&t, "dimm1", "mem1", GiB, 0, 1, true, &addr) ||
        !qc_blocks_online(&t.vm, addr, GiB, "Movable", 20))
        goto out;
    /* node1's MemTotal grows by exactly 1 GiB, node0's does not move. */
    double deadline = e2e_elapsed() + 20;
    do {
        if ((kb = qc_node_memtotal(&t.vm, 1)) < 0)
            goto out;
    } while (kb != n1 + 1048576 && e2e_elapsed() < deadline && usleep(300000) == 0);
    if (kb != n1 + 1048576) {
        e2e_fail("node1 MemTotal %ld kB, expected %ld kB (+1 GiB)", kb, n1 + 1048576);
        goto out;
    }
    if ((kb = qc_node_memtotal(&t.vm, 0)) != n0) {
        e2e_fail("node0 MemTotal changed from %ld to %ld kB", n0, kb);
        goto out;
    }
    e2e_log("node1 MemTotal grew by exactly 1048576 kB; node0 unchanged");
    /* Every block of the DIMM belongs to node1, none to node0. */
    uint64_t bs = 128 * MiB, first = addr / bs, last = (addr + GiB) / bs - 1;
    snprintf(cmd, sizeof(cmd),
             "cd /sys/devices/system/node; for i in $(seq %" PRIu64 " %" PRIu64 "); do "
             "[ -e node1/memory$i ] && [ ! -e node0/memory$i ] || echo \"memory$i not on node1\"; "
             "done",
             first, last);
    if (!e2e_vm_sh(&t.vm, cmd, &out, 30))
        goto out;
    if (*out) {
        e2e_fail("memory blocks of the DIMM:\n%s", out);
        goto out;
    }
    e2e_log("memory blocks %" PRIu64 "-%" PRIu64 " are node1's", first, last);
    if (!dmesg_clean(&t.vm))
        goto out;
    ok = true;
out:
    free(out);
    hv_destroy(&t);
    return ok;
}

/* ---- all_slots ---------------------------------------------------------------------------- */

bool test_all_slots(void)
{
    struct hv t = HV_INIT;
    char *before_q = NULL, *after_q = NULL, *desc = NULL, *cmd = NULL;
    bool ok = false;
    long before, full;
    int mark;

    /* 4 slots; maxmem leaves 512 MiB to spare, so the slots are what runs out. */
    if (!hv_boot(&t, "512M,slots=4,maxmem=2G", NULL, false) || (before = qc_memtotal(&t.vm)) < 0)
        goto out;
    mark = qc_mark(&t.q);
    for (int i = 1; i <= 4; i++) {
        char mem[16], dimm[16];
        snprintf(mem, sizeof(mem), "m%d", i);
        snprintf(dimm, sizeof(dimm), "d%d", i);
        if (!ram_add(&t, mem, 256 * MiB) || !dimm_add(&t, dimm, mem, NULL) ||
            !wait_ost_ok(&t, mark, dimm, 30))
            goto out;
    }
    if (!qc_wait_memtotal(&t.vm, before + 1048576, 0, 30))
        goto out;
    full = before + 1048576;
    e2e_log("4 DIMMs of 256 MiB: MemTotal grew by exactly 1048576 kB");
    uint64_t addrs[4];
    for (int i = 0; i < 4; i++) {
        char mem[16], dimm[16];
        snprintf(mem, sizeof(mem), "m%d", i + 1);
        snprintf(dimm, sizeof(dimm), "d%d", i + 1);
        if (!check_dimm(&t, dimm, mem, 256 * MiB, i, 0, true, &addrs[i]) ||
            !qc_blocks_online(&t.vm, addrs[i], 256 * MiB, "Movable", 10))
            goto out;
        for (int j = 0; j < i; j++)
            if (addrs[i] < addrs[j] + 256 * MiB && addrs[j] < addrs[i] + 256 * MiB) {
                e2e_fail("d%d and d%d overlap", i + 1, j + 1);
                goto out;
            }
    }
    if (!(before_q = memory_devices(&t)))
        goto out;
    int events = count_events(&t, mark, "ACPI_DEVICE_OST", NULL);

    /* The fifth DIMM: no free slot. */
    if (!ram_add(&t, "m5", 256 * MiB))
        goto out;
    cmd = dimm_json("d5", "m5", NULL);
    if (!qc_err(&t.q, cmd, &desc, 10))
        goto out;
    if (!strstr(desc, "slot")) {
        e2e_fail("5th device_add: the error should be about the slots: '%s'", desc);
        goto out;
    }
    e2e_log("5th device_add refused: %s", desc);
    sleep(2); /* anything the failed plug might have started has time to show */
    if (!(after_q = memory_devices(&t)))
        goto out;
    if (strcmp(before_q, after_q) != 0) {
        e2e_fail("query-memory-devices changed after the failed device_add:\nbefore %s\nafter %s",
                 before_q, after_q);
        goto out;
    }
    if (count_events(&t, mark, "ACPI_DEVICE_OST", NULL) != events) {
        e2e_fail("the failed device_add led to an ACPI_DEVICE_OST event");
        goto out;
    }
    if (!qc_wait_memtotal(&t.vm, full, 0, 0))
        goto out;
    /* m5 was not left busy. */
    if (!qc_ok(&t.q, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m5\"}}", NULL, 10))
        goto out;
    e2e_log("nothing changed: query-memory-devices, MemTotal, events; m5 deletable");
    ok = true;
out:
    free(before_q);
    free(after_q);
    free(desc);
    free(cmd);
    hv_destroy(&t);
    return ok;
}

/* ---- hotadd_errors ------------------------------------------------------------------------ */

struct err_case {
    const char *what;
    const char *json;                /* the request that must fail */
    const char *want1, *want2;       /* the desc must contain these (want2 may be NULL) */
};

static bool expect_refusal(struct hv *t, const char *snapshot, const struct err_case *c)
{
    char *desc = NULL, *now = NULL;
    bool ok = false;
    if (!qc_err(&t->q, c->json, &desc, 10))
        goto out;
    if (!strstr(desc, c->want1) || (c->want2 && !strstr(desc, c->want2))) {
        e2e_fail("%s: error desc '%s' should mention '%s'%s%s", c->what, desc, c->want1,
                 c->want2 ? " and " : "", c->want2 ? c->want2 : "");
        goto out;
    }
    if (!(now = memory_devices(t)))
        goto out;
    if (strcmp(now, snapshot) != 0) {
        e2e_fail("%s: query-memory-devices changed:\nbefore %s\nafter %s", c->what, snapshot, now);
        goto out;
    }
    e2e_log("%s: refused, '%s', nothing changed", c->what, desc);
    ok = true;
out:
    free(desc);
    free(now);
    return ok;
}

bool test_hotadd_errors(void)
{
    struct hv t = HV_INIT;
    char *snap = NULL, *j[16] = {0};
    uint64_t addr;
    bool ok = false;
    long base, kb;
    int mark, n = 0;

    /* 3 slots, 1.5 GiB window at 4 GiB, no NUMA (only node 0). */
    if (!hv_boot(&t, "512M,slots=3,maxmem=2G", NULL, false) || (base = qc_memtotal(&t.vm)) < 0)
        goto out;
    mark = qc_mark(&t.q);
    if (!ram_add(&t, "mem1", 512 * MiB) || !dimm_add(&t, "dimm1", "mem1", NULL) ||
        !wait_ost_ok(&t, mark, "dimm1", 30) || !qc_wait_memtotal(&t.vm, base + 524288, 0, 30) ||
        !check_dimm(&t, "dimm1", "mem1", 512 * MiB, 0, 0, true, &addr))
        goto out;
    if (!ram_add(&t, "m2", 256 * MiB) || !ram_add(&t, "m100", 100 * MiB) ||
        !ram_add(&t, "m1280", 1280 * MiB) || !(snap = memory_devices(&t)))
        goto out;

    char a_inside[64], a_low[64], a_end[64], a_unal[64], a_beyond[64];
    snprintf(a_inside, sizeof(a_inside), "\"addr\":%" PRIu64, addr + 128 * MiB);
    snprintf(a_low, sizeof(a_low), "\"addr\":%" PRIu64, 2 * GiB);
    snprintf(a_end, sizeof(a_end), "\"addr\":%" PRIu64, BOOT_512M_BASE + 1536 * MiB - 128 * MiB);
    snprintf(a_beyond, sizeof(a_beyond), "\"addr\":%" PRIu64, BOOT_512M_BASE + 8 * GiB);
    snprintf(a_unal, sizeof(a_unal), "\"addr\":%" PRIu64, addr + 512 * MiB + MiB);
    /* Fixed indices: the expressions of an initializer list are not sequenced. */
    struct err_case cases[] = {
        {"duplicate id", j[0] = dimm_json("dimm1", "m2", NULL), "Duplicate", "dimm1"},
        {"unknown memdev", j[1] = dimm_json("d2", "nosuch", NULL), "nosuch", NULL},
        {"memdev already in use", j[2] = dimm_json("d2", "mem1", NULL), "mem1", "in use"},
        {"size not a multiple of the block size (100M)", j[3] = dimm_json("d2", "m100", NULL),
         "multiple", NULL},
        {"node not defined", j[4] = dimm_json("d2", "m2", "\"node\":1"), "node", NULL},
        {"addr below the window (2 GiB)", j[5] = dimm_json("d2", "m2", a_low), "outside",
         NULL},
        {"addr crossing the window's end", j[6] = dimm_json("d2", "m2", a_end), "outside",
         NULL},
        {"addr far beyond the window", j[7] = dimm_json("d2", "m2", a_beyond), "outside",
         NULL},
        {"addr overlapping dimm1", j[8] = dimm_json("d2", "m2", a_inside), "overlap", NULL},
        {"addr not block aligned", j[9] = dimm_json("d2", "m2", a_unal), "aligned", NULL},
        {"slot out of range", j[10] = dimm_json("d2", "m2", "\"slot\":3"), "slot", NULL},
        {"slot taken", j[11] = dimm_json("d2", "m2", "\"slot\":0"), "slot", NULL},
        {"maxmem exceeded (512M + 1280M > 1.5G)", j[12] = dimm_json("d2", "m1280", NULL),
         "maxmem", NULL},
        {"unsupported driver",
         "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-net-pci\",\"id\":\"n1\"}}",
         "virtio-net-pci", NULL},
    };
    n = 13;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (!expect_refusal(&t, snap, &cases[i]))
            goto out;
    sleep(2);
    if (!qc_wait_memtotal(&t.vm, base + 524288, 0, 0))
        goto out;
    e2e_log("after %zu refused device_adds: MemTotal unchanged", sizeof(cases) / sizeof(cases[0]));

    /* Fill the slots: m2 and the id d2 are still usable after all those failures. */
    if (!dimm_add(&t, "d2", "m2", NULL) || !wait_ost_ok(&t, mark, "d2", 30) ||
        !ram_add(&t, "m3", 256 * MiB) || !dimm_add(&t, "d3", "m3", NULL) ||
        !wait_ost_ok(&t, mark, "d3", 30) || !qc_wait_memtotal(&t.vm, base + 1048576, 0, 30))
        goto out;
    free(snap);
    if (!ram_add(&t, "m4", 256 * MiB) || !(snap = memory_devices(&t)))
        goto out;
    struct err_case full = {"slots full (3 of 3, 512 MiB below maxmem)",
                            j[n++] = dimm_json("d4", "m4", NULL), "slot", NULL};
    if (!expect_refusal(&t, snap, &full))
        goto out;
    sleep(2);
    if ((kb = qc_memtotal(&t.vm)) != base + 1048576) {
        e2e_fail("MemTotal %ld kB after the refused 4th DIMM, expected %ld", kb, base + 1048576);
        goto out;
    }
    if (qc_count(snap, "\"type\":\"dimm\"") != 3 ||
        count_events(&t, mark, "ACPI_DEVICE_OST", NULL) != 3) {
        e2e_fail("expected 3 DIMMs and 3 ACPI_DEVICE_OST events, got %d and %d",
                 qc_count(snap, "\"type\":\"dimm\""), count_events(&t, mark, "ACPI_DEVICE_OST", NULL));
        goto out;
    }
    /* Backends of failed plugs are not left busy. */
    if (!qc_ok(&t.q, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m4\"}}", NULL, 10) ||
        !qc_ok(&t.q, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m100\"}}", NULL, 10) ||
        !qc_ok(&t.q, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m1280\"}}", NULL, 10))
        goto out;
    if (!dmesg_clean(&t.vm))
        goto out;
    ok = true;
out:
    for (int i = 0; i < n; i++)
        free(j[i]);
    free(snap);
    hv_destroy(&t);
    return ok;
}

/* ---- backends ----------------------------------------------------------------------------- */

static long l1_meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static bool write_file(const char *path, long v)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return e2e_fail("open %s: %s", path, strerror(errno));
    fprintf(f, "%ld\n", v);
    return fclose(f) == 0 || e2e_fail("write %s: %s", path, strerror(errno));
}

/* Huge pages plugvm holds: in use or reserved. */
static long huge_held(void)
{
    return l1_meminfo("HugePages_Total") - l1_meminfo("HugePages_Free") +
           l1_meminfo("HugePages_Rsvd");
}

bool test_backends(void)
{
    struct hv t = HV_INIT;
    char dir[256], props[512];
    bool ok = false, mounted = false;
    long old_nr = l1_meminfo("HugePages_Total"), before, held0;
    uint64_t addr;
    int mark;

    /* 256 MiB for the hugetlbfs file and 256 MiB for memfd hugetlb=on, 2 MiB pages. */
    E2E_CHECK(old_nr >= 0, "no HugePages_Total in L1's /proc/meminfo (no hugetlb?)");
    if (!write_file("/proc/sys/vm/nr_hugepages", old_nr + 256))
        return false;
    if (l1_meminfo("HugePages_Total") != old_nr + 256) {
        e2e_fail("L1 could only reserve %ld huge pages", l1_meminfo("HugePages_Total") - old_nr);
        goto out;
    }
    snprintf(dir, sizeof(dir), "%s/hugetlbfs", e2e_tmpdir());
    if (mkdir(dir, 0700) < 0 || mount("none", dir, "hugetlbfs", 0, "pagesize=2M") < 0) {
        e2e_fail("mount hugetlbfs on %s: %s", dir, strerror(errno));
        goto out;
    }
    mounted = true;
    held0 = huge_held();
    e2e_log("L1: %ld huge pages of 2 MiB, hugetlbfs on %s", old_nr + 256, dir);

    if (!hv_boot(&t, "512M,slots=16,maxmem=64G", NULL, false) || (before = qc_memtotal(&t.vm)) < 0)
        goto out;
    mark = qc_mark(&t.q);
    if (!object_add(&t, "memory-backend-memfd", "mfd", "\"size\":268435456") ||
        !dimm_add(&t, "dmfd", "mfd", NULL) || !wait_ost_ok(&t, mark, "dmfd", 30))
        goto out;
    snprintf(props, sizeof(props), "\"size\":268435456,\"mem-path\":\"%s\",\"share\":true", dir);
    if (!object_add(&t, "memory-backend-file", "mhuge", props))
        goto out;
    if (huge_held() - held0 != 128) {
        e2e_fail("the hugetlbfs backend holds %ld huge pages, expected 128", huge_held() - held0);
        goto out;
    }
    if (!dimm_add(&t, "dhuge", "mhuge", NULL) || !wait_ost_ok(&t, mark, "dhuge", 30))
        goto out;
    if (!object_add(&t, "memory-backend-memfd", "mfdh",
                    "\"size\":268435456,\"hugetlb\":true,\"hugetlbsize\":2097152"))
        goto out;
    if (huge_held() - held0 != 256) {
        e2e_fail("the hugetlb backends hold %ld huge pages, expected 256", huge_held() - held0);
        goto out;
    }
    if (!dimm_add(&t, "dmfdh", "mfdh", NULL) || !wait_ost_ok(&t, mark, "dmfdh", 30))
        goto out;
    e2e_log("L1 huge pages held by plugvm: %ld", huge_held() - held0);
    if (!qc_wait_memtotal(&t.vm, before + 3 * 262144, 0, 30))
        goto out;
    e2e_log("MemTotal grew by exactly 3 x 262144 kB");
    const char *names[][2] = {{"dmfd", "mfd"}, {"dhuge", "mhuge"}, {"dmfdh", "mfdh"}};
    for (int i = 0; i < 3; i++)
        if (!check_dimm(&t, names[i][0], names[i][1], 256 * MiB, i, 0, true, &addr) ||
            !qc_blocks_online(&t.vm, addr, 256 * MiB, "Movable", 10))
            goto out;
    /* The guest uses the memory: fill most of it (tmpfs pages are movable, so they go to
     * the DIMMs once boot RAM is short) and read it back. */
    if (!e2e_vm_sh(&t.vm,
                   "mkdir -p /mnt/b && mount -t tmpfs -o size=1200M tmpfs /mnt/b && "
                   "dd if=/dev/urandom of=/mnt/b/seed bs=1M count=4 2>/dev/null && "
                   "s=$(md5sum < /mnt/b/seed) && i=0 && while [ $i -lt 160 ]; do "
                   "cp /mnt/b/seed /mnt/b/f$i; i=$((i+1)); done && "
                   "for f in /mnt/b/f*; do [ \"$(md5sum < $f)\" = \"$s\" ] || "
                   "{ echo bad $f; exit 1; }; done",
                   NULL, 120))
        goto out;
    e2e_log("guest wrote and verified 640 MiB on tmpfs across boot RAM and the DIMMs");
    if (!dmesg_clean(&t.vm))
        goto out;
    ok = true;
out:
    hv_destroy(&t);
    if (mounted && umount(dir) < 0)
        ok = e2e_fail("umount %s: %s", dir, strerror(errno));
    if (old_nr >= 0)
        write_file("/proc/sys/vm/nr_hugepages", old_nr);
    return ok;
}

/* ---- hotadd_data -------------------------------------------------------------------------- */

/* Few, large chunks: heavy guest memory traffic is what makes the TCG-emulated
 * nesting of the bed unstable (docs/testing.md), so the test writes just enough to
 * overflow boot RAM into the DIMM. */
#define DATA_CHUNKS 3

bool test_hotadd_data(void)
{
    struct hv t = HV_INIT;
    char *out = NULL, *sums[7] = {0}, cmd[256];
    uint64_t addr;
    bool ok = false;
    long before;
    int mark;

    if (!hv_boot(&t, "256M,slots=16,maxmem=64G", NULL, false) || (before = qc_memtotal(&t.vm)) < 0)
        goto out;
    mark = qc_mark(&t.q);
    if (!ram_add(&t, "mem1", GiB) || !dimm_add(&t, "dimm1", "mem1", NULL) ||
        !wait_ost_ok(&t, mark, "dimm1", 30) || !qc_wait_memtotal(&t.vm, before + 1048576, 0, 30) ||
        !check_dimm(&t, "dimm1", "mem1", GiB, 0, 0, true, &addr) ||
        !qc_blocks_online(&t.vm, addr, GiB, "Movable", 10))
        goto out;
    if (!e2e_vm_sh(&t.vm, "mkdir -p /mnt/d && mount -t tmpfs -o size=1000M tmpfs /mnt/d", NULL, 30))
        goto out;
    /* 300 MiB of data: a 4 MiB random seed (kept in the shell's memory, read from
     * /dev/urandom once, because /dev/urandom itself is far too slow in the nested bed),
     * written 25 times per chunk behind a chunk-specific header. Each chunk's checksum is
     * taken from the stream (tee), not from the file, so it does not depend on the memory
     * under test. */
    if (!e2e_vm_sh(&t.vm, "dd if=/dev/urandom of=/run/seed bs=1M count=4 2>/dev/null", NULL, 60))
        goto out;
    for (int i = 0; i < DATA_CHUNKS; i++) {
        snprintf(cmd, sizeof(cmd),
                 "{ echo chunk%d; n=0; while [ $n -lt 25 ]; do cat /run/seed; n=$((n+1)); done; } "
                 "| tee /mnt/d/f%d | md5sum", i, i);
        if (!e2e_vm_sh(&t.vm, cmd, &sums[i], 120))
            goto out;
        if (strlen(sums[i]) < 32) {
            e2e_fail("md5sum printed '%s'", sums[i]);
            goto out;
        }
    }
    /* 300 MiB cannot fit in what 256 MiB of boot RAM leave free: a good part of it is on
     * the DIMM, the only Movable memory. */
    if (!e2e_vm_sh(&t.vm,
                   "awk '/zone +Movable/ {m=1} m && /pages free/ {print $3; exit}' /proc/zoneinfo",
                   &out, 30))
        goto out;
    long free_pages = strtol(out, NULL, 10), used_mib = (262144 - free_pages) / 256;
    e2e_log("the DIMM (zone Movable) holds %ld MiB", used_mib);
    if (!*out || used_mib < 100) {
        e2e_fail("only %ld MiB of the DIMM are in use after writing 300 MiB", used_mib);
        goto out;
    }
    free(out);
    out = NULL;
    if (!e2e_vm_sh(&t.vm, "sync; echo 3 > /proc/sys/vm/drop_caches", NULL, 30))
        goto out;
    for (int i = 0; i < DATA_CHUNKS; i++) {
        snprintf(cmd, sizeof(cmd), "md5sum < /mnt/d/f%d", i);
        free(out);
        out = NULL;
        if (!e2e_vm_sh(&t.vm, cmd, &out, 120))
            goto out;
        if (strcmp(out, sums[i]) != 0) {
            e2e_fail("chunk %d: written %s read back %s", i, sums[i], out);
            goto out;
        }
    }
    e2e_log("300 MiB read back intact (3 chunks, md5 from the write stream)");
    if (!dmesg_clean(&t.vm))
        goto out;
    ok = true;
out:
    for (int i = 0; i < DATA_CHUNKS; i++)
        free(sums[i]);
    free(out);
    hv_destroy(&t);
    return ok;
}
