/*
 * claims.c - the CWT Claims Set (RFC 8392 section 3) and Ephemera's private
 * claims (docs/cwt-claims.md) to and from struct cwt_claims.
 *
 *   {1: "idp", 2: "alice", 4: 1700003600, 6: 1700000000, 7: h'0b71',
 *    -65537: "analyst", -65538: 2, -65540: "confidential",
 *    -65539: {1: 2000, 2: 4096, 3: 3600, 4: "batch"}}
 *   a9 01 63 696470  02 65 616c696365  04 1a 6553ff10  06 1a 6553f100
 *      07 42 0b71  3a 00010000 67 616e616c797374  3a 00010001 02
 *      3a 00010003 6c 636f6e666964656e7469616c
 *      3a 00010002 a4 01 19 07d0 02 19 1000 03 19 0e10 04 65 6261746368
 *
 * Types: iss, sub, aud, role, sensitivity, app class are text (non-empty,
 * no control characters, fitting their field); exp, nbf, iat are unsigned
 * integers (NumericDate without fraction; floats and negative dates are
 * refused); cti is a bstr of 1..CWT_CTI_MAX bytes; clearance an unsigned
 * integer 0..4; app a map with unsigned 1..UINT32_MAX values. Unknown claims
 * and unknown keys inside app are ignored (after cbor.c checked their
 * structure). An aud array (RFC 8392 allows one) is refused: one audience.
 *
 * Not here: presence and time checks (verify.c), structure (cbor.c).
 */
#include "cwt-priv.h"

#include <string.h>

#include "eph_hex.h"

int cwt__text_ok(const uint8_t *p, size_t n, size_t cap, const char *name, struct eph_err *err)
{
	size_t i;

	if (n == 0)
		return eph_err_set(err, EPH_EFORMAT, "claim %s: empty", name);
	if (n >= cap)
		return eph_err_set(err, EPH_EFORMAT, "claim %s: %zu bytes, at most %zu", name, n,
				   cap - 1);
	if (cwt__utf8_valid(p, n) != n)
		return eph_err_set(err, EPH_EFORMAT, "claim %s: invalid UTF-8", name);
	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return eph_err_set(err, EPH_EFORMAT,
					   "claim %s: control character 0x%02x at offset %zu", name,
					   p[i], i);
	}
	return 0;
}

static int get_text(char *dst, size_t cap, const struct cwt__item *v, const char *name,
		    struct eph_err *err)
{
	int rc;

	if (v->type != CWT_T_TSTR)
		return eph_err_set(err, EPH_EFORMAT, "claim %s: not a text string", name);
	rc = cwt__text_ok(v->p, v->n, cap, name, err);
	if (rc < 0)
		return rc;
	memcpy(dst, v->p, v->n);
	dst[v->n] = '\0';
	return 0;
}

static int get_date(int64_t *dst, const struct cwt__item *v, const char *name,
		    struct eph_err *err)
{
	if (v->type != CWT_T_UINT || v->v > INT64_MAX)
		return eph_err_set(err, EPH_EFORMAT,
				   "claim %s: not an unsigned integer NumericDate", name);
	*dst = (int64_t)v->v;
	return 0;
}

static int get_u32(uint32_t *dst, const struct cwt__item *v, const char *name,
		   struct eph_err *err)
{
	if (v->type != CWT_T_UINT || v->v == 0 || v->v > UINT32_MAX)
		return eph_err_set(err, EPH_EFORMAT, "claim app.%s: not an integer 1..%u", name,
				   UINT32_MAX);
	*dst = (uint32_t)v->v;
	return 0;
}

static int decode_app(struct cwt_claims *c, struct cwt__rd *r, const struct cwt__item *m,
		      struct eph_err *err)
{
	const unsigned need = 7; /* vcpu, mem, duration */
	unsigned got = 0;
	struct cwt__item k, v;
	int64_t key;
	uint64_t i;
	int rc = 0;

	if (m->type != CWT_T_MAP)
		return eph_err_set(err, EPH_EFORMAT, "claim app (-65539): not a map");
	for (i = 0; i < m->v && rc == 0; i++) {
		rc = cwt__rd_head(r, &k, err);
		if (rc == 0)
			rc = cwt__rd_head(r, &v, err);
		if (rc < 0)
			return rc;
		if (cwt__item_int(&k, &key) < 0)
			key = 0; /* a text key: unknown, ignored */
		switch (key) {
		case CWT_APP_VCPU_MILLI:
			rc = get_u32(&c->app.vcpu_milli, &v, "vcpu_milli (1)", err);
			got |= 1;
			break;
		case CWT_APP_MEM_MIB:
			rc = get_u32(&c->app.mem_mib, &v, "mem_mib (2)", err);
			got |= 2;
			break;
		case CWT_APP_DURATION_S:
			rc = get_u32(&c->app.duration_s, &v, "duration_s (3)", err);
			got |= 4;
			break;
		case CWT_APP_CLASS:
			rc = get_text(c->app.cls, sizeof(c->app.cls), &v, "app.class (4)", err);
			c->present |= CWT_HAS_APP_CLASS;
			break;
		default:
			break;
		}
		if (rc == 0)
			rc = cwt__rd_skip(r, &v, err);
	}
	if (rc < 0)
		return rc;
	if (got != need)
		return eph_err_set(err, EPH_EFORMAT,
				   "claim app (-65539): %s missing",
				   !(got & 1) ? "vcpu_milli (1)" : !(got & 2) ? "mem_mib (2)" : "duration_s (3)");
	c->present |= CWT_HAS_APP;
	return 0;
}

static int decode_claim(struct cwt_claims *c, struct cwt__rd *r, int64_t key,
			const struct cwt__item *v, struct eph_err *err)
{
	int s;

	switch (key) {
	case CWT_CLAIM_ISS:
		c->present |= CWT_HAS_ISS;
		return get_text(c->iss, sizeof(c->iss), v, "iss (1)", err);
	case CWT_CLAIM_SUB:
		c->present |= CWT_HAS_SUB;
		return get_text(c->sub, sizeof(c->sub), v, "sub (2)", err);
	case CWT_CLAIM_AUD:
		c->present |= CWT_HAS_AUD;
		return get_text(c->aud, sizeof(c->aud), v, "aud (3)", err);
	case CWT_CLAIM_EXP:
		c->present |= CWT_HAS_EXP;
		return get_date(&c->exp, v, "exp (4)", err);
	case CWT_CLAIM_NBF:
		c->present |= CWT_HAS_NBF;
		return get_date(&c->nbf, v, "nbf (5)", err);
	case CWT_CLAIM_IAT:
		c->present |= CWT_HAS_IAT;
		return get_date(&c->iat, v, "iat (6)", err);
	case CWT_CLAIM_CTI:
		if (v->type != CWT_T_BSTR || v->n == 0 || v->n > CWT_CTI_MAX)
			return eph_err_set(err, EPH_EFORMAT, "claim cti (7): not a bstr of 1..%u bytes",
					   CWT_CTI_MAX);
		c->present |= CWT_HAS_CTI;
		eph_hex_encode(c->cti_hex, sizeof(c->cti_hex), v->p, v->n);
		return 0;
	case CWT_CLAIM_ROLE:
		c->present |= CWT_HAS_ROLE;
		return get_text(c->role, sizeof(c->role), v, "role (-65537)", err);
	case CWT_CLAIM_CLEARANCE:
		if (v->type != CWT_T_UINT || v->v > CWT_CLEARANCE_MAX)
			return eph_err_set(err, EPH_EFORMAT,
					   "claim clearance (-65538): not an integer 0..%u",
					   CWT_CLEARANCE_MAX);
		c->present |= CWT_HAS_CLEARANCE;
		c->clearance = (unsigned)v->v;
		return 0;
	case CWT_CLAIM_SENSITIVITY:
		if (v->type != CWT_T_TSTR ||
		    (s = cwt_sensitivity_from_name((const char *)v->p, v->n)) < 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "claim sensitivity (-65540): not one of public, internal, confidential, secret");
		c->present |= CWT_HAS_SENSITIVITY;
		c->sensitivity = (enum cwt_sensitivity)s;
		return 0;
	case CWT_CLAIM_APP:
		return decode_app(c, r, v, err);
	default:
		return 0; /* unknown claims are ignored */
	}
}

/* Read the payload's top-level map head. */
static int open_map(struct cwt__rd *r, struct cwt__item *m, const uint8_t *payload, size_t len,
		    struct eph_err *err)
{
	int rc;

	rc = cwt__cbor_check(payload, len, "payload", err);
	if (rc < 0)
		return rc;
	cwt__rd_init(r, payload, len, "payload");
	rc = cwt__rd_head(r, m, err);
	if (rc < 0)
		return rc;
	if (m->type != CWT_T_MAP)
		return eph_err_set(err, EPH_EFORMAT, "payload: the claims set is not a map");
	return 0;
}

int cwt__claims_decode(struct cwt_claims *c, const uint8_t *payload, size_t len,
		       struct eph_err *err)
{
	struct cwt__item m, k, v;
	struct cwt__rd r;
	int64_t key;
	uint64_t i;
	int rc;

	rc = open_map(&r, &m, payload, len, err);
	for (i = 0; rc == 0 && i < m.v; i++) {
		rc = cwt__rd_head(&r, &k, err);
		if (rc == 0)
			rc = cwt__rd_head(&r, &v, err);
		if (rc < 0)
			break;
		if (cwt__item_int(&k, &key) < 0)
			key = 0; /* text keys are nobody's claims here: ignored */
		rc = decode_claim(c, &r, key, &v, err);
		/* decode_app consumed its map; everything else may still hold content. */
		if (rc == 0 && key != CWT_CLAIM_APP)
			rc = cwt__rd_skip(&r, &v, err);
	}
	return rc;
}

int cwt__claims_iss(char iss[CWT_NAME_MAX], const uint8_t *payload, size_t len,
		    struct eph_err *err)
{
	struct cwt__item m, k, v;
	struct cwt__rd r;
	int64_t key;
	uint64_t i;
	int rc;

	iss[0] = '\0';
	rc = open_map(&r, &m, payload, len, err);
	for (i = 0; rc == 0 && i < m.v; i++) {
		rc = cwt__rd_head(&r, &k, err);
		if (rc == 0)
			rc = cwt__rd_head(&r, &v, err);
		if (rc < 0)
			break;
		if (cwt__item_int(&k, &key) == 0 && key == CWT_CLAIM_ISS)
			return get_text(iss, CWT_NAME_MAX, &v, "iss (1)", err);
		rc = cwt__rd_skip(&r, &v, err);
	}
	if (rc < 0)
		return rc;
	return eph_err_set(err, EPH_EFORMAT, "claim iss (1): missing");
}

static int put_text_claim(struct cwt__w *w, int64_t key, const char *s, size_t cap,
			  const char *name, struct eph_err *err)
{
	int rc;

	rc = cwt__text_ok((const uint8_t *)s, strnlen(s, cap), cap, name, err);
	if (rc < 0)
		return rc;
	cwt__w_int(w, key);
	cwt__w_tstr(w, s);
	return 0;
}

int cwt__claims_encode(struct cwt__w *w, const struct cwt_claims *c, struct eph_err *err)
{
	uint8_t cti[CWT_CTI_MAX];
	size_t pairs = 0, hexlen;
	unsigned bit;
	long n = 0;
	int rc = 0;

	for (bit = CWT_HAS_ISS; bit <= CWT_HAS_SENSITIVITY; bit <<= 1)
		pairs += (c->present & bit) != 0;
	if (c->present & CWT_HAS_CTI) {
		hexlen = strnlen(c->cti_hex, sizeof(c->cti_hex));
		n = eph_hex_decode(cti, sizeof(cti), c->cti_hex, hexlen);
		if (n <= 0)
			return eph_err_set(err, EPH_EFORMAT, "claim cti (7): not 1..%u bytes of hex",
					   CWT_CTI_MAX);
	}
	if ((c->present & CWT_HAS_CLEARANCE) && c->clearance > CWT_CLEARANCE_MAX)
		return eph_err_set(err, EPH_EFORMAT, "claim clearance: %u exceeds %u", c->clearance,
				   CWT_CLEARANCE_MAX);
	if ((c->present & CWT_HAS_SENSITIVITY) && cwt_sensitivity_name(c->sensitivity) == NULL)
		return eph_err_set(err, EPH_EFORMAT, "claim sensitivity: unknown value %d",
				   (int)c->sensitivity);
	if ((c->present & CWT_HAS_APP) &&
	    (c->app.vcpu_milli == 0 || c->app.mem_mib == 0 || c->app.duration_s == 0))
		return eph_err_set(err, EPH_EFORMAT, "claim app: vcpu_milli, mem_mib, duration_s must be >= 1");
	if ((c->present & (CWT_HAS_EXP | CWT_HAS_NBF | CWT_HAS_IAT)) &&
	    (c->exp < 0 || c->nbf < 0 || c->iat < 0))
		return eph_err_set(err, EPH_EFORMAT, "claims exp, nbf, iat: negative dates");

	cwt__w_map(w, pairs);
	if (c->present & CWT_HAS_ISS)
		rc = put_text_claim(w, CWT_CLAIM_ISS, c->iss, sizeof(c->iss), "iss", err);
	if (rc == 0 && (c->present & CWT_HAS_SUB))
		rc = put_text_claim(w, CWT_CLAIM_SUB, c->sub, sizeof(c->sub), "sub", err);
	if (rc == 0 && (c->present & CWT_HAS_AUD))
		rc = put_text_claim(w, CWT_CLAIM_AUD, c->aud, sizeof(c->aud), "aud", err);
	if (rc < 0)
		return rc;
	if (c->present & CWT_HAS_EXP) {
		cwt__w_int(w, CWT_CLAIM_EXP);
		cwt__w_int(w, c->exp);
	}
	if (c->present & CWT_HAS_NBF) {
		cwt__w_int(w, CWT_CLAIM_NBF);
		cwt__w_int(w, c->nbf);
	}
	if (c->present & CWT_HAS_IAT) {
		cwt__w_int(w, CWT_CLAIM_IAT);
		cwt__w_int(w, c->iat);
	}
	if (c->present & CWT_HAS_CTI) {
		cwt__w_int(w, CWT_CLAIM_CTI);
		cwt__w_bstr(w, cti, (size_t)n);
	}
	if (c->present & CWT_HAS_ROLE)
		rc = put_text_claim(w, CWT_CLAIM_ROLE, c->role, sizeof(c->role), "role", err);
	if (rc < 0)
		return rc;
	if (c->present & CWT_HAS_CLEARANCE) {
		cwt__w_int(w, CWT_CLAIM_CLEARANCE);
		cwt__w_uint(w, c->clearance);
	}
	if (c->present & CWT_HAS_APP) {
		bool cls = (c->present & CWT_HAS_APP_CLASS) != 0;

		cwt__w_int(w, CWT_CLAIM_APP);
		cwt__w_map(w, cls ? 4 : 3);
		cwt__w_uint(w, CWT_APP_VCPU_MILLI);
		cwt__w_uint(w, c->app.vcpu_milli);
		cwt__w_uint(w, CWT_APP_MEM_MIB);
		cwt__w_uint(w, c->app.mem_mib);
		cwt__w_uint(w, CWT_APP_DURATION_S);
		cwt__w_uint(w, c->app.duration_s);
		if (cls)
			rc = put_text_claim(w, CWT_APP_CLASS, c->app.cls, sizeof(c->app.cls),
					    "app.class", err);
	}
	if (rc == 0 && (c->present & CWT_HAS_SENSITIVITY)) {
		cwt__w_int(w, CWT_CLAIM_SENSITIVITY);
		cwt__w_tstr(w, cwt_sensitivity_name(c->sensitivity));
	}
	return rc;
}

static const char *const sens_names[] = { "public", "internal", "confidential", "secret" };

const char *cwt_sensitivity_name(enum cwt_sensitivity s)
{
	if ((unsigned)s >= sizeof(sens_names) / sizeof(sens_names[0]))
		return NULL;
	return sens_names[s];
}

int cwt_sensitivity_from_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(sens_names) / sizeof(sens_names[0]); i++) {
		if (strlen(sens_names[i]) == len && memcmp(sens_names[i], name, len) == 0)
			return (int)i;
	}
	return -1;
}
