#include "machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>

#include "platform.h"

void machine_request_stop(struct machine *m, int status, const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;

	pthread_mutex_lock(&m->stop_lock);
	if (atomic_load(&m->state) == MACHINE_RUNNING) {
		m->exit_status = status;
		va_start(ap, fmt);
		vsnprintf(m->stop_message, sizeof(m->stop_message), fmt, ap);
		va_end(ap);
		atomic_store(&m->state, MACHINE_STOPPING);
	}
	pthread_mutex_unlock(&m->stop_lock);
	if (write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with 1 per request; nothing to do. */
	}
}

bool machine_stopping(const struct machine *m)
{
	return atomic_load(&m->state) != MACHINE_RUNNING;
}

void machine_press_power_button(struct machine *m)
{
	kvm_irq_line(&m->kvm, POWER_BUTTON_GSI, 1);
	kvm_irq_line(&m->kvm, POWER_BUTTON_GSI, 0);
}
