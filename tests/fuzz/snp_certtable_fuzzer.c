/*
 * snp_certtable_fuzzer.c - libFuzzer target for the certificate table of
 * an SNP extended report (GHCB spec 2.03, 4.1.8.1), the host-written
 * auxblob the broker receives with every SNP report: snp_certtable_parse,
 * then what the broker does next with what it found (snp_cert_parse of
 * each certificate, snp_roots_add of the ASK and ARK).
 *
 * Input: the buffer as the guest got it, e.g.
 *   63da758d e6644564 adc5f4b9 3be8accd 30000000 05000000   VCEK at 0x30, 5 bytes
 *   00000000 00000000 00000000 00000000 00000000 00000000   terminator
 *   3003020101                                             "certificate"
 * Seeds: tests/fuzz/corpora/snp_certtable/ (made by
 * tests/fuzz/make-snp-certtable-seeds.py).
 *
 * Contracts checked (abort when broken): a failure is EPH_EFORMAT with a
 * message and a cleared output; a success returns non-empty certificates
 * inside the buffer, after the table, pairwise disjoint, with a table
 * size of 24 * (entries + 1) inside the buffer; at most 64 entries.
 */
#include <stdio.h>
#include <stdlib.h>

#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "snp_certtable_fuzzer: contract broken: %s (err: \"%s\")\n", what,
	        err != NULL ? err->msg : "");
	abort();
}

struct range {
	const uint8_t *p;
	size_t n;
};

static void check_range(const struct range *r, const uint8_t *data, size_t size,
                        size_t table_size)
{
	if (r->p == NULL) {
		check(r->n == 0, "NULL certificate with a length", NULL);
		return;
	}
	check(r->n > 0, "empty certificate returned", NULL);
	check(r->p >= data + table_size, "certificate inside the table", NULL);
	check(r->p <= data + size && r->n <= (size_t)(data + size - r->p),
	      "certificate outside the buffer", NULL);
}

static void use_cert(const struct range *r, snp_roots *roots)
{
	struct eph_err err = {{0}};
	snp_cert *c = NULL;
	int rc;

	if (r->p == NULL)
		return;
	rc = snp_cert_parse(&c, r->p, r->n, &err);
	check(rc == 0 || err.msg[0] != '\0', "snp_cert_parse failed without a message", &err);
	snp_cert_free(c);
	if (roots != NULL) {
		err.msg[0] = '\0';
		rc = snp_roots_add(roots, r->p, r->n, &err);
		check(rc == 0 || err.msg[0] != '\0', "snp_roots_add failed without a message",
		      &err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	snp_roots *roots = NULL;
	struct range r[4];
	size_t i, j;
	int rc;

	rc = snp_certtable_parse(&t, data, size, &err);
	if (rc < 0) {
		check(rc == EPH_EFORMAT && err.msg[0] != '\0', "failure without a message", &err);
		check(t.vcek == NULL && t.vlek == NULL && t.ask == NULL && t.ark == NULL &&
		          t.n_entries == 0,
		      "output not cleared on failure", &err);
		return 0;
	}
	check(t.n_entries <= SNP_CERTTABLE_MAX_ENTRIES, "too many entries", NULL);
	check(t.table_size == 24 * (t.n_entries + 1) && t.table_size <= size, "table size", NULL);
	check(t.n_other <= t.n_entries, "more unknown entries than entries", NULL);
	r[0] = (struct range){t.vcek, t.vcek_len};
	r[1] = (struct range){t.vlek, t.vlek_len};
	r[2] = (struct range){t.ask, t.ask_len};
	r[3] = (struct range){t.ark, t.ark_len};
	for (i = 0; i < 4; i++) {
		check_range(&r[i], data, size, t.table_size);
		for (j = 0; j < i; j++)
			check(r[i].p == NULL || r[j].p == NULL || r[i].p >= r[j].p + r[j].n ||
			          r[j].p >= r[i].p + r[i].n,
			      "certificates overlap", NULL);
	}
	if (snp_roots_new(&roots, &err) < 0)
		return 0;
	use_cert(&r[0], NULL);
	use_cert(&r[1], NULL);
	use_cert(&r[2], roots);
	use_cert(&r[3], roots);
	snp_roots_free(roots);
	return 0;
}
