#include "vm.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "arch/x86/boot.h"
#include "console.h"
#include "fault_inject.h"
#include "bus.h"
#include "mm/backend.h"
#include "mm/memmap_on_memory.h"
#include "mm/memory_devices.h"
#include "mm/virtio_mem_devices.h"
#include "mm/virtio_mem_props.h"
#include "monitor/qmp.h"
#include "vm_control.h"
#include "arch/x86/platform.h"
#include "arch/arch.h"
#include "sandbox.h"
#include "trace.h"
#include "util.h"
#include "vcpu.h"

const char *vm_guest_cmdline(const struct plugvm_config *cfg)
{
	return cfg->append ? cfg->append : VM_DEFAULT_CMDLINE;
}

void vm_describe_acpi(const struct plugvm_config *cfg, const struct guest_layout *layout,
		      struct acpi_machine *out)
{
	memset(out, 0, sizeof(*out));
	out->nr_cpus = cfg->nr_cpus;
	out->nr_slots = cfg->slots;
	out->layout = layout;
	if (cfg->slots && memmap_on_memory_requested(vm_guest_cmdline(cfg)))
		out->dimm_piece_size = layout->block_size;
	/* The n-th virtio-mem device on the command line is virtio-mmio device n, here and
	 * in vmem_devices_add. */
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		unsigned n = out->nr_virtio_mmio;

		if (!vmem_is_driver(keyval_get(&cfg->devices[i], "driver")) ||
		    n >= PLUGVM_MAX_VIRTIO_MEM)
			continue;
		vmem_devices_window(n, &out->virtio_mmio[n].base, &out->virtio_mmio[n].gsi);
		out->nr_virtio_mmio++;
	}
	for (unsigned c = 0; c < cfg->nr_cpus && c < PLUGVM_MAX_CPUS; c++)
		out->cpu_node[c] = config_cpu_node(cfg, c);
}

static void uart_transmit(void *opaque, uint8_t byte)
{
	console_transmit(opaque, byte);
}

static void uart_set_irq(void *opaque, int level)
{
	struct machine *m = opaque;

	kvm_irq_line(&m->kvm, COM1_GSI, level);
}

static void uart_transmit_to_console(void *opaque, uint8_t byte);
static const struct uart_ops com1_ops = {
	.transmit = uart_transmit_to_console,
	.set_irq = uart_set_irq,
};

static void uart_transmit_to_console(void *opaque, uint8_t byte)
{
	struct machine *m = opaque;

	/* Boot timeline (PLUGVM_TRACE): when the guest's first console byte left. */
	if (!atomic_exchange(&m->first_console_byte_seen, true))
		pv_trace("boot first-console-byte");

	machine_watch_serial(m, byte);
	uart_transmit(m->console, byte);
}

/* The host must be able to hold the guest's RAM: MAP_NORESERVE would let
 * an impossible -m start and die later from the OOM killer instead. */
static int check_host_memory(uint64_t ram, char *err, size_t errlen)
{
	struct sysinfo si;
	uint64_t host;

	if (sysinfo(&si) < 0)
		return 0;
	host = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
	if (ram > host) {
		pv_format(err, errlen, "-m: %llu MiB of guest RAM is more than this host has (%llu MiB RAM+swap)",
			  (unsigned long long)(ram >> 20), (unsigned long long)(host >> 20));
		return -1;
	}
	return 0;
}

/* backend_create's errors are the -object's or the host's lack of what it asks for (huge
 * pages, a mem-path, the memory itself), except plugvm running out of memory. */
static int backend_status(int ret)
{
	return ret == -ENOMEM ? EXIT_VMM_FAILURE : EXIT_BAD_USAGE;
}

int vm_create_backends(struct machine *m, char *err, size_t errlen)
{
	const struct plugvm_config *cfg = m->cfg;
	struct backend_registry *backends = &m->backends;

	backend_registry_init(backends);
	backend_registry_set_budget(backends, backend_registry_budget(cfg->ram_size, cfg->maxmem));
	for (unsigned i = 0; i < cfg->nr_objects; i++) {
		struct mem_backend *b;
		int ret = backend_create(&cfg->objects[i], &b, err, errlen);

		if (ret < 0)
			return backend_status(ret);
		/* A duplicate id (options_object.c refuses those first) or more than the limit. */
		if (backend_registry_add(backends, b, err, errlen) < 0) {
			backend_destroy(b);
			return EXIT_BAD_USAGE;
		}
	}
	return 0;
}

/* Each node's boot RAM comes from its memdev, or from one implicit
 * anonymous backend when there is no -numa. 0 or an exit status. */
static int map_boot_ram(struct machine *m, char *err, size_t errlen)
{
	const struct plugvm_config *cfg = m->cfg;
	unsigned nr_nodes = config_nr_nodes(cfg);

	for (unsigned n = 0; n < nr_nodes; n++) {
		struct mem_backend *b;

		if (cfg->nr_numa) {
			b = backend_registry_find(&m->backends, cfg->numa[n].memdev);
			if (!b) {
				pv_format(err, errlen, "-numa: memdev '%s' not found", cfg->numa[n].memdev);
				return EXIT_BAD_USAGE;
			}
		} else {
			struct keyval_list kv = { 0 };
			char size[32];
			int ret;

			snprintf(size, sizeof(size), "%llu", (unsigned long long)cfg->ram_size);
			if (keyval_set(&kv, "qom-type", "memory-backend-ram") < 0 ||
			    keyval_set(&kv, "id", "pc.ram") < 0 ||
			    keyval_set(&kv, "size", size) < 0) {
				keyval_free(&kv);
				pv_format(err, errlen, "-m: out of memory");
				return EXIT_VMM_FAILURE;
			}
			/* Fails when the host cannot map -m bytes, as an explicit
			 * memory-backend-ram would. */
			ret = backend_create(&kv, &b, err, errlen);
			keyval_free(&kv);
			if (ret < 0)
				return backend_status(ret);
			/* Fails when an -object already took the id pc.ram. */
			if (backend_registry_add(&m->backends, b, err, errlen) < 0) {
				backend_destroy(b);
				return EXIT_BAD_USAGE;
			}
		}
		b->in_use = true;
		m->ram_backing[n] = b->hva;
		m->ram_backing_size[n] = b->size;
	}

	/* vm_create checked that KVM has slots for boot RAM, the DIMM slots and the
	 * virtio-mem devices together. */
	for (unsigned i = 0; i < m->layout.nr_ram; i++) {
		const struct ram_range *r = &m->layout.ram[i];
		unsigned idx = r->node; /* node id = index into cfg->numa[] (config.h) */

		m->ram.map[i].gpa = r->gpa;
		m->ram.map[i].size = r->size;
		m->ram.map[i].hva = (uint8_t *)m->ram_backing[idx] + r->backend_offset;
		if (kvm_memslot_add(&m->kvm, r->gpa, r->size, m->ram.map[i].hva) < 0) {
			pv_format(err, errlen, "KVM_SET_USER_MEMORY_REGION for boot RAM at 0x%llx: %s",
				  (unsigned long long)r->gpa, strerror(errno));
			return EXIT_VMM_FAILURE;
		}
	}
	m->ram.nr = m->layout.nr_ram;
	return 0;
}

/* *used: the bytes at ACPI_TABLES_GPA the e820 map gives to the tables. */
static int build_acpi(struct machine *m, size_t *used, char *err, size_t errlen)
{
	struct acpi_machine desc;
	struct acpi_area area = {
		.rsdp = boot_ram_hva(&m->ram, ACPI_RSDP_GPA, ACPI_RSDP_LEN),
		.rsdp_gpa = ACPI_RSDP_GPA,
		.tables = boot_ram_hva(&m->ram, ACPI_TABLES_GPA, ACPI_TABLES_MAX_SIZE),
		.tables_gpa = ACPI_TABLES_GPA,
		.max = ACPI_TABLES_MAX_SIZE,
	};

	if (!area.rsdp || !area.tables) {
		pv_format(err, errlen, "no boot RAM under the ACPI tables");
		return -1;
	}
	vm_describe_acpi(m->cfg, &m->layout, &desc);
	return acpi_build(&desc, &area, used, err, errlen);
}

/* The GED line is edge-triggered (its _CRS says so): one pulse per kick. */
static void raise_ged(void *opaque)
{
	struct machine *m = opaque;

	kvm_irq_line(&m->kvm, GED_GSI, 1);
	kvm_irq_line(&m->kvm, GED_GSI, 0);
}

/* memory_devices' and vmem_devices' hooks: KVM memory slots, numbered by kvm.c. */
static int kvm_map(void *opaque, uint64_t gpa, uint64_t size, void *hva)
{
	return kvm_memslot_add(opaque, gpa, size, hva);
}

static int kvm_unmap(void *opaque, int slot)
{
	return kvm_memslot_del(opaque, slot);
}

/* memory_devices' hook: a vCPU thread hands work to the main loop (wake_ready). */
static void wake_main_loop(void *opaque)
{
	struct machine *m = opaque;
	uint64_t one = 1;

	if (write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with 1 per wake-up; nothing to do. */
	}
}

/* The guest keeps the memmap of hot-added DIMMs in its boot RAM, on the DIMM's node. */
static void warm_boot_ram_for_memmap(struct machine *m, struct memmap_warmup *w)
{
	struct memmap_warmup_ram ram[MEMMAP_WARMUP_MAX_RAM];
	unsigned n = 0;

	for (unsigned i = 0; i < m->ram.nr && n < MEMMAP_WARMUP_MAX_RAM; i++) {
		unsigned idx = m->layout.ram[i].node;

		ram[n++] = (struct memmap_warmup_ram){
			.hva = m->ram.map[i].hva, .gpa = m->ram.map[i].gpa, .size = m->ram.map[i].size,
			.node = config_node_id(m->cfg, idx),
		};
	}
	memmap_warmup_set_boot_ram(w, ram, n, NULL);
}

/* KVM's slot calls while the -device DIMMs are set up: a refusal is the host's failure
 * (exit 1), every other coldplug error the command line's (exit 2), and the error that
 * comes back does not say which it was. */
struct coldplug_kvm {
	struct kvm *kvm;
	bool refused;
};

static int coldplug_kvm_map(void *opaque, uint64_t gpa, uint64_t size, void *hva)
{
	struct coldplug_kvm *c = opaque;
	int slot = kvm_memslot_add(c->kvm, gpa, size, hva);

	if (slot < 0)
		c->refused = true;
	return slot;
}

static int coldplug_kvm_unmap(void *opaque, int slot)
{
	struct coldplug_kvm *c = opaque;

	return kvm_memslot_del(c->kvm, slot);
}

static void vmem_set_irq(void *opaque, uint32_t gsi, bool level)
{
	struct machine *m = opaque;

	kvm_irq_line(&m->kvm, gsi, level ? 1 : 0);
}

/* A virtio-mem device from the command line (vmem_devices_add): one KVM slot of its own.
 * 0 or an exit status with err. */
static int coldplug_vmem(struct machine *m, struct memory_devices *md,
			 const struct keyval_list *props, char *err, size_t errlen)
{
	char why[400];
	bool host_fault;

	if (!m->virtio_mem) {
		vmem_devices_init(&m->virtio_mem_store, m->cfg, &m->ram);
		m->virtio_mem_store.mmio = &m->mmio_bus;
		m->virtio_mem_store.set_irq = vmem_set_irq;
		m->virtio_mem_store.irq_opaque = m;
		m->virtio_mem_store.kvm_map = kvm_map;
		m->virtio_mem_store.kvm_opaque = &m->kvm;
		m->virtio_mem_store.wake_main = wake_main_loop;
		m->virtio_mem_store.wake_main_opaque = m;
		m->virtio_mem = &m->virtio_mem_store;
	}
	if (vmem_devices_add(m->virtio_mem, md, props, why, sizeof(why), &host_fault) < 0) {
		pv_format(err, errlen, "-device: %s", why);
		return host_fault ? EXIT_VMM_FAILURE : EXIT_BAD_USAGE;
	}
	return 0;
}

/* The -device options in command-line order: the DIMMs and the virtio-mem devices share
 * the device-memory window, first come first placed (as in QEMU). */
static int coldplug_devices(struct machine *m, struct memory_devices *md, char *err,
			    size_t errlen)
{
	struct coldplug_kvm kvm = { .kvm = &m->kvm };
	struct control_error cerr;
	int status = 0;

	md->kvm_map = coldplug_kvm_map;
	md->kvm_unmap = coldplug_kvm_unmap;
	md->kvm_opaque = &kvm;
	for (unsigned i = 0; i < m->cfg->nr_devices && !status; i++) {
		const struct keyval_list *dev = &m->cfg->devices[i];

		if (vmem_is_driver(keyval_get(dev, "driver"))) {
			status = coldplug_vmem(m, md, dev, err, errlen);
			continue;
		}
		memset(&cerr, 0, sizeof(cerr));
		if (memory_devices_coldplug(md, dev, &cerr) < 0) {
			pv_format(err, errlen, "-device: %s", cerr.desc);
			status = kvm.refused ? EXIT_VMM_FAILURE : EXIT_BAD_USAGE;
		}
	}
	md->kvm_map = kvm_map;
	md->kvm_unmap = kvm_unmap;
	md->kvm_opaque = &m->kvm;
	return status;
}

int vm_setup_memory_devices(struct machine *m, char *err, size_t errlen)
{
	struct memory_devices *md = &m->memory_devices_store;

	/* options_memory.c bounds slots=, so only the host (pthread_*_init) can fail here. */
	if (memory_devices_init(md, m->cfg, &m->layout, &m->backends) < 0) {
		pv_format(err, errlen, "-m slots=%u: hotplug controller setup failed", m->cfg->slots);
		return EXIT_VMM_FAILURE;
	}
	md->raise_ged = raise_ged;
	md->raise_ged_opaque = m;
	md->kvm_map = kvm_map;
	md->kvm_unmap = kvm_unmap;
	md->kvm_opaque = &m->kvm;
	md->wake_main = wake_main_loop;
	md->wake_main_opaque = m;
	m->memory_devices = md;
	/* PLUGVM_MEMMAP_WARMUP=0 leaves the pages to the guest's own faults: a measurement
	 * switch (docs/memory.md), not an option. */
	const char *warm = getenv("PLUGVM_MEMMAP_WARMUP");
	if (m->cfg->slots && !(warm && strcmp(warm, "0") == 0)) {
		uint64_t block = m->layout.block_size;

		if (memmap_warmup_start(&m->memmap_warmup, block, memmap_on_memory_bytes(block),
					NULL) < 0) {
			pv_format(err, errlen, "memmap warm-up thread: %s", strerror(errno));
			return EXIT_VMM_FAILURE;
		}
		if (!memmap_on_memory_requested(vm_guest_cmdline(m->cfg)))
			warm_boot_ram_for_memmap(m, &m->memmap_warmup);
		md->warmup = &m->memmap_warmup;
	}
	if (arch_register_memhp(m, md) < 0) {
		pv_format(err, errlen, "I/O port conflict at the hotplug registers");
		return EXIT_VMM_FAILURE;
	}
	return coldplug_devices(m, md, err, errlen);
}

static void wake_ready(void *opaque, int fd, short revents)
{
	struct machine *m = opaque;
	uint64_t count;

	(void)revents;
	if (read(fd, &count, sizeof(count)) < 0) {
		/* Spurious wake-up: the state is checked by the loop anyway. */
	}
	/* Events a vCPU thread left for this thread to build and send. */
	if (m->memory_devices)
		memory_devices_run_deferred(m->memory_devices);
	if (m->virtio_mem)
		vmem_devices_run_deferred(m->virtio_mem, pv_now_ns());
}

static void signal_ready(void *opaque, int fd, short revents)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;

	(void)revents;
	if (read(fd, &si, sizeof(si)) == sizeof(si))
		machine_request_shutdown(m, STOP_HOST_SIGNAL, EXIT_GUEST_DONE,
					 "terminating on signal %u", si.ssi_signo);
}

int vm_watch_signals(struct machine *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1); /* unblocked only in vCPU threads, to kick them */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	vcpu_init_signals();
	m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->signal_fd < 0)
		return -1;
	return event_loop_add(&m->loop, m->signal_fd, POLLIN, signal_ready, m);
}

/* vm_create's way out: every step's error decides its own exit status where it is
 * raised (README.md, "Exit status"; src/exit_status.h): EXIT_BAD_USAGE only for a bad
 * command line or a configuration the host cannot provide, EXIT_VMM_FAILURE for a host or
 * VMM failure (out of memory or descriptors, an internal limit). A step that can fail
 * both ways returns the status itself. */
static int setup_failed(const char *err, int status)
{
	pv_error("%s", err);
	return status;
}

int vm_create(struct machine *m, const struct plugvm_config *cfg)
{
	char err[512] = "";
	struct boot_request boot;
	struct boot_result booted;
	unsigned slots_needed;
	size_t acpi_size;
	int status;

	machine_init(m, cfg);

	if (boot_check_kernel(cfg->kernel, err, sizeof(err)) < 0)
		return setup_failed(err, EXIT_BAD_USAGE);
	if (cfg->initrd && access(cfg->initrd, R_OK) < 0) {
		pv_format(err, sizeof(err), "-initrd '%s': %s", cfg->initrd, strerror(errno));
		return setup_failed(err, EXIT_BAD_USAGE);
	}
	if (check_host_memory(cfg->ram_size, err, sizeof(err)) < 0)
		return setup_failed(err, EXIT_BAD_USAGE);
	if (cfg->sandbox && sandbox_check(err, sizeof(err)) < 0)
		return setup_failed(err, EXIT_BAD_USAGE);

	if (kvm_host_is_pvm())
		pv_info("warning: /dev/kvm is kvm_pvm (KVM without VT-x/AMD-V): an unmodified Linux "
			"guest cannot run here, it needs a PVM-enabled kernel; use real KVM or the "
			"nested test bed (docs/testing.md)");
	if (kvm_init(&m->kvm, err, sizeof(err)) < 0)
		return setup_failed(err, EXIT_VMM_FAILURE);
	pv_trace("boot kvm-vm-created");
	pv_debug("KVM slot deletion %s", m->kvm.slot_zap_all_off ? "drops only that slot's mappings"
								 : "zaps all mappings (KVM before Linux 6.12)");
	if (layout_compute(cfg, kvm_guest_phys_bits(&m->kvm), &m->layout, err, sizeof(err)) < 0)
		return setup_failed(err, EXIT_BAD_USAGE);
	/* Checked once here: afterwards kvm_memslot_add always finds a free number for
	 * every user (kvm.c numbers them; docs/architecture.md, "KVM memory slots"). */
	slots_needed = m->layout.nr_ram + cfg->slots + cfg->nr_virtio_mem;
	if (slots_needed > m->kvm.max_memslots) {
		pv_format(err, sizeof(err), "-m slots=%u: KVM offers %u memory slots, %u are needed "
			  "(boot RAM, DIMM slots, virtio-mem devices)",
			  cfg->slots, m->kvm.max_memslots, slots_needed);
		return setup_failed(err, EXIT_BAD_USAGE);
	}
	m->wake_fd = fault_eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0 || event_loop_add(&m->loop, m->wake_fd, POLLIN, wake_ready, m) < 0 ||
	    vm_watch_signals(m) < 0) {
		pv_format(err, sizeof(err), "eventfd/signalfd: %s", strerror(errno));
		return setup_failed(err, EXIT_VMM_FAILURE);
	}
	if ((status = vm_create_backends(m, err, sizeof(err))) != 0)
		return setup_failed(err, status);
	if ((status = map_boot_ram(m, err, sizeof(err))) != 0)
		return setup_failed(err, status);
	if (build_acpi(m, &acpi_size, err, sizeof(err)) < 0)
		return setup_failed(err, EXIT_VMM_FAILURE);
	pv_trace("boot ram-mapped-acpi-built");

	boot = (struct boot_request){
		.kernel_path = cfg->kernel,
		.initrd_path = cfg->initrd,
		.cmdline = vm_guest_cmdline(cfg),
		.rsdp_gpa = ACPI_RSDP_GPA,
		.acpi_tables_size = acpi_size,
		.layout = &m->layout,
		.ram = &m->ram,
		.unpack_on_host = !cfg->kernel_unpack_guest,
	};
	if ((status = boot_load_linux(&boot, &booted, err, sizeof(err))) != 0)
		return setup_failed(err, status);
	pv_trace("boot kernel-initrd-loaded");

	if ((status = vm_setup_memory_devices(m, err, sizeof(err))) != 0)
		return setup_failed(err, status);

	uart_init(&m->com1, &com1_ops, m);
	if (arch_register_devices(m) < 0) {
		pv_format(err, sizeof(err), "I/O port conflict while registering devices");
		return setup_failed(err, EXIT_VMM_FAILURE);
	}
	m->console = &m->com1_console;
	if ((status = console_open(m->console, m, &cfg->serial, &m->com1, err, sizeof(err))) != 0)
		return setup_failed(err, status);
	if ((status = vm_open_monitors(m, err, sizeof(err))) != 0)
		return setup_failed(err, status);

	m->nr_vcpus = cfg->nr_cpus;
	m->vcpus = calloc(m->nr_vcpus, sizeof(*m->vcpus));
	if (!m->vcpus) {
		pv_format(err, sizeof(err), "out of memory");
		return setup_failed(err, EXIT_VMM_FAILURE);
	}
	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		m->vcpus[i].fd = -1;
		if (vcpu_create(m, i, &m->vcpus[i], err, sizeof(err)) < 0)
			return setup_failed(err, EXIT_VMM_FAILURE);
	}
	if (boot_setup_bsp(m->vcpus[0].fd, booted.entry_gpa, err, sizeof(err)) < 0)
		return setup_failed(err, EXIT_VMM_FAILURE);
	pv_trace("boot vcpus-created");
	return 0;
}

/*
 * The main thread serves the monitors and the console. A vCPU thread wakes it in the
 * middle of a guest exit (an _OST write becomes a QMP event, console output); with the
 * default policy the woken thread preempts the vCPU thread on a busy CPU, and the guest
 * waits for the whole QMP round before its exit completes: 2-3 ms for one _OST write in
 * the nested bed (docs/benchmarks.md). SCHED_BATCH turns off wakeup preemption for this
 * thread alone (the vCPU threads, created before, keep the default policy); it still runs
 * at once on an idle CPU, otherwise at the next scheduler tick.
 */
static void let_vcpus_finish_exits_first(void)
{
	struct sched_param param = {0};

	if (sched_setscheduler(0, SCHED_BATCH, &param) < 0)
		pv_debug("SCHED_BATCH for the main thread: %s", strerror(errno));
}

static int restrict_warmup_thread(void *sb)
{
	return sandbox_restrict_thread(sb);
}

/* -sandbox on, first half: Landlock for every thread that exists (this one and the memmap
 * warm-up's; the vCPU threads, created next, inherit it). 0, or -1 with err. */
static int restrict_files(struct machine *m, struct sandbox *sb, struct sandbox_plan *plan,
			  char *err, size_t errlen)
{
	/* The JSON library draws its hash seed from /dev/urandom on first use: now, while it
	 * can still be read. */
	json_object_seed(0);
	if (sandbox_plan_for_config(plan, m->cfg, err, errlen) < 0)
		return -1;
	/* The terminal a blocked call hands back as it was. */
	if (m->console && m->console->raw) {
		plan->tty_fd = m->console->in_fd;
		plan->tty_mode = m->console->saved_termios;
	}
	if (sandbox_prepare(sb, plan, err, errlen) < 0)
		return -1;
	if (sandbox_restrict_thread(sb) < 0 ||
	    memmap_warmup_call(&m->memmap_warmup, restrict_warmup_thread, sb) < 0) {
		pv_format(err, errlen, "-sandbox: Landlock: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Main thread, after a guest panic (machine_guest_panicked): QEMU's GUEST_PANICKED
 * event, and with -action panic=pause the vCPUs stopped and a note on the console. */
static void react_to_panic(struct machine *m)
{
	const char *action = machine_take_panic_event(m);
	char note[192];

	if (!action)
		return;
	json_t *data = json_pack("{s:s}", "action", action);

	qmp_emit_event("GUEST_PANICKED", data);
	json_decref(data);
	if (machine_stopping(m))
		return; /* panic=shutdown: the stop message says it */
	if (strcmp(machine_run_state(m), "guest-panicked") == 0) {
		for (unsigned i = 0; i < m->nr_vcpus; i++)
			vcpu_stop(&m->vcpus[i]);
		snprintf(note, sizeof(note), "guest panicked (%s); vCPUs stopped, "
			       "the monitor still answers, quit ends plugvm with status 3",
			       m->panic_how);
	} else {
		snprintf(note, sizeof(note), "guest panicked (%s); -action "
			       "panic=none: the guest keeps running", m->panic_how);
	}
	pv_info("%s", note);
}

#define HOUSEKEEPING_MS 1000

static void housekeeping(void *opaque);

/* With every timer slot taken, vm_run polls with a timeout until one frees (listeners
 * backing off hold the others only briefly). */
static void arm_housekeeping(struct machine *m)
{
	m->housekeeping_armed =
		event_loop_add_timer(&m->loop, HOUSEKEEPING_MS, housekeeping, m) == 0;
	if (!m->housekeeping_armed)
		pv_debug("no timer slot for the once-a-second hotplug work; polling instead");
}

/* Once a second: re-pulse the GED for events the guest has not popped (an edge sent
 * before its handler existed is lost: docs/linux-facts.md, "Onlining, and the GED edge
 * before the driver listens"), withdraw eject requests the guest left unanswered, and
 * send the virtio-mem size-change events the rate limit held back. */
static void housekeeping(void *opaque)
{
	struct machine *m = opaque;
	uint64_t now = pv_now_ns();

	memhp_kick(&m->memory_devices->hp);
	memory_devices_tick(m->memory_devices, now);
	if (m->virtio_mem)
		vmem_devices_run_deferred(m->virtio_mem, now);
	arm_housekeeping(m);
}

int vm_run(struct machine *m)
{
	struct sandbox sb = { .ruleset_fd = -1 };
	struct sandbox_plan plan;
	char err[256];

	sandbox_plan_init(&plan);
	/* The sandbox is in force before the first guest instruction (docs/options.md,
	 * "-sandbox"): Landlock first, so that the vCPU threads inherit it; they wait for
	 * machine_release_vcpus; seccomp for all threads at once (TSYNC) once they exist. */
	if (m->cfg->sandbox && restrict_files(m, &sb, &plan, err, sizeof(err)) < 0)
		machine_request_shutdown(m, STOP_HOST_ERROR, EXIT_VMM_FAILURE, "%s", err);
	unsigned started = 0;
	for (; started < m->nr_vcpus && !machine_stopping(m); started++) {
		if (vcpu_start(&m->vcpus[started], err, sizeof(err)) < 0) {
			machine_request_shutdown(m, STOP_HOST_ERROR, EXIT_VMM_FAILURE, "%s", err);
			break;
		}
	}
	/* Every thread past its start-up (the sanitizers' makes calls the filter refuses). */
	machine_wait_for_vcpus(m, started);
	let_vcpus_finish_exits_first();
	if (m->cfg->sandbox && !machine_stopping(m) &&
	    sandbox_enter(&sb, &plan, err, sizeof(err)) < 0)
		machine_request_shutdown(m, STOP_HOST_ERROR, EXIT_VMM_FAILURE, "%s", err);
	if (sb.ruleset_fd >= 0)
		close(sb.ruleset_fd); /* a failure before sandbox_enter */
	sandbox_plan_free(&plan);
	/* A stop requested meanwhile lets them go straight to their end, never to KVM_RUN. */
	machine_release_vcpus(m);
	if (m->memory_devices)
		arm_housekeeping(m);

	/* Everything the main thread does is an fd event or a timer; a vCPU that needs it
	 * (a stop, a panic, a deferred event) writes the wake-up fd. */
	while (!machine_stopping(m)) {
		bool polling = m->memory_devices && !m->housekeeping_armed;

		event_loop_run_once(&m->loop, polling ? HOUSEKEEPING_MS : -1);
		react_to_panic(m);
		if (polling)
			arm_housekeeping(m);
	}
	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		struct kvm_regs regs;

		vcpu_stop(&m->vcpus[i]);
		/* Where each vCPU was when the VM stopped: the first clue for a hang. */
		if (ioctl(m->vcpus[i].fd, KVM_GET_REGS, &regs) == 0)
			pv_debug("vCPU %u stopped at RIP 0x%llx", i, (unsigned long long)regs.rip);
	}
	if (m->console)
		console_restore_terminal(m->console);
	/* Every stop, as docs/monitor.md says and QEMU does (host-error and guest-panic
	 * included): a client learns why before the sockets close. */
	react_to_panic(m); /* a panic that ended the loop at once */
	json_t *data = machine_shutdown_event(m);

	qmp_emit_event("SHUTDOWN", data);
	json_decref(data);
	if (m->stop_message[0])
		pv_info("%s", m->stop_message);
	return m->exit_status;
}

void vm_destroy(struct machine *m)
{
	for (unsigned i = 0; m->vcpus && i < m->nr_vcpus; i++)
		vcpu_destroy(&m->vcpus[i]);
	free(m->vcpus);
	m->vcpus = NULL;
	vm_close_monitors(m);
	if (m->console)
		console_close(m->console);
	memmap_warmup_stop(&m->memmap_warmup);
	if (m->virtio_mem)
		vmem_devices_destroy(m->virtio_mem);
	m->virtio_mem = NULL;
	if (m->memory_devices)
		memory_devices_destroy(m->memory_devices);
	backend_registry_clear(&m->backends);
	kvm_close(&m->kvm);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	m->signal_fd = -1;
	bus_reset(&m->pio_bus);
	bus_reset(&m->mmio_bus);
}
