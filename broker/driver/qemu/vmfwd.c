/*
 * vmfwd.c - ephemera-vmfwd HOST PORT: the per-connection forwarder that
 * qemu's user-mode network runs for a VM's connection to the broker
 * (-netdev user,guestfwd=tcp:10.0.2.100:P-cmd:ephemera-vmfwd HOST P).
 *
 * slirp hands the guest's TCP connection to the program as one socket on
 * stdin, stdout and stderr. This connects to HOST:PORT (numeric, 5 s
 * limit) and copies bytes both ways until both sides have closed, passing
 * each half-close on (shutdown(SHUT_WR)), so TLS close_notify and EOF
 * reach the other side in order. It exits after 15 minutes without a byte
 * either way, so a stuck guest cannot keep it forever. Nothing is printed:
 * stderr is the guest's socket too.
 *
 * Why not socat or nc: neither is in a minimal Debian, and a guestfwd to a
 * plain chardev serves one connection for qemu's whole life, while the
 * agent opens a new one per round.
 *
 * Not here: any filtering of what flows (the broker authenticates the
 * agent; TLS is end to end between them), names (HOST is numeric).
 *
 * Exit status: 0 both sides closed, 1 usage, 2 cannot connect, 3 I/O error
 * or idle timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IDLE_MS (15 * 60 * 1000)
#define CONNECT_MS 5000

static int dial(const char *host, const char *port)
{
	struct addrinfo hints, *ai = NULL;
	struct pollfd pf;
	int fd, e = 0, one = 1;
	socklen_t el = sizeof(e);

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)) {
		freeaddrinfo(ai);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	freeaddrinfo(ai);
	pf.fd = fd;
	pf.events = POLLOUT;
	if (poll(&pf, 1, CONNECT_MS) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 ||
	    e != 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct pollfd pf[2];
	int up, nul, in_open = 1, out_open = 1;

	signal(SIGPIPE, SIG_IGN);
	nul = open("/dev/null", O_WRONLY);
	if (nul >= 0)
		dup2(nul, 2);
	if (argc != 3)
		return 1;
	up = dial(argv[1], argv[2]);
	if (up < 0)
		return 2;
	while (in_open || out_open) {
		int r, i;

		/* [0]: guest -> broker, [1]: broker -> guest */
		pf[0].fd = in_open ? 0 : -1;
		pf[0].events = POLLIN;
		pf[1].fd = out_open ? up : -1;
		pf[1].events = POLLIN;
		r = poll(pf, 2, IDLE_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 3;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pf[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && i == 0) /* a reset guest side: end both */
				return 3;
			if (n <= 0) {
				if (i == 0) {
					shutdown(up, SHUT_WR);
					in_open = 0;
				} else {
					shutdown(1, SHUT_WR);
					out_open = 0;
				}
				continue;
			}
			if (write_all(i == 0 ? up : 1, buf, (size_t)n) < 0)
				return 3;
		}
	}
	return 0;
}
