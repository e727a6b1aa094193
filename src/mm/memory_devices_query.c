/* The read-only side of the memory devices: what the monitors' queries show. */
#include "mm/memory_devices.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* The monitors' buffers take every id pv_check_id lets in, whole. */
_Static_assert(sizeof(((struct memory_device_info *)0)->id) > PV_ID_MAX, "DIMM id buffer");
_Static_assert(sizeof(((struct memory_device_info *)0)->memdev) > PV_ID_MAX, "memdev buffer");
_Static_assert(sizeof(((struct memdev_info *)0)->id) > PV_ID_MAX, "memdev id buffer");
_Static_assert(sizeof(((struct ospm_status_info *)0)->device) > PV_ID_MAX, "_OST id buffer");

unsigned memory_devices_query_dimms(void *opaque, struct memory_device_info *out, unsigned max)
{
	struct memory_devices *md = opaque;
	unsigned n = 0;

	pthread_mutex_lock(&md->lock);
	for (unsigned i = 0; i < md->alloc.nr_slots && n < max; i++) {
		const struct dimm *d = &md->dimm[i];

		if (!d->used)
			continue;
		out[n] = (struct memory_device_info){ .addr = d->addr, .size = d->size, .slot = i,
						      .node = d->node, .hotplugged = d->hotplugged,
						      .hotpluggable = true,
						      .unplug_pending = d->unplug_pending };
		snprintf(out[n].id, sizeof(out[n].id), "%s", d->id);
		snprintf(out[n].memdev, sizeof(out[n].memdev), "%s", d->backend->id);
		n++;
	}
	pthread_mutex_unlock(&md->lock);
	return n;
}

unsigned memory_devices_query_memdevs(void *opaque, struct memdev_info *out, unsigned max)
{
	struct memory_devices *md = opaque;
	unsigned n = 0;

	pthread_mutex_lock(&md->lock);
	for (unsigned i = 0; i < md->backends->count && n < max; i++) {
		const struct mem_backend *b = md->backends->items[i];

		out[n] = (struct memdev_info){ .size = b->size, .merge = true, .dump = true,
					       .prealloc = b->prealloc, .share = b->share,
					       .reserve = b->reserve };
		snprintf(out[n].id, sizeof(out[n].id), "%s", b->id);
		snprintf(out[n].type, sizeof(out[n].type), "%s", b->type);
		snprintf(out[n].policy, sizeof(out[n].policy), "default");
		n++;
	}
	pthread_mutex_unlock(&md->lock);
	return n;
}

unsigned memory_devices_query_ospm(void *opaque, struct ospm_status_info *out, unsigned max)
{
	struct memory_devices *md = opaque;
	unsigned n = 0;

	pthread_mutex_lock(&md->lock);
	for (unsigned i = 0; i < md->alloc.nr_slots && n < max; i++) {
		if (!md->ost[i].valid && !md->dimm[i].used)
			continue;
		out[n] = (struct ospm_status_info){ .source = md->ost[i].source,
						    .status = md->ost[i].status };
		snprintf(out[n].device, sizeof(out[n].device), "%s",
			 md->dimm[i].used ? md->dimm[i].id : "");
		snprintf(out[n].slot, sizeof(out[n].slot), "%u", i);
		n++;
	}
	pthread_mutex_unlock(&md->lock);
	return n;
}

unsigned memory_devices_query_numa(void *opaque, struct numa_node_info *out, unsigned max)
{
	struct memory_devices *md = opaque;
	const struct plugvm_config *cfg = md->cfg;
	unsigned nr = config_nr_nodes(cfg);

	if (nr > max)
		nr = max;
	pthread_mutex_lock(&md->lock);
	for (unsigned n = 0; n < nr; n++) {
		struct numa_node_info *o = &out[n];

		memset(o, 0, sizeof(*o));
		o->nodeid = config_node_id(cfg, n);
		for (unsigned r = 0; r < md->layout->nr_ram; r++)
			if (md->layout->ram[r].node == o->nodeid)
				o->mem_size += md->layout->ram[r].size;
		for (unsigned s = 0; s < md->alloc.nr_slots; s++)
			if (md->dimm[s].used && md->dimm[s].node == o->nodeid)
				o->mem_size += md->dimm[s].size;
		for (unsigned c = 0; c < cfg->nr_cpus && o->nr_cpus < ARRAY_SIZE(o->cpus); c++)
			if (config_cpu_node(cfg, c) == o->nodeid)
				o->cpus[o->nr_cpus++] = c;
	}
	pthread_mutex_unlock(&md->lock);
	return nr;
}

void memory_devices_query_size_summary(void *opaque, uint64_t *base, uint64_t *plugged)
{
	struct memory_devices *md = opaque;

	pthread_mutex_lock(&md->lock);
	*base = md->cfg->ram_size;
	*plugged = 0;
	for (unsigned i = 0; i < md->alloc.nr_slots; i++)
		if (md->dimm[i].used)
			*plugged += md->dimm[i].size;
	pthread_mutex_unlock(&md->lock);
}

