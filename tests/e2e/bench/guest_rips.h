/* Where an L2 guest's vCPUs were, sampled from L1's kvm_exit tracepoint around one
 * measurement: a profile of the guest taken from outside, for a guest that runs much longer
 * in one VM than in another (issue 12, docs/benchmarks.md).  On only when the environment
 * has BENCH_GUEST_RIPS=1 (L1's plugvm.guest_rips=1): tracing costs every exit a little. */
#ifndef PLUGVM_BENCH_GUEST_RIPS_H
#define PLUGVM_BENCH_GUEST_RIPS_H

#include <stdbool.h>

/* Clears L1's trace buffer and enables kvm_exit; false (and nothing done) when off or
 * when L1 has no tracefs. */
bool guest_rips_start(void);

/* Disables kvm_exit and prints " rips: exits=N reasons: R=N ... top: RIP=N ...
 * top_interrupt: RIP=N ..." (the exits of `pid`'s threads only) onto the current BENCH
 * line. The external-interrupt exits are listed apart: L1's timer and IPIs stop the guest
 * wherever it is, so they are time samples, while an MSR or I/O exit names the
 * instruction that caused it. tools/guest-rips names the RIPs. */
void guest_rips_print(int pid);

#endif
