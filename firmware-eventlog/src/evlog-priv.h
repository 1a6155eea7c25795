/*
 * evlog-priv.h - what the files of libevlog share and nothing else sees.
 */
#ifndef EVLOG_PRIV_H
#define EVLOG_PRIV_H

#include "evlog.h"

struct evlog_log {
	uint8_t *buf;               /* owned copy of the input */
	size_t len;
	enum evlog_format format;
	int has_specid;
	struct evlog_specid specid;
	struct evlog_event *events; /* owned array */
	size_t count;
	size_t cap;
	size_t trailing;             /* padding bytes ignored at the end */
};

/* The 16-byte signatures of TCG_EfiSpecIDEvent (PFP 1.05, 10.4.5.1). */
#define EVLOG__SPECID_SIG_AGILE "Spec ID Event03"
#define EVLOG__SPECID_SIG_LEN 16

/* Parse the data of a Spec ID Event03 into *out. */
int evlog__parse_specid(struct evlog_specid *out, const uint8_t *buf, size_t len,
			struct eph_err *err);

#endif
