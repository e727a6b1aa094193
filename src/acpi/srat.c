/*
 * SRAT (revision 3, table revision 1): which NUMA node (proximity domain,
 * PXM = plugvm node id) each vCPU and each boot RAM range belongs to, plus
 * the hotplug window marked hot-pluggable.
 *
 * No two memory affinity ranges overlap. The window is split between the
 * nodes, one piece each in node order, whole memory blocks; docs/acpi.md
 * ("SRAT layout") says why, and why not QEMU's single range on the last node:
 * a node's DIMM finds its node through its _PXM, which Linux honours only for
 * PXMs the SRAT names, and a node without boot RAM or vCPUs is named only by
 * its piece of the window.
 */
#include "acpi/tables.h"

#include "util.h"

#define SRAT_CPU_AFFINITY 0
#define SRAT_MEM_AFFINITY 1
#define SRAT_MEM_ENABLED 0x1u
#define SRAT_MEM_HOTPLUGGABLE 0x2u

static void srat_cpu(struct aml_buf *t, unsigned apic_id, uint32_t pxm)
{
	aml_buf_byte(t, SRAT_CPU_AFFINITY);
	aml_buf_byte(t, 16);
	aml_buf_byte(t, (uint8_t)pxm);        /* PXM bits 7:0 */
	aml_buf_byte(t, (uint8_t)apic_id);
	aml_buf_le(t, 1, 4);                  /* enabled */
	aml_buf_byte(t, 0);                   /* local SAPIC EID */
	aml_buf_le(t, pxm >> 8, 3);           /* PXM bits 31:8 */
	aml_buf_le(t, 0, 4);                  /* clock domain */
}

static void srat_mem(struct aml_buf *t, uint32_t pxm, uint64_t base, uint64_t len, uint32_t flags)
{
	aml_buf_byte(t, SRAT_MEM_AFFINITY);
	aml_buf_byte(t, 40);
	aml_buf_le(t, pxm, 4);
	aml_buf_le(t, 0, 2);
	aml_buf_le(t, base, 8);
	aml_buf_le(t, len, 8);
	aml_buf_le(t, 0, 4);
	aml_buf_le(t, flags, 4);
	aml_buf_le(t, 0, 8);
}

/* The hotplug window, one piece per node in node order, the last to the window's end.
 * A piece is a whole number of memory blocks (Linux hot-adds memory in blocks), or of
 * 4 KiB pages when the window holds fewer blocks than there are nodes; an empty piece
 * (a window of less than a page per node) is left out. */
static void srat_window(struct aml_buf *t, const struct guest_layout *l)
{
	unsigned nodes = l->nr_nodes;
	uint64_t grain = l->block_size && l->hotplug_size / nodes >= l->block_size ? l->block_size
										  : 4096;
	uint64_t piece = align_down(l->hotplug_size / nodes, grain), base = l->hotplug_base;

	if (!l->hotplug_size)
		return;
	for (unsigned n = 0; n < nodes; n++) {
		uint64_t len = n + 1 < nodes ? piece : l->hotplug_base + l->hotplug_size - base;

		if (len)
			srat_mem(t, n, base, len, SRAT_MEM_ENABLED | SRAT_MEM_HOTPLUGGABLE);
		base += len;
	}
}

static int srat_check(const struct acpi_machine *m, char *err, size_t errlen)
{
	const struct guest_layout *l = m->layout;
	unsigned nodes = l->nr_nodes;
	if (nodes == 0 || nodes > PLUGVM_MAX_NUMA_NODES || l->nr_ram > LAYOUT_MAX_RAM_RANGES) {
		pv_format(err, errlen, "SRAT: bad layout (%u nodes, %u RAM ranges)", nodes, l->nr_ram);
		return -1;
	}
	for (unsigned i = 0; i < m->nr_cpus; i++)
		if (m->cpu_node[i] >= nodes) {
			pv_format(err, errlen, "SRAT: vCPU %u is on node %u, but there are %u nodes",
				  i, m->cpu_node[i], nodes);
			return -1;
		}
	for (unsigned i = 0; i < l->nr_ram; i++)
		if (l->ram[i].node >= nodes) {
			pv_format(err, errlen, "SRAT: RAM range %u is on node %u, but there are %u nodes",
				  i, l->ram[i].node, nodes);
			return -1;
		}
	return 0;
}

int srat_build(struct aml_buf *t, const struct acpi_machine *m, char *err, size_t errlen)
{
	const struct guest_layout *l = m->layout;
	if (srat_check(m, err, errlen) < 0)
		return -1;
	acpi_table_begin(t, "SRAT", ACPI_SRAT_REVISION, "PVSRAT");
	aml_buf_le(t, 1, 4); /* table revision 1 (Linux checks it, not the header's) */
	aml_buf_zeros(t, 8);
	for (unsigned i = 0; i < m->nr_cpus; i++)
		srat_cpu(t, i, m->cpu_node[i]);
	/* Every boot RAM range: Linux drops NUMA altogether when the SRAT
	 * misses any of the e820 RAM. */
	for (unsigned i = 0; i < l->nr_ram; i++)
		if (l->ram[i].size)
			srat_mem(t, l->ram[i].node, l->ram[i].gpa, l->ram[i].size, SRAT_MEM_ENABLED);
	srat_window(t, l);
	acpi_table_finish(t);
	return 0;
}
