/* Building the machine from its configuration, running it, tearing it down. */
#ifndef PLUGVM_VM_H
#define PLUGVM_VM_H

#include "machine.h"

/* Everything up to (not including) starting the vCPUs. Returns 0, or an
 * exit status (EXIT_BAD_USAGE or EXIT_VMM_FAILURE) after printing one error line. */
int vm_create(struct machine *m, const struct plugvm_config *cfg);
/* Starts the vCPUs and runs the main loop until the guest stops; returns
 * the exit status. */
int vm_run(struct machine *m);
void vm_destroy(struct machine *m);

/* Fills the ACPI description of the machine (also used by --dump-acpi). */
struct acpi_machine;
void vm_describe_acpi(const struct plugvm_config *cfg, const struct guest_layout *layout,
		      struct acpi_machine *out);
/* The guest command line when -append is not given. */
#define VM_DEFAULT_CMDLINE "console=ttyS0 memhp_default_state=online_movable"
/* -append, or the default. */
const char *vm_guest_cmdline(const struct plugvm_config *cfg);

#endif
