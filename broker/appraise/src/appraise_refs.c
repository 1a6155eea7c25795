/*
 * appraise_refs.c - reference values from the policy folder:
 * golden-pcrs.json, loading the whole folder, and the helpers the other
 * reference files share. Formats in appraise.h and docs/policy-format.md.
 *
 * Not here: reference.json (appraise_refjson.c), the IMA allowlist
 * (appraise_ima.c), using the values (appraise.c). Every value is checked when loaded (hex of the bank's
 * digest size, PCR 0..23, known algorithms and event types, no unknown
 * keys), so appraisal never meets a malformed reference.
 */
#include "appraise-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "eph_hash.h"
#include "eph_hex.h"

int appraise_refs_new(appraise_refs **out, struct eph_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return eph_err_set(err, EPH_ENOMEM, "appraise: out of memory for references");
	return 0;
}

void appraise__free_golden(appraise_refs *refs)
{
	for (size_t i = 0; i < refs->ngolden; i++)
		free(refs->golden[i].val);
	free(refs->golden);
	refs->golden = NULL;
	refs->ngolden = 0;
}

void appraise__free_events(appraise_refs *refs)
{
	for (size_t i = 0; i < refs->nev; i++)
		free(refs->ev[i].dig);
	free(refs->ev);
	refs->ev = NULL;
	refs->nev = 0;
}

void appraise__free_images(appraise_refs *refs)
{
	free(refs->images);
	refs->images = NULL;
	refs->nimages = 0;
}

void appraise_refs_free(appraise_refs *refs)
{
	if (refs == NULL)
		return;
	appraise__free_golden(refs);
	appraise__free_events(refs);
	appraise__free_ima(refs);
	appraise__free_images(refs);
	free(refs);
}

/* Decode a hex digest of exactly size bytes. */
static int digest(uint8_t *out, size_t size, const json_t *v)
{
	const char *s;

	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (json_string_length(v) != 2 * size)
		return -1;
	return eph_hex_decode(out, APPRAISE_MAX_DIGEST, s, 2 * size) == (long)size ? 0 : -1;
}

/* A string, or an array of strings, of hex digests into a new array. */
int appraise__digest_list(uint8_t (**out)[APPRAISE_MAX_DIGEST], size_t *n, size_t size,
		       const json_t *v, const char *what, struct eph_err *err)
{
	size_t cnt = json_is_array(v) ? json_array_size(v) : 1, i;
	uint8_t(*arr)[APPRAISE_MAX_DIGEST];

	*out = NULL;
	*n = 0;
	if (!json_is_array(v) && !json_is_string(v))
		return eph_err_set(err, EPH_EFORMAT, "%s: expected a hex digest or a list of them",
				   what);
	if (cnt == 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: empty list of digests", what);
	arr = calloc(cnt, sizeof(*arr));
	if (arr == NULL)
		return eph_err_set(err, EPH_ENOMEM, "%s: out of memory", what);
	for (i = 0; i < cnt; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;

		if (digest(arr[i], size, e) < 0) {
			free(arr);
			return eph_err_set(err, EPH_EFORMAT,
					   "%s: value %zu is not %zu hex digits", what, i, 2 * size);
		}
	}
	*out = arr;
	*n = cnt;
	return 0;
}

json_t *appraise__load_json(const char *text, size_t len, const char *what, struct eph_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

	if (root == NULL)
		eph_err_set(err, EPH_EFORMAT, "%s: line %d, column %d: %s", what, jerr.line,
			    jerr.column, jerr.text);
	else if (!json_is_object(root)) {
		eph_err_set(err, EPH_EFORMAT, "%s: line 1: expected a JSON object", what);
		json_decref(root);
		root = NULL;
	}
	return root;
}

static int parse_pcr(uint32_t *out, const char *s)
{
	char *end = NULL;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= APPRAISE_NUM_PCRS)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int appraise_refs_set_golden(appraise_refs *refs, const char *text, size_t len,
			     struct eph_err *err)
{
	json_t *root = appraise__load_json(text, len, "golden PCRs", err), *bank, *val;
	const char *alg_name, *pcr_name;
	char what[96];
	int rc = 0;

	if (root == NULL)
		return EPH_EFORMAT;
	appraise__free_golden(refs);
	json_object_foreach(root, alg_name, bank) {
		uint16_t alg = eph_hash_from_name(alg_name, strlen(alg_name));
		size_t size = eph_hash_size(alg);

		if (alg == 0 || size == 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "golden PCRs: unknown bank \"%.32s\"",
					 alg_name);
			goto out;
		}
		if (!json_is_object(bank)) {
			rc = eph_err_set(err, EPH_EFORMAT,
					 "golden PCRs: %s: expected an object of PCR -> digest(s)",
					 alg_name);
			goto out;
		}
		json_object_foreach(bank, pcr_name, val) {
			struct appraise__golden *g, *ng;

			ng = realloc(refs->golden, (refs->ngolden + 1) * sizeof(*ng));
			if (ng == NULL) {
				rc = eph_err_set(err, EPH_ENOMEM, "golden PCRs: out of memory");
				goto out;
			}
			refs->golden = ng;
			g = &refs->golden[refs->ngolden];
			memset(g, 0, sizeof(*g));
			g->alg = alg;
			g->size = (uint16_t)size;
			if (parse_pcr(&g->pcr, pcr_name) < 0) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "golden PCRs: %s: \"%.16s\" is not a PCR number 0..23",
						 alg_name, pcr_name);
				goto out;
			}
			snprintf(what, sizeof(what), "golden PCRs: %s PCR %u", alg_name, g->pcr);
			rc = appraise__digest_list(&g->val, &g->n, size, val, what, err);
			if (rc < 0)
				goto out;
			refs->ngolden++;
		}
	}
out:
	if (rc < 0)
		appraise__free_golden(refs);
	json_decref(root);
	return rc;
}

/* Read dir/name and hand it to set; a missing file is fine. */
static int load_one(appraise_refs *refs, const char *dir, const char *name,
		    int (*set)(appraise_refs *, const char *, size_t, struct eph_err *),
		    struct eph_err *err)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return eph_err_set(err, EPH_EFAIL, "appraise: path too long: %.64s...", dir);
	rc = eph_file_read(&buf, &len, path, APPRAISE_REF_FILE_MAX, err);
	if (rc == EPH_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	rc = set(refs, (const char *)buf, len, err);
	if (rc < 0)
		eph_err_prefix(err, rc, "%s", path);
	free(buf);
	return rc;
}

int appraise_refs_load_dir(appraise_refs **out, const char *dir, struct eph_err *err)
{
	appraise_refs *refs = NULL;
	int rc;

	*out = NULL;
	rc = appraise_refs_new(&refs, err);
	if (rc < 0)
		return rc;
	rc = load_one(refs, dir, "golden-pcrs.json", appraise_refs_set_golden, err);
	if (rc == 0)
		rc = load_one(refs, dir, "ima-allowlist.json", appraise_refs_set_ima, err);
	if (rc == 0)
		rc = load_one(refs, dir, "reference.json", appraise_refs_set_reference, err);
	if (rc < 0) {
		appraise_refs_free(refs);
		return rc;
	}
	*out = refs;
	return 0;
}
