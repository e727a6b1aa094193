/* Unix stream sockets (QMP and plugvm's control socket) and per-test scratch space. */
#include "e2e.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int e2e_unix_connect(const char *path, double timeout_s)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        e2e_fail("socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    double deadline = e2e_elapsed() + timeout_s;
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e2e_fail("socket: %s", strerror(errno));
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fd;
        int err = errno;
        close(fd);
        if (e2e_elapsed() > deadline) {
            e2e_fail("connect %s: %s (gave up after %.1f s)", path, strerror(err), timeout_s);
            return -1;
        }
        usleep(50000);
    }
}
