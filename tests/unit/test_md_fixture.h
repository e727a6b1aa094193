/*
 * The machine of the memory-device tests (test_memory_devices.c, test_fault_inject.c):
 * a struct memory_devices on 512 MiB of boot RAM with SLOTS DIMM slots, its backend
 * registry and the control operations the monitors call, set up as vm.c sets them up
 * but without KVM: each test program brings its own fake of that and sets md's hooks.
 * The statics are the including test program's own (one fixture a program), which
 * includes <cmocka.h> first.
 */
#ifndef TEST_MD_FIXTURE_H
#define TEST_MD_FIXTURE_H

#include <string.h>

#include "mm/layout.h"
#include "mm/memhp_regs.h"
#include "mm/memory_devices.h"
#include "monitor/control.h"
#include "arch/x86/platform.h"
#include "util.h"

#define SLOTS 4
/* KVM slots 0..KVM_BASE-1 are boot RAM's: the first DIMM mapped gets KVM_BASE. */
#define KVM_BASE 2

static struct plugvm_config cfg;
static struct guest_layout layout;
static struct backend_registry backends;
static struct memory_devices md;
static struct control_ops ops;

/* A fresh machine whose maxmem leaves `hotplug` bytes above the boot RAM; md's hooks
 * are the test's to set. */
static void md_fixture_setup(uint64_t hotplug)
{
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.ram_size = 512 * MiB;
	cfg.slots = SLOTS;
	cfg.maxmem = 512 * MiB + hotplug;
	cfg.nr_cpus = 1;
	assert_int_equal(layout_compute(&cfg, 46, &layout, err, sizeof(err)), 0);
	backend_registry_init(&backends);
	assert_int_equal(memory_devices_init(&md, &cfg, &layout, &backends), 0);
	memset(&ops, 0, sizeof(ops));
	memory_devices_control_ops(&md, &ops);
}

static void md_fixture_teardown(void)
{
	memory_devices_destroy(&md);
	backend_registry_clear(&backends);
}

/* The guest's 32-bit access to a register of the hotplug controller (mm/memhp_regs.h),
 * as its vCPU's port exit reaches memory_devices. */
static void guest_write(unsigned reg, uint32_t v)
{
	memory_devices_io(&md, MEMHP_IO_BASE + reg, true, (uint8_t *)&v, 4);
}

static uint32_t guest_read(unsigned reg)
{
	uint32_t v = 0;

	memory_devices_io(&md, MEMHP_IO_BASE + reg, false, (uint8_t *)&v, 4);
	return v;
}

#endif
