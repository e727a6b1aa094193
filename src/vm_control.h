/* Monitors (QMP, HMP) of a machine and the machine-wide control operations. */
#ifndef PLUGVM_VM_CONTROL_H
#define PLUGVM_VM_CONTROL_H

#include <stddef.h>

#include "machine.h"

struct control_ops;

/* The machine-wide operations of ops (running, system_powerdown, system_reset,
 * quit), acting on m; the memory operations are memory_devices'. Sets ops->opaque to
 * m->memory_devices_store, the opaque memory_devices_control_ops gives the others. */
void vm_control_machine_ops(struct machine *m, struct control_ops *ops);
/* Opens every -qmp and -monitor and the mon:stdio monitor; 0, or an exit status with
 * err. */
int vm_open_monitors(struct machine *m, char *err, size_t errlen);
/* Safe to call when vm_open_monitors failed or never ran. */
void vm_close_monitors(struct machine *m);

#endif
