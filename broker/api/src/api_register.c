/*
 * api_register.c - POST /v1/agents/register: an agent presents its EK
 * (TPM2B_PUBLIC, and the EK certificate) and its AK (TPM2B_PUBLIC). The
 * broker checks the EK certificate chains to the EK trust folder and
 * certifies that very EK, that the EK has the EK attributes and the AK
 * those of an attestation key (restricted, sign, fixedTPM, fixedParent,
 * sensitiveDataOrigin), then makes a credential (32 random bytes) for the
 * TPM holding the EK, bound to the AK's name. Only the secret's hash is
 * stored; POST /v1/agents/activate proves the AK is on that TPM.
 *
 * Not here: an EK given by its certificate alone. libtpmq builds the
 * credential from the EK's TPM2B_PUBLIC (nameAlg, symmetric scheme) and has
 * no "EK key from certificate" helper, so ek_pub is required and the
 * certificate must certify the same key (tpmq_ekcert_verify with ek).
 */
#include <stdlib.h>
#include <string.h>

#include "api-lc.h"
#include "api-priv.h"
#include "wire.h"

static int valid_cvm(const char *cvm)
{
	return strcmp(cvm, "none") == 0 || strcmp(cvm, "sev-snp") == 0 ||
	       strcmp(cvm, "tdx") == 0;
}

void api__register(struct api__req *r)
{
	struct api *a = r->api;
	struct wire_register_req req;
	struct wire_register_resp resp;
	struct store_agent ag;
	struct store_audit au;
	struct eph_err err = {{0}};
	tpmq_key *ek = NULL, *ak = NULL;
	uint8_t name[TPMQ_NAME_MAX], secret[32];
	uint8_t *blob = NULL, *enc = NULL, *out = NULL;
	size_t name_len = 0, blob_len = 0, enc_len = 0, out_len = 0;
	const uint8_t *body;
	size_t body_len;
	char id[STORE_ID_SIZE];
	int rc;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	memset(&ag, 0, sizeof(ag));
	if (api__body(&body, &body_len, r) < 0)
		return;
	rc = wire_register_req_decode(&req, body, body_len, &err);
	if (rc < 0) {
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "register request: %s", err.msg);
		return;
	}
	if (req.cvm[0] == '\0')
		memcpy(req.cvm, "none", 5);
	if (!valid_cvm(req.cvm)) {
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed",
			    "cvm \"%.32s\": expected none, sev-snp or tdx", req.cvm);
		goto out;
	}
	if (req.ek_pub.len == 0) {
		api__refuse(r, API_HTTP_UNPROCESSABLE, "ek-pub-required",
			    "key 11 (ek_pub) is required: the credential is made for the EK's "
			    "TPM2B_PUBLIC, the certificate alone does not carry its template");
		goto out;
	}
	rc = tpmq_key_from_public(&ek, req.ek_pub.p, req.ek_pub.len, &err);
	if (rc == 0)
		rc = tpmq_key_check_ek(ek, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "EK", &err);
		goto out;
	}
	if (req.ek_cert.len != 0) {
		rc = tpmq_ekcert_verify(req.ek_cert.p, req.ek_cert.len, a->cfg.ek_trust_dir, ek, 0,
					&err);
		if (rc < 0) {
			api__refuse(r, API_HTTP_FORBIDDEN, "ek-cert-refused", "EK certificate: %s",
				    err.msg);
			goto out;
		}
	} else if (!a->pol.allow_uncertified_ek) {
		api__refuse(r, API_HTTP_FORBIDDEN, "ek-cert-required",
			    "no EK certificate (key 10) and this broker accepts certified EKs only");
		goto out;
	}
	rc = tpmq_key_from_public(&ak, req.ak_pub.p, req.ak_pub.len, &err);
	if (rc == 0)
		rc = tpmq_key_check_ak(ak, &err);
	if (rc == 0)
		rc = tpmq_key_name(name, &name_len, ak, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "AK", &err);
		goto out;
	}
	if (api__random(secret, sizeof(secret)) < 0) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "getrandom failed");
		goto out;
	}
	rc = tpmq_make_credential(&blob, &blob_len, &enc, &enc_len, ek, name, name_len, secret,
				  sizeof(secret), &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "make credential", &err);
		goto out;
	}
	ag.ek_cert.p = req.ek_cert.p;
	ag.ek_cert.len = req.ek_cert.len;
	ag.ek_pub.p = req.ek_pub.p;
	ag.ek_pub.len = req.ek_pub.len;
	ag.ak_pub.p = req.ak_pub.p;
	ag.ak_pub.len = req.ak_pub.len;
	ag.ak_name.p = name;
	ag.ak_name.len = name_len;
	ag.hostname = req.hostname;
	ag.cvm = req.cvm;
	ag.created_at = api__now();
	rc = store_agent_register(id, a->st, &ag, secret, sizeof(secret), &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "store", &err);
		goto out;
	}
	memset(&au, 0, sizeof(au));
	au.at = ag.created_at;
	au.actor = id;
	au.action = "agent.register";
	au.object = id;
	au.detail = req.hostname;
	if (store_audit_append(NULL, a->st, &au, &err) < 0)
		api__log(a, API_LOG_WARN, "audit", "agent.register %s: %s", id, err.msg);
	/* An agent inside an environment the broker made: bound by its vTPM EK. */
	if (req.ek_cert.len != 0)
		(void)api__lc_bind(a, id, req.hostname, req.ek_cert.p, req.ek_cert.len);
	snprintf(resp.agent_id, sizeof(resp.agent_id), "%s", id);
	resp.cred_blob.p = blob;
	resp.cred_blob.len = blob_len;
	resp.cred_secret.p = enc;
	resp.cred_secret.len = enc_len;
	rc = wire_register_resp_encode(&out, &out_len, &resp, &err);
	if (rc < 0) {
		api__refuse_rc(r, EPH_EFAIL, "encode", &err);
		goto out;
	}
	api__log(a, API_LOG_INFO, "agent registered", "%s host \"%s\" cvm %s ek %s", id,
		 req.hostname, req.cvm, req.ek_cert.len ? "certified" : "uncertified");
	api__send_cbor(r, API_HTTP_CREATED, out, out_len);
out:
	explicit_bzero(secret, sizeof(secret));
	free(out);
	free(blob);
	free(enc);
	tpmq_key_free(ek);
	tpmq_key_free(ak);
	wire_register_req_free(&req);
}
