/*
 * plugvm runs as the user who owns the VM, with access to /dev/kvm and nothing more
 * (docs/options.md, "Running as a user"). A plugvm that would gain privileges at exec (setuid
 * or setgid bit, file capabilities) refuses to start: the guest, the control sockets
 * and every file named on the command line would then be handled with rights the
 * person who typed the command does not have.
 */
#ifndef PLUGVM_PRIVILEGES_H
#define PLUGVM_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct process_ids {
	uid_t ruid, euid;
	gid_t rgid, egid;
	bool secure; /* the kernel's AT_SECURE: privileges were gained at exec */
};

/* This process's ids. */
struct process_ids privileges_current(void);
/* 0 when ids are a plain user's (or root's own), else -1 with one line in err naming
 * what was gained. */
int privileges_check(const struct process_ids *ids, char *err, size_t errlen);

#endif
