/*
 * The command line: the input is split into arguments (at NUL bytes when it has any,
 * else at newlines; argv[0] is "plugvm") and parsed by options_parse (src/options*.c with
 * keyval.c and size.c), which reports errors by return value and never exits. A
 * configuration it accepts then goes through layout_compute (src/mm/layout.c), as
 * plugvm does next. Nothing here opens a file: options_parse only stores paths.
 *
 * Invariants (options.h's contract):
 *   - the result is 0, 1 or 2; on 2 exactly one line went to stderr, on 1 none (the help
 *     or version went to stdout), on 0 at most one (a warning);
 *   - on 1 and 2 nothing is left in cfg (and ASan finds no leak after options_free);
 *   - an accepted configuration is consistent: 1..PLUGVM_MAX_CPUS CPUs each on a node
 *     that exists, maxmem >= RAM with room above it exactly when there are slots, the
 *     NUMA nodes' memory adding up to the RAM, the tables within their bounds;
 *   - a layout computed from it puts the RAM ranges, without overlap, below the hotplug
 *     window, which fits the guest's physical address space.
 */
#include <sys/types.h>

#include "fuzz_common.h"
#include "mm/layout.h"
#include "options.h"

#define MAX_ARGS 128

/* stderr as a stream that counts writes: an unbuffered stream writes each fprintf (one
 * pv_error or pv_info line, at most 1 KiB) in one call. */
static unsigned err_writes;

static ssize_t count_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie, (void)buf;
	err_writes++;
	return (ssize_t)len;
}

static FILE *counting_stream(void)
{
	static FILE *f;

	if (!f) {
		f = fopencookie(NULL, "w", (cookie_io_functions_t){ .write = count_write });
		FUZZ_CHECK(f, "fopencookie");
		setvbuf(f, NULL, _IONBF, 0);
	}
	return f;
}

static void check_config(const struct plugvm_config *cfg)
{
	uint64_t numa_sum = 0;

	FUZZ_CHECK(cfg->nr_cpus >= 1 && cfg->nr_cpus <= PLUGVM_MAX_CPUS, "%u CPUs", cfg->nr_cpus);
	FUZZ_CHECK(cfg->ram_size > 0, "no RAM");
	FUZZ_CHECK(cfg->slots <= PLUGVM_MAX_SLOTS, "%u slots", cfg->slots);
	FUZZ_CHECK(cfg->maxmem >= cfg->ram_size, "maxmem 0x%llx below RAM 0x%llx",
		   (unsigned long long)cfg->maxmem, (unsigned long long)cfg->ram_size);
	FUZZ_CHECK((cfg->slots > 0) == (cfg->maxmem > cfg->ram_size),
		   "%u slots with maxmem 0x%llx and RAM 0x%llx", cfg->slots,
		   (unsigned long long)cfg->maxmem, (unsigned long long)cfg->ram_size);
	FUZZ_CHECK(cfg->nr_numa <= PLUGVM_MAX_NUMA_NODES, "%u NUMA nodes", cfg->nr_numa);
	FUZZ_CHECK(cfg->nr_objects <= PLUGVM_MAX_OBJECTS && cfg->nr_devices <= PLUGVM_MAX_DEVICES,
		   "%u objects, %u devices", cfg->nr_objects, cfg->nr_devices);
	FUZZ_CHECK(cfg->nr_qmp <= PLUGVM_MAX_MONITORS && cfg->nr_monitor <= PLUGVM_MAX_MONITORS,
		   "%u QMP and %u HMP monitors", cfg->nr_qmp, cfg->nr_monitor);
	for (unsigned i = 0; i < cfg->nr_numa; i++)
		numa_sum += cfg->numa[i].mem_size;
	FUZZ_CHECK(cfg->nr_numa == 0 || numa_sum == cfg->ram_size,
		   "NUMA nodes hold 0x%llx of RAM 0x%llx", (unsigned long long)numa_sum,
		   (unsigned long long)cfg->ram_size);
	for (unsigned c = 0; c < cfg->nr_cpus; c++) {
		unsigned node = config_cpu_node(cfg, c);
		bool found = cfg->nr_numa == 0 && node == 0;

		for (unsigned i = 0; i < cfg->nr_numa; i++)
			found |= cfg->numa[i].nodeid == node;
		FUZZ_CHECK(found, "CPU %u on node %u, which does not exist", c, node);
	}
}

static void check_layout(const struct plugvm_config *cfg, const struct guest_layout *l)
{
	uint64_t sum = 0, end = 0;

	FUZZ_CHECK(l->nr_ram >= 1 && l->nr_ram <= LAYOUT_MAX_RAM_RANGES, "%u RAM ranges", l->nr_ram);
	for (unsigned i = 0; i < l->nr_ram; i++) {
		const struct ram_range *r = &l->ram[i];

		FUZZ_CHECK(r->size > 0 && r->gpa + r->size > r->gpa, "range %u empty or wrapping", i);
		FUZZ_CHECK(r->gpa >= end, "range %u at 0x%llx overlaps the one before (end 0x%llx)",
			   i, (unsigned long long)r->gpa, (unsigned long long)end);
		end = r->gpa + r->size;
		sum += r->size;
	}
	FUZZ_CHECK(sum == cfg->ram_size, "ranges hold 0x%llx of RAM 0x%llx",
		   (unsigned long long)sum, (unsigned long long)cfg->ram_size);
	FUZZ_CHECK(l->low_ram_end <= 4ULL << 30, "low RAM ends at 0x%llx",
		   (unsigned long long)l->low_ram_end);
	if (cfg->slots) {
		FUZZ_CHECK(l->hotplug_base >= end, "hotplug window 0x%llx below RAM end 0x%llx",
			   (unsigned long long)l->hotplug_base, (unsigned long long)end);
		FUZZ_CHECK(l->hotplug_size == cfg->maxmem - cfg->ram_size,
			   "window 0x%llx for maxmem-RAM 0x%llx", (unsigned long long)l->hotplug_size,
			   (unsigned long long)(cfg->maxmem - cfg->ram_size));
		FUZZ_CHECK(l->hotplug_base + l->hotplug_size >= l->hotplug_base &&
				   (l->phys_bits >= 64 ||
				    l->hotplug_base + l->hotplug_size <= 1ULL << l->phys_bits),
			   "window 0x%llx+0x%llx beyond %u physical address bits",
			   (unsigned long long)l->hotplug_base, (unsigned long long)l->hotplug_size,
			   l->phys_bits);
	}
	FUZZ_CHECK(l->block_size && (l->block_size & (l->block_size - 1)) == 0,
		   "block size 0x%llx", (unsigned long long)l->block_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *argv[MAX_ARGS + 2];
	char sep = memchr(data, '\0', size) ? '\0' : '\n';
	struct plugvm_config cfg;
	struct guest_layout layout;
	unsigned phys_bits;
	char err[256];
	int argc = 1, ret;

	FUZZ_CHECK(text, "malloc");
	memcpy(text, data, size);
	text[size] = '\0';
	argv[0] = "plugvm";
	for (char *p = text; p <= text + size && argc <= MAX_ARGS;) {
		char *end = memchr(p, sep, (size_t)(text + size - p));

		if (!end)
			end = text + size;
		*end = '\0';
		argv[argc++] = p;
		p = end + 1;
	}
	argv[argc] = NULL;
	/* The guest's physical address width, as KVM would report it (36..52). */
	phys_bits = 36 + (size ? data[size - 1] : 0) % 17;

	err_writes = 0;
	fuzz_stdio_redirect(NULL, counting_stream());
	ret = options_parse(argc, argv, &cfg);
	fuzz_stdio_restore();

	FUZZ_CHECK(ret == 0 || ret == 1 || ret == 2, "options_parse returned %d", ret);
	if (ret == 2)
		FUZZ_CHECK(err_writes == 1, "%u lines to stderr for a refused command line", err_writes);
	if (ret == 1)
		FUZZ_CHECK(err_writes == 0, "%u lines to stderr with --help or --version", err_writes);
	if (ret == 0)
		FUZZ_CHECK(err_writes <= 1, "%u lines to stderr for an accepted command line",
			   err_writes);
	if (ret != 0) {
		FUZZ_CHECK(!cfg.name && !cfg.nr_objects && !cfg.nr_devices,
			   "result %d left name %p, %u objects, %u devices", ret, (void *)cfg.name,
			   cfg.nr_objects, cfg.nr_devices);
	} else {
		check_config(&cfg);
		if (layout_compute(&cfg, phys_bits, &layout, err, sizeof(err)) == 0)
			check_layout(&cfg, &layout);
	}
	options_free(&cfg);
	options_free(&cfg); /* "Safe to call twice." */
	free(text);
	return 0;
}
