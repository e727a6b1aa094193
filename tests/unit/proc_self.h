/*
 * What this test process holds, read from /proc/self, for the tests that check a failure
 * leaves nothing behind (test_backend, test_fault_inject). Include after cmocka.h.
 */
#ifndef PLUGVM_TEST_PROC_SELF_H
#define PLUGVM_TEST_PROC_SELF_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

/* Entries of a directory, "." and ".." left out. */
static inline unsigned count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Open descriptors (not counting the one count_dir opens to list them). */
static inline unsigned count_fds(void)
{
	return count_dir("/proc/self/fd") - 1;
}

/* Total size of the address space, in kB: a leaked mapping shows here. */
static inline unsigned long vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kb = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#endif
