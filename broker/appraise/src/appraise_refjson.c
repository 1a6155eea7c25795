/*
 * appraise_refjson.c - reference.json of the policy folder:
 *   {"event_digests": [{"pcr": 4, "type": "EV_EFI_BOOT_SERVICES_APPLICATION",
 *                       "alg": "sha256", "digests": ["<hex>", ...]}],
 *    "images": ["sha256:<hex>"],
 *    "tcb": {"snp": {"minimum": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115},
 *                    "recommended": {...}},
 *            "tdx": {"affirming": ["UpToDate"], "warning": ["SWHardeningNeeded"]}}}
 * Every key optional; unknown keys, event types, algorithms, TCB fields and
 * status names are refused naming the key.
 *
 * Not here: golden PCRs and folder loading (appraise_refs.c).
 */
#include "appraise-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hash.h"
#include "eph_hex.h"

static const struct {
	const char *name;
	uint32_t type;
} ev_types[] = {
	{"EV_POST_CODE", 0x1},
	{"EV_SEPARATOR", 0x4},
	{"EV_ACTION", 0x5},
	{"EV_S_CRTM_CONTENTS", 0x7},
	{"EV_S_CRTM_VERSION", 0x8},
	{"EV_CPU_MICROCODE", 0x9},
	{"EV_IPL", 0xD},
	{"EV_EFI_VARIABLE_DRIVER_CONFIG", 0x80000001},
	{"EV_EFI_VARIABLE_BOOT", 0x80000002},
	{"EV_EFI_BOOT_SERVICES_APPLICATION", 0x80000003},
	{"EV_EFI_BOOT_SERVICES_DRIVER", 0x80000004},
	{"EV_EFI_RUNTIME_SERVICES_DRIVER", 0x80000005},
	{"EV_EFI_GPT_EVENT", 0x80000006},
	{"EV_EFI_ACTION", 0x80000007},
	{"EV_EFI_PLATFORM_FIRMWARE_BLOB", 0x80000008},
	{"EV_EFI_HANDOFF_TABLES", 0x80000009},
	{"EV_EFI_PLATFORM_FIRMWARE_BLOB2", 0x8000000A},
	{"EV_EFI_HANDOFF_TABLES2", 0x8000000B},
	{"EV_EFI_VARIABLE_BOOT2", 0x8000000C},
	{"EV_EFI_VARIABLE_AUTHORITY", 0x800000E0},
};

static const char *const tdx_names[APPRAISE_TDX_N] = {
	"Unknown", "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
	"ConfigurationAndSWHardeningNeeded", "OutOfDate", "OutOfDateConfigurationNeeded",
	"Revoked",
};

const char *appraise__tdx_name(enum appraise_tdx_tcb s)
{
	return (unsigned)s < APPRAISE_TDX_N ? tdx_names[s] : "?";
}

static int ev_type(uint32_t *out, const json_t *v)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > 0xFFFFFFFFll)
			return -1;
		*out = (uint32_t)i;
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	for (size_t i = 0; i < sizeof(ev_types) / sizeof(ev_types[0]); i++) {
		if (strcmp(json_string_value(v), ev_types[i].name) == 0) {
			*out = ev_types[i].type;
			return 0;
		}
	}
	return -1;
}

static int one_evrule(struct appraise__evrule *r, size_t idx, const json_t *o,
		      struct eph_err *err)
{
	const char *key;
	json_t *v, *dig = NULL;
	char what[64];
	bool has_pcr = false;

	memset(r, 0, sizeof(*r));
	r->any_type = true;
	r->alg = EPH_ALG_SHA256;
	snprintf(what, sizeof(what), "reference: event_digests[%zu]", idx);
	if (!json_is_object(o))
		return eph_err_set(err, EPH_EFORMAT, "%s: expected an object", what);
	json_object_foreach((json_t *)o, key, v) {
		if (strcmp(key, "pcr") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) >= APPRAISE_NUM_PCRS)
				return eph_err_set(err, EPH_EFORMAT, "%s: pcr must be 0..23", what);
			r->pcr = (uint32_t)json_integer_value(v);
			has_pcr = true;
		} else if (strcmp(key, "type") == 0) {
			if (ev_type(&r->type, v) < 0)
				return eph_err_set(err, EPH_EFORMAT,
						   "%s: type must be an EV_* name or a number", what);
			r->any_type = false;
		} else if (strcmp(key, "alg") == 0) {
			r->alg = json_is_string(v) ? eph_hash_from_name(json_string_value(v),
									 json_string_length(v))
						   : 0;
			if (r->alg == 0 || eph_hash_size(r->alg) == 0)
				return eph_err_set(err, EPH_EFORMAT, "%s: unknown alg", what);
		} else if (strcmp(key, "digests") == 0) {
			dig = v;
		} else {
			return eph_err_set(err, EPH_EFORMAT,
					   "%s: unknown key \"%.32s\" (pcr, type, alg, digests)", what,
					   key);
		}
	}
	if (!has_pcr || dig == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: needs \"pcr\" and \"digests\"", what);
	r->size = (uint16_t)eph_hash_size(r->alg);
	return appraise__digest_list(&r->dig, &r->n, r->size, dig, what, err);
}

static int snp_tcb(struct appraise_snp_tcb *t, const json_t *o, const char *what,
		   struct eph_err *err)
{
	const char *key;
	json_t *v;

	memset(t, 0, sizeof(*t));
	if (!json_is_object(o))
		return eph_err_set(err, EPH_EFORMAT, "%s: expected an object", what);
	json_object_foreach((json_t *)o, key, v) {
		uint8_t *f = strcmp(key, "fmc") == 0		? &t->fmc
			     : strcmp(key, "bootloader") == 0	? &t->bootloader
			     : strcmp(key, "tee") == 0		? &t->tee
			     : strcmp(key, "snp") == 0		? &t->snp
			     : strcmp(key, "microcode") == 0	? &t->microcode
								: NULL;

		if (f == NULL)
			return eph_err_set(err, EPH_EFORMAT,
					   "%s: unknown key \"%.32s\" (fmc, bootloader, tee, snp, microcode)",
					   what, key);
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
			return eph_err_set(err, EPH_EFORMAT, "%s.%s: expected 0..255", what, key);
		*f = (uint8_t)json_integer_value(v);
	}
	return 0;
}

static int tdx_list(appraise_refs *refs, const json_t *v, uint8_t tier, const char *what,
		    struct eph_err *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return eph_err_set(err, EPH_EFORMAT, "%s: expected a list of TCB status names",
				   what);
	json_array_foreach(v, i, e) {
		unsigned s;

		for (s = 0; s < APPRAISE_TDX_N; s++) {
			if (json_is_string(e) && strcmp(json_string_value(e), tdx_names[s]) == 0)
				break;
		}
		if (s == APPRAISE_TDX_N)
			return eph_err_set(err, EPH_EFORMAT,
					   "%s[%zu]: not a TDX TCB status (UpToDate, SWHardeningNeeded, ...)",
					   what, i);
		refs->tdx_tier[s] = tier;
	}
	return 0;
}

static int tcb(appraise_refs *refs, const json_t *o, struct eph_err *err)
{
	const char *key, *k2;
	json_t *v, *v2;
	int rc;

	if (!json_is_object(o))
		return eph_err_set(err, EPH_EFORMAT, "reference: tcb: expected an object");
	json_object_foreach((json_t *)o, key, v) {
		if (!json_is_object(v))
			return eph_err_set(err, EPH_EFORMAT, "reference: tcb.%.16s: expected an object",
					   key);
		if (strcmp(key, "snp") == 0) {
			json_object_foreach(v, k2, v2) {
				if (strcmp(k2, "minimum") == 0) {
					rc = snp_tcb(&refs->snp_min, v2, "reference: tcb.snp.minimum", err);
					refs->has_snp = true;
				} else if (strcmp(k2, "recommended") == 0) {
					rc = snp_tcb(&refs->snp_rec, v2, "reference: tcb.snp.recommended",
						     err);
					refs->has_snp_rec = true;
				} else {
					rc = eph_err_set(err, EPH_EFORMAT,
							 "reference: tcb.snp: unknown key \"%.32s\" (minimum, recommended)",
							 k2);
				}
				if (rc < 0)
					return rc;
			}
			if (refs->has_snp_rec && !refs->has_snp)
				return eph_err_set(err, EPH_EFORMAT,
						   "reference: tcb.snp: \"recommended\" without \"minimum\"");
		} else if (strcmp(key, "tdx") == 0) {
			/* Listed statuses only; UpToDate is always affirming. */
			memset(refs->tdx_tier, WIRE_TIER_CONTRAINDICATED, sizeof(refs->tdx_tier));
			refs->tdx_tier[APPRAISE_TDX_UP_TO_DATE] = WIRE_TIER_AFFIRMING;
			refs->has_tdx = true;
			json_object_foreach(v, k2, v2) {
				if (strcmp(k2, "affirming") == 0)
					rc = tdx_list(refs, v2, WIRE_TIER_AFFIRMING,
						      "reference: tcb.tdx.affirming", err);
				else if (strcmp(k2, "warning") == 0)
					rc = tdx_list(refs, v2, WIRE_TIER_WARNING,
						      "reference: tcb.tdx.warning", err);
				else
					rc = eph_err_set(err, EPH_EFORMAT,
							 "reference: tcb.tdx: unknown key \"%.32s\" (affirming, warning)",
							 k2);
				if (rc < 0)
					return rc;
			}
		} else {
			return eph_err_set(err, EPH_EFORMAT,
					   "reference: tcb: unknown key \"%.32s\" (snp, tdx)", key);
		}
	}
	return 0;
}

static int images(appraise_refs *refs, const json_t *v, struct eph_err *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return eph_err_set(err, EPH_EFORMAT, "reference: images: expected a list");
	refs->images = calloc(json_array_size(v) + 1, sizeof(*refs->images));
	if (refs->images == NULL)
		return eph_err_set(err, EPH_ENOMEM, "reference: images: out of memory");
	json_array_foreach(v, i, e) {
		const char *s = json_is_string(e) ? json_string_value(e) : "";
		const char *colon = strchr(s, ':');
		uint16_t alg = colon ? eph_hash_from_name(s, (size_t)(colon - s)) : 0;
		uint8_t tmp[APPRAISE_MAX_DIGEST];
		size_t hexlen = colon ? strlen(colon + 1) : 0;

		if (alg == 0 || hexlen != 2 * eph_hash_size(alg) ||
		    eph_hex_decode(tmp, sizeof(tmp), colon + 1, hexlen) < 0 ||
		    strlen(s) >= APPRAISE_ID_MAX)
			return eph_err_set(err, EPH_EFORMAT,
					   "reference: images[%zu]: expected \"<alg>:<hex digest>\"", i);
		for (size_t k = 0; s[k] != '\0'; k++) {
			char c = s[k];

			refs->images[i][k] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
		}
		refs->nimages++;
	}
	return 0;
}

int appraise_refs_set_reference(appraise_refs *refs, const char *text, size_t len,
				struct eph_err *err)
{
	json_t *root = appraise__load_json(text, len, "reference", err), *v, *e;
	const char *key;
	size_t i;
	int rc = 0;

	if (root == NULL)
		return EPH_EFORMAT;
	appraise__free_events(refs);
	appraise__free_images(refs);
	refs->has_snp = refs->has_snp_rec = refs->has_tdx = false;
	json_object_foreach(root, key, v) {
		if (strcmp(key, "event_digests") == 0) {
			if (!json_is_array(v)) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "reference: event_digests: expected a list");
				goto out;
			}
			refs->ev = calloc(json_array_size(v) + 1, sizeof(*refs->ev));
			if (refs->ev == NULL) {
				rc = eph_err_set(err, EPH_ENOMEM, "reference: out of memory");
				goto out;
			}
			json_array_foreach(v, i, e) {
				rc = one_evrule(&refs->ev[i], i, e, err);
				if (rc < 0)
					goto out;
				refs->nev++;
			}
		} else if (strcmp(key, "images") == 0) {
			rc = images(refs, v, err);
		} else if (strcmp(key, "tcb") == 0) {
			rc = tcb(refs, v, err);
		} else {
			rc = eph_err_set(err, EPH_EFORMAT,
					 "reference: unknown key \"%.32s\" (event_digests, images, tcb)",
					 key);
		}
		if (rc < 0)
			goto out;
	}
out:
	if (rc < 0) {
		appraise__free_events(refs);
		appraise__free_images(refs);
		refs->has_snp = refs->has_snp_rec = refs->has_tdx = false;
	}
	json_decref(root);
	return rc;
}
