/* mm/dimm_props.c: pc-dimm's keys and number grammar, the one reading of -device pc-dimm
 * and device_add (test_options.c and test_memory_devices.c check each side's words). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "keyval.h"
#include "mm/dimm_props.h"

static void parse(const char *text, struct keyval_list *kv, struct dimm_props_parsed *p)
{
	char err[256];

	if (keyval_parse(text, "driver", kv, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", text, err);
	dimm_props_parse(kv, p);
}

static void test_keys(void **state)
{
	struct keyval_list kv;
	struct dimm_props_parsed p;

	(void)state;
	parse("pc-dimm,id=d1,memdev=m1,node=0,slot=1,addr=0x100000000", &kv, &p);
	assert_null(p.unknown);
	assert_string_equal(p.id, "d1");
	assert_string_equal(p.memdev, "m1");
	keyval_free(&kv);

	/* The first key pc-dimm lacks, in the order given. */
	parse("pc-dimm,id=d1,size=1G,colour=red", &kv, &p);
	assert_string_equal(p.unknown, "size");
	assert_null(p.memdev);
	keyval_free(&kv);
}

static void test_numbers(void **state)
{
	static const struct {
		const char *text;
		bool valid;
		uint64_t value;
	} cases[] = {
		{"8", true, 8},     {"010", true, 8},  {"0x10", true, 16}, {"0", true, 0},
		{"08", false, 0},   {"+1", false, 0},  {"-1", false, 0},   {"zz", false, 0},
		{"0x", false, 0},   {"", false, 0},    {"18446744073709551615", true, UINT64_MAX},
		{"18446744073709551616", false, 0},
	};
	char text[96];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *keys[] = {"node", "slot", "addr"};

		for (size_t k = 0; k < 3; k++) {
			struct keyval_list kv;
			struct dimm_props_parsed p;
			const struct dimm_number *n;

			snprintf(text, sizeof(text), "pc-dimm,id=d,%s=%s", keys[k], cases[i].text);
			parse(text, &kv, &p);
			n = k == 0 ? &p.node : k == 1 ? &p.slot : &p.addr;
			assert_string_equal(n->text, cases[i].text);
			if (n->valid != cases[i].valid)
				fail_msg("%s: valid %d", text, n->valid);
			if (n->valid)
				assert_true(n->value == cases[i].value);
			/* The other two are absent. */
			for (size_t o = 0; o < 3; o++) {
				const struct dimm_number *m = o == 0 ? &p.node : o == 1 ? &p.slot : &p.addr;

				if (o != k) {
					assert_null(m->text);
					assert_false(m->valid);
				}
			}
			keyval_free(&kv);
		}
	}
}

/* node=: config_has_node is the rule for pc-dimm and virtio-mem, -device and device_add. */
static void test_node_rule(void **state)
{
	static struct plugvm_config cfg;

	(void)state;
	assert_true(config_has_node(&cfg, 0)); /* no -numa: the one node 0 */
	assert_false(config_has_node(&cfg, 1));
	cfg.nr_numa = 2;
	cfg.numa[0].nodeid = 0;
	cfg.numa[1].nodeid = 1;
	assert_true(config_has_node(&cfg, 0));
	assert_true(config_has_node(&cfg, 1));
	assert_false(config_has_node(&cfg, 2));
	assert_false(config_has_node(&cfg, UINT64_MAX));
	assert_false(config_has_node(&cfg, (uint64_t)1 << 32)); /* not cut to 32 bits */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_node_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
