/*
 * Fault injection for tests (docs/testing.md, "Fault injection"): named places in the
 * real code paths that ask, just before their system call, whether to fail instead and
 * with which errno. Off unless plugvm was started with PLUGVM_FAULT_INJECTION in its
 * environment; then the QMP command x-plugvm-inject-fault arms a site for its next
 * `count` calls (docs/monitor.md). Off, a site costs one relaxed atomic load.
 *
 * Thread-safe: sites are reached from the main thread and from vCPU threads (inside a
 * guest's exit, under device locks), so the module takes only its own lock and never
 * calls out.
 */
#ifndef PLUGVM_FAULT_INJECT_H
#define PLUGVM_FAULT_INJECT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

enum fault_site {
	FAULT_BACKEND_MMAP,          /* "backend-mmap": a backend's mapping (object-add) */
	FAULT_MEMFD_CREATE,          /* "memfd-create": memory-backend-memfd's fd */
	FAULT_BACKEND_FTRUNCATE,     /* "backend-ftruncate": sizing a file or memfd backend */
	FAULT_BACKEND_FALLOCATE,     /* "backend-fallocate": prealloc=on of an fd backend */
	FAULT_KVM_SET_MEMORY_REGION, /* "kvm-set-memory-region": creating a KVM memory slot */
	FAULT_EVENTFD,               /* "eventfd": a wake-up eventfd (start-up only) */
	FAULT_THREAD_CREATE,         /* "thread-create": a vCPU or the warm-up thread (start-up) */
	FAULT_DEFERRED_QUEUE_FULL,   /* "deferred-queue-full": memory_devices' event FIFO */
	FAULT_NR_SITES
};

/* Reads the environment variable's value (NULL or "" or "0": off). "1" turns injection
 * on; a list "SITE[:ERRNO[:COUNT]],..." turns it on and arms those sites at once, for the
 * sites that are reached only while plugvm starts (eventfd, thread-create). 0, or -1 with
 * err for a list it cannot read. */
int fault_inject_init(const char *value, char *err, size_t errlen);
bool fault_inject_enabled(void);

/* Arms site_name to fail its next count calls with errno_name (a name such as "ENOMEM";
 * NULL: the site's usual one); count 0 disarms it. 0, or -1 with err naming what is
 * wrong (an unknown site or errno). Works only while enabled. */
int fault_inject_arm(const char *site_name, const char *errno_name, unsigned count, char *err,
		     size_t errlen);
/* Every site disarmed, injection off (tests). */
void fault_inject_reset(void);
const char *fault_inject_site_name(enum fault_site site);

/* At a site: 0 to go on, or the errno to fail with (also left in errno), using up one
 * of the armed count. */
int fault_inject_hit(enum fault_site site);

/* The system calls with a site in front, for the places that have one. */
void *fault_mmap(enum fault_site site, void *addr, size_t len, int prot, int flags, int fd,
		 off_t off);
int fault_memfd_create(const char *name, unsigned flags);
int fault_ftruncate(int fd, off_t len);
int fault_fallocate(int fd, int mode, off_t off, off_t len);
int fault_eventfd(unsigned initval, int flags);
/* Returns the error number as pthread_create does (no errno). */
int fault_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
			 void *arg);

#endif
