/* One running VM: KVM, memory, devices, vCPUs and the reason it stops. */
#ifndef PLUGVM_MACHINE_H
#define PLUGVM_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "event_loop.h"
#include "kvm.h"
#include "mm/boot_ram.h"
#include "mm/layout.h"
#include "uart.h"

/* Exit statuses (docs/usage.md): */
#define EXIT_GUEST_DONE    0 /* poweroff, reboot, quit */
#define EXIT_VMM_FAILURE   1 /* KVM or host failure, emulation failure */
#define EXIT_BAD_USAGE     2 /* command line or configuration */
#define EXIT_GUEST_CRASHED 3 /* triple fault or guest panic */

enum machine_state {
	MACHINE_RUNNING,
	MACHINE_STOPPING,
};

struct vcpu;
struct console;
struct memory_devices;

struct machine {
	const struct plugvm_config *cfg;
	struct kvm kvm;
	struct guest_layout layout;
	struct boot_ram ram;
	void *ram_backing[PLUGVM_MAX_NUMA_NODES]; /* host memory of each node's boot RAM */
	uint64_t ram_backing_size[PLUGVM_MAX_NUMA_NODES];

	struct uart com1;
	struct console *console;
	struct event_loop loop;
	struct memory_devices *memory_devices;

	struct vcpu *vcpus;
	unsigned nr_vcpus;

	int wake_fd;               /* eventfd: vCPU threads wake the main loop */
	atomic_int state;
	int exit_status;
	pthread_mutex_t stop_lock;
	char stop_message[256];
	uint64_t start_ns;
};

/* Asks the main loop to end the VM with `status`; the first request wins.
 * Callable from any thread. `message` is printed when plugvm exits. */
void machine_request_stop(struct machine *m, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool machine_stopping(const struct machine *m);
/* One press of the ACPI power button: an edge on POWER_BUTTON_GSI, which the
 * GED turns into Notify(\_SB.PWRB, 0x80). */
void machine_press_power_button(struct machine *m);

#endif
