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

/* Steps of vm_create, callable alone so that tests reach them without KVM (only a DIMM
 * on the command line needs it); vm_destroy undoes them. */

/* SIGINT, SIGTERM and SIGHUP stop m (host-signal) through its main loop: blocks them
 * in the calling thread (vCPU threads inherit that), ignores SIGPIPE and readies the
 * vCPUs' kick signal. -1 with errno. */
int vm_watch_signals(struct machine *m);
/* The memory backends of m->cfg's -object options, in m->backends. 0, or an exit status
 * (exit_status.h) with err. */
int vm_create_backends(struct machine *m, char *err, size_t errlen);
/* The hotplug controller and its registers, the memmap warm-up thread and the DIMMs
 * given with -device on the command line, on m->layout and m->ram. 0, or an exit status
 * with err filled. */
int vm_setup_memory_devices(struct machine *m, char *err, size_t errlen);

/* Fills the ACPI description of the machine (also used by --dump-acpi). */
struct acpi_machine;
void vm_describe_acpi(const struct plugvm_config *cfg, const struct guest_layout *layout,
		      struct acpi_machine *out);
/* The guest command line when -append is not given. */
#define VM_DEFAULT_CMDLINE "console=ttyS0 memhp_default_state=online_movable"
/* -append, or the default. */
const char *vm_guest_cmdline(const struct plugvm_config *cfg);

#endif
