/*
 * sim-priv.h - what the simulator's files share: the PRNG, the CSV line
 * reader, the environment's internals and the class history.
 *
 * Not a public interface: broker/qnet and tools use sim.h only.
 */
#ifndef SIM_PRIV_H
#define SIM_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "eph_rng.h"
#include "sim.h"

/* ---- PRNG: xoshiro256** seeded through splitmix64 (never rand()) ---- */

struct sim__rng {
	struct eph_rng g; /* common/eph_rng.h */
};

uint64_t sim__splitmix64(uint64_t *x);
void sim__rng_seed(struct sim__rng *r, uint64_t seed);
uint64_t sim__rng_next(struct sim__rng *r);
/* Uniform in [0, 1). */
double sim__rng_unif(struct sim__rng *r);
/* Standard normal (Box-Muller). */
double sim__rng_norm(struct sim__rng *r);
/* A uniform in [0, 1) that depends only on (a, b, c): stateless sampling. */
double sim__hash_unif(uint64_t a, uint64_t b, uint64_t c);

/* ---- CSV: fields of one line of untrusted text ---- */

#define SIM__CSV_MAX_FIELDS 1600

struct sim__field {
	const char *p; /* not NUL-terminated */
	size_t n;
};

struct sim__lines {
	const char *buf;
	size_t len;
	size_t pos;
	size_t line; /* 1-based number of the line last returned */
};

void sim__lines_init(struct sim__lines *l, const uint8_t *buf, size_t len);
/* Next line without its "\n" or "\r\n"; 0 at the end. EPH_EFORMAT on a NUL byte. */
int sim__lines_next(struct sim__lines *l, const char **p, size_t *n, struct eph_err *err);
/*
 * Split a line at sep (one byte); a field's surrounding spaces and tabs are
 * trimmed. No quoting: a '"' is an error. Returns the field count or
 * EPH_EFORMAT when there are more than max.
 */
int sim__split(const char *p, size_t n, char sep, struct sim__field *f, unsigned max);
/* Strict numbers: decimal only (no hex, inf, nan), whole field consumed. */
int sim__f_double(const struct sim__field *f, double lo, double hi, double *v);
int sim__f_u64(const struct sim__field *f, uint64_t lo, uint64_t hi, uint64_t *v);
int sim__f_eq(const struct sim__field *f, const char *s);

/* Index of the header field named name, or -1. */
int sim__col(const struct sim__field *hdr, int n, const char *name);
/* Percentile (nearest rank) of n values, sorted in place. */
double sim__pct_d(double *v, size_t n, double p);
/* Inverse CDF through knots (q[i], x[i]), q ascending in [0,1]; u in [0,1). */
double sim__knots(const double *q, const double *x, unsigned n, double u);

/* Read a whole file for a converter (bounded). */
int sim__read_file(uint8_t **buf, size_t *len, const char *path, struct eph_err *err);

/* ---- class history (sim_hist.c) ---- */

#define SIM__HIST_MAX 256

struct sim__hist {
	float cpu[SIM__HIST_MAX]; /* per-request CPU peaks, ring */
	float mem[SIM__HIST_MAX];
	float dur[SIM__HIST_MAX];
	uint32_t over;            /* ring entries whose memory peak exceeded asked */
	uint8_t over_bit[SIM__HIST_MAX];
	unsigned n, head;
	/* cached percentiles, recomputed on insert */
	float cpu_p50, cpu_p95, cpu_max, mem_p50, mem_p95, mem_max, dur_p50, dur_p95;
};

void sim__hist_add(struct sim__hist *h, unsigned len, const struct sim_request *r);
/* Percentile by nearest rank of n sorted floats. */
float sim__pct(const float *sorted, unsigned n, double p);

/* ---- environment ---- */

struct sim__event {
	double t;
	uint32_t kind;  /* SIM__EV_END or SIM__EV_WARM */
	uint32_t cls;
	uint64_t tag;   /* END: trace index; WARM: pool generation */
	double cpu, mem; /* capacity to release */
};

#define SIM__EV_END 0u
#define SIM__EV_WARM 1u

struct sim__pool {
	uint32_t n;          /* warm environments */
	uint8_t size;
	double ready_at[SIM_MAX_PREWARM]; /* boot done */
	double expire_at;
	uint64_t gen;        /* bumped on every change; stale WARM events are ignored */
};

struct sim__cls {
	struct sim__hist hist;
	struct sim__pool pool;
	double last_arrival; /* < 0: none yet */
	double gap_ewma;     /* valid once narr >= 2 */
	uint32_t narr;       /* arrivals so far this episode */
	double rate;         /* decayed arrival count */
	double rate_t;
};

struct sim_env {
	const struct sim_trace *trace;
	struct sim_config cfg;
	struct sim_norm norm;
	struct sim_action actions[SIM_MAX_ACTIONS];
	unsigned nactions;
	size_t *next_same;   /* per trace index: next index of the same class, SIZE_MAX if none */
	struct sim__cls *cls;
	struct sim__event *heap;
	size_t heap_n, heap_cap;
	const struct sim_request **done;
	size_t ndone, done_cap;
	double free_cpu, free_mem;
	uint32_t warm_total;
	double total_rate, total_rate_t;
	size_t begin, end, cur; /* episode [begin, end), cur = pending decision */
	int active;
	struct sim_decision dec;
	struct sim_outcome last;
};

/* Event queue (sim_heap.c): push fails (-1) only without memory. */
int sim__heap_push(sim_env *e, const struct sim__event *ev);
void sim__heap_pop(sim_env *e, struct sim__event *ev);

/* Action table and mask (sim_config.c). */
unsigned sim__build_actions(const struct sim_config *c, struct sim_action *a);
uint64_t sim__mask(const sim_env *env, const struct sim_request *r);
double sim__cold_s(const struct sim_config *c, unsigned size, unsigned sens);

#endif
