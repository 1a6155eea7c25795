/*
 * tsm-priv.h - what the files of libtsm share.
 */
#ifndef TSM_PRIV_H
#define TSM_PRIV_H

#include "tsm.h"

int tsm__collect_configfs(struct tsm_evidence *out, const char *root, const uint8_t *report_data,
			  int privlevel, unsigned max_attempts, struct eph_err *err);
int tsm__collect_sevguest(struct tsm_evidence *out, const char *dev, const uint8_t *report_data,
			  int vmpl, struct eph_err *err);

#endif
