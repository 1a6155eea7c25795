/*
 * appraise-priv.h - what the files of broker/appraise share: the reference
 * values in memory and the IMA allowlist lookup.
 */
#ifndef APPRAISE_PRIV_H
#define APPRAISE_PRIV_H

#include <regex.h>

#include "appraise.h"

#define APPRAISE__MAX_VALUES 16 /* golden values per PCR, digests per event rule: grows */

/* Allowed values of one PCR in one bank. */
struct appraise__golden {
	uint16_t alg;
	uint16_t size;
	uint32_t pcr;
	size_t n;
	uint8_t (*val)[APPRAISE_MAX_DIGEST];
};

/* Events of (pcr, type) must carry one of these digests in alg. */
struct appraise__evrule {
	uint32_t pcr;
	bool any_type; /* no "type": every measuring event of the PCR */
	uint32_t type;
	uint16_t alg;
	uint16_t size;
	size_t n;
	uint8_t (*dig)[APPRAISE_MAX_DIGEST];
};

/* One (path, digest) pair of the IMA allowlist; kept sorted by path, hex. */
struct appraise__imapair {
	char *path;
	char hex[2 * APPRAISE_MAX_DIGEST + 1]; /* lower case */
};

struct appraise_refs {
	struct appraise__golden *golden;
	size_t ngolden;
	struct appraise__evrule *ev;
	size_t nev;
	bool has_ima;
	struct appraise__imapair *ima;
	size_t nima;
	regex_t *excl;
	size_t nexcl;
	char (*images)[APPRAISE_ID_MAX]; /* "alg:hex", lower case */
	size_t nimages;
	bool has_snp;
	struct appraise_snp_tcb snp_min;
	bool has_snp_rec;
	struct appraise_snp_tcb snp_rec;
	bool has_tdx;
	uint8_t tdx_tier[APPRAISE_TDX_N]; /* WIRE_TIER_* for each TDX TCB status */
};

void appraise__free_golden(appraise_refs *refs);
void appraise__free_events(appraise_refs *refs);
void appraise__free_ima(appraise_refs *refs);
void appraise__free_images(appraise_refs *refs);

/* A hex digest string, or a list of them, each of size bytes, into a new
 * array (*n entries); what names the value in messages. */
int appraise__digest_list(uint8_t (**out)[APPRAISE_MAX_DIGEST], size_t *n, size_t size,
			  const json_t *v, const char *what, struct eph_err *err);
/* Parse text as a JSON object; syntax errors name what, line and column. */
json_t *appraise__load_json(const char *text, size_t len, const char *what, struct eph_err *err);

/* Intel's spelling of a TDX TCB status ("UpToDate"), "?" if out of range. */
const char *appraise__tdx_name(enum appraise_tdx_tcb s);

/*
 * Look an IMA measurement up: 0 allowed, 1 excluded, -1 path not in the
 * allowlist, -2 path listed but not with this digest.
 */
int appraise__ima_lookup(const appraise_refs *refs, const char *path, const char *hex);

/* One claim being worked out. */
struct appraise__claim {
	uint8_t tier;
	char why[APPRAISE_REASON_MAX];
	unsigned more; /* further findings of the same tier */
};

/* Record a finding; the worst one (first of equals) gives the reason. */
void appraise__finding(struct appraise__claim *c, uint8_t tier, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* No finding yet: affirming. */
void appraise__affirm(struct appraise__claim *c);
/* First 8 bytes of a digest as hex with "..", for reasons. */
void appraise__short_hex(char out[20], const uint8_t *d, size_t n);

/* The claims of appraise_cvm.c. */
void appraise__hardware(struct appraise__claim *c, const struct appraise_evidence *ev,
			const appraise_refs *refs);
void appraise__runtime_opaque(struct appraise__claim *c, const struct appraise_evidence *ev);

/* "up-to-date", "below-recommended", "below-minimum", or "unknown" without
 * a minimum in reference.json. */
const char *appraise__snp_status(const struct appraise_snp_tcb *t, const appraise_refs *refs);

/* The attributes of an appraisal into set (appraise_attrs.c). */
int appraise__attrs(attrs_set *set, const struct appraise_evidence *ev,
		    const appraise_refs *refs, const struct appraise_result *res,
		    struct eph_err *err);

#endif
