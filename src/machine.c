#include "machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/platform.h"
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
	bus_init(&m->pio_bus, BUS_PIO);
	bus_init(&m->mmio_bus, BUS_MMIO);
	m->start_ns = pv_now_ns();
	/* Zero is a valid descriptor (stdin): vm_destroy after a step that failed before
	 * kvm_init must not close it. */
	m->kvm.dev_fd = m->kvm.vm_fd = -1;
	m->wake_fd = -1;
	m->signal_fd = -1;
	pthread_mutex_init(&m->stop_lock, NULL);
	pthread_mutex_init(&m->release_lock, NULL);
	pthread_cond_init(&m->release_cond, NULL);
	event_loop_init(&m->loop);
	panic_watch_init(&m->serial_panic);
}

static void wake_main_loop(struct machine *m)
{
	uint64_t one = 1;

	if (write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with 1 per request; nothing to do. */
	}
}

static bool panic_counts(const struct machine *m)
{
	return m->cfg->panic_action != PANIC_ACTION_NONE;
}

static void request_stop(struct machine *m, enum stop_cause cause, int status, const char *message)
{
	pthread_mutex_lock(&m->stop_lock);
	if (atomic_load(&m->state) != MACHINE_STOPPING) {
		m->exit_status = status;
		m->stop_cause = cause;
		snprintf(m->stop_message, sizeof(m->stop_message), "%s", message);
		/* A guest booted with panic=N resets instead of printing the panic's end:
		 * the reset is the panic's. */
		if (cause == STOP_GUEST_RESET && atomic_load(&m->panic_line_seen) && panic_counts(m)) {
			m->stop_cause = STOP_GUEST_PANIC;
			snprintf(m->stop_message, sizeof(m->stop_message),
				 "guest panicked (kernel panic on the serial line), then rebooted");
		}
		/* However a panicked guest ends (quit after panic=pause, say), it crashed. */
		if ((atomic_load(&m->guest_panicked) || m->stop_cause == STOP_GUEST_PANIC) &&
		    panic_counts(m))
			m->exit_status = EXIT_GUEST_CRASHED;
		atomic_store(&m->state, MACHINE_STOPPING);
	}
	pthread_mutex_unlock(&m->stop_lock);
	wake_main_loop(m);
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
	return atomic_load(&m->state) == MACHINE_STOPPING;
}

bool machine_vcpus_may_run(const struct machine *m)
{
	return atomic_load(&m->state) == MACHINE_RUNNING;
}

void machine_wait_for_release(struct machine *m)
{
	pthread_mutex_lock(&m->release_lock);
	m->vcpus_waiting++;
	pthread_cond_broadcast(&m->release_cond);
	while (!m->vcpus_released)
		pthread_cond_wait(&m->release_cond, &m->release_lock);
	pthread_mutex_unlock(&m->release_lock);
}

void machine_wait_for_vcpus(struct machine *m, unsigned n)
{
	pthread_mutex_lock(&m->release_lock);
	while (m->vcpus_waiting < n)
		pthread_cond_wait(&m->release_cond, &m->release_lock);
	pthread_mutex_unlock(&m->release_lock);
}

void machine_release_vcpus(struct machine *m)
{
	pthread_mutex_lock(&m->release_lock);
	m->vcpus_released = true;
	pthread_cond_broadcast(&m->release_cond);
	pthread_mutex_unlock(&m->release_lock);
}

void machine_guest_panicked(struct machine *m, const char *how)
{
	if (atomic_exchange(&m->guest_panicked, true))
		return;
	pthread_mutex_lock(&m->stop_lock);
	snprintf(m->panic_how, sizeof(m->panic_how), "%s", how);
	if (m->cfg->panic_action == PANIC_ACTION_PAUSE &&
	    atomic_load(&m->state) == MACHINE_RUNNING)
		atomic_store(&m->state, MACHINE_PANICKED);
	pthread_mutex_unlock(&m->stop_lock);
	atomic_store(&m->panic_event_pending, true);
	if (m->cfg->panic_action == PANIC_ACTION_SHUTDOWN)
		machine_request_shutdown(m, STOP_GUEST_PANIC, EXIT_GUEST_CRASHED,
					 "guest panicked (%s)", how);
	else
		wake_main_loop(m);
}

/* A guest CPU that stopped making progress: one line on stderr, at most one every
 * STALL_NOTE_INTERVAL_NS (a lockup storm prints hundreds), and a count for the monitors. */
#define STALL_NOTE_INTERVAL_NS 10000000000ULL

static void note_stall(struct machine *m)
{
	uint64_t now = pv_now_ns(), last = atomic_load(&m->last_stall_note_ns);
	const char *line = panic_watch_last_line(&m->serial_panic);
	const char *bracket = line[0] == '[' ? strchr(line, ']') : NULL;
	char words[121];
	size_t n = 0;

	atomic_fetch_add(&m->guest_stalls, 1);
	if (last && now - last < STALL_NOTE_INTERVAL_NS)
		return;
	atomic_store(&m->last_stall_note_ns, now);
	/* The guest's own words without its timestamp, printable ASCII only: the guest
	 * must not reach the host's terminal with escape sequences. */
	for (line = bracket ? bracket + 1 + (bracket[1] == ' ') : line; *line && n < sizeof(words) - 1;
	     line++)
		words[n++] = (*line >= 0x20 && *line < 0x7f) ? *line : '?';
	words[n] = '\0';
	pv_info("guest reports a stalled CPU (serial line, %lu so far): %s",
		(unsigned long)atomic_load(&m->guest_stalls), words);
}

void machine_watch_serial(struct machine *m, uint8_t byte)
{
	switch (panic_watch_feed(&m->serial_panic, byte)) {
	case PANIC_WATCH_STARTED:
		atomic_store(&m->panic_line_seen, true);
		break;
	case PANIC_WATCH_ENDED:
		machine_guest_panicked(m, "kernel panic on the serial line");
		break;
	case PANIC_WATCH_STALL:
		note_stall(m);
		break;
	case PANIC_WATCH_NOTHING:
		break;
	}
}

const char *machine_run_state(const struct machine *m)
{
	switch (atomic_load(&m->state)) {
	case MACHINE_RUNNING:
		return "running";
	case MACHINE_PANICKED:
		return "guest-panicked";
	default:
		return "shutdown";
	}
}

const char *machine_take_panic_event(struct machine *m)
{
	static const char *const action_names[] = {
		[PANIC_ACTION_SHUTDOWN] = "poweroff",
		[PANIC_ACTION_PAUSE] = "pause",
		[PANIC_ACTION_NONE] = "run",
	};

	if (!atomic_exchange(&m->panic_event_pending, false))
		return NULL;
	return action_names[m->cfg->panic_action];
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
