/*
 * enrol.c - agentc_enrol: prove to the broker that our AK lives in the TPM
 * that holds our EK, once, and remember the result.
 *
 *   1. EK: the first certificate in NV among RSA 2048 (0x01c00002), ECC
 *      P-256 (0x01c0000a), ECC P-384 (0x01c00016); with none, an RSA 2048
 *      EK sent as its public area only. The EK is created from the
 *      matching default template, so its public part equals the cert's key.
 *   2. AK: a restricted signing key under that EK (tpmq_create_ak).
 *   3. POST /v1/agents/register {ek_cert, ek_pub, ak_pub, hostname, cvm}
 *      -> {agent_id, cred_blob, cred_secret} (MakeCredential, broker side).
 *   4. TPM2_ActivateCredential -> the secret; POST /v1/agents/activate
 *      {agent_id, secret} -> {status}.
 *   5. Save agent id, EK algorithm, AK blobs (state.c).
 * With a complete state folder and no AGENTC_ENROL_FORCE: recreate the EK
 * of the recorded algorithm and load the saved AK; no network.
 *
 * Not here: deciding when to enrol again (the daemon: after EPH_ENOTFOUND
 * from agentc_attest, or on operator request).
 */
#include <stdlib.h>
#include <string.h>

#include "agentc-priv.h"

static const int ek_order[] = {TPMQ_RSA2048, TPMQ_ECC_P256, TPMQ_ECC_P384};

/* Pick the EK: the first algorithm with a certificate, else RSA without. */
static int pick_ek(int *alg, uint8_t **cert, size_t *cert_len, tpmq_tpm *tpm, struct eph_err *err)
{
	size_t i;
	int rc;

	*cert = NULL;
	*cert_len = 0;
	for (i = 0; i < sizeof(ek_order) / sizeof(ek_order[0]); i++) {
		rc = tpmq_read_ek_cert(cert, cert_len, tpm, ek_order[i], err);
		if (rc == 0) {
			*alg = ek_order[i];
			return 0;
		}
		if (rc != EPH_ENOTFOUND)
			return eph_err_prefix(err, rc, "TPM: reading the %s EK certificate",
			                      agentc__alg_name(ek_order[i]));
	}
	*alg = TPMQ_RSA2048;
	return 0;
}

static int reload(agentc *a, tpmq_tpm *tpm, struct eph_err *err)
{
	uint8_t *ek_pub = NULL;
	size_t ek_pub_len = 0;
	int rc;

	rc = tpmq_create_ek(&ek_pub, &ek_pub_len, tpm, a->ek_alg, err);
	free(ek_pub);
	if (rc < 0)
		return eph_err_prefix(err, rc, "TPM: recreating the %s EK",
		                      agentc__alg_name(a->ek_alg));
	rc = tpmq_load_ak(tpm, a->ak_pub, a->ak_pub_len, a->ak_priv, a->ak_priv_len, err);
	if (rc < 0)
		return eph_err_prefix(err, rc,
		                      "TPM: the saved AK in %s does not load (TPM cleared or "
		                      "replaced? enrol again with force)",
		                      a->state_dir);
	a->ready_tpm = tpm;
	return 0;
}

static int do_register(struct wire_register_resp *out, struct agentc_refusal *refusal, agentc *a,
                       const struct wire_register_req *req, struct eph_err *err)
{
	struct agentc_response resp = {0};
	uint8_t *body = NULL;
	size_t len = 0;
	int rc;

	rc = wire_register_req_encode(&body, &len, req, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "encoding the register request");
	rc = agentc__cbor_call(&resp, refusal, a, "POST", "/v1/agents/register", body, len, err);
	free(body);
	if (rc < 0)
		return rc;
	rc = wire_register_resp_decode(out, resp.body, resp.len, err);
	agentc_response_clear(&resp);
	if (rc < 0)
		return eph_err_prefix(err, rc, "POST /v1/agents/register: response");
	if (out->agent_id[0] == '\0' || out->cred_blob.len == 0 || out->cred_secret.len == 0) {
		wire_register_resp_free(out);
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "POST /v1/agents/register: response lacks agent id or credential");
	}
	return 0;
}

static int do_activate(struct agentc_refusal *refusal, agentc *a, const char *agent_id,
                       uint8_t *secret, size_t secret_len, struct eph_err *err)
{
	struct wire_activate_req req;
	struct wire_activate_resp ar;
	struct agentc_response resp = {0};
	uint8_t *body = NULL;
	size_t len = 0;
	int rc;

	memset(&req, 0, sizeof(req));
	memcpy(req.agent_id, agent_id, strlen(agent_id) + 1);
	req.secret.p = secret;
	req.secret.len = secret_len;
	rc = wire_activate_req_encode(&body, &len, &req, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "encoding the activate request");
	rc = agentc__cbor_call(&resp, refusal, a, "POST", "/v1/agents/activate", body, len, err);
	explicit_bzero(body, len);
	free(body);
	if (rc < 0)
		return rc;
	rc = wire_activate_resp_decode(&ar, resp.body, resp.len, err);
	agentc_response_clear(&resp);
	if (rc < 0)
		return eph_err_prefix(err, rc, "POST /v1/agents/activate: response");
	wire_activate_resp_free(&ar);
	return 0;
}

static int enrol(struct agentc_refusal *refusal, agentc *a, tpmq_tpm *tpm, struct eph_err *err)
{
	struct wire_register_req req;
	struct wire_register_resp reg;
	struct tsm_evidence tev;
	uint8_t *ek_cert = NULL, *ek_pub = NULL, *ak_pub = NULL, *ak_priv = NULL;
	size_t ek_cert_len = 0, ek_pub_len = 0, ak_pub_len = 0, ak_priv_len = 0;
	uint8_t secret[64], probe_nonce[WIRE_NONCE_LEN] = {0};
	size_t secret_len = 0;
	int ek_alg = 0, rc, have_reg = 0;

	memset(&req, 0, sizeof(req));
	memset(&reg, 0, sizeof(reg));
	memset(&tev, 0, sizeof(tev));
	rc = pick_ek(&ek_alg, &ek_cert, &ek_cert_len, tpm, err);
	if (rc < 0)
		goto out;
	rc = tpmq_create_ek(&ek_pub, &ek_pub_len, tpm, ek_alg, err);
	if (rc < 0) {
		eph_err_prefix(err, rc, "TPM: creating the %s EK", agentc__alg_name(ek_alg));
		goto out;
	}
	rc = tpmq_create_ak(&ak_pub, &ak_pub_len, &ak_priv, &ak_priv_len, tpm, a->ak_alg, err);
	if (rc < 0) {
		eph_err_prefix(err, rc, "TPM: creating the %s AK", agentc__alg_name(a->ak_alg));
		goto out;
	}
	rc = agentc__state_set_ak(a, ak_pub, ak_pub_len, ak_priv, ak_priv_len, err);
	ak_pub = NULL; /* owned by a now */
	ak_priv = NULL;
	if (rc < 0) {
		eph_err_prefix(err, rc, "the new AK's public area");
		goto out;
	}

	req.ek_cert.p = ek_cert;
	req.ek_cert.len = ek_cert_len;
	req.ek_pub.p = ek_pub;
	req.ek_pub.len = ek_pub_len;
	req.ak_pub.p = a->ak_pub;
	req.ak_pub.len = a->ak_pub_len;
	memcpy(req.hostname, a->hostname, sizeof(req.hostname));
	/* What kind of guest we are: one probe report (any report_data). */
	rc = agentc__cvm_collect(&tev, req.cvm, a, probe_nonce, sizeof(probe_nonce), err);
	tsm_evidence_clear(&tev);
	if (rc < 0)
		goto out;

	rc = do_register(&reg, refusal, a, &req, err);
	if (rc < 0)
		goto out;
	have_reg = 1;
	rc = tpmq_activate_credential(secret, &secret_len, tpm, reg.cred_blob.p, reg.cred_blob.len,
	                              reg.cred_secret.p, reg.cred_secret.len, err);
	if (rc < 0) {
		eph_err_prefix(err, rc, "TPM: activating the broker's credential");
		goto out;
	}
	rc = do_activate(refusal, a, reg.agent_id, secret, secret_len, err);
	if (rc < 0)
		goto out;

	memcpy(a->agent_id, reg.agent_id, sizeof(a->agent_id));
	a->ek_alg = ek_alg;
	a->boot_id[0] = '\0';
	a->ima_entries = 0;
	a->ima_bytes = 0;
	rc = agentc__state_save(a, err);
	if (rc < 0) {
		eph_err_prefix(err, rc, "enrolled as %s but cannot save the state", reg.agent_id);
		goto out;
	}
	a->have_state = 1;
	a->ready_tpm = tpm;
out:
	explicit_bzero(secret, sizeof(secret));
	if (have_reg)
		wire_register_resp_free(&reg);
	if (ak_priv != NULL)
		explicit_bzero(ak_priv, ak_priv_len);
	free(ak_priv);
	free(ak_pub);
	free(ek_pub);
	free(ek_cert);
	if (rc < 0)
		agentc__state_clear(a);
	return rc;
}

int agentc_enrol(enum agentc_enrolment *how, struct agentc_refusal *refusal, agentc *a,
                 tpmq_tpm *tpm, unsigned flags, struct eph_err *err)
{
	struct agentc_refusal local;
	int rc;

	if (refusal == NULL)
		refusal = &local;
	memset(refusal, 0, sizeof(*refusal));
	*how = 0;
	if (a->state_dir == NULL)
		return eph_err_set(err, EPH_EFAIL, "agentc_enrol: no state folder configured");
	if (!(flags & AGENTC_ENROL_FORCE)) {
		rc = agentc_state_load(a, err);
		if (rc == 0) {
			rc = reload(a, tpm, err);
			if (rc == 0)
				*how = AGENTC_RELOADED;
			return rc;
		}
		if (rc != EPH_ENOTFOUND)
			return rc;
	}
	rc = enrol(refusal, a, tpm, err);
	if (rc == 0)
		*how = AGENTC_ENROLLED;
	return rc;
}
