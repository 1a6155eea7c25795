/*
 * eph_err.c - filling struct eph_err. Nothing here allocates, so an error
 * path can always report.
 */
#include "eph_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int eph_err_set(struct eph_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int eph_err_prefix(struct eph_err *err, int code, const char *fmt, ...)
{
	char prefix[EPH_ERR_MSG_MAX];
	char old[EPH_ERR_MSG_MAX];
	size_t n;
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* Truncation is fine: the message is one line for a human. */
	n = strlen(prefix);
	memcpy(err->msg, prefix, n + 1);
	if (n + 2 < sizeof(err->msg)) {
		size_t room = sizeof(err->msg) - n - 3;
		size_t olen = strlen(old);

		if (olen > room)
			olen = room;
		memcpy(err->msg + n, ": ", 2);
		memcpy(err->msg + n + 2, old, olen);
		err->msg[n + 2 + olen] = '\0';
	}
	return code;
}

const char *eph_rc_str(int code)
{
	switch (code) {
	case EPH_OK:
		return "success";
	case EPH_EFORMAT:
		return "format error";
	case EPH_EVERIFY:
		return "verification failed";
	case EPH_EPOLICY:
		return "refused by policy";
	case EPH_ENOTFOUND:
		return "not found";
	case EPH_ENOMEM:
		return "out of memory";
	case EPH_EIO:
		return "I/O error";
	case EPH_EUNSUPPORTED:
		return "unsupported";
	default:
		return "failure";
	}
}
