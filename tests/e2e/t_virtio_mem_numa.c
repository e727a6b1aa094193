/* virtio-mem and NUMA: a device on node 1, then a pc-dimm on node 0 beside it in the same
 * guest; each node's memory moves with its own device only. docs/virtio-mem.md "Tests",
 * docs/testing.md "virtio-mem". Helpers: t_virtio_mem.h. */
#include "t_virtio_mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (128 * VM_MIB) /* the guest's memory block size on x86 below 64 GiB */

/* The address of device id (memaddr for virtio-mem, addr for a DIMM) from
 * query-memory-devices, and where its entry starts in the reply (for the order). */
static bool device_addr(const char *reply, const char *id, const char *key, long long *addr,
                        long *pos)
{
    char needle[80];
    snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
    const char *hit = strstr(reply, needle);
    char *obj = qc_object_with(reply, needle);
    bool ok = hit && obj && qc_json_int(obj, key, addr);
    free(obj);
    if (!ok)
        return e2e_fail("query-memory-devices has no %s of '%s': %s", key, id, reply);
    *pos = hit - reply;
    return true;
}

/* Every guest memory block of [addr, addr + size) is node's and not the other node's. */
static bool blocks_on_node(struct ut *t, long long addr, long long size, int node)
{
    char cmd[320], *out = NULL;
    long long first = addr / BLOCK, last = (addr + size) / BLOCK - 1;
    snprintf(cmd, sizeof(cmd),
             "cd /sys/devices/system/node; for i in $(seq %lld %lld); do "
             "[ -e node%d/memory$i ] && [ ! -e node%d/memory$i ] || echo \"memory$i\"; done",
             first, last, node, !node);
    if (!e2e_vm_sh(&t->vm, cmd, &out, 30))
        return false;
    bool ok = *out == '\0';
    if (!ok)
        e2e_fail("memory blocks not (only) on node%d:\n%s", node, out);
    else
        e2e_log("memory blocks %lld-%lld are node%d's", first, last, node);
    free(out);
    return ok;
}

/* virtio_mem_numa: two nodes of 512 MiB (cpu0 on node0, cpu1 on node1), a 2 GiB virtio-mem
 * device with node=1 and 2 pc-dimm slots. Grow the device to 512 MiB: node1's MemTotal
 * +512 MiB, node0's unchanged, its 4 memory blocks under node1 only. Then device_add a
 * 1 GiB pc-dimm with node=0: node0 +1 GiB, node1 unchanged, the DIMM's blocks under node0;
 * query-memory-devices and HMP info memory-devices list both, in address order (QEMU's).
 * Shrink the device to 0: no virtio_mem block left in /proc/iomem, node1 back to its boot
 * size, node0 still +1 GiB; poweroff exits 0. */
bool test_virtio_mem_numa(void)
{
    struct ut t = UT_INIT;
    const char *extra[] = {"-object", "memory-backend-ram,id=m0,size=512M",
                           "-object", "memory-backend-ram,id=m1,size=512M",
                           "-numa", "node,nodeid=0,cpus=0,memdev=m0",
                           "-numa", "node,nodeid=1,cpus=1,memdev=m1",
                           "-object", "memory-backend-ram,id=vmem0,size=2G",
                           "-device", "virtio-mem-pci,id=vm0,memdev=vmem0,node=1,requested-size=0",
                           NULL};
    char *r = NULL, *out = NULL;
    long long vaddr, daddr;
    long vpos, dpos, n0, n1, kb;
    bool ok = false;

    if (!vm_boot_with(&t, "1G,slots=2,maxmem=6G", extra))
        goto out;
    if ((n0 = qc_node_memtotal(&t.vm, 0)) < 0 || (n1 = qc_node_memtotal(&t.vm, 1)) < 0)
        goto out;
    e2e_log("boot: node0 %ld kB, node1 %ld kB", n0, n1);

    /* The device's memory goes to node 1 (its node in the SRAT, VIRTIO_MEM_F_ACPI_PXM). */
    if (!vm_request(&t, "vm0", 512 * VM_MIB) ||
        !vm_wait_node_memtotal(&t, 1, n1 + 512 * VM_MIB_KB, 0, 120, &kb) ||
        !vm_wait_size(&t, "vm0", 512 * VM_MIB, 30))
        goto out;
    if ((kb = qc_node_memtotal(&t.vm, 0)) != n0) {
        e2e_fail("node0 MemTotal moved from %ld to %ld kB when node1's device grew", n0, kb);
        goto out;
    }
    e2e_log("vm0 at 512 MiB: node1 +512 MiB, node0 unchanged");
    if (!uq_ok(&t.q, "{\"execute\":\"query-memory-devices\"}", &r, 10) ||
        !device_addr(r, "vm0", "memaddr", &vaddr, &vpos) ||
        !blocks_on_node(&t, vaddr, 512 * VM_MIB, 1))
        goto out;
    free(r);
    r = NULL;

    /* A DIMM on node 0 beside it. */
    if (!uq_ok(&t.q, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"
               "\"memory-backend-ram\",\"id\":\"mem1\",\"size\":1073741824}}", NULL, 10) ||
        !uq_ok(&t.q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\","
               "\"id\":\"dimm1\",\"memdev\":\"mem1\",\"node\":0}}", NULL, 10) ||
        !vm_wait_node_memtotal(&t, 0, n0 + VM_GIB_KB, 0, 60, &kb))
        goto out;
    if ((kb = qc_node_memtotal(&t.vm, 1)) != n1 + 512 * VM_MIB_KB) {
        e2e_fail("node1 MemTotal %ld kB after the node0 DIMM, expected %ld", kb,
                 n1 + 512 * VM_MIB_KB);
        goto out;
    }
    e2e_log("dimm1 on node0: node0 +1 GiB, node1 unchanged");
    if (!uq_ok(&t.q, "{\"execute\":\"query-memory-devices\"}", &r, 10) ||
        !device_addr(r, "vm0", "memaddr", &vaddr, &vpos) ||
        !device_addr(r, "dimm1", "addr", &daddr, &dpos) ||
        !blocks_on_node(&t, daddr, 1024 * VM_MIB, 0))
        goto out;
    /* QEMU lists memory devices by address (docs/monitor.md "Commands"). */
    if ((vaddr < daddr) != (vpos < dpos)) {
        e2e_fail("query-memory-devices not in address order (vm0 at 0x%llx, dimm1 at 0x%llx): "
                 "%s", vaddr, daddr, r);
        goto out;
    }
    out = uh_cmd(&t.h, "info memory-devices", 10);
    const char *hv = out ? strstr(out, "[virtio-mem]: \"vm0\"") : NULL;
    const char *hd = out ? strstr(out, "[dimm]: \"dimm1\"") : NULL;
    if (!hv || !hd || (vaddr < daddr) != (hv < hd)) {
        e2e_fail("info memory-devices lacks a device or is not in address order:\n%s",
                 out ? out : "");
        goto out;
    }
    e2e_log("vm0 at 0x%llx and dimm1 at 0x%llx listed in address order by QMP and HMP", vaddr,
            daddr);

    /* The device back to 0: node1 as at boot, node0 keeps the DIMM. */
    if (!vm_request(&t, "vm0", 0) || !vm_wait_size(&t, "vm0", 0, 180) ||
        !vm_wait_iomem_empty(&t, 120) || !vm_wait_node_memtotal(&t, 1, n1, 0, 30, &kb) ||
        !vm_wait_node_memtotal(&t, 0, n0 + VM_GIB_KB, 0, 10, &kb))
        goto out;
    e2e_log("vm0 at 0: node1 back to %ld kB, node0 keeps the DIMM", n1);
    ok = ut_poweroff(&t);
out:
    free(r);
    free(out);
    ut_destroy(&t);
    return ok;
}
