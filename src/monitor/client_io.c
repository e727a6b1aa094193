#include "monitor/client_io.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t client_io_read(int fd, short revents, void *buf, size_t len)
{
	ssize_t n;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = read(fd, buf, len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	return n < 0 ? 0 : n;
}

int client_io_flush(int fd, struct strbuf *out)
{
	while (out->len) {
		ssize_t n = send(fd, out->buf, out->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			strbuf_consume(out, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		else
			return -1;
	}
	return 0;
}

void client_io_refuse(int fd, const char *text, size_t len)
{
	/* Nothing was sent on this socket yet, so one short line fits. */
	if (send(fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* It hung up already: nothing to tell it. */
	}
	close(fd);
}
