/* Fixed guest-physical addresses, I/O ports and interrupt lines of the plugvm machine. */
#ifndef PLUGVM_PLATFORM_H
#define PLUGVM_PLATFORM_H

/* Guest-physical layout below 16 MiB (see docs/architecture.md). */
#define BOOT_GDT_GPA        0x0500ULL
#define BOOT_ZERO_PAGE_GPA  0x7000ULL
#define BOOT_PML4_GPA       0x9000ULL
#define BOOT_PDPT_GPA       0xA000ULL
#define BOOT_PD_GPA         0xB000ULL   /* four page directories, 0xB000-0xEFFF */
#define BOOT_CMDLINE_GPA    0x20000ULL
#define BOOT_CMDLINE_MAX    0x10000ULL
#define EBDA_START_GPA      0x9FC00ULL  /* e820 reserved from here to 640 KiB */
#define ACPI_RSDP_GPA       0xE0000ULL  /* the RSDP alone, e820 reserved up to 1 MiB, where the
					 * legacy scan looks; the reset stub follows */
#define RESET_VECTOR_GPA    0xffff0ULL  /* real-mode F000:FFF0, where a CPU reset starts */
/* The other ACPI tables, above 1 MiB so that their size is not capped by the BIOS area:
 * an e820 ACPI region from here, as long as they are rounded up to 4 KiB, at most
 * ACPI_TABLES_MAX_SIZE, well below the kernel (docs/acpi.md, "Where the tables are"). */
#define ACPI_TABLES_GPA     0x100000ULL
#define ACPI_TABLES_MAX_SIZE 0x100000ULL
#define KERNEL_LOAD_GPA     0x1000000ULL

/* The boot RAM below 4 GiB ends at most here; the rest goes above 4 GiB. */
#define LOW_RAM_MAX_END     0xC0000000ULL
#define HIGH_RAM_START      0x100000000ULL

/* virtio-mmio devices (virtio-mem): one VIRTIO_MMIO_WINDOW_SIZE window each, device n at
 * VIRTIO_MMIO_BASE_GPA + n * VIRTIO_MMIO_WINDOW_SIZE, where QEMU's microvm puts its
 * virtio-mmio transports. The 6 windows end at 0xFEB00C00: below the IOAPIC, far from the
 * LAPIC and KVM's identity map and TSS, and above any boot RAM (LOW_RAM_MAX_END). */
#define VIRTIO_MMIO_BASE_GPA     0xFEB00000ULL
#define VIRTIO_MMIO_WINDOW_SIZE  0x200ULL   /* virtio/virtio_mmio.h VIRTIO_MMIO_WINDOW */

#define IOAPIC_GPA          0xFEC00000ULL
#define LAPIC_GPA           0xFEE00000ULL
#define KVM_IDENTITY_MAP_GPA 0xFFFBC000ULL
#define KVM_TSS_GPA         0xFFFBD000ULL

/* I/O ports. */
#define COM1_PORT           0x3F8
#define COM1_GSI            4
#define I8042_STATUS_PORT   0x64
#define RESET_CONTROL_PORT  0xCF9      /* FADT RESET_REG, value 0x06 */
#define PVPANIC_PORT        0x0505     /* QEMU's pvpanic ISA port */
#define MEMHP_IO_BASE       0x0B00     /* memory hotplug registers, see mm/memhp_regs.h */
#define MEMHP_IO_LEN        0x30
#define SLEEP_CONTROL_PORT  0x0B40     /* FADT SLEEP_CONTROL_REG */
#define SLEEP_STATUS_PORT   0x0B41     /* FADT SLEEP_STATUS_REG */

/* The Generic Event Device's interrupts: edge, active high. */
#define GED_GSI             20         /* memory hotplug */
#define POWER_BUTTON_GSI    21         /* power button press (system_powerdown) */

/* virtio-mmio device n's interrupt: level-triggered, active high, one line each. KVM's
 * IOAPIC has 24 pins (GSI 0-23) and the MADT overrides none; 0-15 are left to the ISA
 * numbers (COM1 is 4), 20 and 21 are the GED's, so 22, 23, then 16-19. */
#define VIRTIO_MMIO_GSIS    { 22, 23, 16, 17, 18, 19 }
#define VIRTIO_MMIO_MAX_DEVICES 6 /* = PLUGVM_MAX_VIRTIO_MEM (config.h) */

#endif
