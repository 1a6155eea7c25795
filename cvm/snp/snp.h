/*
 * snp.h - libsnp: the broker side of AMD SEV-SNP attestation.
 *
 * Parses an ATTESTATION_REPORT (versions 2 and 3; SEV-SNP Firmware ABI
 * specification #56860, "ATTESTATION_REPORT Structure"), reads the AMD
 * extensions of a VCEK or VLEK certificate (VCEK Certificate and KDS
 * Interface Specification #57230), verifies the certificate chain
 * VCEK -> ASK -> ARK (VLEK -> ASVK -> ARK) up to an ARK pinned by its
 * SHA-256 fingerprint, checks that the certificate and the report agree
 * (TCB, hwID, key kind, product), verifies the report's ECDSA P-384
 * signature, and appraises the verified report against a policy
 * (measurements, host data, minimum TCB, debug, migration agent, VMPL,
 * the REPORT_DATA binding to the broker's nonce and the vTPM's AK).
 *
 * Not here: fetching anything. Certificates and CRLs come from the
 * evidence or from files the operator downloaded from AMD KDS (see
 * cvm/snp/README.md); the guest side (configfs-tsm) lives in agent/tsm.
 *
 * Every function returns 0 or a negative EPH_E* code and fills err with one
 * line naming what was wrong and where: malformed bytes are EPH_EFORMAT,
 * failed cryptographic or consistency checks EPH_EVERIFY, policy refusals
 * EPH_EPOLICY, products this build does not know EPH_EUNSUPPORTED.
 */
#ifndef SNP_H
#define SNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "eph_err.h"

#define SNP_REPORT_SIZE 0x4A0 /* 1184 bytes, every version */
#define SNP_SIGNED_SIZE 0x2A0 /* the signature covers bytes 0x000..0x29F */
#define SNP_SIG_ALGO_ECDSA_P384_SHA384 1
#define SNP_FAMILY_ID_SIZE 16
#define SNP_IMAGE_ID_SIZE 16
#define SNP_REPORT_DATA_SIZE 64
#define SNP_MEASUREMENT_SIZE 48
#define SNP_HOST_DATA_SIZE 32
#define SNP_KEY_DIGEST_SIZE 48 /* ID_KEY_DIGEST, AUTHOR_KEY_DIGEST: SHA-384 */
#define SNP_REPORT_ID_SIZE 32
#define SNP_CHIP_ID_SIZE 64
#define SNP_ECDSA_COORD_SIZE 48 /* P-384 r and s, big-endian once parsed */
#define SNP_HWID_TURIN_SIZE 8   /* Turin VCEKs carry the first 8 bytes of CHIP_ID */

/* Guest policy bits (ABI spec, "Guest Policy" table). Bits 7:0 are the
 * minimum ABI minor, 15:8 the minimum ABI major. */
#define SNP_POLICY_SMT (1ull << 16)           /* SMT may be enabled on the host */
#define SNP_POLICY_RESERVED_ONE (1ull << 17)  /* must be 1 */
#define SNP_POLICY_MIGRATE_MA (1ull << 18)    /* a migration agent may be bound */
#define SNP_POLICY_DEBUG (1ull << 19)         /* the host may debug (decrypt) the guest */
#define SNP_POLICY_SINGLE_SOCKET (1ull << 20) /* the guest may run on one socket only */
#define SNP_POLICY_CXL_ALLOW (1ull << 21)
#define SNP_POLICY_MEM_AES_256_XTS (1ull << 22)
#define SNP_POLICY_RAPL_DIS (1ull << 23)
#define SNP_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define SNP_POLICY_PAGE_SWAP_DISABLE (1ull << 25)
#define SNP_POLICY_KNOWN_MASK 0x0000000003ffffffull /* bits 63:26 must be zero */

/* PLATFORM_INFO bits (ABI spec, "PLATFORM_INFO Field"). */
#define SNP_PLATFORM_SMT_EN (1ull << 0)
#define SNP_PLATFORM_TSME_EN (1ull << 1)
#define SNP_PLATFORM_ECC_EN (1ull << 2)
#define SNP_PLATFORM_RAPL_DIS (1ull << 3)
#define SNP_PLATFORM_CIPHERTEXT_HIDING_EN (1ull << 4)
#define SNP_PLATFORM_ALIAS_CHECK_COMPLETE (1ull << 5)

/* Product lines with a pinned ARK. */
enum snp_product {
	SNP_PRODUCT_UNKNOWN = 0,
	SNP_PRODUCT_MILAN,
	SNP_PRODUCT_GENOA, /* also Bergamo and Siena, which use Genoa's keys */
	SNP_PRODUCT_TURIN,
};

/* "Milan", "Genoa", "Turin", or "unknown". */
const char *snp_product_name(enum snp_product p);

/* SIGNING_KEY of the report (bits 4:2 at 0x48): which key signed it. */
enum snp_signing_key {
	SNP_SIGNING_KEY_VCEK = 0,
	SNP_SIGNING_KEY_VLEK = 1,
	SNP_SIGNING_KEY_NONE = 7,
};

/*
 * A TCB_VERSION, raw and decoded. Milan and Genoa: byte 0 boot loader,
 * 1 TEE, 2..5 reserved, 6 SNP firmware, 7 microcode. Turin: byte 0 FMC,
 * 1 boot loader, 2 TEE, 3 SNP, 4..6 reserved, 7 microcode.
 */
struct snp_tcb {
	uint64_t raw;
	uint8_t fmc; /* Turin only, 0 on other products */
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};

/* Decode a raw TCB_VERSION with the layout of product p (Milan/Genoa layout
 * for SNP_PRODUCT_UNKNOWN). */
void snp_tcb_decode(struct snp_tcb *out, uint64_t raw, enum snp_product p);

/* The parsed report. Byte arrays are copied as they are in the report. */
struct snp_report {
	uint32_t version;   /* 2 or 3 */
	uint32_t guest_svn; /* from the ID block, 0 without one */
	uint64_t policy;    /* SNP_POLICY_* bits, decoded below */
	uint8_t policy_abi_major, policy_abi_minor;
	bool debug_allowed, smt_allowed, migrate_ma_allowed, single_socket;
	uint8_t family_id[SNP_FAMILY_ID_SIZE]; /* from the ID block */
	uint8_t image_id[SNP_IMAGE_ID_SIZE];
	uint32_t vmpl;           /* VMPL of the request; 0 = most privileged */
	uint32_t signature_algo; /* 1 = ECDSA P-384 with SHA-384 */
	struct snp_tcb current_tcb;
	uint64_t platform_info; /* SNP_PLATFORM_* bits */
	bool author_key_en;     /* the ID block carried an author key */
	bool mask_chip_key;     /* host masked CHIP_ID (all zero) */
	enum snp_signing_key signing_key;
	uint8_t report_data[SNP_REPORT_DATA_SIZE]; /* chosen by the guest */
	uint8_t measurement[SNP_MEASUREMENT_SIZE]; /* launch digest */
	uint8_t host_data[SNP_HOST_DATA_SIZE];     /* chosen by the host at launch */
	uint8_t id_key_digest[SNP_KEY_DIGEST_SIZE];
	uint8_t author_key_digest[SNP_KEY_DIGEST_SIZE];
	uint8_t report_id[SNP_REPORT_ID_SIZE];
	uint8_t report_id_ma[SNP_REPORT_ID_SIZE]; /* all 0xFF without a migration agent */
	struct snp_tcb reported_tcb;              /* the TCB the signing key was derived from */
	uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step; /* version 3 only, else 0 */
	enum snp_product product; /* from the CPUID fields (v3); UNKNOWN for v2 until
	                           * snp_verify sets it from the certificate */
	uint8_t chip_id[SNP_CHIP_ID_SIZE];
	struct snp_tcb committed_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	struct snp_tcb launch_tcb;
	uint8_t sig_r[SNP_ECDSA_COORD_SIZE]; /* big-endian, converted from the */
	uint8_t sig_s[SNP_ECDSA_COORD_SIZE]; /* report's 72-byte little-endian fields */
};

/*
 * Parse exactly SNP_REPORT_SIZE bytes. Refuses other lengths, versions other
 * than 2 and 3, a policy with reserved bit 17 clear or bits 63:26 set,
 * reserved SIGNING_KEY values, and non-zero bytes in the reserved fields
 * the spec marks must-be-zero (naming the first offending offset). The
 * signature is not checked here.
 */
int snp_report_parse(struct snp_report *out, const uint8_t *buf, size_t len, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Certificates                                                            */
/* ---------------------------------------------------------------------- */

typedef struct snp_cert snp_cert; /* opaque: one X.509 certificate */

/* What a certificate is, from its subject CN (KDS spec: "ARK-Milan",
 * "SEV-Milan", "SEV-VLEK-Milan", "SEV-VCEK", "SEV-VLEK"). */
enum snp_cert_kind {
	SNP_CERT_OTHER = 0,
	SNP_CERT_ARK,
	SNP_CERT_ASK,
	SNP_CERT_ASVK,
	SNP_CERT_VCEK,
	SNP_CERT_VLEK,
};

/* Parse one certificate: DER, or the first certificate of a PEM text. */
int snp_cert_parse(snp_cert **out, const uint8_t *buf, size_t len, struct eph_err *err);

void snp_cert_free(snp_cert *cert);

enum snp_cert_kind snp_cert_kind(const snp_cert *cert);

/* The product a certificate names: from "ARK-<P>", "SEV-<P>",
 * "SEV-VLEK-<P>", or for a VCEK/VLEK from its issuer's CN. */
enum snp_product snp_cert_product(const snp_cert *cert);

/* What a VCEK or VLEK certifies (KDS spec, "VCEK Certificate Extensions"). */
struct snp_vcek_info {
	enum snp_cert_kind kind;        /* SNP_CERT_VCEK or SNP_CERT_VLEK */
	uint8_t struct_version;         /* 1.3.6.1.4.1.3704.1.1 */
	char product_name[32];          /* 1.3.6.1.4.1.3704.1.2, e.g. "Milan-B0" */
	enum snp_product product;       /* from product_name */
	int stepping;                   /* the digit of "B0"/"B1", -1 when absent */
	struct snp_tcb tcb;             /* blSPL .3.1, teeSPL .3.2, snpSPL .3.3, ucodeSPL .3.8,
	                                 * fmcSPL .3.9 (Turin); raw composed per product */
	uint8_t hwid[SNP_CHIP_ID_SIZE]; /* 1.3.6.1.4.1.3704.1.4; VCEK only */
	size_t hwid_len;                /* 64, 8 on Turin, 0 for a VLEK */
	char csp_id[64];                /* 1.3.6.1.4.1.3704.1.5; VLEK only */
};

/*
 * Read the AMD extensions of a VCEK or VLEK. The hwID is accepted both as
 * the raw 64 bytes (older KDS certificates) and DER-wrapped in an OCTET
 * STRING (newer ones). Duplicate AMD extensions, SPLs outside 0..255, a VCEK
 * without hwID or a VLEK with one are EPH_EFORMAT.
 */
int snp_vcek_tcb(struct snp_vcek_info *out, const snp_cert *cert, struct eph_err *err);

/* Does the VCEK come from this product (and stepping, -1 for any)? EPH_EPOLICY
 * "expected product stepping 12, got 0" otherwise. */
int snp_vcek_check_product(const struct snp_vcek_info *info, enum snp_product product, int stepping,
                           struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Chain of trust                                                          */
/* ---------------------------------------------------------------------- */

/*
 * SHA-256 fingerprint of the DER of the ARK pinned for a product (these are
 * AMD's published, long-lived roots), or NULL for SNP_PRODUCT_UNKNOWN.
 */
const uint8_t *snp_ark_pin(enum snp_product p);

/*
 * Verify VCEK -> ASK -> ARK (or VLEK -> ASVK -> ARK) for product at time
 * `at` (seconds since the epoch): the ARK's SHA-256 equals the pinned one
 * and it signs itself; the ASK (or ASVK) is a CA issued and signed by the
 * ARK; the leaf is issued and signed by it (RSA-PSS, SHA-384); every
 * certificate is valid at `at`; the names say the same product. No CRL is
 * consulted here: see snp_roots_verify.
 */
int snp_verify_chain(const snp_cert *vcek, const snp_cert *ask, const snp_cert *ark,
                     enum snp_product product, time_t at, struct eph_err *err);

typedef struct snp_roots snp_roots; /* opaque: ARKs, ASKs/ASVKs and CRLs */

int snp_roots_new(snp_roots **out, struct eph_err *err);

void snp_roots_free(snp_roots *roots);

/*
 * Add every certificate and CRL of a PEM text (AMD KDS "cert_chain" files:
 * ASK then ARK), or one DER certificate or CRL (KDS ".../crl" is DER).
 * ARKs must match their product's pin (EPH_EVERIFY otherwise); ASKs/ASVKs
 * are checked against their ARK when used or by snp_roots_check, so files
 * may come in any order; VCEKs/VLEKs are skipped (a "VCEK, ASK, ARK"
 * bundle can be given as is); other certificates are refused. CRLs are
 * kept and checked when used.
 */
int snp_roots_add(snp_roots *roots, const uint8_t *buf, size_t len, struct eph_err *err);

/*
 * Add every *.pem, *.crt, *.cer, *.der and *.crl file of dir (not
 * recursive, in name order). The operator puts the KDS downloads there.
 */
int snp_roots_add_dir(snp_roots *roots, const char *dir, struct eph_err *err);

/* How many certificates of a kind roots holds (SNP_CERT_OTHER: CRLs). */
size_t snp_roots_count(const snp_roots *roots, enum snp_cert_kind kind);

/*
 * Check the roots themselves at `at`, for an operator's "is my folder
 * right" and for tests: every ARK is pinned, self-signed and valid; every
 * ASK/ASVK has its product's ARK among the roots (EPH_ENOTFOUND), is a CA
 * issued and signed by it, valid, and not revoked by a CRL of the ARK.
 */
int snp_roots_check(const snp_roots *roots, time_t at, struct eph_err *err);

/*
 * Verify the leaf's chain as snp_verify_chain does, picking the ASK (VCEK)
 * or ASVK (VLEK) and the ARK of product (SNP_PRODUCT_UNKNOWN: the product
 * the leaf names) from roots, then consult every CRL of roots issued by
 * the ARK or the ASK: a CRL must verify with its issuer's key and be
 * current at `at` (thisUpdate <= at <= nextUpdate), and must not list the
 * ASK or the leaf.
 */
int snp_roots_verify(const snp_roots *roots, const snp_cert *leaf, enum snp_product product,
                     time_t at, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* The report against its certificate                                      */
/* ---------------------------------------------------------------------- */

/*
 * Verify the ECDSA P-384 / SHA-384 signature of a raw report (exactly
 * SNP_REPORT_SIZE bytes) over bytes 0x000..0x29F with the public key of
 * cert. Refuses SIGNATURE_ALGO other than 1 and r or s that do not fit in
 * 48 bytes (non-zero bytes 48..71 of their fields).
 */
int snp_verify_signature(const uint8_t *raw, size_t len, const snp_cert *cert, struct eph_err *err);

/*
 * Does the report agree with the VCEK/VLEK that is to verify it: the key
 * kind matches SIGNING_KEY, the certified TCB equals REPORTED_TCB (each
 * field named on mismatch), the hwID equals CHIP_ID (its first 8 bytes on
 * Turin; skipped when the host masked CHIP_ID), and a version 3 report's
 * CPUID product is the certificate's product. EPH_EVERIFY otherwise.
 */
int snp_check_vcek(const struct snp_report *report, const struct snp_vcek_info *info,
                   struct eph_err *err);

/*
 * All of the above in order: parse raw into *out, read the key
 * certificate's extensions (into *info when not NULL), verify its chain
 * through roots at `at`, check the report against it, verify the
 * signature. *out is only meaningful when 0 is returned.
 */
int snp_verify(struct snp_report *out, struct snp_vcek_info *info, const uint8_t *raw, size_t len,
               const snp_cert *key, const snp_roots *roots, time_t at, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Appraisal                                                               */
/* ---------------------------------------------------------------------- */

#define SNP_POLICY_MAX_MEASUREMENTS 16

/*
 * What a verified report must show. A zeroed policy is the strict one:
 * debug and migration agents forbidden, VMPL 0 only, no minimum TCB, and
 * it lists no measurement, which refuses every report until the operator
 * lists some or sets any_measurement.
 */
struct snp_policy {
	size_t n_measurements;
	uint8_t measurements[SNP_POLICY_MAX_MEASUREMENTS][SNP_MEASUREMENT_SIZE];
	bool any_measurement; /* accept any launch measurement */
	bool check_host_data;
	uint8_t host_data[SNP_HOST_DATA_SIZE];
	bool check_id_key_digest;
	uint8_t id_key_digest[SNP_KEY_DIGEST_SIZE];
	struct snp_tcb min_tcb; /* each decoded field is a minimum for reported_tcb */
	uint32_t min_guest_svn;
	uint32_t max_vmpl;
	bool allow_debug;           /* default: POLICY.DEBUG must be 0 */
	bool allow_migration_agent; /* default: POLICY.MIGRATE_MA 0, REPORT_ID_MA all 0xFF */
	bool forbid_smt;            /* POLICY.SMT and PLATFORM_INFO.SMT_EN must be 0 */
	bool require_single_socket; /* POLICY.SINGLE_SOCKET must be 1 */
	bool forbid_vlek;           /* the report must be signed by a VCEK */
};

/* One bit per check, for snp_verdict. */
enum snp_check {
	SNP_CHECK_REPORT_DATA = 1u << 0,
	SNP_CHECK_MEASUREMENT = 1u << 1,
	SNP_CHECK_HOST_DATA = 1u << 2,
	SNP_CHECK_ID_KEY = 1u << 3,
	SNP_CHECK_TCB = 1u << 4,
	SNP_CHECK_GUEST_SVN = 1u << 5,
	SNP_CHECK_DEBUG = 1u << 6,
	SNP_CHECK_MIGRATION = 1u << 7,
	SNP_CHECK_VMPL = 1u << 8,
	SNP_CHECK_SMT = 1u << 9,
	SNP_CHECK_SINGLE_SOCKET = 1u << 10,
	SNP_CHECK_SIGNING_KEY = 1u << 11,
};

struct snp_verdict {
	unsigned checked;      /* SNP_CHECK_* bits evaluated */
	unsigned failed;       /* the subset that failed */
	int measurement_index; /* which policy measurement matched, -1 if none */
};

/*
 * Appraise a report that snp_verify accepted. Every check runs; verdict
 * (may be NULL) records which failed, err names the first failure with the
 * field and both values, and the return is EPH_EPOLICY if any failed.
 * expected_report_data (SNP_REPORT_DATA_SIZE bytes, required) is what the
 * guest must have put in REPORT_DATA, e.g. from snp_expected_report_data.
 */
int snp_appraise(struct snp_verdict *verdict, const struct snp_report *report,
                 const struct snp_policy *policy, const uint8_t *expected_report_data,
                 struct eph_err *err);

/*
 * The REPORT_DATA binding of DESIGN.md: out = SHA-512(nonce || ak_name),
 * SNP_REPORT_DATA_SIZE bytes. Returns 0 or EPH_EFAIL.
 */
int snp_expected_report_data(uint8_t *out, const uint8_t *nonce, size_t nonce_len,
                             const uint8_t *ak_name, size_t ak_name_len);

/* ---------------------------------------------------------------------- */
/* Certificate table of an extended report (GHCB spec, cert_table)        */
/* ---------------------------------------------------------------------- */

#define SNP_CERTTABLE_MAX_ENTRIES 64 /* more is refused as malformed */

/* Which certificate of the table a GUID names (snp_certtable_guid). */
enum snp_certtable_kind {
	SNP_CERTTABLE_VCEK,
	SNP_CERTTABLE_VLEK,
	SNP_CERTTABLE_ASK, /* also carries the ASVK on VLEK hosts */
	SNP_CERTTABLE_ARK,
};

/*
 * The certificates the host put in the table. Pointers point into the
 * caller's buffer (which must outlive the struct), NULL with length 0 when
 * the table has no such entry. Nothing here is verified: feed the
 * certificates to snp_cert_parse / snp_roots_add.
 */
struct snp_certtable {
	const uint8_t *vcek;
	size_t vcek_len;
	const uint8_t *vlek;
	size_t vlek_len;
	const uint8_t *ask;
	size_t ask_len;
	const uint8_t *ark;
	size_t ark_len;
	size_t n_entries;  /* entries before the terminator, known GUIDs or not */
	size_t n_other;    /* entries with other GUIDs: checked, not returned */
	size_t table_size; /* bytes of the table itself, terminator included */
};

/*
 * Parse the certificate table of SNP_GET_EXT_REPORT's certs buffer or
 * configfs-tsm's auxblob (GHCB spec #56421 2.03, 4.1.8.1): entries of
 * {GUID[16], offset u32le, length u32le} up to an all-zero entry, offsets
 * from the start of buf. EPH_EFORMAT, naming the entry, for: no terminator
 * inside buf, more than SNP_CERTTABLE_MAX_ENTRIES entries, a zero GUID
 * with a non-zero offset or length, an empty certificate, one that runs
 * past buf or starts inside the table, two that overlap, a GUID given
 * twice. Trailing padding after the certificates is allowed.
 */
int snp_certtable_parse(struct snp_certtable *out, const uint8_t *buf, size_t len,
                        struct eph_err *err);

/* The 16 GUID bytes of a kind, in table (RFC 4122 text) order. */
const uint8_t *snp_certtable_guid(enum snp_certtable_kind kind);

#endif
