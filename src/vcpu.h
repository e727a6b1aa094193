/* vCPUs: creation with the architecture's setup (arch/arch.h: on x86 CPUID, MSRs and
 * LAPIC), and one thread each running KVM_RUN and dispatching its exits. */
#ifndef PLUGVM_VCPU_H
#define PLUGVM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/kvm.h>

#include "machine.h"

struct vcpu {
	struct machine *m;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

int vcpu_create(struct machine *m, unsigned index, struct vcpu *v, char *err, size_t errlen);
int vcpu_start(struct vcpu *v, char *err, size_t errlen);
/* Makes a vCPU leave KVM_RUN and its thread end; then joins it. */
void vcpu_stop(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);
/* Installs the no-op signal used to kick vCPU threads out of KVM_RUN. */
void vcpu_init_signals(void);

#endif
