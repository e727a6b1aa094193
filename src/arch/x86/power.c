#include "arch/x86/power.h"

#include <string.h>

#include "bus.h"
#include "arch/x86/platform.h"
#include "util.h"

#define SLP_EN 0x20
#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x1c
#define S5_TYPE 5 /* \_S5 in the DSDT is Package {5, 0, 0, 0} */
#define RESET_VALUE 0x06
#define I8042_CMD_RESET 0xfe

static void sleep_io(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct machine *m = opaque;

	if (!is_write) {
		memset(data, 0, size);
		return;
	}
	if (offset == 0 && (data[0] & SLP_EN) &&
	    ((data[0] & SLP_TYP_MASK) >> SLP_TYP_SHIFT) == S5_TYPE)
		machine_request_shutdown(m, STOP_GUEST_SHUTDOWN, EXIT_GUEST_DONE,
					 "guest powered off");
	/* SLEEP_STATUS writes (WAK_STS clear) need no state. */
}

static void reset_io(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct machine *m = opaque;

	(void)offset;
	if (!is_write) {
		memset(data, 0, size);
		return;
	}
	if ((data[0] & RESET_VALUE) == RESET_VALUE)
		machine_request_shutdown(m, STOP_GUEST_RESET, EXIT_GUEST_DONE,
					 "guest rebooted (plugvm exits on reboot)");
}

static void i8042_io(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct machine *m = opaque;

	(void)offset;
	if (!is_write) {
		/* Status 0: input buffer empty, so Linux's kb_wait() does not spin. */
		memset(data, 0, size);
		return;
	}
	if (data[0] == I8042_CMD_RESET)
		machine_request_shutdown(m, STOP_GUEST_RESET, EXIT_GUEST_DONE,
					 "guest rebooted (plugvm exits on reboot)");
}

/* pvpanic: reads advertise the events we understand; a write of
 * PANICKED comes from the guest's panic notifier. */
#define PVPANIC_PANICKED 0x1
#define PVPANIC_CRASH_LOADED 0x2

static void pvpanic_io(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct machine *m = opaque;

	(void)offset;
	if (!is_write) {
		memset(data, 0, size);
		data[0] = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
		return;
	}
	if (data[0] & PVPANIC_PANICKED)
		machine_guest_panicked(m, "pvpanic");
	/* CRASH_LOADED: a kdump kernel takes over; let it run. */
}

int power_init(struct machine *m)
{
	if (bus_register(&m->pio_bus, SLEEP_CONTROL_PORT, 2, sleep_io, m) < 0 ||
	    bus_register(&m->pio_bus, RESET_CONTROL_PORT, 1, reset_io, m) < 0 ||
	    bus_register(&m->pio_bus, I8042_STATUS_PORT, 1, i8042_io, m) < 0 ||
	    bus_register(&m->pio_bus, PVPANIC_PORT, 1, pvpanic_io, m) < 0)
		return -1;
	return 0;
}
