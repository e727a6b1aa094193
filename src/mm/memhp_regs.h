/*
 * The register block between the DSDT's AML and plugvm's memory hotplug
 * controller: 0x30 bytes of I/O ports at MEMHP_IO_BASE, 32-bit accesses.
 * docs/hotplug-protocol.md describes every register; the AML in
 * src/acpi/memhp_aml.c and the state machine in src/mm/memhp.c both follow it.
 */
#ifndef PLUGVM_MEMHP_REGS_H
#define PLUGVM_MEMHP_REGS_H

#define MEMHP_REG_SEL     0x00 /* RW: slot selector (a non-empty QUEUE read also loads it) */
#define MEMHP_REG_BASE_LO 0x04 /* RO: selected slot's base, low 32 bits (0 when empty) */
#define MEMHP_REG_BASE_HI 0x08 /* RO */
#define MEMHP_REG_LEN_LO  0x0C /* RO: length */
#define MEMHP_REG_LEN_HI  0x10 /* RO */
#define MEMHP_REG_PXM     0x14 /* RO: proximity domain */
#define MEMHP_REG_STATUS  0x18 /* RO: MEMHP_STATUS_* bits */
#define MEMHP_REG_CMD     0x1C /* WO: MEMHP_CMD_* */
#define MEMHP_REG_OST_EV  0x20 /* WO: _OST source event, latched for the selected slot */
#define MEMHP_REG_OST_ST  0x24 /* WO: _OST status; this write commits (slot, event, status) */
#define MEMHP_REG_QUEUE   0x28 /* RO, read pops: 0 empty, else MEMHP_QUEUE_VALID|code<<16|slot */
#define MEMHP_REG_INFO    0x2C /* RO: slot count (15:0), interface version (31:16) */

#define MEMHP_STATUS_ENABLED         (1u << 0)
#define MEMHP_STATUS_INSERT_PENDING  (1u << 1)
#define MEMHP_STATUS_EJECT_REQUESTED (1u << 2)

#define MEMHP_CMD_ACK_INSERT 1
#define MEMHP_CMD_ACK_EJECT  2
#define MEMHP_CMD_EJECT      3

#define MEMHP_QUEUE_VALID (1u << 31)
#define MEMHP_NOTIFY_DEVICE_CHECK 1
#define MEMHP_NOTIFY_EJECT_REQUEST 3

#define MEMHP_INTERFACE_VERSION 1

#endif
