/*
 * fake_tsm.h - a kernel-like configfs-tsm report tree on FUSE, for tests.
 */
#ifndef FAKE_TSM_H
#define FAKE_TSM_H

#include <stdint.h>

struct fake_tsm_knobs {
	const char *provider;  /* "sev_guest" or "tdx_guest" */
	unsigned bump_on_read; /* the first N opens of outblob bump generation */
	int lie;               /* outblob carries report_data that is not ours */
};

/* Mount the fake at mnt (an empty folder) and serve it from a thread. */
int fake_tsm_start(const char *mnt, const struct fake_tsm_knobs *knobs);
/* Report entries that exist now (to check the library removes its own). */
unsigned fake_tsm_entries(void);
void fake_tsm_stop(void);

#endif
