/* x-plugvm-inject-fault: arms a fault injection site (src/fault_inject.h); tests only,
 * present only when plugvm was started with PLUGVM_FAULT_INJECTION (docs/monitor.md). */
#include "fault_inject.h"
#include "monitor/qmp_internal.h"

/* {"site": NAME, "errno": "ENOMEM" (optional: the site's usual one), "count": N
 * (optional, 1; 0 disarms)}: the site's next N calls fail. */
json_t *qmp_cmd_inject_fault(const struct qmp_context *ctx, json_t *args,
			     struct control_error *err)
{
	const char *site, *errno_name;
	json_t *count = json_object_get(args, "count");
	json_int_t n = 1;

	(void)ctx;
	if (qmp_arg_string(args, "site", true, &site, err) < 0 ||
	    qmp_arg_string(args, "errno", false, &errno_name, err) < 0)
		return NULL;
	if (count) {
		if (!json_is_integer(count) || json_integer_value(count) < 0 ||
		    json_integer_value(count) > 1000000) {
			qmp_set_error(err, NULL, "Parameter 'count' expects a number from 0 to 1000000");
			return NULL;
		}
		n = json_integer_value(count);
	}
	if (fault_inject_arm(site, errno_name, (unsigned)n, err->desc, sizeof(err->desc)) < 0) {
		err->cls = NULL;
		return NULL;
	}
	return json_object();
}
