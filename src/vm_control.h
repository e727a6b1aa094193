/* Monitors (QMP, HMP) of a machine and the machine-wide control operations. */
#ifndef PLUGVM_VM_CONTROL_H
#define PLUGVM_VM_CONTROL_H

#include <stddef.h>

#include "machine.h"

/* Opens every -qmp and -monitor and the mon:stdio monitor; -1 with err. */
int vm_open_monitors(struct machine *m, char *err, size_t errlen);
/* Safe to call when vm_open_monitors failed or never ran. */
void vm_close_monitors(void);

#endif
