/*
 * transitions.c - the transitions CSV that the broker's store exports for
 * offline training (docs/qnet-model-format.md): reading it from untrusted
 * bytes, and formatting its header and rows.
 *
 *   # ephemera-transitions v1               <- '#' lines: comments, anywhere
 *   s0,s1,...,s{D-1},action,mask,reward,n0,...,n{D-1},next_mask,done
 *   0.5,-1.25,...,3,0x1f,-12.5,0.5,...,0x1f,0
 *
 * D (1..QNET_CSV_MAX_DIM) is the number of leading sK columns; the header
 * must be exactly the one qnet_transitions_header() writes for that D. Each
 * row has 2D + 5 fields: floats in C-locale strtof syntax and finite, action
 * a decimal 0..63 whose bit is set in mask, the masks "0x" and 1..16 hex
 * digits, done "0" or "1" (with done = 1, next state and next_mask are 0).
 * These are the store's exported tuples (docs/store-schema.md, "Exported
 * transitions"): (s, a, mask, r, s', mask', done).
 * Lines end in "\n" (or "\r\n"); empty lines are skipped.
 *
 * Not here: what the columns mean for training (trainer.c), quoting (no
 * field ever needs it).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qnet-priv.h"

#define FIELD_MAX 64

struct line {
	const char *p;
	size_t n;
};

/* The next line without its terminator; 0 at the end. */
static int next_line(const uint8_t *buf, size_t len, size_t *pos, struct line *ln)
{
	const uint8_t *nl;
	size_t start = *pos;

	if (start >= len)
		return 0;
	nl = memchr(buf + start, '\n', len - start);
	ln->p = (const char *)buf + start;
	ln->n = nl != NULL ? (size_t)(nl - (buf + start)) : len - start;
	*pos = start + ln->n + (nl != NULL);
	if (ln->n > 0 && ln->p[ln->n - 1] == '\r')
		ln->n--;
	return 1;
}

/* Split off the next comma-separated field into a NUL-terminated copy. */
static int next_field(struct line *ln, char *dst)
{
	const char *comma;
	size_t k;

	if (ln->p == NULL)
		return -1;
	comma = memchr(ln->p, ',', ln->n);
	k = comma != NULL ? (size_t)(comma - ln->p) : ln->n;
	if (k >= FIELD_MAX)
		return -1;
	memcpy(dst, ln->p, k);
	dst[k] = '\0';
	if (comma != NULL) {
		ln->p = comma + 1;
		ln->n -= k + 1;
	} else {
		ln->p = NULL; /* no more fields */
		ln->n = 0;
	}
	return 0;
}

static int parse_mask(const char *f, uint64_t *v)
{
	char *end = NULL;

	if (f[0] != '0' || f[1] != 'x' || f[2] == '\0' || strlen(f) > 18 ||
	    strspn(f + 2, "0123456789abcdefABCDEF") != strlen(f + 2))
		return -1;
	*v = strtoull(f + 2, &end, 16);
	return *end == '\0' ? 0 : -1;
}

static int parse_float(const char *s, float *v)
{
	char *end = NULL;

	if (s[0] == '\0' || isspace((unsigned char)s[0]))
		return -1;
	errno = 0;
	*v = strtof(s, &end);
	return *end == '\0' && isfinite(*v) ? 0 : -1;
}

static int parse_row(struct line ln, struct qnet_transitions *t, size_t k)
{
	unsigned d = t->dim, i;
	char f[FIELD_MAX], *end = NULL;
	unsigned long long u;

	for (i = 0; i < d; i++)
		if (next_field(&ln, f) < 0 || parse_float(f, &t->state[k * d + i]) < 0)
			return -1;
	if (next_field(&ln, f) < 0 || !isdigit((unsigned char)f[0]) || strlen(f) > 2)
		return -1;
	u = strtoull(f, &end, 10);
	if (*end != '\0' || u > 63)
		return -1;
	t->action[k] = (uint32_t)u;
	if (next_field(&ln, f) < 0 || parse_mask(f, &t->mask[k]) < 0 || !(t->mask[k] >> u & 1))
		return -1;
	if (next_field(&ln, f) < 0 || parse_float(f, &t->reward[k]) < 0)
		return -1;
	for (i = 0; i < d; i++)
		if (next_field(&ln, f) < 0 || parse_float(f, &t->next_state[k * d + i]) < 0)
			return -1;
	if (next_field(&ln, f) < 0 || parse_mask(f, &t->next_mask[k]) < 0)
		return -1;
	if (next_field(&ln, f) < 0 || (strcmp(f, "0") != 0 && strcmp(f, "1") != 0))
		return -1;
	t->done[k] = f[0] == '1';
	return ln.p == NULL ? 0 : -1; /* no extra fields */
}

int qnet_transitions_header(char *buf, size_t cap, unsigned dim)
{
	size_t n = 0;
	unsigned i;
	int k;

	if (dim < 1 || dim > QNET_CSV_MAX_DIM || cap < QNET_CSV_ROW_MAX)
		return EPH_EFAIL;
	for (i = 0; i < dim; i++) {
		k = snprintf(buf + n, cap - n, "s%u,", i);
		n += (size_t)k;
	}
	n += (size_t)snprintf(buf + n, cap - n, "action,mask,reward,");
	for (i = 0; i < dim; i++) {
		k = snprintf(buf + n, cap - n, "n%u,", i);
		n += (size_t)k;
	}
	n += (size_t)snprintf(buf + n, cap - n, "next_mask,done\n");
	return (int)n;
}

int qnet_transitions_row(char *buf, size_t cap, const struct qnet_transition *tr, unsigned dim)
{
	size_t n = 0;
	unsigned i;

	if (dim < 1 || dim > QNET_CSV_MAX_DIM || cap < QNET_CSV_ROW_MAX || tr->action > 63 ||
	    !(tr->mask >> tr->action & 1))
		return EPH_EFAIL;
	/* %.9g round-trips every float32; at most 15 characters + comma. */
	for (i = 0; i < dim; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%.9g,", (double)tr->state[i]);
	n += (size_t)snprintf(buf + n, cap - n, "%u,0x%llx,%.9g,", tr->action,
			      (unsigned long long)tr->mask, (double)tr->reward);
	for (i = 0; i < dim; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%.9g,",
				      tr->done ? 0.0 : (double)tr->next_state[i]);
	n += (size_t)snprintf(buf + n, cap - n, "0x%llx,%d\n",
			      (unsigned long long)(tr->done ? 0 : tr->next_mask), tr->done ? 1 : 0);
	return n < cap ? (int)n : EPH_EFAIL;
}

void qnet_transitions_free(struct qnet_transitions *t)
{
	if (t == NULL)
		return;
	free(t->state);
	free(t->action);
	free(t->mask);
	free(t->reward);
	free(t->next_state);
	free(t->next_mask);
	free(t->done);
	free(t);
}

/* Read the header: count the sK columns and compare with the canonical one. */
static int parse_header(struct line ln, unsigned *dim)
{
	char want[QNET_CSV_ROW_MAX];
	unsigned d = 0;
	size_t i;
	int n;

	for (i = 0; i < ln.n; i++)
		d += ln.p[i] == ',';
	/* 2D + 5 fields, 2D + 4 commas */
	if (d < 6 || (d - 4) % 2 != 0 || (d - 4) / 2 > QNET_CSV_MAX_DIM)
		return -1;
	d = (d - 4) / 2;
	n = qnet_transitions_header(want, sizeof(want), d);
	if (n < 0 || (size_t)n != ln.n + 1 || memcmp(want, ln.p, ln.n) != 0)
		return -1;
	*dim = d;
	return 0;
}

int qnet_transitions_parse(struct qnet_transitions **out, const uint8_t *buf, size_t len,
			   struct eph_err *err)
{
	struct qnet_transitions *t = NULL;
	size_t pos = 0, lines = 0, k = 0, lineno = 0, i, d;
	struct line ln;
	int have_header = 0, rc;

	*out = NULL;
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return eph_err_set(err, EPH_ENOMEM, "transitions: out of memory");
	while (next_line(buf, len, &pos, &ln)) {
		lineno++;
		if (ln.n == 0 || ln.p[0] == '#')
			continue;
		if (!have_header) {
			if (parse_header(ln, &t->dim) < 0) {
				rc = eph_err_set(err, EPH_EFORMAT, "transitions line %zu: not the "
						 "header s0,...,next_mask,done", lineno);
				goto fail;
			}
			d = t->dim;
			lines++; /* a last line without '\n' */
			t->state = calloc(lines * d, sizeof(float));
			t->next_state = calloc(lines * d, sizeof(float));
			t->action = calloc(lines, sizeof(*t->action));
			t->mask = calloc(lines, sizeof(*t->mask));
			t->reward = calloc(lines, sizeof(*t->reward));
			t->next_mask = calloc(lines, sizeof(*t->next_mask));
			t->done = calloc(lines, sizeof(*t->done));
			if (t->state == NULL || t->next_state == NULL || t->action == NULL ||
			    t->mask == NULL ||
			    t->reward == NULL || t->next_mask == NULL || t->done == NULL) {
				rc = eph_err_set(err, EPH_ENOMEM, "transitions: out of memory for "
						 "%zu rows", lines);
				goto fail;
			}
			have_header = 1;
			continue;
		}
		if (parse_row(ln, t, k) < 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "transitions line %zu: not %u floats, "
					 "action, 0x mask with it, reward, %u floats, 0x mask, 0/1", lineno, t->dim,
					 t->dim);
			goto fail;
		}
		k++;
	}
	if (!have_header) {
		rc = eph_err_set(err, EPH_EFORMAT, "transitions: no header line");
		goto fail;
	}
	t->n = k;
	*out = t;
	return 0;
fail:
	qnet_transitions_free(t);
	return rc;
}
