/*
 * ephemera-token - mint, show and verify Ephemera requester tokens: ES256
 * COSE_Sign1 CWTs (RFC 9052, RFC 8392) with the claims in
 * docs/cwt-claims.md. A thin command line over broker/cwt (cwt.h).
 *
 * Output of mint is the raw CBOR token, e.g. d2 84 58 25 a2 01 26 04 58 20 ...
 * (18([<<{1: -7, 4: kid}>>, {}, <<claims>>, r || s])).
 *
 * Not here: key generation (openssl genpkey -algorithm EC -pkeyopt
 * ec_paramgen_curve:P-256), token transport, policy.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cwt.h"
#include "eph_file.h"
#include "eph_hex.h"

/* Exit codes: documented in --help, only ever grow at the end. */
enum token_rc {
	TOKEN_OK = 0,
	TOKEN_USAGE = 1,       /* bad command line */
	TOKEN_IO = 2,          /* a file could not be read or written */
	TOKEN_FORMAT = 3,      /* the token or a key is malformed */
	TOKEN_VERIFY = 4,      /* verification refused the token */
	TOKEN_UNSUPPORTED = 5, /* well formed, not supported (algorithm, crit ...) */
	TOKEN_FAIL = 6,        /* anything else */
};

static const char usage_text[] =
	"NAME\n"
	"    ephemera-token - mint, show and verify Ephemera requester tokens (CWT)\n"
	"\n"
	"SYNOPSIS\n"
	"    ephemera-token mint --key KEY.pem --iss NAME --sub USER --role ROLE\n"
	"                   --clearance 0..4 --sensitivity public|internal|confidential|secret\n"
	"                   --vcpu MILLI --mem MIB --duration SECONDS --ttl SECONDS\n"
	"                   [--aud AUD] [--class CLASS] [--cti HEX] [--now EPOCH]\n"
	"                   [--no-kid] [--untagged | --cwt-tag] [-o FILE]\n"
	"    ephemera-token show TOKEN\n"
	"    ephemera-token verify --trust DIR [--aud AUD] [--leeway SECONDS] [--now EPOCH]\n"
	"                   [--standard] TOKEN\n"
	"    ephemera-token thumbprint --key KEY.pem\n"
	"\n"
	"DESCRIPTION\n"
	"    mint signs a CWT (RFC 8392) as a COSE_Sign1 with ES256 (RFC 9052/9053) using\n"
	"    the EC P-256 private key KEY.pem, and writes the CBOR bytes to standard output\n"
	"    (or FILE; binary is never written to a terminal). iat and nbf are now, exp is\n"
	"    now + ttl; cti is 16 random bytes unless given; the protected header carries\n"
	"    alg -7 and, unless --no-kid, kid = the key's RFC 9679 thumbprint. --vcpu is in\n"
	"    thousandths of a vCPU. The token is tagged 18, or 61(18(...)) with --cwt-tag.\n"
	"\n"
	"    show decodes a token WITHOUT VERIFYING it: the signature, the issuer and the\n"
	"    validity period are not checked. Its output says so on every run.\n"
	"\n"
	"    verify checks TOKEN as the broker does: structure, ES256 signature by the\n"
	"    issuer DIR/<iss>.pem, exp/nbf/iat against now (or --now) with --leeway seconds\n"
	"    (default 60), aud if --aud is given, and Ephemera's required claims (only the\n"
	"    RFC 8392 ones with --standard). Prints the claims and \"OK\".\n"
	"\n"
	"    thumbprint prints the RFC 9679 COSE key thumbprint (the kid) of a public or\n"
	"    private key.\n"
	"\n"
	"    TOKEN may be - for standard input.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 ok, 1 usage, 2 I/O error, 3 malformed token or key, 4 verification refused,\n"
	"    5 unsupported (algorithm, crit header, COSE type), 6 other failure.\n"
	"\n"
	"EXAMPLES\n"
	"    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out idp.key\n"
	"    openssl pkey -in idp.key -pubout -out trust/idp.pem\n"
	"    ephemera-token mint --key idp.key --iss idp --sub alice --role analyst \\\n"
	"        --clearance 2 --sensitivity confidential --vcpu 2000 --mem 4096 \\\n"
	"        --duration 3600 --ttl 600 > alice.cwt\n"
	"    ephemera-token verify --trust trust alice.cwt\n";

static int rc_of(int eph_rc)
{
	switch (eph_rc) {
	case 0: return TOKEN_OK;
	case EPH_EIO:
	case EPH_ENOTFOUND: return TOKEN_IO;
	case EPH_EFORMAT: return TOKEN_FORMAT;
	case EPH_EVERIFY: return TOKEN_VERIFY;
	case EPH_EUNSUPPORTED: return TOKEN_UNSUPPORTED;
	default: return TOKEN_FAIL;
	}
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ephemera-token: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ephemera-token --help'.\n");
	return TOKEN_USAGE;
}

/* A decimal integer 0..max, the whole string. */
static int parse_u64(uint64_t *out, const char *s, uint64_t max)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* The private (or, with pub, public) key in a PEM file. */
static EVP_PKEY *read_key(const char *path, int pub, struct eph_err *err)
{
	EVP_PKEY *key = NULL;
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio;

	if (eph_file_read(&pem, &len, path, 64u << 10, err) < 0)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		if (key == NULL && pub) {
			BIO_free(bio);
			bio = BIO_new_mem_buf(pem, (int)len);
			key = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		}
	}
	BIO_free(bio);
	explicit_bzero(pem, len);
	free(pem);
	ERR_clear_error();
	if (key == NULL)
		eph_err_set(err, EPH_EFORMAT, "%s: no PEM %s key", path, pub ? "EC" : "private");
	return key;
}

static void print_claims(const struct cwt_claims *c)
{
	char t[64];
	time_t tt;

	printf("alg:          %lld%s\n", (long long)c->alg, c->alg == -7 ? " (ES256)" : "");
	printf("kid:          %s\n", c->kid_hex[0] ? c->kid_hex : "(none)");
	if (c->present & CWT_HAS_ISS)
		printf("iss:          %s\n", c->iss);
	if (c->present & CWT_HAS_SUB)
		printf("sub:          %s\n", c->sub);
	if (c->present & CWT_HAS_AUD)
		printf("aud:          %s\n", c->aud);
	if (c->present & CWT_HAS_ROLE)
		printf("role:         %s\n", c->role);
	if (c->present & CWT_HAS_CLEARANCE)
		printf("clearance:    %u\n", c->clearance);
	if (c->present & CWT_HAS_SENSITIVITY)
		printf("sensitivity:  %s\n", cwt_sensitivity_name(c->sensitivity));
	if (c->present & CWT_HAS_APP)
		printf("app:          vcpu_milli=%u mem_mib=%u duration_s=%u%s%s\n",
		       c->app.vcpu_milli, c->app.mem_mib, c->app.duration_s,
		       (c->present & CWT_HAS_APP_CLASS) ? " class=" : "", c->app.cls);
	if (c->present & CWT_HAS_CTI)
		printf("cti:          %s\n", c->cti_hex);
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = { "iat", "nbf", "exp" };
		static const unsigned bits[] = { CWT_HAS_IAT, CWT_HAS_NBF, CWT_HAS_EXP };
		int64_t v = i == 0 ? c->iat : i == 1 ? c->nbf : c->exp;
		struct tm tm;

		if (!(c->present & bits[i]))
			continue;
		tt = (time_t)v;
		if (gmtime_r(&tt, &tm) == NULL || strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			t[0] = '\0';
		printf("%s:          %lld (%s)\n", names[i], (long long)v, t);
	}
}

static int cmd_mint(int argc, char **argv)
{
	struct cwt_claims c;
	struct eph_err err = { { 0 } };
	const char *key_path = NULL, *out_path = NULL;
	uint64_t v, now = (uint64_t)time(NULL), ttl = 0;
	unsigned flags = 0, need = 0;
	uint8_t *tok = NULL, cti[16];
	size_t tok_len = 0;
	EVP_PKEY *key = NULL;
	FILE *f = stdout;
	int rc = TOKEN_USAGE, i, s;

	memset(&c, 0, sizeof(c));
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0, takes = 1;

		if (strcmp(a, "--no-kid") == 0) {
			flags |= CWT_SIGN_NO_KID, takes = 0;
		} else if (strcmp(a, "--untagged") == 0) {
			flags |= CWT_SIGN_UNTAGGED, takes = 0;
		} else if (strcmp(a, "--cwt-tag") == 0) {
			flags |= CWT_SIGN_TAG_CWT, takes = 0;
		} else if (val == NULL) {
			return usage_error("%s: missing value or unknown option", a);
		} else if (strcmp(a, "--key") == 0) {
			key_path = val;
		} else if (strcmp(a, "-o") == 0) {
			out_path = val;
		} else if (strcmp(a, "--iss") == 0) {
			bad = copy_text(c.iss, sizeof(c.iss), val), c.present |= CWT_HAS_ISS;
		} else if (strcmp(a, "--sub") == 0) {
			bad = copy_text(c.sub, sizeof(c.sub), val), c.present |= CWT_HAS_SUB;
		} else if (strcmp(a, "--aud") == 0) {
			bad = copy_text(c.aud, sizeof(c.aud), val), c.present |= CWT_HAS_AUD;
		} else if (strcmp(a, "--role") == 0) {
			bad = copy_text(c.role, sizeof(c.role), val), c.present |= CWT_HAS_ROLE;
		} else if (strcmp(a, "--class") == 0) {
			bad = copy_text(c.app.cls, sizeof(c.app.cls), val);
			c.present |= CWT_HAS_APP_CLASS;
		} else if (strcmp(a, "--cti") == 0) {
			bad = copy_text(c.cti_hex, sizeof(c.cti_hex), val), c.present |= CWT_HAS_CTI;
		} else if (strcmp(a, "--clearance") == 0) {
			bad = parse_u64(&v, val, CWT_CLEARANCE_MAX);
			c.clearance = (unsigned)v, c.present |= CWT_HAS_CLEARANCE;
		} else if (strcmp(a, "--sensitivity") == 0) {
			s = cwt_sensitivity_from_name(val, strlen(val));
			bad = s < 0;
			c.sensitivity = (enum cwt_sensitivity)(s < 0 ? 0 : s);
			c.present |= CWT_HAS_SENSITIVITY;
		} else if (strcmp(a, "--vcpu") == 0) {
			bad = parse_u64(&v, val, UINT32_MAX), c.app.vcpu_milli = (uint32_t)v, need |= 1;
		} else if (strcmp(a, "--mem") == 0) {
			bad = parse_u64(&v, val, UINT32_MAX), c.app.mem_mib = (uint32_t)v, need |= 2;
		} else if (strcmp(a, "--duration") == 0) {
			bad = parse_u64(&v, val, UINT32_MAX), c.app.duration_s = (uint32_t)v, need |= 4;
		} else if (strcmp(a, "--ttl") == 0) {
			bad = parse_u64(&ttl, val, 366u * 86400) || ttl == 0;
		} else if (strcmp(a, "--now") == 0) {
			bad = parse_u64(&now, val, INT64_MAX / 2);
		} else {
			return usage_error("unknown option %s", a);
		}
		if (bad)
			return usage_error("bad value for %s", a);
		i += takes;
	}
	const unsigned given = CWT_REQUIRED_EPHEMERA & ~(unsigned)(CWT_HAS_EXP | CWT_HAS_APP);

	if (key_path == NULL || ttl == 0 || need != 7 || (c.present & given) != given)
		return usage_error("%s", "mint needs --key --iss --sub --role --clearance --sensitivity --vcpu --mem --duration --ttl");
	c.present |= CWT_HAS_APP | CWT_HAS_EXP | CWT_HAS_NBF | CWT_HAS_IAT;
	c.iat = c.nbf = (int64_t)now;
	c.exp = (int64_t)(now + ttl);
	if (!(c.present & CWT_HAS_CTI)) {
		if (RAND_bytes(cti, sizeof(cti)) != 1) {
			fprintf(stderr, "ephemera-token: no random bytes for cti\n");
			return TOKEN_FAIL;
		}
		eph_hex_encode(c.cti_hex, sizeof(c.cti_hex), cti, sizeof(cti));
		c.present |= CWT_HAS_CTI;
	}
	if (out_path == NULL && isatty(STDOUT_FILENO))
		return usage_error("%s", "refusing to write a binary token to a terminal: use -o FILE or redirect");
	key = read_key(key_path, 0, &err);
	if (key == NULL) {
		rc = TOKEN_FORMAT;
		goto fail;
	}
	rc = cwt_sign(&tok, &tok_len, &c, key, flags, &err);
	EVP_PKEY_free(key);
	if (rc < 0) {
		rc = rc_of(rc);
		goto fail;
	}
	if (out_path != NULL && (f = fopen(out_path, "wb")) == NULL) {
		fprintf(stderr, "ephemera-token: cannot write %s: %s\n", out_path, strerror(errno));
		free(tok);
		return TOKEN_IO;
	}
	rc = fwrite(tok, 1, tok_len, f) == tok_len ? TOKEN_OK : TOKEN_IO;
	if ((f != stdout ? fclose(f) : fflush(f)) != 0)
		rc = TOKEN_IO;
	if (rc != TOKEN_OK)
		fprintf(stderr, "ephemera-token: writing the token failed\n");
	free(tok);
	return rc;
fail:
	fprintf(stderr, "ephemera-token: %s\n", err.msg);
	return rc;
}

static int read_token(uint8_t **tok, size_t *len, const char *path)
{
	struct eph_err err = { { 0 } };
	int rc;

	rc = eph_file_read(tok, len, path, CWT_MAX_TOKEN, &err);
	if (rc < 0)
		fprintf(stderr, "ephemera-token: %s\n", err.msg);
	return rc < 0 ? rc_of(rc) : 0;
}

static int cmd_show(int argc, char **argv)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims c;
	uint8_t *tok = NULL;
	size_t len = 0;
	int rc;

	if (argc != 3)
		return usage_error("%s", "show takes one TOKEN");
	rc = read_token(&tok, &len, argv[2]);
	if (rc != 0)
		return rc;
	rc = cwt_decode_unverified(&c, tok, len, &err);
	free(tok);
	if (rc < 0) {
		fprintf(stderr, "ephemera-token: %s\n", err.msg);
		return rc_of(rc);
	}
	printf("UNVERIFIED: decoded only; signature, issuer and validity were NOT checked\n");
	print_claims(&c);
	return TOKEN_OK;
}

static int cmd_verify(int argc, char **argv)
{
	struct eph_err err = { { 0 } };
	const char *dir = NULL, *aud = NULL, *path = NULL;
	uint64_t leeway = 60, now = (uint64_t)time(NULL);
	unsigned flags = 0;
	struct cwt_claims c;
	cwt_trust *t = NULL;
	uint8_t *tok = NULL;
	size_t len = 0;
	int rc, i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--standard") == 0) {
			flags |= CWT_VERIFY_STANDARD_ONLY;
			continue;
		}
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (path != NULL)
				return usage_error("%s", "verify takes one TOKEN");
			path = a;
			continue;
		}
		if (val == NULL)
			return usage_error("%s: missing value or unknown option", a);
		if (strcmp(a, "--trust") == 0)
			dir = val;
		else if (strcmp(a, "--aud") == 0)
			aud = val;
		else if (strcmp(a, "--leeway") == 0 && parse_u64(&leeway, val, 86400) == 0)
			;
		else if (strcmp(a, "--now") == 0 && parse_u64(&now, val, INT64_MAX / 2) == 0)
			;
		else
			return usage_error("bad option or value: %s", a);
		i++;
	}
	if (dir == NULL || path == NULL)
		return usage_error("%s", "verify needs --trust DIR and a TOKEN");
	rc = read_token(&tok, &len, path);
	if (rc != 0)
		return rc;
	rc = cwt_trust_load_dir(&t, dir, &err);
	if (rc == 0 && aud != NULL)
		rc = cwt_trust_set_audience(t, aud, &err);
	if (rc == 0)
		rc = cwt_verify_ex(&c, t, tok, len, (time_t)now, (unsigned)leeway, flags, &err);
	cwt_trust_free(t);
	free(tok);
	if (rc < 0) {
		fprintf(stderr, "ephemera-token: REFUSED: %s\n", err.msg);
		return rc_of(rc);
	}
	print_claims(&c);
	printf("OK\n");
	return TOKEN_OK;
}

static int cmd_thumbprint(int argc, char **argv)
{
	struct eph_err err = { { 0 } };
	char hex[65];
	uint8_t th[32];
	EVP_PKEY *key;
	int rc;

	if (argc != 4 || strcmp(argv[2], "--key") != 0)
		return usage_error("%s", "thumbprint takes --key KEY.pem");
	key = read_key(argv[3], 1, &err);
	if (key == NULL) {
		fprintf(stderr, "ephemera-token: %s\n", err.msg);
		return TOKEN_FORMAT;
	}
	rc = cwt_key_thumbprint(th, key, &err);
	EVP_PKEY_free(key);
	if (rc < 0) {
		fprintf(stderr, "ephemera-token: %s\n", err.msg);
		return rc_of(rc);
	}
	eph_hex_encode(hex, sizeof(hex), th, sizeof(th));
	printf("%s\n", hex);
	return TOKEN_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return TOKEN_OK;
	}
	if (strcmp(argv[1], "mint") == 0)
		return cmd_mint(argc, argv);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc, argv);
	if (strcmp(argv[1], "thumbprint") == 0)
		return cmd_thumbprint(argc, argv);
	return usage_error("unknown command %s", argv[1]);
}
