/*
 * The XSAVE state components plugvm passes on to the guest (CPUID leaf 0xD), checked
 * before any vCPU sees them (docs/architecture.md, "CPUID").
 *
 * A guest kernel sizes its FPU save area from leaf 0xD: sub-leaf 0 lists the user
 * components XCR0 may enable and the largest area, sub-leaf N gives component N's size
 * and offset. KVM hands on what the host CPU reports. An emulated host CPU can report
 * components whose sizes or offsets are wrong (QEMU's TCG under some -cpu models, the
 * nested test bed's L1 before it dropped XSAVE: docs/testing.md), and Linux 6.12 and
 * later then warn in fpu__init_system_xstate and crash soon after. So plugvm keeps only
 * components it can vouch for: a known component with its architectural size, an offset
 * inside the area, no overlap, and its whole group (AVX-512's three parts, MPX's two,
 * AMX's two, AVX-512 on top of AVX). A component it drops is cleared from sub-leaf 0,
 * its sub-leaf zeroed, and the CPUID feature flags that need it cleared too, so the guest
 * never runs instructions whose state it cannot save.
 */
#ifndef PLUGVM_CPUID_XSTATE_H
#define PLUGVM_CPUID_XSTATE_H

#include <linux/kvm.h>
#include <stddef.h>

/* Called once for each component dropped, with a one-line reason. */
typedef void (*xstate_report_fn)(void *opaque, unsigned component, const char *name,
				 const char *why);

/* Checks and fixes `c` in place; returns how many components it dropped. */
unsigned cpuid_sanitize_xstate(struct kvm_cpuid2 *c, xstate_report_fn report, void *opaque);

#endif
