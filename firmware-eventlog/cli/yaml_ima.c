/*
 * yaml_ima.c - print a Linux IMA measurement list (binary or ascii
 * runtime_measurements) as YAML in the spirit of tpm2_eventlog's output,
 * then the replayed IMA PCR per bank:
 *
 *   ---
 *   version: 1
 *   entries:
 *   - EntryNum: 0
 *     PCRIndex: 10
 *     TemplateHash: "91f3...."
 *     TemplateName: ima-ng
 *     FileHashAlgorithm: sha256
 *     FileHash: "6c7d..."
 *     FileName: "boot_aggregate"
 *   pcrs:
 *     sha1:
 *       10 : 0x....
 *
 * FileName is a YAML double-quoted scalar (file names are arbitrary bytes).
 * Violations (all-zero template hash) carry "Violation: true". The decoding
 * and the replay are libevlog's; this file only prints.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "evcli-priv.h"

static void print_entry(FILE *f, const struct evlog_ima_entry *e)
{
	char buf[8];

	fprintf(f, "- EntryNum: %" PRIu32 "\n  PCRIndex: %" PRIu32 "\n  TemplateHash: \"", e->num,
	        e->pcr);
	evcli_hex(f, e->template_hash, sizeof(e->template_hash), sizeof(e->template_hash));
	fputs("\"\n  TemplateName: ", f);
	evcli_yaml_quoted(f, (const uint8_t *)e->template_name,
	                  strnlen(e->template_name, sizeof(e->template_name)));
	fputc('\n', f);
	if (e->violation)
		fputs("  Violation: true\n", f);
	if (e->file_hash != NULL) {
		fprintf(f, "  FileHashAlgorithm: %s\n  FileHash: \"",
		        evcli_alg_name(e->file_hash_alg, buf, sizeof(buf)));
		evcli_hex(f, e->file_hash, e->file_hash_len, e->file_hash_len);
		fputs("\"\n", f);
	}
	if (e->file_name != NULL) {
		fputs("  FileName: ", f);
		evcli_yaml_quoted(f, (const uint8_t *)e->file_name, e->file_name_len);
		fputc('\n', f);
	}
	if (e->sig != NULL && e->sig_len != 0) {
		fputs("  Signature: \"", f);
		evcli_hex(f, e->sig, e->sig_len, e->sig_len);
		fputs("\"\n", f);
	}
}

int evcli_print_ima(FILE *f, const evlog_ima *ima, const struct evcli_opts *o, struct eph_err *err)
{
	uint8_t pcr[EPH_HASH_MAX];
	char buf[8];
	size_t i, n = evlog_ima_count(ima);
	unsigned k;
	int rc;

	if (!o->pcrs_only) {
		fputs("---\nversion: 1\nentries:\n", f);
		for (i = 0; i < n; i++)
			print_entry(f, evlog_ima_entry_at(ima, i));
	}
	fputs("pcrs:\n", f);
	for (k = 0; k < o->num_ima_banks; k++) {
		uint16_t alg = o->ima_banks[k];

		rc = evlog_ima_replay(pcr, ima, alg, o->ima_pcr, err);
		if (rc < 0)
			return rc;
		fprintf(f, "  %s:\n    %-2" PRIu32 " : 0x", evcli_alg_name(alg, buf, sizeof(buf)),
		        o->ima_pcr);
		evcli_hex(f, pcr, eph_hash_size(alg), eph_hash_size(alg));
		fputc('\n', f);
	}
	return 0;
}
