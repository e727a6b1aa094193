#include "machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"
#include "util.h"

/* QEMU's name for each cause, and whether the guest brought it about (QEMU's
 * shutdown_caused_by_guest: the guest-* causes). */
static const struct {
	const char *name;
	bool by_guest;
} stop_causes[STOP_CAUSE_COUNT] = {
	[STOP_HOST_ERROR] = { "host-error", false },
	[STOP_HOST_QMP_QUIT] = { "host-qmp-quit", false },
	[STOP_HOST_QMP_SYSTEM_RESET] = { "host-qmp-system-reset", false },
	[STOP_HOST_SIGNAL] = { "host-signal", false },
	[STOP_HOST_UI] = { "host-ui", false },
	[STOP_GUEST_SHUTDOWN] = { "guest-shutdown", true },
	[STOP_GUEST_RESET] = { "guest-reset", true },
	[STOP_GUEST_PANIC] = { "guest-panic", true },
};

void machine_init(struct machine *m, const struct plugvm_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->start_ns = pv_now_ns();
	/* Zero is a valid descriptor (stdin): vm_destroy after a step that failed before
	 * kvm_init must not close it. */
	m->kvm.dev_fd = m->kvm.vm_fd = -1;
	m->wake_fd = -1;
	pthread_mutex_init(&m->stop_lock, NULL);
	event_loop_init(&m->loop);
}

static void request_stop(struct machine *m, enum stop_cause cause, int status, const char *message)
{
	uint64_t one = 1;

	pthread_mutex_lock(&m->stop_lock);
	if (atomic_load(&m->state) == MACHINE_RUNNING) {
		m->exit_status = status;
		m->stop_cause = cause;
		snprintf(m->stop_message, sizeof(m->stop_message), "%s", message);
		atomic_store(&m->state, MACHINE_STOPPING);
	}
	pthread_mutex_unlock(&m->stop_lock);
	if (write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with 1 per request; nothing to do. */
	}
}

void machine_request_shutdown(struct machine *m, enum stop_cause cause, int status,
			      const char *fmt, ...)
{
	char message[sizeof(m->stop_message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	request_stop(m, cause, status, message);
}

bool machine_stopping(const struct machine *m)
{
	return atomic_load(&m->state) != MACHINE_RUNNING;
}

json_t *machine_shutdown_event(const struct machine *m)
{
	enum stop_cause cause = m->stop_cause;

	return json_pack("{s:b, s:s}", "guest", stop_causes[cause].by_guest, "reason",
			 stop_causes[cause].name);
}

void machine_press_power_button(struct machine *m)
{
	kvm_irq_line(&m->kvm, POWER_BUTTON_GSI, 1);
	kvm_irq_line(&m->kvm, POWER_BUTTON_GSI, 0);
}
