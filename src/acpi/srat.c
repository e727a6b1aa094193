/*
 * SRAT (revision 3, table revision 1): which NUMA node (proximity domain,
 * PXM = plugvm node id) each vCPU and each boot RAM range belongs to, plus
 * the hotplug window marked hot-pluggable.
 *
 * The hotplug window is emitted once per node, every entry spanning the
 * whole window [hotplug_base, hotplug_base + hotplug_size). Why this shape
 * is safe and useful for Linux 6.1 (arch/x86/mm/numa.c, drivers/acpi/numa/srat.c):
 *  - Each entry maps its PXM to a node, so a DIMM whose _PXM names node N
 *    lands on node N even when node N has no boot RAM and no vCPU.
 *  - numa_cleanup_meminfo() first moves every range that holds no e820 RAM
 *    to numa_reserved_meminfo, before it checks for overlaps between
 *    nodes; the window is never e820 RAM, so the overlapping entries are
 *    not an error and do not count towards "nodes only cover ... RAM".
 *  - Splitting the window per node would promise an address-to-node
 *    mapping that the DIMM allocator does not keep; the node comes from
 *    _PXM instead.
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

static unsigned srat_nr_nodes(const struct guest_layout *l)
{
	return l->nr_nodes ? l->nr_nodes : 1; /* no -numa: one implicit node 0 */
}

static int srat_check(const struct acpi_machine *m, char *err, size_t errlen)
{
	const struct guest_layout *l = m->layout;
	unsigned nodes = srat_nr_nodes(l);
	if (nodes > PLUGVM_MAX_NUMA_NODES || l->nr_ram > LAYOUT_MAX_RAM_RANGES) {
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
	if (l->hotplug_size)
		for (unsigned n = 0; n < srat_nr_nodes(l); n++)
			srat_mem(t, n, l->hotplug_base, l->hotplug_size,
				 SRAT_MEM_ENABLED | SRAT_MEM_HOTPLUGGABLE);
	acpi_table_finish(t);
	return 0;
}
