/*
 * snp_test.c - ephemera-cvm verify/parse --snp on the shared SEV-SNP
 * vectors: go-sev-guest's real Milan report (a debug VM: genuine, refused
 * by the default policy, accepted with --allow-debug and its measurement),
 * trustee's report, one flipped byte, keys from --vcek, from a certificate
 * table built here from the vector files, and from a --certs folder.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cvm_fixture.h"
#include "testutil.h"

#define GSG "snp/go-sev-guest/"
#define TRU "snp/trustee/"
#define MILAN "snp/amd-roots/ask_ark_milan.pem"
#define GSG_MEASUREMENT                                                                     \
	"b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a6" \
	"08eb0cf2e4872b01"

Test(cvm_snp, debug_vm_is_refused_by_default)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err, "verify --snp '%s' --vcek '%s' --certs '%s' --at 2022-09-24",
	                     cvm_vec(GSG "attestation.bin"), cvm_vec(GSG "vcek.der"),
	                     cvm_vec("snp/amd-roots")),
	             5, "%s", err);
	cvm_expect(out, "  signature: {status: ok}\n");
	cvm_expect(out, "  certificate_chain: {status: ok}\n");
	cvm_expect(out, "    debug: true\n");
	cvm_expect(out, "debug: {status: failed, reason: \"policy 0xb0000 allows debugging");
	cvm_expect(out, "measurement: {status: failed");
	cvm_expect(out, "  result: refused by policy\n  exit: 5\n");
	cvm_expect(out, "  product: Milan\n");
	cvm_expect(out, "  chip_id: \"3ac3fe21e13fb099...\"\n");
	cvm_expect(out, "  reported_tcb: {raw: 0x4405000000000002, bootloader: 2, tee: 0, snp: 5, "
	                "microcode: 68}\n");
	cvm_expect(out, "  product_name: \"Milan-B0\"\n");
	cvm_expect(err, "refused by policy");
	free(out);
}

Test(cvm_snp, debug_vm_passes_when_allowed)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err,
	                     "verify --snp '%s' --vcek '%s' --certs '%s' --at 2022-09-24 "
	                     "--allow-debug --measurement " GSG_MEASUREMENT,
	                     cvm_vec(GSG "attestation.bin"), cvm_vec(GSG "vcek.der"),
	                     cvm_vec("snp/amd-roots")),
	             0, "%s", err);
	cvm_expect(out, "  result: ok\n  exit: 0\n");
	cvm_expect(out, "    measurement: {status: ok}\n");
	cvm_expect(out, "    report_data: {status: unchecked");
	free(out);
	/* --allow-debug alone: no measurement listed still refuses. */
	cr_assert_eq(cvm_run(&out, NULL,
	                     "verify --snp '%s' --vcek '%s' --certs '%s' --at 2022-09-24 "
	                     "--allow-debug",
	                     cvm_vec(GSG "attestation.bin"), cvm_vec(GSG "vcek.der"),
	                     cvm_vec("snp/amd-roots")),
	             5);
	free(out);
}

Test(cvm_snp, flipped_byte_fails_the_signature)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err,
	                     "verify --snp '%s' --vcek '%s' --certs '%s' --at 2022-09-24 "
	                     "--allow-debug --any-measurement",
	                     cvm_scratch_copy(GSG "attestation.bin", 42, 0x01),
	                     cvm_vec(GSG "vcek.der"), cvm_vec("snp/amd-roots")),
	             4);
	cvm_expect(out, "signature: {status: failed, reason: \"SNP report signature");
	cvm_expect(out, "  result: verification failed\n");
	cvm_expect(err, "does not verify with SEV-VCEK");
	free(out);
}

Test(cvm_snp, before_the_vcek_existed)
{
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, NULL, "verify --snp '%s' --vcek '%s' --certs '%s' --at 2022-09-01",
	                     cvm_vec(GSG "attestation.bin"), cvm_vec(GSG "vcek.der"),
	                     cvm_vec("snp/amd-roots")),
	             4);
	cvm_expect(out, "certificate_chain: {status: failed, reason: \"VCEK SEV-VCEK is not valid "
	                "before");
	cvm_expect(out, "signature: {status: skipped}");
	free(out);
}

Test(cvm_snp, trustee_report)
{
	char *out;
	const char *err;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err,
	                     "verify --snp '%s' --vcek '%s' --crl /dev/null --certs '%s' --at "
	                     "2024-01-01 --any-measurement",
	                     cvm_vec(TRU "test-report.bin"), cvm_vec(TRU "test-vcek.der"),
	                     cvm_vec("snp/amd-roots")),
	             2, "an empty CRL file is malformed: %s", err);
	free(out);
	cr_assert_eq(cvm_run(&out, &err,
	                     "verify --snp '%s' --vcek '%s' --certs '%s' --at 2024-01-01 "
	                     "--any-measurement",
	                     cvm_vec(TRU "test-report.bin"), cvm_vec(TRU "test-vcek.der"),
	                     cvm_vec("snp/amd-roots")),
	             0, "%s", err);
	cvm_expect(out, "  result: ok\n");
	free(out);
	/* Its measurement is not the one listed; and a nonce/AK binding it lacks. */
	cr_assert_eq(cvm_run(&out, NULL,
	                     "verify --snp '%s' --vcek '%s' --certs '%s' --at 2024-01-01 "
	                     "--measurement " GSG_MEASUREMENT " --nonce 0011 --ak-name 000b22",
	                     cvm_vec(TRU "test-report.bin"), cvm_vec(TRU "test-vcek.der"),
	                     cvm_vec("snp/amd-roots")),
	             5);
	cvm_expect(out, "measurement: {status: failed, reason: \"measurement ");
	cvm_expect(out, "report_data: {status: failed, reason: \"report_data ");
	free(out);
	/* Another chip's VCEK. */
	cr_assert_eq(cvm_run(&out, NULL,
	                     "verify --snp '%s' --vcek '%s' --certs '%s' --at 2024-01-01 "
	                     "--any-measurement",
	                     cvm_vec(TRU "test-report.bin"), cvm_vec(GSG "vcek.der"),
	                     cvm_vec("snp/amd-roots")),
	             4);
	cvm_expect(out, "report_vs_certificate: {status: failed");
	free(out);
}

/* A GHCB certificate table of VCEK, ASK, ARK built from the vector files. */
static const char *make_table(void)
{
	size_t vlen, clen, off, ask_at, ask_end, ark_at, ark_end, total, i;
	uint8_t *vcek = tu_read(tu_vector_path(GSG "vcek.der"), &vlen);
	uint8_t *chain = tu_read(tu_vector_path(MILAN), &clen);
	const char *end = "-----END CERTIFICATE-----\n", *p;
	static const uint8_t guids[3][16] = {
	    {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8,
	     0xac, 0xcd},
	    {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27,
	     0xc7, 0x82},
	    {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c,
	     0xd0, 0xae}};
	size_t at[3], len[3];
	uint8_t *t;
	const char *path;

	/* The KDS cert_chain is "ASK then ARK" in PEM. */
	p = strstr((char *)chain, end);
	cr_assert_not_null(p);
	ask_at = 0;
	ask_end = (size_t)(p - (char *)chain) + strlen(end);
	ark_at = ask_end;
	ark_end = clen;
	off = 4 * 24;
	at[0] = off;
	len[0] = vlen;
	at[1] = at[0] + len[0];
	len[1] = ask_end - ask_at;
	at[2] = at[1] + len[1];
	len[2] = ark_end - ark_at;
	total = at[2] + len[2] + 4096; /* page padding, as hosts send it */
	t = calloc(1, total);
	cr_assert_not_null(t);
	for (i = 0; i < 3; i++) {
		memcpy(t + 24 * i, guids[i], 16);
		t[24 * i + 16] = (uint8_t)at[i];
		t[24 * i + 17] = (uint8_t)(at[i] >> 8);
		t[24 * i + 20] = (uint8_t)len[i];
		t[24 * i + 21] = (uint8_t)(len[i] >> 8);
	}
	memcpy(t + at[0], vcek, vlen);
	memcpy(t + at[1], chain + ask_at, len[1]);
	memcpy(t + at[2], chain + ark_at, len[2]);
	path = cvm_scratch_write(t, total);
	free(t);
	free(chain);
	free(vcek);
	return path;
}

Test(cvm_snp, key_and_roots_from_a_certificate_table)
{
	const char *err, *table;
	char *out;

	cvm_need_vectors();
	table = make_table();
	cr_assert_eq(cvm_run(&out, &err,
	                     "verify --snp '%s' --certtable '%s' --at 2022-09-24 --allow-debug "
	                     "--measurement " GSG_MEASUREMENT,
	                     cvm_vec(GSG "attestation.bin"), table),
	             0, "%s", err);
	cvm_expect(out, "  source: \"");
	cvm_expect(out, " (VCEK entry)\"\n");
	free(out);
	cr_assert_eq(cvm_run(&out, &err, "parse --certtable '%s'", table), 0, "%s", err);
	cvm_expect(out, "certtable:\n  entries: 3\n  other_entries: 0\n  table_size: 96\n");
	cvm_expect(out, "  vcek: {offset: 0x60, length: 1360}\n");
	free(out);
	/* A table cut inside its ARK is malformed. */
	cr_assert_eq(cvm_run(&out, &err, "parse --certtable '%s'",
	                     cvm_scratch_write("\x63\xda\x75\x8d", 4)),
	             2);
	cvm_expect(err, "SNP certificate table: entry 0 at 0x0 is cut short");
	free(out);
}

Test(cvm_snp, vcek_found_in_the_certs_folder)
{
	char *out;
	const char *err;

	cvm_need_vectors();
	/* go-sev-guest's folder: vcek.der, the Milan chain, the VLEK chain. */
	cr_assert_eq(cvm_run(&out, &err,
	                     "verify --snp '%s' --certs '%s' --at 2022-09-24 --allow-debug "
	                     "--any-measurement",
	                     cvm_vec(GSG "attestation.bin"), cvm_vec("snp/go-sev-guest")),
	             0, "%s", err);
	cvm_expect(out, "vcek.der\"\n");
	free(out);
	/* The AMD roots folder has no VCEK: nothing vouches for the report. */
	cr_assert_eq(cvm_run(&out, &err, "verify --snp '%s' --certs '%s' --at 2022-09-24",
	                     cvm_vec(GSG "attestation.bin"), cvm_vec("snp/amd-roots")),
	             4);
	cvm_expect(err, "no VCEK certificate in");
	free(out);
}

Test(cvm_snp, parse_only)
{
	char *out;
	const char *err;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err, "parse --snp '%s'", cvm_vec(GSG "attestation.bin")), 0,
	             "%s", err);
	cvm_expect(out, "---\nsnp:\n  version: 2\n");
	cvm_expect(out, "  product: unknown");
	cr_assert_null(strstr(out, "verdict:"));
	free(out);
}
