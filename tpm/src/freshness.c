/*
 * freshness.c - order two quotes of one TPM by their TPMS_CLOCK_INFO (TPM
 * 2.0 Part 2, 10.11.1; Part 1, 36 "Timing Components"):
 *
 *   clock u64 | resetCount u32 | restartCount u32 | safe u8
 *   000000000000176a 00000000 00000000 01
 *
 * resetCount grows on every TPM Reset (reboot), restartCount on every TPM
 * Restart/Resume and is zeroed by a reset, clock advances while powered
 * and is never set backwards (only forwards by TPM2_ClockSet). So a later
 * quote has (resetCount, restartCount, clock) strictly greater in that
 * lexical order; anything else is a replayed older quote or another TPM.
 *
 * Not here: the nonce (which already defeats replays of quotes made for
 * other challenges) and the safe flag (NO after a disorderly shutdown, when
 * clock may repeat values already reported; a reset follows, so the order
 * above still holds).
 */
#include <inttypes.h>

#include "tpmq-priv.h"

int tpmq_attest_check_newer(const struct tpmq_attest *prev, const struct tpmq_attest *cur,
			    struct eph_err *err)
{
	if (cur->reset_count < prev->reset_count)
		return eph_err_set(err, EPH_EVERIFY, "quote is older: resetCount %u < previous %u",
				   (unsigned)cur->reset_count, (unsigned)prev->reset_count);
	if (cur->reset_count > prev->reset_count)
		return 0;
	if (cur->restart_count < prev->restart_count)
		return eph_err_set(err, EPH_EVERIFY,
				   "quote is older: restartCount %u < previous %u at resetCount %u",
				   (unsigned)cur->restart_count, (unsigned)prev->restart_count,
				   (unsigned)cur->reset_count);
	if (cur->restart_count > prev->restart_count)
		return 0;
	if (cur->clock <= prev->clock)
		return eph_err_set(err, EPH_EVERIFY,
				   "quote is not newer: clock %" PRIu64 " <= previous %" PRIu64
				   " with the same reset and restart counts",
				   cur->clock, prev->clock);
	return 0;
}
