/* One running VM: KVM, memory, devices, vCPUs and the reason it stops. */
#ifndef PLUGVM_MACHINE_H
#define PLUGVM_MACHINE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "console.h"
#include "event_loop.h"
#include "exit_status.h"
#include "kvm.h"
#include "mm/backend.h"
#include "mm/boot_ram.h"
#include "mm/layout.h"
#include "mm/memmap_warmup.h"
#include "mm/memory_devices.h"
#include "mm/virtio_mem_devices.h"
#include "bus.h"
#include "monitor/control.h"
#include "panic_watch.h"
#include "uart.h"

/*
 * Why the VM stops, named as QEMU names it (ShutdownCause, qapi/run-state.json): the
 * SHUTDOWN event carries the name as "reason", so clients written for QEMU (libvirt's
 * "shutdown by guest or by host") read plugvm's the same way. The code that stops the
 * VM knows why; nothing guesses it later from the message. QEMU's "none" (no stop),
 * "subsystem-reset" (an s390 partial reset that emits no event) and "snapshot-load"
 * (record/replay) have no counterpart in plugvm.
 */
enum stop_cause {
	STOP_HOST_ERROR,            /* host-error: KVM or plugvm failed */
	STOP_HOST_QMP_QUIT,         /* host-qmp-quit: quit from QMP or HMP */
	STOP_HOST_QMP_SYSTEM_RESET, /* host-qmp-system-reset: system_reset (plugvm exits) */
	STOP_HOST_SIGNAL,           /* host-signal: SIGINT, SIGTERM, SIGHUP */
	STOP_HOST_UI,               /* host-ui: Ctrl-a x on the console */
	STOP_GUEST_SHUTDOWN,        /* guest-shutdown: ACPI S5, KVM's shutdown event */
	STOP_GUEST_RESET,           /* guest-reset: reset ports, KVM's reset event, triple fault */
	STOP_GUEST_PANIC,           /* guest-panic: pvpanic, KVM's crash event */
	STOP_CAUSE_COUNT
};

enum machine_state {
	MACHINE_RUNNING,
	MACHINE_PANICKED, /* -action panic=pause: vCPUs stopped, monitors serve on */
	MACHINE_STOPPING,
};

struct vcpu;

/*
 * Everything one VM has lives here or in what it points to, so that two machines in one
 * process (the unit tests make many) never meet. Process-wide on purpose: the signal
 * dispositions and sandbox.c's terminal for its SIGSYS handler, trace.c's trace file and
 * fault_inject.c's armed sites (a fault test arms the process). Not moved yet: the QMP
 * and HMP servers (monitor/qmp_server.c, hmp_server.c, hmp.c's hmp_vm_name), one set per
 * process (docs/architecture.md, "One machine, no globals").
 */
struct machine {
	const struct plugvm_config *cfg;
	struct kvm kvm;
	struct guest_layout layout;
	struct boot_ram ram;
	void *ram_backing[PLUGVM_MAX_NUMA_NODES]; /* host memory of each node's boot RAM */
	uint64_t ram_backing_size[PLUGVM_MAX_NUMA_NODES];

	struct bus pio_bus;  /* port I/O (BUS_PIO): the devices claim ports before the vCPUs run */
	struct bus mmio_bus; /* KVM_EXIT_MMIO (BUS_MMIO): likewise, guest-physical ranges */
	struct uart com1;
	atomic_bool first_console_byte_seen; /* the boot timeline's mark is set */
	struct console *console; /* &com1_console once vm_create opened it */
	struct event_loop loop;
	bool housekeeping_armed; /* vm.c's once-a-second timer is pending in loop */
	int signal_fd;           /* signalfd of SIGINT, SIGTERM, SIGHUP (vm_watch_signals) */
	struct memory_devices *memory_devices; /* &memory_devices_store once set up */
	struct vmem_devices *virtio_mem;   /* -device virtio-mem-pci (none: no devices) */

	/* What the pointers above point to once vm.c set it up; vm_destroy tears it down. */
	struct console com1_console;
	struct backend_registry backends;        /* -object, object-add, pc.ram */
	struct memory_devices memory_devices_store;
	struct memmap_warmup memmap_warmup;
	struct vmem_devices virtio_mem_store;
	/* The monitors' view of the machine (vm_control.c). */
	struct control_ops control_ops;
	bool monitors_open;

	struct vcpu *vcpus;
	unsigned nr_vcpus;

	int wake_fd;               /* eventfd: vCPU threads wake the main loop */
	/* vCPU threads wait for these before their first KVM_RUN: vm_run releases them once
	 * the sandbox is in force, so no guest instruction runs outside it. */
	pthread_mutex_t release_lock;
	pthread_cond_t release_cond;
	unsigned vcpus_waiting;
	bool vcpus_released;
	atomic_int state;
	int exit_status;
	enum stop_cause stop_cause;
	pthread_mutex_t stop_lock;
	char stop_message[256];
	uint64_t start_ns;

	/* A guest panic (docs/options.md, "-action: when the guest panics"). The serial line's
	 * watch runs in whichever vCPU thread writes COM1, under the UART's lock. */
	struct panic_watch serial_panic;
	atomic_bool panic_line_seen;     /* "Kernel panic - not syncing" went by */
	atomic_bool guest_panicked;      /* reported, once */
	atomic_bool panic_event_pending; /* GUEST_PANICKED not yet sent (main thread) */
	char panic_how[64];              /* how plugvm learned it, for the messages */
	atomic_ulong guest_stalls;       /* lockups and stalls the guest printed */
	atomic_ullong last_stall_note_ns;
};

/* A machine with nothing open yet (vm_destroy may follow at once): no KVM, no
 * wake-up fd, an empty main loop, running. */
void machine_init(struct machine *m, const struct plugvm_config *cfg);

/* Asks the main loop to end the VM for `cause`, exiting with `status` (README.md's
 * "Exit status"; the caller decides, as a triple fault is a guest reset that exits 3);
 * the first request wins. Callable from any thread. The message is printed when
 * plugvm exits. */
void machine_request_shutdown(struct machine *m, enum stop_cause cause, int status,
			      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool machine_stopping(const struct machine *m);
/* vCPU threads run while this holds: not stopping, not paused after a panic. */
bool machine_vcpus_may_run(const struct machine *m);
/* A vCPU thread, before it runs the guest: says it is there (past the C library's and
 * the sanitizers' thread start-up), then waits until machine_release_vcpus. */
void machine_wait_for_release(struct machine *m);
/* Main thread: waits until n vCPU threads wait in machine_wait_for_release, so that no
 * thread is still starting up when the seccomp filter arrives. */
void machine_wait_for_vcpus(struct machine *m, unsigned n);
/* Main thread: lets every vCPU thread run (once the sandbox is loaded, or without one). */
void machine_release_vcpus(struct machine *m);
/* The guest panicked, as `how` ("pvpanic", "serial line", ...) shows: does what
 * -action panic= says, once; later reports are ignored. Callable from any thread.
 * The main loop then calls machine_panic_reaction. */
void machine_guest_panicked(struct machine *m, const char *how);
/* One byte the guest wrote to its serial line: a kernel panic there counts. */
void machine_watch_serial(struct machine *m, uint8_t byte);
/* QEMU's RunState name for query-status: running, guest-panicked or shutdown. */
const char *machine_run_state(const struct machine *m);
/* Main thread: the GUEST_PANICKED event's "action" when one is due (QEMU's names:
 * poweroff, pause, run), NULL otherwise; due once per panic. */
const char *machine_take_panic_event(struct machine *m);
/* The "data" of the SHUTDOWN event for a machine that has stopped: {"guest": bool,
 * "reason": cause}, "guest" true for a cause the guest brought about, as QEMU sets it.
 * A new reference (NULL when out of memory). */
json_t *machine_shutdown_event(const struct machine *m);
/* One press of the ACPI power button: an edge on POWER_BUTTON_GSI, which the
 * GED turns into Notify(\_SB.PWRB, 0x80). */
void machine_press_power_button(struct machine *m);

#endif
