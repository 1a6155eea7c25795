/*
 * yaml.c - the output helpers of ephemera-cvm: hex, YAML double-quoted
 * scalars for library messages, and the verdict block that ends every
 * verify output.
 *
 * Not here: the claims of a report or quote (snp_yaml.c, tdx_yaml.c).
 */
#include <string.h>

#include "cvmcli-priv.h"

void cvm_hex(FILE *f, const uint8_t *buf, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		fputc(digits[buf[i] >> 4], f);
		fputc(digits[buf[i] & 15], f);
	}
}

void cvm_hex_line(FILE *f, const char *indent, const char *key, const uint8_t *buf, size_t n)
{
	fprintf(f, "%s%s: ", indent, key);
	cvm_hex(f, buf, n);
	fputc('\n', f);
}

void cvm_quoted(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void cvm_check(struct cvm_verdict *v, const char *name, enum cvm_status s, const char *reason)
{
	if (v->n == CVM_MAX_CHECKS)
		return;
	v->c[v->n].name = name;
	v->c[v->n].status = s;
	snprintf(v->c[v->n].reason, sizeof(v->c[v->n].reason), "%s", reason ? reason : "");
	v->n++;
}

static const char *status_name(enum cvm_status s)
{
	switch (s) {
	case CVM_OK:
		return "ok";
	case CVM_FAILED:
		return "failed";
	case CVM_SKIPPED:
		return "skipped";
	default:
		return "unchecked";
	}
}

static const char *result_name(int exit_code)
{
	switch (exit_code) {
	case CVM_EXIT_OK:
		return "ok";
	case CVM_EXIT_VERIFY:
		return "verification failed";
	case CVM_EXIT_POLICY:
		return "refused by policy";
	default:
		return "error";
	}
}

void cvm_print_verdict(FILE *f, const struct cvm_verdict *v, int exit_code)
{
	size_t i;

	fprintf(f, "verdict:\n  result: %s\n  exit: %d\n  checks:\n", result_name(exit_code),
	        exit_code);
	for (i = 0; i < v->n; i++) {
		fprintf(f, "    %s: {status: %s", v->c[i].name, status_name(v->c[i].status));
		if (v->c[i].reason[0] != '\0') {
			fputs(", reason: ", f);
			cvm_quoted(f, v->c[i].reason);
		}
		fputs("}\n", f);
	}
}
