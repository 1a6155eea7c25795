/*
 * main.c - ephemera-cvm: parse and verify confidential-VM evidence (an AMD
 * SEV-SNP attestation report with its VCEK, an Intel TDX quote) offline,
 * from files, and print the claims and the verdict as YAML.
 *
 * This file dispatches the subcommand, maps EPH_E* codes to the exit codes
 * of enum cvm_exit, and checks that standard output was written. Nothing is
 * fetched: certificates, CRLs and collateral come from the operator's
 * files (cvm/snp/README.md, cvm/tdx/README.md say where to get them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvmcli-priv.h"

void cvm_report(const char *what, const char *msg)
{
	char line[EPH_ERR_MSG_MAX];
	size_t i;

	snprintf(line, sizeof(line), "%s", msg != NULL && msg[0] != '\0' ? msg : "unknown error");
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (what != NULL)
		fprintf(stderr, "%s: %s: %s\n", CVM_NAME, what, line);
	else
		fprintf(stderr, "%s: %s\n", CVM_NAME, line);
}

int cvm_exit_for_input(int rc)
{
	switch (rc) {
	case EPH_OK:
		return CVM_EXIT_OK;
	case EPH_EFORMAT:
	case EPH_EUNSUPPORTED:
		return CVM_EXIT_FORMAT;
	case EPH_EIO:
	case EPH_ENOTFOUND:
		return CVM_EXIT_IO;
	case EPH_EVERIFY:
		return CVM_EXIT_VERIFY;
	case EPH_EPOLICY:
		return CVM_EXIT_POLICY;
	default:
		return CVM_EXIT_INTERNAL;
	}
}

int cvm_exit_for_verify(int rc)
{
	switch (rc) {
	case EPH_OK:
		return CVM_EXIT_OK;
	case EPH_EFORMAT:
	case EPH_EUNSUPPORTED:
		return CVM_EXIT_FORMAT;
	case EPH_EVERIFY:
	case EPH_ENOTFOUND: /* e.g. no ARK or ASK of the product among the roots */
		return CVM_EXIT_VERIFY;
	case EPH_EPOLICY:
		return CVM_EXIT_POLICY;
	case EPH_EIO:
		return CVM_EXIT_IO;
	default:
		return CVM_EXIT_INTERNAL;
	}
}

int main(int argc, char **argv)
{
	struct cvm_opts *o = calloc(1, sizeof(*o));
	int rc;

	if (o == NULL) {
		fprintf(stderr, "%s: out of memory\n", CVM_NAME);
		return CVM_EXIT_INTERNAL;
	}
	rc = cvm_parse_args(o, argc, argv);
	if (rc < 0) {
		rc = -rc;
		goto out;
	}
	if (rc == 1)
		rc = CVM_EXIT_OK;
	else if (o->tech == CVM_TECH_TDX)
		rc = cvm_tdx_run(o);
	else
		rc = cvm_snp_run(o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: writing standard output: %s\n", CVM_NAME, strerror(errno));
		if (rc == CVM_EXIT_OK)
			rc = CVM_EXIT_IO;
	}
out:
	explicit_bzero(o->report_data, sizeof(o->report_data));
	free(o);
	return rc;
}
