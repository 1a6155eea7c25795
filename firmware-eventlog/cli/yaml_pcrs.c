/*
 * yaml_pcrs.c - the "pcrs:" section of ephemera-eventlog and --compare.
 *
 * Output, byte for byte as tpm2_eventlog (tpm2-tools 5.4) prints it: banks
 * in the order sha1, sha256, sha384, sha512, sm3_256 (any other bank after
 * them), a bank only when some PCR of it was extended, and per PCR
 *   "    %-2d : 0x<hex>"   e.g. "    0  : 0x543c..." and "    14 : 0x...".
 * The values themselves come from evlog_replay(), which (unlike
 * tpm2_eventlog 5.4) honours the StartupLocality event and does not extend
 * EV_NO_ACTION events; see docs/ephemera-eventlog.md.
 *
 * --compare reads PCR values in the YAML of tpm2_pcrread or of this tool:
 *     sha256:
 *       0 : 0x3DCAEA25DC86554D94B94AA5BC8F735A49212AF8...
 * a line "<bank>:" selects the bank, "<index> : [0x]<hex>" gives a value;
 * other lines ("---", "pcrs:", "selected-pcrs" ...) are skipped. Values are
 * compared with evlog_replay_compare(). It does not read PCRs from a TPM.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "eph_hex.h"
#include "evcli-priv.h"

static const uint16_t bank_order[] = {
    EPH_ALG_SHA1, EPH_ALG_SHA256, EPH_ALG_SHA384, EPH_ALG_SHA512, EPH_ALG_SM3_256,
};

static int in_bank_order(uint16_t alg)
{
	size_t i;

	for (i = 0; i < sizeof(bank_order) / sizeof(bank_order[0]); i++)
		if (bank_order[i] == alg)
			return 1;
	return 0;
}

static void print_bank(FILE *f, const struct evlog_bank *b)
{
	char buf[8];
	unsigned i;

	if (b->extended == 0)
		return;
	fprintf(f, "  %s:\n", evcli_alg_name(b->alg, buf, sizeof(buf)));
	for (i = 0; i < EVLOG_NUM_PCRS; i++) {
		if ((b->extended & (1u << i)) == 0)
			continue;
		fprintf(f, "    %-2u : 0x", i);
		evcli_hex(f, b->pcr[i], b->size, b->size);
		fputc('\n', f);
	}
}

void evcli_print_pcrs(FILE *f, const struct evlog_replay *r)
{
	const struct evlog_bank *b;
	uint32_t i;
	size_t k;

	fputs("pcrs:\n", f);
	for (k = 0; k < sizeof(bank_order) / sizeof(bank_order[0]); k++) {
		b = evlog_replay_bank(r, bank_order[k]);
		if (b != NULL)
			print_bank(f, b);
	}
	for (i = 0; i < r->num_banks && i < EVLOG_MAX_ALGS; i++)
		if (!in_bank_order(r->banks[i].alg))
			print_bank(f, &r->banks[i]);
}

/* --compare ------------------------------------------------------------ */

struct pcrfile {
	unsigned num_banks;
	struct evlog_bank banks[EVLOG_MAX_ALGS];
	uint32_t mask[EVLOG_MAX_ALGS]; /* PCRs given per bank */
};

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static struct evlog_bank *bank_for(struct pcrfile *pf, uint16_t alg, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < pf->num_banks; i++) {
		if (pf->banks[i].alg == alg) {
			*idx = i;
			return &pf->banks[i];
		}
	}
	if (pf->num_banks == EVLOG_MAX_ALGS)
		return NULL;
	i = pf->num_banks++;
	pf->banks[i].alg = alg;
	pf->banks[i].size = (uint16_t)eph_hash_size(alg);
	*idx = i;
	return &pf->banks[i];
}

/* One line of a PCR file: [p, end). *cur is the selected bank or -1. */
static int parse_line(struct pcrfile *pf, const char *p, const char *end, int *cur, unsigned lineno,
                      struct eph_err *err)
{
	const char *q;
	struct evlog_bank *b;
	unsigned long idx;
	unsigned bi;
	char *num_end;
	char num[16];
	long got;
	uint16_t alg;

	p = skip_space(p, end);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end)
		return 0;
	if (!isdigit((unsigned char)*p)) {
		/* "<name>:" selects a bank; anything else is structure. */
		if (end[-1] != ':')
			return 0;
		alg = eph_hash_from_name(p, (size_t)(end - 1 - p));
		*cur = -1;
		if (alg == 0 || eph_hash_size(alg) == 0)
			return 0;
		if (bank_for(pf, alg, &bi) == NULL)
			return eph_err_set(err, EPH_EFORMAT, "line %u: too many banks", lineno);
		*cur = (int)bi;
		return 0;
	}
	q = p;
	while (q < end && isdigit((unsigned char)*q))
		q++;
	if ((size_t)(q - p) >= sizeof(num))
		return eph_err_set(err, EPH_EFORMAT, "line %u: bad PCR index", lineno);
	memcpy(num, p, (size_t)(q - p));
	num[q - p] = '\0';
	errno = 0;
	idx = strtoul(num, &num_end, 10);
	if (errno != 0 || *num_end != '\0' || idx >= EVLOG_NUM_PCRS)
		return eph_err_set(err, EPH_EFORMAT, "line %u: PCR index %s out of range 0..%d",
		                   lineno, num, EVLOG_NUM_PCRS - 1);
	q = skip_space(q, end);
	if (q == end || *q != ':')
		return eph_err_set(err, EPH_EFORMAT, "line %u: expected \"<index> : <hex>\"",
		                   lineno);
	q = skip_space(q + 1, end);
	if (end - q >= 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		q += 2;
	if (*cur < 0)
		return eph_err_set(err, EPH_EFORMAT, "line %u: PCR value outside a known bank",
		                   lineno);
	b = &pf->banks[*cur];
	got = eph_hex_decode(b->pcr[idx], sizeof(b->pcr[idx]), q, (size_t)(end - q));
	if (got != (long)b->size)
		return eph_err_set(err, EPH_EFORMAT, "line %u: PCR %lu is not %u hex bytes", lineno,
		                   idx, (unsigned)b->size);
	pf->mask[*cur] |= 1u << idx;
	return 0;
}

int evcli_compare_pcrs(const struct evlog_replay *r, const char *path, struct eph_err *err)
{
	struct pcrfile *pf = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, compared = 0;
	const char *p, *end, *nl;
	unsigned lineno = 0, i, bad;
	int cur = -1;
	int rc;

	rc = eph_file_read(&buf, &len, path, EVCLI_MAX_INPUT, err);
	if (rc < 0)
		goto out;
	pf = calloc(1, sizeof(*pf));
	if (pf == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
		goto out;
	}
	p = (const char *)buf;
	end = p + len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		lineno++;
		rc = parse_line(pf, p, nl != NULL ? nl : end, &cur, lineno, err);
		if (rc < 0) {
			eph_err_prefix(err, rc, "%s", path);
			goto out;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	for (i = 0; i < pf->num_banks; i++) {
		if (pf->mask[i] == 0)
			continue;
		rc = evlog_replay_compare(r, &pf->banks[i], pf->mask[i], &bad, err);
		if (rc < 0)
			goto out;
		compared++;
	}
	if (compared == 0)
		rc = eph_err_set(err, EPH_EFORMAT, "%s: no PCR values found", path);
out:
	free(pf);
	free(buf);
	return rc;
}
