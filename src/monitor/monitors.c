#include "monitor/monitors.h"

#include "exit_status.h"
#include "monitor/hmp.h"
#include "monitor/qmp.h"
#include "util.h"

/* The monitors' caps exist so the console and the internal fds always
 * find room in the main loop's table: the clients of both servers, every
 * listener, and a margin for the rest (signal, wake-ups, console, stdin)
 * must fit. */
_Static_assert(QMP_MAX_CLIENTS + HMP_MAX_CLIENTS + 2 * PLUGVM_MAX_MONITORS + 16 <=
		       EVENT_LOOP_MAX_FDS,
	       "monitor connection limits leave too little of the event loop's table");

static int open_hmp(struct event_loop *loop, const struct chardev_config *m,
		    const struct control_ops *ops, char *err, size_t errlen)
{
	switch (m->kind) {
	case CHARDEV_UNIX:
		return hmp_listen(loop, ops, m->path, err, errlen);
	case CHARDEV_STDIO:
		return hmp_attach_stdio(loop, ops, err, errlen);
	case CHARDEV_NONE:
		return 0;
	default:
		pv_format(err, errlen, "-monitor: this kind of character device is not supported");
		return EXIT_BAD_USAGE;
	}
}

int monitors_init(struct event_loop *loop, const struct plugvm_config *cfg,
		  const struct control_ops *ops, struct console *mux_console, char *err,
		  size_t errlen)
{
	int status;

	/* The QMP core also carries qmp_emit_event, so it is set up even
	 * without -qmp (events then go nowhere). */
	if ((status = qmp_init(loop, ops, cfg->name, err, errlen)) != 0)
		return status;
	hmp_set_vm_name(cfg->name);
	for (unsigned i = 0; i < cfg->nr_qmp; i++) {
		if (cfg->qmp[i].kind != CHARDEV_UNIX) {
			pv_format(err, errlen, "-qmp: only unix:PATH,server=on,wait=off is supported");
			status = EXIT_BAD_USAGE;
			goto fail;
		}
		if ((status = qmp_listen(cfg->qmp[i].path, err, errlen)) != 0)
			goto fail;
	}
	for (unsigned i = 0; i < cfg->nr_monitor; i++)
		if ((status = open_hmp(loop, &cfg->monitor[i], ops, err, errlen)) != 0)
			goto fail;
	if (mux_console)
		hmp_attach_mux(mux_console, ops);
	return 0;
fail:
	monitors_close();
	return status;
}

void monitors_close(void)
{
	hmp_close();
	qmp_close();
}
