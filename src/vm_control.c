/* The control operations that concern the whole machine, and the monitors
 * (QMP, HMP) that call them. The memory operations come from memory_devices. */
#include "vm_control.h"

#include <stddef.h>
#include <string.h>

#include "console.h"
#include "mm/memory_devices.h"
#include "mm/virtio_mem_devices.h"
#include "monitor/memory_device_events.h"
#include "monitor/monitors.h"
#include "monitor/qmp.h"

/*
 * The monitors call every operation with the one opaque of struct control_ops, which the
 * memory operations (memory_devices_control_ops) take as their struct memory_devices.
 * That is the machine's own memory_devices_store, so the machine-wide operations find
 * their machine around it.
 */
static struct machine *machine_of(void *opaque)
{
	return (struct machine *)((char *)opaque - offsetof(struct machine, memory_devices_store));
}

static const char *op_run_state(void *opaque)
{
	return machine_run_state(machine_of(opaque));
}

/* As QEMU: press the ACPI power button and let the guest decide. A guest
 * that handles it powers off (plugvm then exits 0); one that does not keeps
 * running, and `quit` ends it. */
static void op_system_powerdown(void *opaque)
{
	qmp_emit_event("POWERDOWN", NULL);
	machine_press_power_button(machine_of(opaque));
}

static void op_system_reset(void *opaque)
{
	machine_request_shutdown(machine_of(opaque), STOP_HOST_QMP_SYSTEM_RESET, EXIT_GUEST_DONE,
				 "system_reset: plugvm exits on reset");
}

static void op_quit(void *opaque)
{
	machine_request_shutdown(machine_of(opaque), STOP_HOST_QMP_QUIT, EXIT_GUEST_DONE,
				 "quit from the monitor");
}

/* The virtio-mem side of the memory operations (mm/virtio_mem_devices.c). */
static unsigned op_virtio_mem_devices(void *opaque, struct virtio_mem_device_info *out,
				      unsigned max)
{
	return vmem_devices_query(machine_of(opaque)->virtio_mem, out, max);
}

static int op_qom_get(void *opaque, const char *path, const char *property, struct qom_value *out,
		      struct control_error *err)
{
	return vmem_devices_qom_get(machine_of(opaque)->virtio_mem, path, property, out, err);
}

static int op_qom_set(void *opaque, const char *path, const char *property, const char *value,
		      struct control_error *err)
{
	return vmem_devices_qom_set(machine_of(opaque)->virtio_mem, path, property, value, err);
}

/* QEMU's plugged-memory counts every memory device: the DIMMs, and what the guest has
 * plugged of each virtio-mem device. */
static void op_memory_size_summary(void *opaque, uint64_t *base, uint64_t *plugged)
{
	memory_devices_query_size_summary(opaque, base, plugged);
	*plugged += vmem_devices_plugged_size(machine_of(opaque)->virtio_mem);
}

void vm_control_machine_ops(struct machine *m, struct control_ops *ops)
{
	ops->opaque = &m->memory_devices_store;
	ops->run_state = op_run_state;
	ops->system_powerdown = op_system_powerdown;
	ops->system_reset = op_system_reset;
	ops->quit = op_quit;
}

int vm_open_monitors(struct machine *m, char *err, size_t errlen)
{
	struct control_ops *ops = &m->control_ops;

	memset(ops, 0, sizeof(*ops));
	memory_devices_control_ops(m->memory_devices, ops);
	vm_control_machine_ops(m, ops);
	ops->virtio_mem_devices = op_virtio_mem_devices;
	ops->qom_get = op_qom_get;
	ops->qom_set = op_qom_set;
	ops->memory_size_summary = op_memory_size_summary;
	m->memory_devices->emit = memory_device_event_send;
	if (m->virtio_mem)
		m->virtio_mem->emit = memory_device_event_send;
	int status = monitors_init(&m->loop, m->cfg, ops,
				   m->cfg->serial.kind == CHARDEV_MON_STDIO ? m->console : NULL,
				   err, errlen);

	if (status != 0)
		return status;
	m->monitors_open = true;
	return 0;
}

void vm_close_monitors(struct machine *m)
{
	if (m->monitors_open)
		monitors_close();
	m->monitors_open = false;
}
