/*
 * FADT, revision 6 (276 bytes), hardware-reduced: no PM1/GPE blocks, no
 * SCI, no FACS. What remains is reset (port 0xCF9), the sleep control and
 * status registers that make S5 (poweroff) possible, and the DSDT pointer.
 * Offsets: docs/linux-facts.md, "FADT fields Linux reads".
 */
#include "acpi/tables.h"

#include "arch/x86/platform.h"

#define FADT_OFF_DSDT 0x28
#define FADT_OFF_IAPC_BOOT_ARCH 0x6D
#define FADT_OFF_FLAGS 0x70
#define FADT_OFF_RESET_REG 0x74
#define FADT_OFF_MINOR_REVISION 0x83
#define FADT_OFF_X_DSDT 0x8C
#define FADT_OFF_SLEEP_CONTROL 0xF4

/* bit 4 PWR_BUTTON and bit 5 SLP_BUTTON: no fixed-feature buttons;
 * bit 10 RESET_REG_SUP; bit 20 HW_REDUCED_ACPI. */
#define FADT_FLAGS 0x00100430u
/* IAPC_BOOT_ARCH bit 5: no CMOS RTC. plugvm emulates no ports 0x70/0x71,
 * so rtc_cmos must not probe them. Bit 1 (8042) stays clear as well. */
#define FADT_BOOT_ARCH_NO_CMOS_RTC 0x0020u
#define FADT_RESET_VALUE 0x06

static void fadt_pad_to(struct aml_buf *t, size_t off)
{
	if (aml_buf_len(t) > off)
		t->failed = true; /* a field overran its slot: layout bug */
	else
		aml_buf_zeros(t, off - aml_buf_len(t));
}

void fadt_build(struct aml_buf *t, uint64_t dsdt_gpa)
{
	acpi_table_begin(t, "FACP", ACPI_FADT_REVISION, "PVFACP");
	/* FIRMWARE_CTRL 0 (no FACS), 32-bit DSDT only when it fits. */
	fadt_pad_to(t, FADT_OFF_DSDT);
	aml_buf_le(t, dsdt_gpa < (1ULL << 32) ? dsdt_gpa : 0, 4);
	/* SCI_INT, SMI_CMD, PM blocks and their lengths: all 0 in HW-reduced mode. */
	fadt_pad_to(t, FADT_OFF_IAPC_BOOT_ARCH);
	aml_buf_le(t, FADT_BOOT_ARCH_NO_CMOS_RTC, 2);
	fadt_pad_to(t, FADT_OFF_FLAGS);
	aml_buf_le(t, FADT_FLAGS, 4);
	acpi_gas(t, ACPI_GAS_SYSTEM_IO, 8, ACPI_GAS_ACCESS_BYTE, RESET_CONTROL_PORT);
	aml_buf_byte(t, FADT_RESET_VALUE);
	aml_buf_le(t, 0, 2);  /* ARM_BOOT_ARCH */
	aml_buf_byte(t, 3);   /* minor revision: ACPI 6.3; Linux ignores it */
	aml_buf_le(t, 0, 8);  /* X_FIRMWARE_CTRL */
	aml_buf_le(t, dsdt_gpa, 8);
	/* X_PM1a/b_EVT, X_PM1a/b_CNT, X_PM2_CNT, X_PM_TMR, X_GPE0/1: zero. */
	fadt_pad_to(t, FADT_OFF_SLEEP_CONTROL);
	acpi_gas(t, ACPI_GAS_SYSTEM_IO, 8, ACPI_GAS_ACCESS_BYTE, SLEEP_CONTROL_PORT);
	acpi_gas(t, ACPI_GAS_SYSTEM_IO, 8, ACPI_GAS_ACCESS_BYTE, SLEEP_STATUS_PORT);
	aml_buf_le(t, 0, 8);  /* hypervisor vendor identity */
	if (aml_buf_len(t) != ACPI_FADT_LEN)
		t->failed = true;
	acpi_table_finish(t);
}
