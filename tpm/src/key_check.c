/*
 * key_check.c - is a TPM key fit to be an attestation key or an
 * endorsement key, judged by its TPMA_OBJECT (TPM 2.0 Part 2, 8.3) and
 * parameters?
 *
 *   AK: sign, restricted (the TPM signs only structures it generated, so a
 *       quote cannot be forged by signing chosen bytes that start with
 *       TPM_GENERATED_VALUE), fixedTPM, fixedParent, sensitiveDataOrigin,
 *       not decrypt. E.g. 0x00050072 (keylime, tpm2_createak) passes.
 *   EK: restricted, decrypt, not sign, a symmetric (storage) algorithm,
 *       fixedTPM, fixedParent, adminWithPolicy (TCG EK Credential Profile
 *       2.3, templates L-1/L-2/H-x), e.g. 0x000300b2.
 *   Both: RSA keys of at least 2048 bits.
 *
 * Not here: whether the key really lives in a TPM; that follows from the
 * EK certificate (ekcert.c) and credential activation (makecred.c).
 */
#include "tpmq-priv.h"

struct attr_rule {
	uint32_t bit;
	int want;          /* 1: must be set; 0: must be clear */
	const char *name;
};

static const struct attr_rule ak_rules[] = {
	{TPMQ_ATTR_SIGN, 1, "sign"},
	{TPMQ_ATTR_RESTRICTED, 1, "restricted"},
	{TPMQ_ATTR_FIXED_TPM, 1, "fixedTPM"},
	{TPMQ_ATTR_FIXED_PARENT, 1, "fixedParent"},
	{TPMQ_ATTR_SENSITIVE_DATA_ORIGIN, 1, "sensitiveDataOrigin"},
	{TPMQ_ATTR_DECRYPT, 0, "decrypt"},
};

static const struct attr_rule ek_rules[] = {
	{TPMQ_ATTR_RESTRICTED, 1, "restricted"},
	{TPMQ_ATTR_DECRYPT, 1, "decrypt"},
	{TPMQ_ATTR_SIGN, 0, "sign"},
	{TPMQ_ATTR_FIXED_TPM, 1, "fixedTPM"},
	{TPMQ_ATTR_FIXED_PARENT, 1, "fixedParent"},
	{TPMQ_ATTR_ADMIN_WITH_POLICY, 1, "adminWithPolicy"},
};

static int check(const tpmq_key *key, const struct attr_rule *rules, size_t n, const char *what,
		 struct eph_err *err)
{
	uint32_t a;
	size_t i;

	if (!key->has_public)
		return eph_err_set(err, EPH_EPOLICY,
				   "%s: a bare PEM key has no TPM attributes to check", what);
	a = key->pub.objectAttributes;
	for (i = 0; i < n; i++) {
		if (!!(a & rules[i].bit) == rules[i].want)
			continue;
		return eph_err_set(err, EPH_EPOLICY, "%s: attribute %s is %s (objectAttributes 0x%08x)",
				   what, rules[i].name, rules[i].want ? "missing" : "set",
				   (unsigned)a);
	}
	if (key->pub.type == TPM2_ALG_RSA && key->pub.parameters.rsaDetail.keyBits < 2048)
		return eph_err_set(err, EPH_EPOLICY, "%s: RSA key of %u bits, at least 2048 needed",
				   what, key->pub.parameters.rsaDetail.keyBits);
	return 0;
}

int tpmq_key_check_ak(const tpmq_key *key, struct eph_err *err)
{
	return check(key, ak_rules, sizeof(ak_rules) / sizeof(ak_rules[0]), "AK", err);
}

int tpmq_key_check_ek(const tpmq_key *key, struct eph_err *err)
{
	const TPMT_SYM_DEF_OBJECT *sym;
	int rc;

	rc = check(key, ek_rules, sizeof(ek_rules) / sizeof(ek_rules[0]), "EK", err);
	if (rc < 0)
		return rc;
	/* The symmetric definition sits at the same place for RSA and ECC. */
	sym = key->pub.type == TPM2_ALG_RSA ? &key->pub.parameters.rsaDetail.symmetric
					     : &key->pub.parameters.eccDetail.symmetric;
	if (sym->algorithm == TPM2_ALG_NULL)
		return eph_err_set(err, EPH_EPOLICY,
				   "EK: no symmetric algorithm: not a storage key");
	return 0;
}
