/*
 * api_accept.c - what the listeners do when accept(2) fails for want of
 * file descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): stop
 * accepting for a moment instead of spinning.
 *
 * libevent's listener is level-triggered. Without an error callback it
 * prints "Error from accept() call" and returns with the connection still
 * pending, so the loop spins at full CPU and writes that line as fast as it
 * can (measured: 42 MB of log in 3 s, 100 stalled connections against a
 * 64-descriptor limit) until the per-connection timeout frees descriptors.
 * Here the listener is disabled and enabled again API_ACCEPT_PAUSE_MS later;
 * new connections wait in the kernel's backlog meanwhile. One log line per
 * API_ACCEPT_LOG_S at most.
 *
 * The error callback only gets the listener and evhttp's own pointer, so
 * the state is per process: the first api object guards its listeners
 * (the daemon has one; a second api in one process is left unguarded).
 *
 * Not here: a cap on concurrent connections (libevent 2.1's evhttp has
 * none: the bound is RLIMIT_NOFILE) and closing idle ones (evhttp's
 * per-connection timeout, --timeout).
 */
#include <errno.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "api-priv.h"

#define API_ACCEPT_PAUSE_MS 250
#define API_ACCEPT_LOG_S 10

static struct {
	struct api *a;                   /* owner; NULL: nobody guarded */
	struct event *timer;             /* re-enables the paused listeners */
	struct evconnlistener *paused[2]; /* TCP, unix socket */
	int64_t last_log;
	unsigned long pauses;            /* since the last log line */
} g;

static void resume(evutil_socket_t fd, short what, void *arg)
{
	size_t i;

	(void)fd;
	(void)what;
	(void)arg;
	for (i = 0; i < sizeof(g.paused) / sizeof(g.paused[0]); i++) {
		if (g.paused[i] != NULL)
			evconnlistener_enable(g.paused[i]);
		g.paused[i] = NULL;
	}
}

static void on_accept_error(struct evconnlistener *lev, void *ptr)
{
	static const struct timeval pause = {0, API_ACCEPT_PAUSE_MS * 1000};
	int e = EVUTIL_SOCKET_ERROR();
	int64_t now = api__now();
	size_t i;

	(void)ptr;
	if (g.a == NULL)
		return;
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM) {
		api__log(g.a, API_LOG_WARN, "accept failed", "%s", strerror(e));
		return;
	}
	evconnlistener_disable(lev);
	for (i = 0; i < sizeof(g.paused) / sizeof(g.paused[0]); i++)
		if (g.paused[i] == NULL || g.paused[i] == lev) {
			g.paused[i] = lev;
			break;
		}
	evtimer_add(g.timer, &pause);
	g.pauses++;
	if (now - g.last_log >= API_ACCEPT_LOG_S) {
		api__log(g.a, API_LOG_WARN, "not accepting connections",
			 "%s; paused %d ms (%lu time%s since the last such line): too many open "
			 "connections for the file descriptor limit",
			 strerror(e), API_ACCEPT_PAUSE_MS, g.pauses, g.pauses == 1 ? "" : "s");
		g.last_log = now;
		g.pauses = 0;
	}
}

int api__accept_guard(struct api *a, struct eph_err *err)
{
	struct evhttp_bound_socket *socks[2] = {a->sock, a->usock};
	size_t i;

	if (g.a != NULL)
		return 0;
	g.timer = evtimer_new(a->base, resume, NULL);
	if (g.timer == NULL)
		return eph_err_set(err, EPH_ENOMEM, "accept guard: evtimer_new failed");
	g.a = a;
	for (i = 0; i < 2; i++)
		if (socks[i] != NULL)
			evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(socks[i]),
						    on_accept_error);
	return 0;
}

void api__accept_unguard(struct api *a)
{
	if (g.a != a)
		return;
	event_free(g.timer);
	memset(&g, 0, sizeof(g));
}
