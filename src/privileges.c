/* Refusing to run with privileges gained at exec (privileges.h). */
#include "privileges.h"

#include <sys/auxv.h>
#include <unistd.h>

#include "util.h"

struct process_ids privileges_current(void)
{
	return (struct process_ids){
		.ruid = getuid(),
		.euid = geteuid(),
		.rgid = getgid(),
		.egid = getegid(),
		.secure = getauxval(AT_SECURE) != 0,
	};
}

int privileges_check(const struct process_ids *ids, char *err, size_t errlen)
{
	if (ids->ruid != ids->euid) {
		pv_format(err, errlen, "refusing to run setuid (user %u running as %u): run "
			  "plugvm as the user who owns the VM, with access to /dev/kvm",
			  (unsigned)ids->ruid, (unsigned)ids->euid);
		return -1;
	}
	if (ids->rgid != ids->egid) {
		pv_format(err, errlen, "refusing to run setgid (group %u running as %u): run "
			  "plugvm as the user who owns the VM, with access to /dev/kvm",
			  (unsigned)ids->rgid, (unsigned)ids->egid);
		return -1;
	}
	/* Same ids, but the kernel says exec raised something: file capabilities. */
	if (ids->secure) {
		pv_format(err, errlen, "refusing to run with privileges gained at exec (file "
			  "capabilities or a security module's transition): run plugvm as the "
			  "user who owns the VM, with access to /dev/kvm");
		return -1;
	}
	return 0;
}
