/*
 * api_appraise.c - the adapter from this broker's verifiers to
 * broker/appraise: once every cryptographic check of an attestation passed
 * (api_evidence.c, api_cvm.c), fill a struct appraise_evidence from what
 * they established, run appraise_run against the reference values of the
 * policy folder (golden-pcrs.json, ima-allowlist.json, reference.json) and
 * take its AR4SI vector and attributes. A contraindicated claim refuses
 * the attestation (422, its reason line); without broker/appraise the
 * verifiers' own vector stands (api__appraise returns 0 and changes
 * nothing).
 *
 * Not here: the verification itself. The SNP REPORTED_TCB and measurement
 * are handed over, so reference.json "tcb" applies to SEV-SNP (below the
 * minimum: contraindicated, refused; below recommended: warning). Gaps: the
 * TDX TCB status (tdx_tcb_evaluate needs Intel's TCB info collateral, not
 * fetched); secure_boot is left to appraise's defaults (-1: not in the log).
 */
#include <stdlib.h>
#include <string.h>

#include "api-attest.h"

int api__appraise_refs_load(void **out, const char *dir, struct eph_err *err);
void api__appraise_refs_free(void *refs);
int api__appraise(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		  const struct store_agent *ag);

#ifndef API_HAVE_APPRAISE
int api__appraise_refs_load(void **out, const char *dir, struct eph_err *err)
{
	(void)dir;
	(void)err;
	*out = NULL;
	return 0;
}

void api__appraise_refs_free(void *refs)
{
	(void)refs;
}

int api__appraise(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		  const struct store_agent *ag)
{
	(void)v;
	(void)a;
	(void)req;
	(void)ag;
	return 0;
}
#else
#include "appraise.h"
#include "eph_hex.h"
#include "evlog.h"

int api__appraise_refs_load(void **out, const char *dir, struct eph_err *err)
{
	appraise_refs *refs = NULL;
	int rc = dir ? appraise_refs_load_dir(&refs, dir, err) : appraise_refs_new(&refs, err);

	*out = refs;
	return rc;
}

void api__appraise_refs_free(void *refs)
{
	appraise_refs_free(refs);
}

static int fill_events(struct appraise_event **out, size_t *n, evlog_log **logp,
		       const struct wire_attest_req *req, struct eph_err *err)
{
	struct appraise_event *evs;
	size_t i, cnt;
	int rc;

	*out = NULL;
	*n = 0;
	rc = evlog_parse(logp, req->eventlog.p, req->eventlog.len, EVLOG_F_ALLOW_PADDING, err);
	if (rc < 0)
		return rc;
	cnt = evlog_count(*logp);
	evs = calloc(cnt ? cnt : 1, sizeof(*evs));
	if (evs == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory");
	for (i = 0; i < cnt; i++) {
		const struct evlog_event *e = evlog_event_at(*logp, i);
		uint32_t d;

		evs[i].pcr = e->pcr;
		evs[i].type = e->type;
		for (d = 0; d < e->num_digests && d < APPRAISE_MAX_EV_DIGESTS; d++) {
			evs[i].digests[d].alg = e->digests[d].alg;
			evs[i].digests[d].size = e->digests[d].size;
			memcpy(evs[i].digests[d].bytes, e->digests[d].bytes,
			       e->digests[d].size <= APPRAISE_MAX_DIGEST ? e->digests[d].size : 0);
		}
		evs[i].num_digests = d;
	}
	*out = evs;
	*n = cnt;
	return 0;
}

static int fill_ima(struct appraise_ima_entry **out, size_t *n, evlog_ima **imap,
		    const struct wire_attest_req *req, struct eph_err *err)
{
	struct appraise_ima_entry *es;
	size_t i, cnt;
	int rc;

	*out = NULL;
	*n = 0;
	rc = evlog_ima_parse(imap, req->ima.p, req->ima.len, EVLOG_IMA_AUTO, err);
	if (rc < 0)
		return rc;
	cnt = evlog_ima_count(*imap);
	es = calloc(cnt ? cnt : 1, sizeof(*es));
	if (es == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory");
	for (i = 0; i < cnt; i++) {
		const struct evlog_ima_entry *e = evlog_ima_entry_at(*imap, i);

		es[i].path = e->file_name ? e->file_name : "";
		es[i].alg = e->file_hash_alg;
		es[i].hash = e->file_hash;
		es[i].hash_len = e->file_hash_len;
		es[i].violation = e->violation != 0;
	}
	*out = es;
	*n = cnt;
	return 0;
}

int api__appraise(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		  const struct store_agent *ag)
{
	struct appraise_evidence *ev = calloc(1, sizeof(*ev));
	struct appraise_result *res = NULL;
	struct appraise_event *events = NULL;
	struct appraise_ima_entry *entries = NULL;
	evlog_log *log = NULL;
	evlog_ima *ima = NULL;
	struct eph_err err = {{0}};
	uint32_t i;
	size_t k;
	int rc = -1;

	if (ev == NULL)
		return api__verdict_refuse(v, API_HTTP_INTERNAL, "internal", "out of memory");
	ev->tpm.present = true;
	ev->tpm.quote_ok = true;    /* api__check_quote passed */
	ev->tpm.nonce_fresh = true; /* consumed, and counters newer */
	ev->tpm.ak_ok = true;       /* checked at register, activated */
	ev->tpm.ek_cert = ag->ek_cert.len != 0;
	ev->tpm.ek_chain_ok = ag->ek_cert.len != 0; /* verified at register */
	eph_hex_encode(ev->tpm.ak_name, sizeof(ev->tpm.ak_name), v->ak_name, v->ak_name_len);
	ev->tpm.num_banks = v->pcrs.num_banks;
	for (i = 0; i < v->pcrs.num_banks && i < APPRAISE_MAX_BANKS; i++)
		memcpy(&ev->tpm.banks[i], &v->pcrs.banks[i], sizeof(ev->tpm.banks[i]));
	if (v->has_eventlog) {
		if (fill_events(&events, &k, &log, req, &err) < 0)
			goto internal;
		ev->evlog.present = true;
		ev->evlog.replay_ok = true; /* api__check_eventlog compared it */
		ev->evlog.events = events;
		ev->evlog.num_events = k;
		ev->evlog.secure_boot = -1;
	}
	if (v->has_ima) {
		if (fill_ima(&entries, &k, &ima, req, &err) < 0)
			goto internal;
		ev->ima.present = true;
		ev->ima.template_ok = true;
		ev->ima.replay_ok = true;
		ev->ima.entries = entries;
		ev->ima.num_entries = k;
	}
	if (v->cvm_kind != NULL) {
		ev->cvm.kind = strcmp(v->cvm_kind, "tdx") == 0 ? APPRAISE_CVM_TDX : APPRAISE_CVM_SNP;
		ev->cvm.verified = true;
		ev->cvm.binding_ok = true;
		ev->cvm.measurement_ok = true;
		ev->cvm.snp_tcb.fmc = v->snp_tcb[0];
		ev->cvm.snp_tcb.bootloader = v->snp_tcb[1];
		ev->cvm.snp_tcb.tee = v->snp_tcb[2];
		ev->cvm.snp_tcb.snp = v->snp_tcb[3];
		ev->cvm.snp_tcb.microcode = v->snp_tcb[4];
		memcpy(ev->cvm.measurement, v->cvm_measurement, v->cvm_measurement_len);
		ev->cvm.measurement_len = v->cvm_measurement_len;
	}
	if (appraise_run(&res, ev, a->pol.refs, NULL, &err) < 0)
		goto internal;
	for (i = 1; i <= WIRE_AR_NUM; i++)
		v->ar4si[i - 1] = (int8_t)res->tier[i];
	for (i = 1; i <= WIRE_AR_NUM; i++) {
		if (res->tier[i] >= WIRE_TIER_CONTRAINDICATED) {
			api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "policy-refused", "%s",
					    res->reason[i]);
			goto out;
		}
	}
	v->num_attrs = 0;
	for (k = 0; k < attrs_count(res->attrs); k++) {
		const struct attrs_attr *at = attrs_at(res->attrs, k);
		char val[ATTRS_VALUE_MAX];

		attrs_value_text(val, sizeof(val), at);
		api__verdict_attr(v, at->name, val, (float)at->confidence);
	}
	rc = 0;
	goto out;
internal:
	api__verdict_refuse(v, API_HTTP_INTERNAL, "internal", "appraisal: %s", err.msg);
out:
	appraise_result_free(res);
	free(events);
	free(entries);
	evlog_free(log);
	evlog_ima_free(ima);
	free(ev);
	return rc;
}
#endif
