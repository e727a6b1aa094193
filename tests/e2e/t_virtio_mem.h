/* Shared helpers of the virtio-mem e2e tests beyond t_virtio_mem.c (t_virtio_mem_*.c):
 * a plugvm boot with QMP and HMP sockets and chosen devices, resizing, the device's
 * numbers as QMP reports them, and the guest's view (/proc/iomem, per-node MemTotal).
 * docs/virtio-mem.md "Tests", docs/testing.md "virtio-mem". */
#ifndef PLUGVM_E2E_T_VIRTIO_MEM_H
#define PLUGVM_E2E_T_VIRTIO_MEM_H

#include "t_unplug.h"

#define VM_GIB_KB (1024L * 1024)
#define VM_MIB_KB 1024L
#define VM_MIB (1024LL * 1024)

/* plugvm with -m mem, the extra arguments (objects, devices, -numa), a QMP and an HMP
 * socket; waits for the guest's shell. */
bool vm_boot_with(struct ut *t, const char *mem, const char *const *extra);
/* qom-set id requested-size bytes over QMP. */
bool vm_request(struct ut *t, const char *id, long long bytes);
/* An integer property from qom-get (size, requested-size, ...), or -1 with a failure. */
long long vm_qom_int(struct ut *t, const char *id, const char *property);
/* Waits until qom-get size says bytes (the guest plugs and unplugs in steps). */
bool vm_wait_size(struct ut *t, const char *id, long long bytes, double timeout_s);
/* Lines "System RAM (virtio_mem)" in the guest's /proc/iomem: the memory blocks the
 * guest's driver has added, or -1. */
int vm_iomem_blocks(struct ut *t);
/* Waits until the guest has removed all its virtio-mem memory blocks. At size 0 the
 * last block may still be added (Linux retries offline_and_remove_memory), so "size 0"
 * alone does not mean the guest has let go of it: docs/virtio-mem.md "Tests". */
bool vm_wait_iomem_empty(struct ut *t, double timeout_s);
/* Waits until node's MemTotal is want_kb (+-tol_kb); *got (may be NULL) gets the last. */
bool vm_wait_node_memtotal(struct ut *t, int node, long want_kb, long tol_kb, double timeout_s,
                           long *got);
/* A positive integer from the environment (a test's knob), or fallback. */
int vm_env_int(const char *name, int fallback);
/* The md5 of a file in the guest into sum (32 hex digits; md5 rather than sha256 only
 * because the bed runs the guest under TCG); a failure names the file. */
bool vm_file_md5(struct ut *t, const char *path, double timeout_s, char *sum, size_t n);

#endif
