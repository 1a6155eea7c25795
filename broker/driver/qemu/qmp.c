/*
 * qmp.c - a minimal QMP client (QEMU Machine Protocol, docs/interop/qmp-spec
 * of qemu) over a unix stream socket.
 *
 * Wire format: one JSON object per line, both ways.
 *   server greeting: {"QMP": {"version": {...}, "capabilities": [...]}}\r\n
 *   client:          {"execute": "qmp_capabilities"}\n
 *   server:          {"return": {}}\r\n
 *   client:          {"execute": "query-status", "id": 1}\n
 *   server:          {"timestamp": {...}, "event": "RESUME", ...}\r\n   (async, skipped)
 *                    {"return": {"status": "running", "running": true}, "id": 1}\r\n
 *   or an error:     {"error": {"class": "GenericError", "desc": "..."}, "id": 1}\r\n
 *
 * qemu is a process the broker started, but its QMP output is still read
 * as untrusted bytes: every read is bounded by a timeout (poll), a line
 * longer than QV_QMP_LINE_MAX is refused instead of grown, a non-object or
 * a reply with another id is an error, and a peer that closes mid-line is
 * EPH_EIO. What this does not do: out-of-band commands, keeping events,
 * more than one command in flight.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qemu-priv.h"

static int wait_fd(int fd, short ev, long deadline)
{
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = ev };
		long left = deadline - qv__now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 0;
	}
}

static int send_all(struct qv_qmp *q, const char *s, size_t len, struct eph_err *err)
{
	long deadline = qv__now_ms() + q->timeout_ms;

	while (len > 0) {
		ssize_t w;
		int r = wait_fd(q->fd, POLLOUT, deadline);

		if (r < 0)
			return eph_err_set(err, EPH_EIO, "qmp: write: %s", strerror(-r));
		w = send(q->fd, s, len, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return eph_err_set(err, EPH_EIO, "qmp: write: %s", strerror(errno));
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The next line as a JSON object (new reference). */
static int read_msg(struct qv_qmp *q, json_t **out, struct eph_err *err)
{
	long deadline = qv__now_ms() + q->timeout_ms;
	json_error_t je;
	char *nl;

	*out = NULL;
	for (;;) {
		ssize_t r;
		int w;

		nl = memchr(q->buf, '\n', q->len);
		if (nl)
			break;
		if (q->len >= QV_QMP_LINE_MAX)
			return eph_err_set(err, EPH_EFORMAT, "qmp: a line longer than %u bytes",
					   QV_QMP_LINE_MAX);
		w = wait_fd(q->fd, POLLIN, deadline);
		if (w < 0)
			return eph_err_set(err, EPH_EIO, "qmp: read: %s", strerror(-w));
		r = recv(q->fd, q->buf + q->len, QV_QMP_LINE_MAX - q->len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return eph_err_set(err, EPH_EIO, "qmp: read: %s", strerror(errno));
		if (r == 0)
			return eph_err_set(err, EPH_EIO, "qmp: connection closed by qemu");
		q->len += (size_t)r;
	}
	*out = json_loadb(q->buf, (size_t)(nl - q->buf), JSON_REJECT_DUPLICATES, &je);
	q->len -= (size_t)(nl + 1 - q->buf);
	memmove(q->buf, nl + 1, q->len);
	if (!*out)
		return eph_err_set(err, EPH_EFORMAT, "qmp: bad JSON: %.80s", je.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return eph_err_set(err, EPH_EFORMAT, "qmp: a message that is not an object");
	}
	return 0;
}

int qv__qmp_open(struct qv_qmp *q, const char *path, int timeout_ms, struct eph_err *err)
{
	struct sockaddr_un sa;
	json_t *g = NULL;
	long deadline = qv__now_ms() + timeout_ms;
	int rc;

	q->fd = -1;
	q->len = 0;
	q->timeout_ms = timeout_ms;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return eph_err_set(err, EPH_EFORMAT, "qmp: socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd < 0)
		return eph_err_set(err, EPH_EIO, "qmp: socket: %s", strerror(errno));
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		rc = eph_err_set(err, errno == ENOENT || errno == ECONNREFUSED ? EPH_ENOTFOUND
									       : EPH_EIO,
				 "qmp: connect %s: %s", path, strerror(errno));
		goto fail;
	}
	if (wait_fd(q->fd, POLLOUT, deadline) < 0) {
		rc = eph_err_set(err, EPH_EIO, "qmp: connect %s: timed out", path);
		goto fail;
	}
	rc = read_msg(q, &g, err);
	if (rc < 0)
		goto fail;
	if (!json_is_object(json_object_get(g, "QMP"))) {
		json_decref(g);
		rc = eph_err_set(err, EPH_EFORMAT, "qmp: %s: no QMP greeting", path);
		goto fail;
	}
	json_decref(g);
	rc = qv__qmp_cmd(q, NULL, "qmp_capabilities", NULL, err);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	qv__qmp_close(q);
	return rc;
}

#define QMP_ID 7 /* one command in flight: any fixed id */

/* The reply to the command just sent (cmd names it in messages). */
static int read_reply(struct qv_qmp *q, json_t **ret, const char *cmd, struct eph_err *err)
{
	const json_int_t id = QMP_ID;
	json_t *msg = NULL, *v;
	int rc, i;

	/* Events may come first; a bounded number of them. */
	for (i = 0; i < 1000; i++) {
		rc = read_msg(q, &msg, err);
		if (rc < 0)
			return rc;
		if (json_object_get(msg, "event")) {
			json_decref(msg);
			continue;
		}
		v = json_object_get(msg, "id");
		if (v && (!json_is_integer(v) || json_integer_value(v) != id)) {
			json_decref(msg);
			return eph_err_set(err, EPH_EFORMAT, "qmp: %s: reply with another id", cmd);
		}
		if ((v = json_object_get(msg, "error"))) {
			const char *cls = json_string_value(json_object_get(v, "class"));
			const char *desc = json_string_value(json_object_get(v, "desc"));

			rc = eph_err_set(err, EPH_EFAIL, "qmp: %s: %.40s: %.160s", cmd,
					 cls ? cls : "?", desc ? desc : "?");
			json_decref(msg);
			return rc;
		}
		if (!(v = json_object_get(msg, "return"))) {
			json_decref(msg);
			return eph_err_set(err, EPH_EFORMAT, "qmp: %s: neither return nor error",
					   cmd);
		}
		if (ret)
			*ret = json_incref(v);
		json_decref(msg);
		return 0;
	}
	return eph_err_set(err, EPH_EFORMAT, "qmp: %s: no reply after 1000 events", cmd);
}

int qv__qmp_cmd(struct qv_qmp *q, json_t **ret, const char *cmd, json_t *args,
		struct eph_err *err)
{
	json_t *req = NULL;
	char *text = NULL;
	int rc;

	if (ret)
		*ret = NULL;
	req = json_pack("{s:s, s:I}", "execute", cmd, "id", (json_int_t)QMP_ID);
	if (!req || (args && json_object_set(req, "arguments", args) < 0)) {
		json_decref(req);
		return eph_err_set(err, EPH_ENOMEM, "qmp: out of memory");
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return eph_err_set(err, EPH_ENOMEM, "qmp: out of memory");
	rc = send_all(q, text, strlen(text), err);
	if (rc == 0)
		rc = send_all(q, "\n", 1, err);
	free(text);
	if (rc < 0)
		return rc;
	return read_reply(q, ret, cmd, err);
}

/*
 * The request line is built here, in one buffer that is wiped before it
 * is freed, instead of through jansson, whose strings and dumps are freed
 * unwiped: args_json may carry a secret (object-add of a disk key).
 */
int qv__qmp_cmd_text(struct qv_qmp *q, json_t **ret, const char *cmd, const char *args_json,
		     struct eph_err *err)
{
	size_t cap = strlen(cmd) + strlen(args_json) + 64;
	char *line;
	int n, rc;

	if (ret)
		*ret = NULL;
	if (strspn(cmd, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(cmd))
		return eph_err_set(err, EPH_EFORMAT, "qmp: bad command name");
	line = malloc(cap);
	if (!line)
		return eph_err_set(err, EPH_ENOMEM, "qmp: out of memory");
	n = snprintf(line, cap, "{\"execute\":\"%s\",\"arguments\":%s,\"id\":%d}\n", cmd,
		     args_json, QMP_ID);
	if (n < 0 || (size_t)n >= cap)
		rc = eph_err_set(err, EPH_EFAIL, "qmp: %s: request too long", cmd);
	else
		rc = send_all(q, line, (size_t)n, err);
	explicit_bzero(line, cap);
	free(line);
	if (rc < 0)
		return rc;
	return read_reply(q, ret, cmd, err);
}

void qv__qmp_close(struct qv_qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->len = 0;
}
