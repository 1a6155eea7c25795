/*
 * eph_err.h - error codes and the per-call error message shared by every
 * Ephemera library.
 *
 * Libraries return int: 0 on success, a negative EPH_E* code on failure, and
 * write one line naming what was wrong and where into a caller-supplied
 * struct eph_err. They never print and never exit. The codes only grow at the
 * end so that daemons and CLIs can map them to stable exit codes.
 */
#ifndef EPH_ERR_H
#define EPH_ERR_H

#include <stddef.h>

enum eph_rc {
	EPH_OK = 0,
	EPH_EFAIL = -1,     /* anything without a code of its own */
	EPH_EFORMAT = -2,   /* input bytes do not follow their format */
	EPH_EVERIFY = -3,   /* well-formed input that fails a check */
	EPH_EPOLICY = -4,   /* verified input that the policy refuses */
	EPH_ENOTFOUND = -5, /* a named thing does not exist */
	EPH_ENOMEM = -6,    /* allocation failed */
	EPH_EIO = -7,       /* reading or writing a file or socket failed */
	EPH_EUNSUPPORTED = -8, /* valid input that this build cannot handle */
};

#define EPH_ERR_MSG_MAX 256

/* A one-line message; msg[0] == '\0' until a call fails. */
struct eph_err {
	char msg[EPH_ERR_MSG_MAX];
};

/*
 * Record a failure: format the message into err (which may be NULL) and
 * return code unchanged, so that callers write `return eph_err_set(...)`.
 */
int eph_err_set(struct eph_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Put a prefix in front of a message that a callee already set, keeping its
 * code: "event 12: digest count 5 exceeds ..." Returns code.
 */
int eph_err_prefix(struct eph_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A short constant name for a code: "format error", "verification failed". */
const char *eph_rc_str(int code);

#endif
