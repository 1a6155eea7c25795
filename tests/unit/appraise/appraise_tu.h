/*
 * appraise_tu.h - fixtures for the appraisal tests: a clean evidence set
 * (verified fresh quote, event log that replays, IMA list that replays)
 * and references it satisfies, which each test then spoils one way.
 */
#ifndef APPRAISE_TU_H
#define APPRAISE_TU_H

#include "appraise.h"

#define ATU_NEV 4
#define ATU_NIMA 3

struct atu {
	struct appraise_evidence ev;
	struct appraise_event events[ATU_NEV];
	struct appraise_ima_entry ima[ATU_NIMA];
	uint8_t ima_hash[ATU_NIMA][32];
	appraise_refs *refs;
	struct appraise_result *res;
};

/* Fill t with the clean fixture and its references (golden PCR 0 and 7,
 * event digests for PCR 4 boot applications, an IMA allowlist). */
void atu_init(struct atu *t);
void atu_fini(struct atu *t);

/* appraise_run on t->ev and t->refs into t->res (asserts success). */
void atu_run(struct atu *t);

/* Assert the tier of claim and that its reason contains needle (NULL: the
 * claim is affirming and has no reason). */
void atu_expect(const struct atu *t, unsigned claim, unsigned tier, const char *needle);

/* Set a reference from a JSON string (asserts success). */
void atu_golden(struct atu *t, const char *json);
void atu_reference(struct atu *t, const char *json);
void atu_ima_refs(struct atu *t, const char *json);

#endif
