/*
 * sim_trace.c - the trace container: requests, interned class names, sort,
 * validation and the time split into training and held-out parts.
 *
 * Deliberately not here: reading or writing any file format (sim_trace_csv.c
 * and the converters sim_conv_*.c do that).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

int sim_trace_new(struct sim_trace **out, struct eph_err *err)
{
	struct sim_trace *t;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return eph_err_set(err, EPH_ENOMEM, "trace: out of memory");
	*out = t;
	return 0;
}

void sim_trace_free(struct sim_trace *t)
{
	if (t == NULL)
		return;
	free(t->req);
	free(t->cls_name);
	free(t->cls_hash);
	free(t);
}

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

static int name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= SIM_CLASS_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

/* Slot in cls_hash holding name, or the empty slot where it would go. */
static uint32_t hash_slot(const struct sim_trace *t, const char *s, size_t n)
{
	uint32_t mask = t->cls_hash_cap - 1;
	uint32_t i = fnv1a(s, n) & mask;

	for (;;) {
		uint32_t v = t->cls_hash[i];

		if (v == 0)
			return i;
		if (strlen(t->cls_name[v - 1]) == n && memcmp(t->cls_name[v - 1], s, n) == 0)
			return i;
		i = (i + 1) & mask;
	}
}

static int rehash(struct sim_trace *t, uint32_t cap)
{
	uint32_t *h = calloc(cap, sizeof(*h));
	uint32_t i;

	if (h == NULL)
		return -1;
	free(t->cls_hash);
	t->cls_hash = h;
	t->cls_hash_cap = cap;
	for (i = 0; i < t->ncls; i++)
		t->cls_hash[hash_slot(t, t->cls_name[i], strlen(t->cls_name[i]))] = i + 1;
	return 0;
}

int sim_trace_class_id(struct sim_trace *t, const char *name, size_t len, uint32_t *id,
		       struct eph_err *err)
{
	uint32_t slot;

	if (!name_ok(name, len))
		return eph_err_set(err, EPH_EFORMAT,
				   "class name must be 1..%d bytes of [A-Za-z0-9._:-]",
				   SIM_CLASS_MAX - 1);
	if (t->cls_hash_cap == 0 && rehash(t, 64) < 0)
		return eph_err_set(err, EPH_ENOMEM, "trace classes: out of memory");
	slot = hash_slot(t, name, len);
	if (t->cls_hash[slot] != 0) {
		*id = t->cls_hash[slot] - 1;
		return 0;
	}
	if (t->ncls >= SIM_TRACE_MAX_CLASSES)
		return eph_err_set(err, EPH_EFAIL, "more than %u classes", SIM_TRACE_MAX_CLASSES);
	if (t->ncls == t->cls_cap) {
		uint32_t cap = t->cls_cap ? t->cls_cap * 2 : 16;
		void *p = realloc(t->cls_name, (size_t)cap * sizeof(*t->cls_name));

		if (p == NULL)
			return eph_err_set(err, EPH_ENOMEM, "trace classes: out of memory");
		t->cls_name = p;
		t->cls_cap = cap;
	}
	memcpy(t->cls_name[t->ncls], name, len);
	t->cls_name[t->ncls][len] = '\0';
	t->cls_hash[slot] = t->ncls + 1;
	*id = t->ncls++;
	if ((uint64_t)t->ncls * 2 > t->cls_hash_cap && rehash(t, t->cls_hash_cap * 2) < 0)
		return eph_err_set(err, EPH_ENOMEM, "trace classes: out of memory");
	return 0;
}

const char *sim_trace_class_name(const struct sim_trace *t, uint32_t id)
{
	return id < t->ncls ? t->cls_name[id] : NULL;
}

int sim_trace_push(struct sim_trace *t, const struct sim_request *r, struct eph_err *err)
{
	if (r->cls >= t->ncls)
		return eph_err_set(err, EPH_EFAIL, "request names unknown class %u", r->cls);
	if (t->n >= SIM_TRACE_MAX_ROWS)
		return eph_err_set(err, EPH_EFAIL, "more than %u requests", SIM_TRACE_MAX_ROWS);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		void *p = realloc(t->req, cap * sizeof(*t->req));

		if (p == NULL)
			return eph_err_set(err, EPH_ENOMEM, "trace: out of memory");
		t->req = p;
		t->cap = cap;
	}
	t->req[t->n++] = *r;
	return 0;
}

/* Stable merge sort by arrival (qsort is not stable). */
static void msort(struct sim_request *a, struct sim_request *tmp, size_t n)
{
	size_t h, i, j, k;

	if (n < 2)
		return;
	h = n / 2;
	msort(a, tmp, h);
	msort(a + h, tmp, n - h);
	if (a[h - 1].arrival_s <= a[h].arrival_s)
		return;
	memcpy(tmp, a, n * sizeof(*a));
	for (i = 0, j = h, k = 0; k < n; k++) {
		if (j >= n || (i < h && tmp[i].arrival_s <= tmp[j].arrival_s))
			a[k] = tmp[i++];
		else
			a[k] = tmp[j++];
	}
}

void sim_trace_sort(struct sim_trace *t)
{
	struct sim_request *tmp;
	size_t i;

	for (i = 1; i < t->n; i++)
		if (t->req[i].arrival_s < t->req[i - 1].arrival_s)
			break;
	if (i >= t->n)
		return;
	tmp = malloc(t->n * sizeof(*tmp));
	if (tmp == NULL) {
		/* Fallback without memory: insertion sort, still stable. */
		for (i = 1; i < t->n; i++) {
			struct sim_request r = t->req[i];
			size_t j = i;

			while (j > 0 && t->req[j - 1].arrival_s > r.arrival_s) {
				t->req[j] = t->req[j - 1];
				j--;
			}
			t->req[j] = r;
		}
		return;
	}
	msort(t->req, tmp, t->n);
	free(tmp);
}

int sim_trace_check(const struct sim_trace *t, struct eph_err *err)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct sim_request *r = &t->req[i];

		if (!isfinite(r->arrival_s) || r->arrival_s < 0 ||
		    (i > 0 && r->arrival_s < t->req[i - 1].arrival_s))
			return eph_err_set(err, EPH_EFORMAT, "request %zu: arrival out of order", i);
		if (!isfinite(r->duration_s) || r->duration_s <= 0)
			return eph_err_set(err, EPH_EFORMAT, "request %zu: duration not > 0", i);
		if (r->cls >= t->ncls || r->role >= SIM_ROLE_N || r->sens >= SIM_SENS_N ||
		    r->usage_src >= SIM_USAGE_N)
			return eph_err_set(err, EPH_EFORMAT, "request %zu: bad class or attribute", i);
		if (!(r->role_conf >= 0 && r->role_conf <= 1 && r->sens_conf >= 0 &&
		      r->sens_conf <= 1))
			return eph_err_set(err, EPH_EFORMAT, "request %zu: confidence outside [0,1]",
					   i);
		if (r->asked_cpu == 0 || r->asked_mem == 0)
			return eph_err_set(err, EPH_EFORMAT, "request %zu: asked size is zero", i);
		if (r->cpu_p50 > r->cpu_p95 || r->cpu_p95 > r->cpu_max || r->mem_p50 > r->mem_p95 ||
		    r->mem_p95 > r->mem_max)
			return eph_err_set(err, EPH_EFORMAT,
					   "request %zu: usage percentiles not ordered", i);
	}
	return 0;
}

static int copy_classes(struct sim_trace *dst, const struct sim_trace *src, struct eph_err *err)
{
	uint32_t i, id;
	int rc;

	for (i = 0; i < src->ncls; i++) {
		rc = sim_trace_class_id(dst, src->cls_name[i], strlen(src->cls_name[i]), &id, err);
		if (rc < 0)
			return rc;
	}
	dst->cap_cpu = src->cap_cpu;
	dst->cap_mem = src->cap_mem;
	memcpy(dst->source, src->source, sizeof(dst->source));
	return 0;
}

int sim_trace_split_time(struct sim_trace **train, struct sim_trace **held,
			 const struct sim_trace *t, double frac, struct eph_err *err)
{
	struct sim_trace *a = NULL, *b = NULL;
	double cut;
	size_t i;
	int rc;

	*train = NULL;
	*held = NULL;
	if (!(frac > 0 && frac < 1) || t->n == 0)
		return eph_err_set(err, EPH_EFAIL, "split: need 0 < frac < 1 and a non-empty trace");
	/* the arrival time of the request at the frac quantile of the count: a
	 * time split that keeps frac of the requests for training even when
	 * arrivals bunch (Alibaba's pods) */
	cut = t->req[(size_t)(frac * (double)t->n)].arrival_s;
	if (cut <= t->req[0].arrival_s)
		cut = nextafter(t->req[0].arrival_s, INFINITY);
	rc = sim_trace_new(&a, err);
	if (rc < 0)
		goto out;
	rc = sim_trace_new(&b, err);
	if (rc < 0)
		goto out;
	rc = copy_classes(a, t, err);
	if (rc < 0)
		goto out;
	rc = copy_classes(b, t, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < t->n; i++) {
		rc = sim_trace_push(t->req[i].arrival_s < cut ? a : b, &t->req[i], err);
		if (rc < 0)
			goto out;
	}
	*train = a;
	*held = b;
	return 0;
out:
	sim_trace_free(a);
	sim_trace_free(b);
	return rc;
}

int sim_trace_class_find(const struct sim_trace *t, const char *name, size_t len, uint32_t *id)
{
	uint32_t v;

	if (t->cls_hash_cap == 0 || !name_ok(name, len))
		return -1;
	v = t->cls_hash[hash_slot(t, name, len)];
	if (v == 0)
		return -1;
	*id = v - 1;
	return 0;
}

void sim_conv_opts_default(struct sim_conv_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->window_s = 3600;
	o->max_per_minute = 0;
	o->max_duration_s = 0;
}
