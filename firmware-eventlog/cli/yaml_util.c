/*
 * yaml_util.c - small output helpers for ephemera-eventlog: hex, GUIDs,
 * algorithm names, and the string escapings tpm2_eventlog uses.
 *
 * Every helper writes to a FILE and takes explicit lengths; none of them
 * trusts a NUL terminator in event data. They do not check for write errors:
 * main() checks ferror() once at the end.
 */
#include <stdio.h>
#include <string.h>

#include "evcli-priv.h"

static const char hexdig[] = "0123456789abcdef";

void evcli_hex(FILE *f, const uint8_t *buf, size_t n, size_t max)
{
	char chunk[256];
	size_t i, k = 0;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		chunk[k++] = hexdig[buf[i] >> 4];
		chunk[k++] = hexdig[buf[i] & 0xf];
		if (k == sizeof(chunk)) {
			fwrite(chunk, 1, k, f);
			k = 0;
		}
	}
	if (k)
		fwrite(chunk, 1, k, f);
}

const char *evcli_alg_name(uint16_t alg, char *buf, size_t buflen)
{
	const char *name = eph_hash_name(alg);

	if (name != NULL)
		return name;
	snprintf(buf, buflen, "0x%04x", alg);
	return buf;
}

void evcli_guid(FILE *f, const uint8_t g[16])
{
	/* Data1 (LE u32), Data2 and Data3 (LE u16), Data4[8] bytes in order. */
	fprintf(f, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3],
	        g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
	        g[14], g[15]);
}

void evcli_cstr_block(FILE *f, const uint8_t *buf, size_t n, const char *indent)
{
	const uint8_t *nul = memchr(buf, '\0', n);
	size_t i;

	if (nul != NULL)
		n = (size_t)(nul - buf);
	for (i = 0; i < n; i++) {
		fputc(buf[i], f);
		if (buf[i] == '\n' && i + 1 < n)
			fputs(indent, f);
	}
}

void evcli_ipl_line(FILE *f, const uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = buf[i];

		switch (c) {
		case '\0':
			fputs("\\0", f);
			break;
		case '\a':
			fputs("\\a", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\v':
			fputs("\\v", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case 0x1b:
			fputs("\\e", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\'':
			fputs("\\'", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\x%02x", c);
			else
				fputc(c, f);
		}
	}
}

/* Length of a valid UTF-8 sequence starting at p (n bytes left), 0 if none. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void evcli_yaml_quoted(FILE *f, const uint8_t *buf, size_t n)
{
	size_t i = 0, len;

	fputc('"', f);
	while (i < n) {
		uint8_t c = buf[i];

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\x%02x", c);
			i++;
		} else if ((len = utf8_seq(buf + i, n - i)) != 0) {
			fwrite(buf + i, 1, len, f);
			i += len;
		} else {
			fprintf(f, "\\x%02x", c);
			i++;
		}
	}
	fputc('"', f);
}

static void put_utf8(FILE *f, uint32_t cp)
{
	if (cp < 0x80) {
		fputc((int)cp, f);
	} else if (cp < 0x800) {
		fputc((int)(0xc0 | cp >> 6), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	} else if (cp < 0x10000) {
		fputc((int)(0xe0 | cp >> 12), f);
		fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	} else {
		fputc((int)(0xf0 | cp >> 18), f);
		fputc((int)(0x80 | ((cp >> 12) & 0x3f)), f);
		fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	}
}

void evcli_utf16(FILE *f, const uint8_t *buf, size_t units)
{
	size_t i;

	for (i = 0; i < units; i++) {
		uint32_t u = (uint32_t)buf[2 * i] | (uint32_t)buf[2 * i + 1] << 8;

		if (u == 0)
			break;
		if (u >= 0xd800 && u <= 0xdbff && i + 1 < units) {
			uint32_t lo = (uint32_t)buf[2 * i + 2] | (uint32_t)buf[2 * i + 3] << 8;

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				put_utf8(f, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
				i++;
				continue;
			}
		}
		if (u >= 0xd800 && u <= 0xdfff)
			u = 0xfffd;
		/* Control characters would break the plain scalar: replace. */
		if (u < 0x20 || u == 0x7f)
			u = 0xfffd;
		put_utf8(f, u);
	}
}
