/* Where the x86 machine's register blocks sit in port I/O space (arch/x86/platform.h). */
#include "arch/arch.h"

#include "arch/x86/platform.h"
#include "arch/x86/power.h"
#include "bus.h"
#include "machine.h"
#include "mm/memory_devices.h"
#include "uart.h"

int arch_register_devices(struct machine *m)
{
	if (bus_register(&m->pio_bus, COM1_PORT, 8, uart_io, &m->com1) < 0)
		return -1;
	return power_init(m);
}

/* The port bus hands the offset in the block; memory_devices_io takes the port. */
static void memhp_io(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	memory_devices_io(opaque, (uint16_t)(MEMHP_IO_BASE + offset), is_write, data, size);
}

int arch_register_memhp(struct machine *m, struct memory_devices *md)
{
	return bus_register(&m->pio_bus, MEMHP_IO_BASE, MEMHP_IO_LEN, memhp_io, md);
}
