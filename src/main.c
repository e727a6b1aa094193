/* plugvm: a small VMM for memory-elastic Linux guests on /dev/kvm. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acpi/acpi.h"
#include "fault_inject.h"
#include "machine.h"
#include "options.h"
#include "privileges.h"
#include "trace.h"
#include "util.h"
#include "vm.h"

/* --dump-acpi needs no KVM: the guest's physical address width is taken
 * as the common 46 bits (48-bit hosts expose at least that under KVM). */
#define DUMP_ACPI_PHYS_BITS 46

static int dump_acpi(const struct plugvm_config *cfg)
{
	struct guest_layout layout;
	struct acpi_machine desc;
	char err[512];

	if (layout_compute(cfg, DUMP_ACPI_PHYS_BITS, &layout, err, sizeof(err)) < 0) {
		pv_error("%s", err);
		return EXIT_BAD_USAGE;
	}
	vm_describe_acpi(cfg, &layout, &desc);
	if (mkdir(cfg->dump_acpi_dir, 0755) < 0 && errno != EEXIST) {
		pv_error("--dump-acpi %s: %s", cfg->dump_acpi_dir, strerror(errno));
		return EXIT_VMM_FAILURE;
	}
	if (acpi_dump(&desc, cfg->dump_acpi_dir, err, sizeof(err)) < 0) {
		pv_error("--dump-acpi %s: %s", cfg->dump_acpi_dir, err);
		return EXIT_VMM_FAILURE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct plugvm_config cfg;
	/* A quarter MiB with the devices it owns: kept off the main thread's stack. */
	static struct machine m;
	int ret;

	pv_trace("boot main");
	struct process_ids ids = privileges_current();
	char err[256];

	/* Before anything is read or opened on the command line's behalf. */
	if (privileges_check(&ids, err, sizeof(err)) < 0) {
		pv_error("%s", err);
		return EXIT_VMM_FAILURE;
	}
	ret = options_parse(argc, argv, &cfg);
	if (ret == 1)
		return 0;
	if (ret)
		return EXIT_BAD_USAGE;
	/* Tests only (docs/testing.md, "Fault injection"): without it the monitors have no
	 * x-plugvm-inject-fault and no site ever fails. */
	if (fault_inject_init(getenv("PLUGVM_FAULT_INJECTION"), err, sizeof(err)) < 0) {
		pv_error("%s", err);
		options_free(&cfg);
		return EXIT_BAD_USAGE;
	}
	if (cfg.dump_acpi_dir) {
		ret = dump_acpi(&cfg);
		options_free(&cfg);
		return ret;
	}
	ret = vm_create(&m, &cfg);
	if (ret == 0)
		ret = vm_run(&m);
	vm_destroy(&m);
	options_free(&cfg);
	return ret;
}
