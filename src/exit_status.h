/*
 * plugvm's exit statuses (README.md, "Exit status"). A setup step that can fail in more
 * than one way returns 0 or the status its failure calls for, decided where the error is
 * raised; vm_create passes it on.
 */
#ifndef PLUGVM_EXIT_STATUS_H
#define PLUGVM_EXIT_STATUS_H

#define EXIT_GUEST_DONE    0 /* poweroff, reboot, quit */
/* KVM, host or plugvm failure: out of memory or descriptors, an internal limit, a KVM
 * emulation failure. */
#define EXIT_VMM_FAILURE   1
/* What the command line asked for: a bad option, or what the host cannot provide of it
 * (guest RAM it cannot map, huge pages it lacks, a socket it cannot create). Nothing
 * else. */
#define EXIT_BAD_USAGE     2
#define EXIT_GUEST_CRASHED 3 /* triple fault or guest panic */

#endif
