/*
 * tdx.h - libtdx: the broker side of Intel TDX attestation.
 *
 * Parses a TDX quote (v4 with a TD quote body 1.0, v5 with body 1.0 or
 * 1.5; Intel TDX DCAP Quoting Library API, appendix A "Quote Format",
 * and the Intel SGX ECDSA Quote Library API for the signature data),
 * verifies it (quote signature with the attestation key, QE report
 * signature with the PCK key, the QE report's binding of the attestation
 * key, the PCK chain up to a pinned Intel SGX Root CA, CRLs when given),
 * appraises the TD's measurements against a policy, and evaluates the TCB
 * status against Intel's TCB info and QE identity JSON collateral.
 *
 * Not here: fetching anything (quotes, collateral, CRLs come from the
 * caller; the operator downloads collateral offline, see README.md),
 * verifying the signatures of the TCB info / QE identity JSON (no TCB
 * signing chain is handled yet), the TDREPORT MAC (only the CPU can check
 * it), replaying the CCEL event log (libevlog does that; compare its
 * RTMR values with tdx_quote.body.rtmr).
 *
 * Every function returns 0 or a negative EPH_E* code and fills err with
 * one line naming what was wrong and where.
 */
#ifndef TDX_H
#define TDX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "eph_err.h"

#define TDX_QUOTE_V4 4
#define TDX_QUOTE_V5 5
#define TDX_ATT_KEY_ECDSA_P256 2 /* ECDSA-256-with-P-256 curve */
#define TDX_TEE_TYPE_TDX 0x00000081
#define TDX_HEADER_SIZE 48
#define TDX_BODY10_SIZE 584 /* TD quote body, TDX 1.0 */
#define TDX_BODY15_SIZE 648 /* TD quote body, TDX 1.5: + TEE_TCB_SVN2, MRSERVICETD */
#define TDX_BODY_TYPE_SGX 1 /* v5 body types (not accepted here) */
#define TDX_BODY_TYPE_TD10 2
#define TDX_BODY_TYPE_TD15 3
#define TDX_QE_REPORT_SIZE 384 /* SGX REPORTBODY */
#define TDX_SIG_SIZE 64        /* ECDSA P-256 r || s, big-endian */
#define TDX_AK_SIZE 64         /* raw P-256 public key x || y */
#define TDX_CERT_PCK_CHAIN 5   /* certification data: PCK cert chain, PEM */
#define TDX_CERT_QE_REPORT 6   /* certification data: QE report certification data */
#define TDX_MR_SIZE 48
#define TDX_REPORT_DATA_SIZE 64
#define TDX_QUOTE_MAX (1u << 20) /* sanity cap on a whole quote */

/* TDATTRIBUTES bits (TDX module ABI spec, TDATTRIBUTES definition). */
#define TDX_ATTR_DEBUG (1ull << 0)            /* TUD.DEBUG: host can read the TD */
#define TDX_ATTR_SEPT_VE_DISABLE (1ull << 28) /* SEC.SEPT_VE_DISABLE */
#define TDX_ATTR_PKS (1ull << 30)             /* SEC.PKS: supervisor protection keys */
#define TDX_ATTR_KL (1ull << 31)              /* SEC.KL: key locker */
#define TDX_ATTR_PERFMON (1ull << 63)         /* OTHER.PERFMON */

/* The TD quote body (all multi-byte integers little-endian on the wire). */
struct tdx_body {
	uint8_t tee_tcb_svn[16]; /* [0] TDX module minor SVN, [1] major, [2..] SEAM loader etc. */
	uint8_t mrseam[TDX_MR_SIZE];
	uint8_t mrsignerseam[TDX_MR_SIZE]; /* zero for Intel's TDX module */
	uint64_t seam_attributes;
	uint64_t td_attributes;
	uint64_t xfam;
	uint8_t mrtd[TDX_MR_SIZE];
	uint8_t mrconfigid[TDX_MR_SIZE];
	uint8_t mrowner[TDX_MR_SIZE];
	uint8_t mrownerconfig[TDX_MR_SIZE];
	uint8_t rtmr[4][TDX_MR_SIZE];
	uint8_t report_data[TDX_REPORT_DATA_SIZE];
	/* TD quote body 1.5 only (has_v15 set), zero otherwise: */
	int has_v15;
	uint8_t tee_tcb_svn2[16];
	uint8_t mrservicetd[TDX_MR_SIZE];
};

/* The QE report: an SGX REPORTBODY (Intel SGX ECDSA Quote Library API, A.4). */
struct tdx_qe_report {
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint8_t attributes[16];
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint8_t report_data[64]; /* SHA-256(attestation key || QE auth data) || 32 zero bytes */
};

/*
 * A parsed quote. The pointers point into the caller's buffer, which must
 * outlive the struct; tdx_quote_verify checks the bytes they point at.
 */
struct tdx_quote {
	/* header */
	uint16_t version;         /* 4 or 5 */
	uint16_t att_key_type;    /* 2 */
	uint32_t tee_type;        /* 0x81 */
	uint16_t reserved1;       /* QE SVN in SGX quotes; 0 for TDX */
	uint16_t reserved2;       /* PCE SVN in SGX quotes; 0 for TDX */
	uint8_t qe_vendor_id[16]; /* 939a7233f79c4ca9940a0db3957f0607 for Intel's QE */
	uint8_t user_data[20];    /* first 16 bytes: platform identifier chosen by the QE */
	/* body */
	uint16_t body_type; /* v5: TDX_BODY_TYPE_TD10/TD15; v4: TDX_BODY_TYPE_TD10 */
	uint32_t body_size; /* 584 or 648 */
	struct tdx_body body;
	/* td_attributes decoded */
	int debug;
	int sept_ve_disable;
	int pks;
	int key_locker;
	int perfmon;
	/* signature data */
	const uint8_t *raw; /* the whole quote */
	size_t raw_len;
	size_t signed_len;            /* the quote signature covers raw[0 .. signed_len) */
	uint32_t sig_data_len;        /* the length field before the signature data */
	const uint8_t *signature;     /* 64: r || s */
	const uint8_t *att_key;       /* 64: x || y */
	const uint8_t *qe_report_raw; /* 384 */
	struct tdx_qe_report qe_report;
	const uint8_t *qe_report_sig; /* 64: r || s, by the PCK key */
	const uint8_t *qe_auth;       /* QE authentication data */
	uint16_t qe_auth_len;
	const uint8_t *pck_chain; /* PEM: PCK leaf, intermediate, root (not NUL-terminated) */
	uint32_t pck_chain_len;
	size_t trailing; /* bytes after the signature data, outside any signature */
};

/*
 * Parse a quote from untrusted bytes. Every size field is checked against
 * what is left of its container; the attestation key type, TEE type,
 * version, body type and both certification data types must be the ones
 * above. Bytes after the declared signature data are tolerated (some
 * quote providers hand out a fixed-size buffer) and counted in trailing.
 * out points into buf afterwards.
 */
int tdx_quote_parse(struct tdx_quote *out, const uint8_t *buf, size_t len, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Trust: the pinned Intel SGX Root CA and optional CRLs                   */
/* ---------------------------------------------------------------------- */

typedef struct tdx_trust tdx_trust; /* opaque */

/* SHA-256 of the DER of Intel SGX Root CA (CN=Intel SGX Root CA, 2018-05-21
 * .. 2049-12-31): the default pin. */
#define TDX_INTEL_ROOT_SHA256 "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"

/* Accept a root whose fingerprint is not Intel's (tests, private PKI). */
#define TDX_TRUST_ANY_ROOT 0x1

/*
 * Load the trust anchor from a PEM buffer holding one self-signed
 * certificate. Unless TDX_TRUST_ANY_ROOT is given its SHA-256 fingerprint
 * must be TDX_INTEL_ROOT_SHA256 (EPH_EVERIFY otherwise). Free with
 * tdx_trust_free.
 */
int tdx_trust_new(tdx_trust **out, const uint8_t *pem, size_t len, unsigned flags,
                  struct eph_err *err);

/* The same from a file the operator keeps (e.g. /etc/ephemera/intel-sgx-root.pem). */
int tdx_trust_load(tdx_trust **out, const char *path, unsigned flags, struct eph_err *err);

/*
 * Add a CRL (DER or PEM), e.g. Intel's root CA CRL and the PCK Platform /
 * Processor CA CRL. Once any CRL is added, verification requires a valid
 * CRL for every certificate of the chain (leaf and intermediate), so an
 * operator who uses CRLs must supply both.
 */
int tdx_trust_add_crl(tdx_trust *t, const uint8_t *buf, size_t len, struct eph_err *err);
int tdx_trust_add_crl_file(tdx_trust *t, const char *path, struct eph_err *err);

void tdx_trust_free(tdx_trust *t);

/* ---------------------------------------------------------------------- */
/* Verification                                                            */
/* ---------------------------------------------------------------------- */

/* Decoded Intel SGX extensions of the PCK certificate (OID 1.2.840.113741.1.13.1;
 * "Intel SGX PCK Certificate and CRL Profile", 1.3.5). */
struct tdx_pck_info {
	uint8_t ppid[16];
	uint8_t comp_svn[16]; /* SGX TCB components 01..16 */
	uint16_t pcesvn;
	uint8_t cpusvn[16];
	uint8_t pce_id[2];
	uint8_t fmspc[6];
	int sgx_type; /* 0 standard, 1 scalable, 2 scalable with integrity */
	int has_platform_instance_id;
	uint8_t platform_instance_id[16]; /* Platform CA certificates only */
};

enum tdx_pck_ca {
	TDX_PCK_CA_UNKNOWN = 0,
	TDX_PCK_CA_PLATFORM = 1,  /* issuer CN "Intel SGX PCK Platform CA" */
	TDX_PCK_CA_PROCESSOR = 2, /* issuer CN "Intel SGX PCK Processor CA" */
};

struct tdx_verify_result {
	struct tdx_pck_info pck;
	enum tdx_pck_ca pck_ca;
	time_t chain_not_after; /* earliest notAfter in the verified chain */
	int crl_checked;        /* CRLs were consulted for every certificate */
};

/*
 * Decode the PCK leaf's SGX extension WITHOUT verifying anything: for
 * choosing collateral by FMSPC before verification, or for display.
 * Trust only the copy tdx_quote_verify puts in its result.
 */
int tdx_quote_pck_info(struct tdx_pck_info *out, const struct tdx_quote *q, struct eph_err *err);

/*
 * Verify a parsed quote (its pointers still into its buffer):
 *  1. the PCK chain in the quote: leaf -> intermediate -> the pinned root,
 *     valid at `at` (0 = now), with CRLs if the trust has any;
 *  2. the QE report signature (ECDSA P-256 SHA-256) with the PCK leaf key;
 *  3. the QE report's REPORTDATA = SHA-256(attestation key || QE auth
 *     data) || 32 zero bytes;
 *  4. the quote signature over raw[0 .. signed_len) with the attestation key.
 * Returns 0 and fills result (PCK extensions decoded), EPH_EVERIFY naming
 * the failed step, EPH_EFORMAT for an unreadable certificate or key.
 * Says nothing about the TD's measurements (tdx_appraise) nor the TCB
 * level (tdx_tcb_evaluate).
 */
int tdx_quote_verify(struct tdx_verify_result *result, const struct tdx_quote *q,
                     const tdx_trust *trust, time_t at, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Appraisal                                                               */
/* ---------------------------------------------------------------------- */

/* What a verified quote must show. NULL / 0 fields are not checked. */
struct tdx_policy {
	const uint8_t (*mrtd)[TDX_MR_SIZE]; /* any one of n_mrtd values */
	size_t n_mrtd;
	const uint8_t *rtmr[4];       /* 48 bytes each */
	const uint8_t *mrconfigid;    /* 48 */
	const uint8_t *mrowner;       /* 48 */
	const uint8_t *mrownerconfig; /* 48 */
	const uint8_t *report_data;   /* 64, e.g. from tdx_expected_report_data */
	int allow_debug;              /* 0: TDATTRIBUTES.DEBUG must be clear */
	int require_sept_ve_disable;  /* 1: SEPT_VE_DISABLE must be set */
};

/* Bits of tdx_verdict.checked. */
#define TDX_CHECKED_MRTD (1u << 0)
#define TDX_CHECKED_RTMR0 (1u << 1) /* RTMRi: TDX_CHECKED_RTMR0 << i */
#define TDX_CHECKED_MRCONFIGID (1u << 5)
#define TDX_CHECKED_MROWNER (1u << 6)
#define TDX_CHECKED_MROWNERCONFIG (1u << 7)
#define TDX_CHECKED_REPORT_DATA (1u << 8)
#define TDX_CHECKED_DEBUG (1u << 9)
#define TDX_CHECKED_SEPT_VE (1u << 10)

struct tdx_verdict {
	unsigned checked; /* TDX_CHECKED_* of every check that ran and passed */
};

/*
 * Appraise a quote's body against policy (run it on a verified quote:
 * appraisal of unverified bytes proves nothing). Returns 0, or EPH_EPOLICY
 * at the first mismatch naming the field and both values (shortened hex).
 */
int tdx_appraise(struct tdx_verdict *verdict, const struct tdx_quote *q,
                 const struct tdx_policy *policy, struct eph_err *err);

/*
 * The REPORTDATA binding a vTPM to the TD: SHA-512(nonce || AK name)
 * (DESIGN.md, wire protocol). out holds 64 bytes.
 */
int tdx_expected_report_data(uint8_t out[TDX_REPORT_DATA_SIZE], const uint8_t *nonce, size_t nlen,
                             const uint8_t *ak_name, size_t alen, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Collateral: TDX TCB info and QE identity JSON (Intel PCS v4 API)        */
/* ---------------------------------------------------------------------- */

enum tdx_tcb_status {
	TDX_TCB_UNKNOWN = 0, /* no level matched: below every listed level */
	TDX_TCB_UP_TO_DATE,
	TDX_TCB_SW_HARDENING_NEEDED,
	TDX_TCB_CONFIGURATION_NEEDED,
	TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	TDX_TCB_OUT_OF_DATE,
	TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	TDX_TCB_REVOKED,
};

/* "UpToDate" etc. as Intel spells it. */
const char *tdx_tcb_status_name(enum tdx_tcb_status s);

typedef struct tdx_tcbinfo tdx_tcbinfo; /* opaque: a parsed TCB info */
typedef struct tdx_qeid tdx_qeid;       /* opaque: a parsed QE identity */

/*
 * Parse a TCB info JSON document ({"tcbInfo": {...}, "signature": "..."},
 * as served by PCS /tdx/certification/v4/tcb), id "TDX", version 3.
 * The signature is NOT verified (see the top of this file).
 */
int tdx_tcbinfo_parse(tdx_tcbinfo **out, const char *json, size_t len, struct eph_err *err);
void tdx_tcbinfo_free(tdx_tcbinfo *ti);
/* FMSPC the TCB info is for (6 bytes). */
const uint8_t *tdx_tcbinfo_fmspc(const tdx_tcbinfo *ti);
/* Number of TCB levels. */
size_t tdx_tcbinfo_levels(const tdx_tcbinfo *ti);

struct tdx_tcb_result {
	enum tdx_tcb_status platform; /* status of the matched TCB level */
	enum tdx_tcb_status module;   /* TDX module identity level (UpToDate if none listed) */
	enum tdx_tcb_status overall;  /* the worse of the two */
	size_t level;                 /* index of the matched tcbLevels entry */
	char tcb_date[32];            /* of the matched level, as in the JSON */
};

/*
 * Evaluate the TCB level of a verified quote (TDX TCB info v3): the PCK's
 * FMSPC and PCE-ID must equal the TCB info's, the TCB info must be current
 * at `at` (0 = now), the TDX module (MRSIGNERSEAM, SEAMATTRIBUTES) must
 * match; the first level whose SGX components and PCESVN are <= the PCK's
 * and whose TDX components are <= TEE_TCB_SVN is the platform's. Returns 0
 * with out filled (even for OutOfDate: the status is the policy's call),
 * EPH_EVERIFY for an FMSPC / PCE-ID / date / module mismatch.
 */
int tdx_tcb_evaluate(struct tdx_tcb_result *out, const tdx_tcbinfo *ti, const struct tdx_quote *q,
                     const struct tdx_pck_info *pck, time_t at, struct eph_err *err);

/* Parse a QE identity JSON ({"enclaveIdentity": {...}}, id "TD_QE" or "QE", version 2). */
int tdx_qeid_parse(tdx_qeid **out, const char *json, size_t len, struct eph_err *err);
void tdx_qeid_free(tdx_qeid *qi);

/*
 * Check the quote's QE report against a QE identity: MRSIGNER, ISVPRODID,
 * MISCSELECT and ATTRIBUTES under their masks (EPH_EVERIFY on mismatch),
 * then *status = the first level whose isvsvn <= the QE's ISVSVN.
 */
int tdx_qeid_evaluate(enum tdx_tcb_status *status, const tdx_qeid *qi, const struct tdx_quote *q,
                      time_t at, struct eph_err *err);

#endif
