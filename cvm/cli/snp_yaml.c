/*
 * snp_yaml.c - the claims of an SEV-SNP report, the key certificate that
 * signed it, and a certificate table, as YAML (keys in snake_case, digests
 * in lower-case hex, TCBs raw and decoded).
 *
 * Not here: the verdict (yaml.c), deciding anything (snp_cmd.c).
 */
#include "cvmcli-priv.h"

static const char *yes(bool b)
{
	return b ? "true" : "false";
}

static const char *signing_key_name(enum snp_signing_key k)
{
	switch (k) {
	case SNP_SIGNING_KEY_VCEK:
		return "VCEK";
	case SNP_SIGNING_KEY_VLEK:
		return "VLEK";
	default:
		return "none";
	}
}

static void tcb(FILE *f, const char *indent, const char *key, const struct snp_tcb *t, bool fmc)
{
	fprintf(f, "%s%s: {raw: 0x%016llx, ", indent, key, (unsigned long long)t->raw);
	if (fmc)
		fprintf(f, "fmc: %u, ", t->fmc);
	fprintf(f, "bootloader: %u, tee: %u, snp: %u, microcode: %u}\n", t->bootloader, t->tee,
	        t->snp, t->microcode);
}

/* The first 8 bytes in hex and "...": enough to tell chips apart. */
static void short_id(FILE *f, const char *indent, const char *key, const uint8_t *p, size_t n)
{
	fprintf(f, "%s%s: \"", indent, key);
	cvm_hex(f, p, n < 8 ? n : 8);
	fputs(n > 8 ? "...\"\n" : "\"\n", f);
}

void cvm_snp_print_report(FILE *f, const struct snp_report *r, bool product_known)
{
	bool turin = r->product == SNP_PRODUCT_TURIN;

	fprintf(f, "snp:\n  version: %u\n  guest_svn: %u\n", r->version, r->guest_svn);
	fprintf(f, "  policy:\n    raw: 0x%016llx\n    abi_major: %u\n    abi_minor: %u\n",
	        (unsigned long long)r->policy, r->policy_abi_major, r->policy_abi_minor);
	fprintf(f, "    debug: %s\n    smt: %s\n    migrate_ma: %s\n    single_socket: %s\n",
	        yes(r->debug_allowed), yes(r->smt_allowed), yes(r->migrate_ma_allowed),
	        yes(r->single_socket));
	cvm_hex_line(f, "  ", "family_id", r->family_id, sizeof(r->family_id));
	cvm_hex_line(f, "  ", "image_id", r->image_id, sizeof(r->image_id));
	fprintf(f, "  vmpl: %u\n  signature_algo: %u\n  platform_info: 0x%016llx\n", r->vmpl,
	        r->signature_algo, (unsigned long long)r->platform_info);
	fprintf(f, "  signing_key: %s\n  author_key_en: %s\n  mask_chip_key: %s\n",
	        signing_key_name(r->signing_key), yes(r->author_key_en), yes(r->mask_chip_key));
	cvm_hex_line(f, "  ", "report_data", r->report_data, sizeof(r->report_data));
	cvm_hex_line(f, "  ", "measurement", r->measurement, sizeof(r->measurement));
	cvm_hex_line(f, "  ", "host_data", r->host_data, sizeof(r->host_data));
	cvm_hex_line(f, "  ", "id_key_digest", r->id_key_digest, sizeof(r->id_key_digest));
	cvm_hex_line(f, "  ", "author_key_digest", r->author_key_digest,
	             sizeof(r->author_key_digest));
	cvm_hex_line(f, "  ", "report_id", r->report_id, sizeof(r->report_id));
	cvm_hex_line(f, "  ", "report_id_ma", r->report_id_ma, sizeof(r->report_id_ma));
	short_id(f, "  ", "chip_id", r->chip_id, sizeof(r->chip_id));
	if (product_known)
		fprintf(f, "  product: %s\n", snp_product_name(r->product));
	else
		fputs("  product: unknown # version 2 report: the VCEK names it\n", f);
	if (r->version >= 3)
		fprintf(f, "  cpuid: {family: 0x%02x, model: 0x%02x, stepping: 0x%02x}\n",
		        r->cpuid_fam_id, r->cpuid_mod_id, r->cpuid_step);
	tcb(f, "  ", "current_tcb", &r->current_tcb, turin);
	tcb(f, "  ", "reported_tcb", &r->reported_tcb, turin);
	tcb(f, "  ", "committed_tcb", &r->committed_tcb, turin);
	tcb(f, "  ", "launch_tcb", &r->launch_tcb, turin);
	fprintf(f, "  current_version: \"%u.%u.%u\"\n  committed_version: \"%u.%u.%u\"\n",
	        r->current_major, r->current_minor, r->current_build, r->committed_major,
	        r->committed_minor, r->committed_build);
}

void cvm_snp_print_signer(FILE *f, const struct snp_vcek_info *vi, const char *source)
{
	fprintf(f, "signer:\n  kind: %s\n  source: ", vi->kind == SNP_CERT_VLEK ? "VLEK" : "VCEK");
	cvm_quoted(f, source);
	fputs("\n  product_name: ", f);
	cvm_quoted(f, vi->product_name);
	fprintf(f, "\n  product: %s\n", snp_product_name(vi->product));
	tcb(f, "  ", "tcb", &vi->tcb, vi->product == SNP_PRODUCT_TURIN);
	if (vi->hwid_len > 0)
		short_id(f, "  ", "hwid", vi->hwid, vi->hwid_len);
	if (vi->kind == SNP_CERT_VLEK) {
		fputs("  csp_id: ", f);
		cvm_quoted(f, vi->csp_id);
		fputc('\n', f);
	}
}

static void entry(FILE *f, const char *key, const uint8_t *p, size_t n, const uint8_t *base)
{
	if (p == NULL)
		return;
	fprintf(f, "  %s: {offset: 0x%zx, length: %zu}\n", key, (size_t)(p - base), n);
}

void cvm_snp_print_certtable(FILE *f, const struct snp_certtable *t, const uint8_t *base)
{
	fprintf(f, "certtable:\n  entries: %zu\n  other_entries: %zu\n  table_size: %zu\n",
	        t->n_entries, t->n_other, t->table_size);
	entry(f, "vcek", t->vcek, t->vcek_len, base);
	entry(f, "vlek", t->vlek, t->vlek_len, base);
	entry(f, "ask", t->ask, t->ask_len, base);
	entry(f, "ark", t->ark, t->ark_len, base);
}
