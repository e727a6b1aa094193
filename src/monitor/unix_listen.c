#include "monitor/unix_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "exit_status.h"
#include "util.h"

/* True when something accepts connections at addr. */
static int probe_live(const struct sockaddr_un *addr, int *probe_errno)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0) {
		*probe_errno = errno;
		return -1;
	}
	ret = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	*probe_errno = ret < 0 ? errno : 0;
	close(fd);
	return ret == 0;
}

/* Clears the way for bind(): nothing there, or a dead socket we remove. */
static int clear_path(const char *what, const struct sockaddr_un *addr, char *err, size_t errlen)
{
	const char *path = addr->sun_path;
	struct stat st;
	int live, probe_errno;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		pv_format(err, errlen, "%s unix:%s: %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		/* Never delete a file the user may care about. */
		pv_format(err, errlen, "%s unix:%s: the path exists and is not a socket", what,
			  path);
		return -1;
	}
	live = probe_live(addr, &probe_errno);
	if (live > 0) {
		pv_format(err, errlen,
			  "%s unix:%s: another process is already listening on this socket", what,
			  path);
		return -1;
	}
	if (live < 0 || probe_errno != ECONNREFUSED) {
		pv_format(err, errlen, "%s unix:%s: cannot tell whether the socket is in use: %s",
			  what, path, strerror(probe_errno));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		pv_format(err, errlen, "%s unix:%s: removing the stale socket: %s", what, path,
			  strerror(errno));
		return -1;
	}
	return 0;
}

int unix_listener_open(struct unix_listener *l, const char *what, const char *path, char *err,
		       size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	*l = (struct unix_listener){ .fd = -1 };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		pv_format(err, errlen, "%s unix:%s: the path is too long", what, path);
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (clear_path(what, &addr, err, errlen) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		pv_format(err, errlen, "%s unix:%s: %s", what, path, strerror(errno));
		return -1;
	}
	/* Linux creates the socket file with the socket inode's mode minus the
	 * umask: setting it first means the file is never more open than 0600,
	 * without touching the process-wide umask. The chmod after bind covers
	 * kernels that ignore it. */
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 16) < 0 || stat(path, &st) < 0) {
		pv_format(err, errlen, "%s unix:%s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	*l = (struct unix_listener){ .fd = fd, .what = what };
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	snprintf(l->path, sizeof(l->path), "%s", path);
	return 0;
}

int unix_listener_watch(struct unix_listener *l, struct event_loop *loop, event_fn fn,
			void *opaque)
{
	if (event_loop_add(loop, l->fd, POLLIN, fn, opaque) < 0)
		return -1;
	l->loop = loop;
	return 0;
}

int unix_listener_start(struct unix_listener *l, const char *what, const char *path,
			struct event_loop *loop, event_fn fn, char *err, size_t errlen)
{
	if (unix_listener_open(l, what, path, err, errlen) < 0)
		return EXIT_BAD_USAGE;
	if (unix_listener_watch(l, loop, fn, l) < 0) {
		pv_format(err, errlen, "%s unix:%s: the main loop has no room for it", what, path);
		unix_listener_close(l);
		return EXIT_VMM_FAILURE;
	}
	return 0;
}

static void resume(void *opaque)
{
	struct unix_listener *l = opaque;

	l->resting = false;
	event_loop_set_events(l->loop, l->fd, POLLIN);
}

void unix_listener_close(struct unix_listener *l)
{
	struct stat st;

	if (l->fd < 0)
		return;
	if (l->loop) {
		event_loop_cancel_timer(l->loop, resume, l);
		event_loop_remove(l->loop, l->fd);
		l->loop = NULL;
		l->resting = false;
	}
	close(l->fd);
	l->fd = -1;
	if (stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
}

static bool out_of_resources(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Takes l out of the poll set until a timer puts it back. */
static void rest(struct unix_listener *l, int err)
{
	unsigned skipped;

	if (!l->loop || l->resting)
		return;
	if (event_loop_add_timer(l->loop, UNIX_LISTEN_BACKOFF_MS, resume, l) < 0)
		return; /* no timer slot: keep polling rather than never resume */
	event_loop_set_events(l->loop, l->fd, 0);
	l->resting = true;
	if (!log_throttle_allow(&l->log, &skipped))
		return;
	if (skipped)
		pv_error("%s unix:%s: cannot accept a client: %s; retrying every %d ms "
			 "(%u more failures since the last message)",
			 l->what, l->path, strerror(err), UNIX_LISTEN_BACKOFF_MS, skipped);
	else
		pv_error("%s unix:%s: cannot accept a client: %s; retrying every %d ms", l->what,
			 l->path, strerror(err), UNIX_LISTEN_BACKOFF_MS);
}

int unix_listener_accept(struct unix_listener *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0 && out_of_resources(errno))
		rest(l, errno);
	return fd;
}
