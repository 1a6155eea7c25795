/*
 * sim_csv.c - the line and field reader every trace parser uses on
 * untrusted text: lines end in "\n" or "\r\n", fields are split at one
 * separator byte and trimmed of spaces and tabs (Bitbrains writes ";\t"),
 * numbers are strict decimal and range-checked.
 *
 * Deliberately not a full RFC 4180 reader: none of the traces quotes a
 * field, so a '"' is rejected rather than half-supported. Errors carry the
 * line number; callers add the column.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "sim-priv.h"

#define SIM__FILE_MAX ((size_t)256 << 20)

void sim__lines_init(struct sim__lines *l, const uint8_t *buf, size_t len)
{
	l->buf = (const char *)buf;
	l->len = len;
	l->pos = 0;
	l->line = 0;
}

int sim__lines_next(struct sim__lines *l, const char **p, size_t *n, struct eph_err *err)
{
	const char *s, *nl, *z;
	size_t left;

	if (l->pos >= l->len)
		return 0;
	s = l->buf + l->pos;
	left = l->len - l->pos;
	nl = memchr(s, '\n', left);
	*n = nl ? (size_t)(nl - s) : left;
	l->pos += *n + (nl ? 1 : 0);
	l->line++;
	z = memchr(s, '\0', *n);
	if (z)
		return eph_err_set(err, EPH_EFORMAT, "line %zu, column %zu: NUL byte", l->line,
				   (size_t)(z - s) + 1);
	if (*n > 0 && s[*n - 1] == '\r')
		(*n)--;
	*p = s;
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int sim__split(const char *p, size_t n, char sep, struct sim__field *f, unsigned max)
{
	unsigned k = 0;
	size_t i = 0;

	for (;;) {
		size_t start = i, end;

		while (i < n && p[i] != sep) {
			if (p[i] == '"')
				return EPH_EFORMAT;
			i++;
		}
		end = i;
		while (start < end && is_blank(p[start]))
			start++;
		while (end > start && is_blank(p[end - 1]))
			end--;
		if (k == max)
			return EPH_EFORMAT;
		f[k].p = p + start;
		f[k].n = end - start;
		k++;
		if (i == n)
			break;
		i++; /* the separator */
	}
	return (int)k;
}

/* Copy a numeric field into a NUL-terminated buffer, allowing only chars. */
static int num_copy(const struct sim__field *f, char *buf, size_t cap, const char *allowed)
{
	size_t i;

	if (f->n == 0 || f->n >= cap)
		return -1;
	for (i = 0; i < f->n; i++)
		if (strchr(allowed, f->p[i]) == NULL || f->p[i] == '\0')
			return -1;
	memcpy(buf, f->p, f->n);
	buf[f->n] = '\0';
	return 0;
}

int sim__f_double(const struct sim__field *f, double lo, double hi, double *v)
{
	char buf[64];
	char *end = NULL;
	double d;

	if (num_copy(f, buf, sizeof(buf), "0123456789.eE+-") < 0)
		return -1;
	errno = 0;
	d = strtod(buf, &end);
	if (errno != 0 || end != buf + f->n || !isfinite(d) || d < lo || d > hi)
		return -1;
	*v = d;
	return 0;
}

int sim__f_u64(const struct sim__field *f, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char buf[32];
	char *end = NULL;
	unsigned long long u;

	if (num_copy(f, buf, sizeof(buf), "0123456789") < 0)
		return -1;
	errno = 0;
	u = strtoull(buf, &end, 10);
	if (errno != 0 || end != buf + f->n || u < lo || u > hi)
		return -1;
	*v = u;
	return 0;
}

int sim__f_eq(const struct sim__field *f, const char *s)
{
	size_t n = strlen(s);

	return f->n == n && memcmp(f->p, s, n) == 0;
}

int sim__read_file(uint8_t **buf, size_t *len, const char *path, struct eph_err *err)
{
	return eph_file_read(buf, len, path, SIM__FILE_MAX, err);
}

int sim__col(const struct sim__field *hdr, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (sim__f_eq(&hdr[i], name))
			return i;
	return -1;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double sim__pct_d(double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), dcmp);
	k = (size_t)(p * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

double sim__knots(const double *q, const double *x, unsigned n, double u)
{
	unsigned i;

	if (u <= q[0])
		return x[0];
	for (i = 1; i < n; i++) {
		if (u <= q[i]) {
			double w = q[i] - q[i - 1];

			return w > 0 ? x[i - 1] + (x[i] - x[i - 1]) * (u - q[i - 1]) / w : x[i];
		}
	}
	return x[n - 1];
}
