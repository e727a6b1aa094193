/* Fault injection sites and their arming (src/fault_inject.h, docs/testing.md). */
#include "fault_inject.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util.h"

static const struct {
	const char *name;
	int default_errno; /* what the call most plausibly fails with on a real host */
} sites[FAULT_NR_SITES] = {
	[FAULT_BACKEND_MMAP] = { "backend-mmap", ENOMEM },
	[FAULT_MEMFD_CREATE] = { "memfd-create", EMFILE },
	[FAULT_BACKEND_FTRUNCATE] = { "backend-ftruncate", ENOSPC },
	[FAULT_BACKEND_FALLOCATE] = { "backend-fallocate", ENOSPC },
	[FAULT_KVM_SET_MEMORY_REGION] = { "kvm-set-memory-region", ENOMEM },
	[FAULT_EVENTFD] = { "eventfd", EMFILE },
	[FAULT_THREAD_CREATE] = { "thread-create", EAGAIN },
	[FAULT_DEFERRED_QUEUE_FULL] = { "deferred-queue-full", ENOSPC },
};

/* The errnos a site may be armed with: those the calls above can really return. */
static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "ENOMEM", ENOMEM }, { "EEXIST", EEXIST }, { "ENOSPC", ENOSPC }, { "EMFILE", EMFILE },
	{ "ENFILE", ENFILE }, { "EAGAIN", EAGAIN }, { "EINVAL", EINVAL }, { "EACCES", EACCES },
	{ "EPERM", EPERM },   { "EIO", EIO },       { "EFAULT", EFAULT }, { "EBUSY", EBUSY },
	{ "EFBIG", EFBIG },   { "EDQUOT", EDQUOT },
};

/* Process-wide on purpose: a fault test arms the process, whichever path of whichever
 * machine then reaches the site. */
static atomic_bool enabled;
static atomic_uint nr_armed; /* sites with a count left: the fast path's second look */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned count;
	int err;
} armed[FAULT_NR_SITES];

bool fault_inject_enabled(void)
{
	return atomic_load_explicit(&enabled, memory_order_relaxed);
}

const char *fault_inject_site_name(enum fault_site site)
{
	return site < FAULT_NR_SITES ? sites[site].name : "?";
}

static int find_site(const char *name)
{
	for (int i = 0; name && i < FAULT_NR_SITES; i++)
		if (!strcmp(sites[i].name, name))
			return i;
	return -1;
}

static int find_errno(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(errnos); i++)
		if (!strcmp(errnos[i].name, name))
			return errnos[i].value;
	return 0;
}

int fault_inject_arm(const char *site_name, const char *errno_name, unsigned count, char *err,
		     size_t errlen)
{
	int site = find_site(site_name), e;

	if (!fault_inject_enabled()) {
		pv_format(err, errlen, "fault injection is off (start plugvm with "
			  "PLUGVM_FAULT_INJECTION=1)");
		return -1;
	}
	if (site < 0) {
		char list[256] = "";

		for (int i = 0; i < FAULT_NR_SITES; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", sites[i].name);
		pv_format(err, errlen, "unknown fault site '%s' (sites: %s)",
			  site_name ? site_name : "", list);
		return -1;
	}
	e = errno_name ? find_errno(errno_name) : sites[site].default_errno;
	if (!e) {
		pv_format(err, errlen, "unknown errno '%s' (a name such as ENOMEM)", errno_name);
		return -1;
	}
	pthread_mutex_lock(&lock);
	if (armed[site].count && !count)
		atomic_fetch_sub(&nr_armed, 1);
	else if (!armed[site].count && count)
		atomic_fetch_add(&nr_armed, 1);
	armed[site].count = count;
	armed[site].err = e;
	pthread_mutex_unlock(&lock);
	return 0;
}

int fault_inject_init(const char *value, char *err, size_t errlen)
{
	char *copy, *item, *save = NULL;
	int ret = 0;

	if (!value || !*value || !strcmp(value, "0"))
		return 0;
	atomic_store(&enabled, true);
	if (!strcmp(value, "1"))
		return 0;
	copy = strdup(value);
	if (!copy) {
		pv_format(err, errlen, "PLUGVM_FAULT_INJECTION: out of memory");
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item && !ret; item = strtok_r(NULL, ",", &save)) {
		char *e = strchr(item, ':'), *c = NULL, msg[320];
		uint64_t count = 1;

		if (e) {
			*e++ = '\0';
			c = strchr(e, ':');
			if (c)
				*c++ = '\0';
		}
		if (c && pv_parse_uint(c, 10, 1000000, &count) < 0) {
			pv_format(err, errlen, "PLUGVM_FAULT_INJECTION: count '%s' is not a number", c);
			ret = -1;
		} else if (fault_inject_arm(item, e && *e ? e : NULL, (unsigned)count, msg,
					    sizeof(msg)) < 0) {
			pv_format(err, errlen, "PLUGVM_FAULT_INJECTION: %s", msg);
			ret = -1;
		}
	}
	free(copy);
	return ret;
}

void fault_inject_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(armed, 0, sizeof(armed));
	atomic_store(&nr_armed, 0);
	atomic_store(&enabled, false);
	pthread_mutex_unlock(&lock);
}

int fault_inject_hit(enum fault_site site)
{
	int e = 0;

	if (!atomic_load_explicit(&nr_armed, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&lock);
	if (armed[site].count) {
		e = armed[site].err;
		if (--armed[site].count == 0)
			atomic_fetch_sub(&nr_armed, 1);
	}
	pthread_mutex_unlock(&lock);
	if (e) {
		pv_debug("fault injected: %s fails with %s", sites[site].name, strerror(e));
		errno = e;
	}
	return e;
}

void *fault_mmap(enum fault_site site, void *addr, size_t len, int prot, int flags, int fd,
		 off_t off)
{
	return fault_inject_hit(site) ? MAP_FAILED : mmap(addr, len, prot, flags, fd, off);
}

int fault_memfd_create(const char *name, unsigned flags)
{
	return fault_inject_hit(FAULT_MEMFD_CREATE) ? -1 : memfd_create(name, flags);
}

int fault_ftruncate(int fd, off_t len)
{
	return fault_inject_hit(FAULT_BACKEND_FTRUNCATE) ? -1 : ftruncate(fd, len);
}

int fault_fallocate(int fd, int mode, off_t off, off_t len)
{
	return fault_inject_hit(FAULT_BACKEND_FALLOCATE) ? -1 : fallocate(fd, mode, off, len);
}

int fault_eventfd(unsigned initval, int flags)
{
	return fault_inject_hit(FAULT_EVENTFD) ? -1 : eventfd(initval, flags);
}

int fault_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
			 void *arg)
{
	int e = fault_inject_hit(FAULT_THREAD_CREATE);

	return e ? e : pthread_create(t, attr, fn, arg);
}
