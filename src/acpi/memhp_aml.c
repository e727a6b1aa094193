/*
 * \_SB.MHC0, the memory hotplug controller as the guest sees it: the
 * register block of mm/memhp_regs.h as a SystemIO OperationRegion, a mutex,
 * and one helper method per slot operation (the DIMM devices forward to
 * them with their slot index). docs/hotplug-protocol.md is the contract.
 */
#include "acpi/dsdt.h"

#include "mm/memhp_regs.h"
#include "arch/x86/platform.h"
#include "util.h"

/* How many queue entries one _EVT may pop. A device model whose port
 * floats to all-ones would otherwise keep the interpreter looping. */
#define MEMHP_AML_MAX_POPS 64
/* At most this many descriptors in one DIMM's _CRS (46 bytes each); a larger DIMM
 * gets one descriptor. 256 blocks of 128 MiB: DIMMs up to 32 GiB. */
#define MEMHP_AML_MAX_PIECES 256
#define MEMHP_AML_LOCK "HPLK"
#define MEMHP_AML_LOCK_WAIT 0xFFFF /* wait forever */

static void memhp_aml_regs(struct aml_buf *a)
{
	static const struct aml_field_unit regs[] = {
		{ "RSEL", 8 * MEMHP_REG_SEL, 32 },     { "RBLO", 8 * MEMHP_REG_BASE_LO, 32 },
		{ "RBHI", 8 * MEMHP_REG_BASE_HI, 32 }, { "RLLO", 8 * MEMHP_REG_LEN_LO, 32 },
		{ "RLHI", 8 * MEMHP_REG_LEN_HI, 32 },  { "RPXM", 8 * MEMHP_REG_PXM, 32 },
		{ "RSTA", 8 * MEMHP_REG_STATUS, 32 },  { "RCMD", 8 * MEMHP_REG_CMD, 32 },
		{ "ROEV", 8 * MEMHP_REG_OST_EV, 32 },  { "ROST", 8 * MEMHP_REG_OST_ST, 32 },
		{ "REVQ", 8 * MEMHP_REG_QUEUE, 32 },   { "RINF", 8 * MEMHP_REG_INFO, 32 },
	};
	aml_opregion(a, "HPIO", AML_SPACE_SYSTEM_IO, MEMHP_IO_BASE, MEMHP_IO_LEN);
	/* DWordAcc: the VMM only implements 32-bit accesses. */
	aml_field(a, "HPIO", AML_DWORD_ACC, AML_PRESERVE, regs, ARRAY_SIZE(regs));
	/* _EVT runs in the GED IRQ thread while _STA/_CRS/_OST/_EJ0 run from
	 * the hotplug workqueue: the mutex keeps "select, then access"
	 * sequences from interleaving. */
	aml_mutex(a, MEMHP_AML_LOCK, 0);
}

static void memhp_aml_lock(struct aml_buf *a)
{
	aml_put(a, aml_acquire(MEMHP_AML_LOCK, MEMHP_AML_LOCK_WAIT));
}

static void memhp_aml_unlock(struct aml_buf *a)
{
	aml_put(a, aml_release(MEMHP_AML_LOCK));
}

static void memhp_aml_select(struct aml_buf *a)
{
	aml_put(a, aml_store(aml_arg(0), aml_name("RSEL")));
}

/* SSTA(slot): 0x0F (present, enabled, shown, functioning) when mapped. */
static void memhp_aml_ssta(struct aml_buf *a)
{
	aml_mark m = aml_method_begin(a, "SSTA", 1, true);
	aml_put(a, aml_store(aml_zero(), aml_local(0)));
	memhp_aml_lock(a);
	memhp_aml_select(a);
	aml_mark i = aml_if_begin(a, aml_and(aml_name("RSTA"), aml_int(MEMHP_STATUS_ENABLED), aml_null()));
	aml_put(a, aml_store(aml_int(0x0F), aml_local(0)));
	aml_end(a, i);
	memhp_aml_unlock(a);
	aml_put(a, aml_return(aml_local(0)));
	aml_end(a, m);
}

/*
 * SCRS(slot): the DIMM's _CRS. Normally one QWordMemory descriptor patched with base and
 * length. With piece_size (the guest's memory block size, when the guest was started
 * with memory_hotplug.memmap_on_memory) it is one descriptor per memory block, highest
 * address first: Linux 6.1 puts a block's memmap on the block itself only when one
 * add_memory() call covers exactly one block, and its ACPI memory driver merges a
 * descriptor into the one just below it, never into the one just above, so a
 * descending list stays one call per block. Dimensions come from plugvm, not from the
 * guest; the loop is bounded by MEMHP_AML_MAX_PIECES all the same.
 *   Local0 base, Local1 length, Local2 result, Local3 start of the current piece
 */
static void scrs_patch(struct aml_buf *a, struct aml_expr base, struct aml_expr len)
{
	aml_put(a, aml_store(base, aml_name("BMIN")));
	aml_put(a, aml_store(len, aml_name("BLEN")));
	/* BMAX = BMIN + BLEN - 1 */
	aml_put(a, aml_subtract(aml_add(aml_name("BMIN"), aml_name("BLEN"), aml_null()), aml_one(),
				aml_name("BMAX")));
}

static void memhp_aml_scrs(struct aml_buf *a, uint64_t piece_size)
{
	aml_mark m = aml_method_begin(a, "SCRS", 1, true);
	aml_name_decl(a, "MBUF", aml_restemplate(aml_res_qword_memory(0, 0)));
	aml_put(a, aml_create_qword_field(aml_name("MBUF"), aml_int(AML_QWMEM_MIN_OFF), "BMIN"));
	aml_put(a, aml_create_qword_field(aml_name("MBUF"), aml_int(AML_QWMEM_MAX_OFF), "BMAX"));
	aml_put(a, aml_create_qword_field(aml_name("MBUF"), aml_int(AML_QWMEM_LEN_OFF), "BLEN"));
	memhp_aml_lock(a);
	memhp_aml_select(a);
	/* Local0 = (RBHI << 32) | RBLO; Local1 = (RLHI << 32) | RLLO */
	aml_put(a, aml_or(aml_shiftleft(aml_name("RBHI"), aml_int(32), aml_null()), aml_name("RBLO"),
			  aml_local(0)));
	aml_put(a, aml_or(aml_shiftleft(aml_name("RLHI"), aml_int(32), aml_null()), aml_name("RLLO"),
			  aml_local(1)));
	memhp_aml_unlock(a);
	if (piece_size) {
		/* If (Local1 && !(Local1 & (piece - 1)) && !(Local1 > MAX * piece)) */
		aml_mark i = aml_if_begin(
			a, aml_land(aml_land(aml_local(1),
					     aml_lequal(aml_and(aml_local(1), aml_int(piece_size - 1),
								aml_null()),
							aml_zero())),
				    aml_lnot(aml_lgreater(aml_local(1),
							  aml_int(piece_size * MEMHP_AML_MAX_PIECES)))));
		aml_put(a, aml_store(aml_restemplate((struct aml_expr){ 0 }), aml_local(2)));
		aml_put(a, aml_add(aml_local(0), aml_local(1), aml_local(3)));
		aml_mark w = aml_while_begin(a, aml_lgreater(aml_local(3), aml_local(0)));
		aml_put(a, aml_subtract(aml_local(3), aml_int(piece_size), aml_local(3)));
		scrs_patch(a, aml_local(3), aml_int(piece_size));
		aml_put(a, aml_concat_res(aml_local(2), aml_name("MBUF"), aml_local(2)));
		aml_end(a, w);
		aml_put(a, aml_return(aml_local(2)));
		aml_end(a, i);
	}
	scrs_patch(a, aml_local(0), aml_local(1));
	aml_put(a, aml_return(aml_name("MBUF")));
	aml_end(a, m);
}

/* SPXM(slot): the slot's proximity domain (= plugvm node id). */
static void memhp_aml_spxm(struct aml_buf *a)
{
	aml_mark m = aml_method_begin(a, "SPXM", 1, true);
	memhp_aml_lock(a);
	memhp_aml_select(a);
	aml_put(a, aml_store(aml_name("RPXM"), aml_local(0)));
	memhp_aml_unlock(a);
	aml_put(a, aml_return(aml_local(0)));
	aml_end(a, m);
}

/* SEJ0(slot, arg): _EJ0(1) asks the VMM to unmap the slot. The VMM does it
 * before the port write returns, so Linux's next _STA already reads 0. */
static void memhp_aml_sej0(struct aml_buf *a)
{
	aml_mark m = aml_method_begin(a, "SEJ0", 2, true);
	aml_mark i = aml_if_begin(a, aml_lequal(aml_arg(1), aml_one()));
	memhp_aml_lock(a);
	memhp_aml_select(a);
	aml_put(a, aml_store(aml_int(MEMHP_CMD_EJECT), aml_name("RCMD")));
	memhp_aml_unlock(a);
	aml_end(a, i);
	aml_end(a, m);
}

/* SOST(slot, event, status): the write of the status commits all three. */
static void memhp_aml_sost(struct aml_buf *a)
{
	aml_mark m = aml_method_begin(a, "SOST", 3, true);
	memhp_aml_lock(a);
	memhp_aml_select(a);
	aml_put(a, aml_store(aml_arg(1), aml_name("ROEV")));
	aml_put(a, aml_store(aml_arg(2), aml_name("ROST")));
	memhp_aml_unlock(a);
	aml_end(a, m);
}

/*
 * SSCN(): called from GED._EVT. Pops REVQ until it reads 0 (one port read
 * per event, whatever the number of slots) and notifies each popped slot,
 * at most MEMHP_AML_MAX_POPS times per interrupt.
 *   Local0 entry, Local1 pops left, Local2 slot, Local3 notify code
 */
static void memhp_aml_sscn(struct aml_buf *a)
{
	aml_mark m = aml_method_begin(a, "SSCN", 0, true);
	aml_put(a, aml_store(aml_int(MEMHP_AML_MAX_POPS), aml_local(1)));
	memhp_aml_lock(a);
	aml_put(a, aml_store(aml_name("REVQ"), aml_local(0)));
	aml_mark w = aml_while_begin(
		a, aml_land(aml_and(aml_local(0), aml_int(MEMHP_QUEUE_VALID), aml_null()), aml_local(1)));
	aml_put(a, aml_and(aml_local(0), aml_int(0xFFFF), aml_local(2)));
	aml_put(a, aml_and(aml_shiftright(aml_local(0), aml_int(16), aml_null()), aml_int(0xFF),
			   aml_local(3)));
	/* Only the two codes the protocol defines reach Notify. */
	aml_mark i = aml_if_begin(a, aml_lor(aml_lequal(aml_local(3), aml_int(MEMHP_NOTIFY_DEVICE_CHECK)),
					     aml_lequal(aml_local(3), aml_int(MEMHP_NOTIFY_EJECT_REQUEST))));
	aml_put(a, aml_call2("SNFY", aml_local(2), aml_local(3)));
	aml_end(a, i);
	aml_put(a, aml_decrement(aml_local(1)));
	aml_put(a, aml_store(aml_name("REVQ"), aml_local(0)));
	aml_end(a, w);
	memhp_aml_unlock(a);
	aml_end(a, m);
}

void memhp_aml(struct aml_buf *a, unsigned nr_slots, uint64_t piece_size)
{
	aml_mark dev = aml_device_begin(a, "MHC0");
	/* PNP0C02 makes Linux's PnP system driver reserve the ports. */
	aml_name_decl(a, "_HID", aml_eisaid("PNP0C02"));
	aml_name_decl(a, "_UID", aml_string("plugvm memory hotplug"));
	aml_name_decl(a, "_STA", aml_int(0x0B)); /* present, enabled, hidden, functioning */
	aml_name_decl(a, "_CRS", aml_restemplate(aml_res_io(MEMHP_IO_BASE, MEMHP_IO_BASE, 1, MEMHP_IO_LEN)));
	memhp_aml_regs(a);
	memhp_aml_ssta(a);
	memhp_aml_scrs(a, piece_size);
	memhp_aml_spxm(a);
	memhp_aml_sej0(a);
	memhp_aml_sost(a);
	memhp_notify_aml(a, nr_slots);
	memhp_aml_sscn(a);
	aml_end(a, dev);
}
