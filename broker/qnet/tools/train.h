/*
 * train.h - what the files of ephemera-train share: the parsed command
 * line, the exit codes, the trace / simulator set-up and the subcommands.
 * The work is done by libqnet and libsim; these files only wire them up.
 */
#ifndef TRAIN_H
#define TRAIN_H

#include <stdint.h>

#include "qnet.h"
#include "sim.h"

/* Exit codes (documented in --help; only grow at the end). */
enum {
	TR_EXIT_OK = 0,
	TR_EXIT_FAIL = 1,  /* a run-time failure (I/O, memory, the simulator) */
	TR_EXIT_USAGE = 2, /* bad command line */
	TR_EXIT_INPUT = 3, /* an input refused: model file, trace, transitions */
};

struct tr_opts {
	const char *cmd;
	/* trace source: exactly one */
	const char *trace, *bitbrains, *azure, *alibaba, *alibaba_nodes;
	unsigned long synthetic;     /* --synthetic N: a synthetic trace of N requests */
	double split;                /* train share by time */
	int whole;                   /* --all: evaluate on the whole trace */
	double lambda, mu;           /* < 0: the simulator's defaults */
	unsigned max_per_minute;
	/* training */
	unsigned long episodes, episode_len, steps, calib, progress;
	unsigned hidden;
	uint64_t seed;
	float lr, gamma, reward_scale;
	unsigned batch, target_every, train_every;
	float lr_end, al_alpha;
	int no_chain, no_reward_norm;
	unsigned long replay, eps_decay, warmup;
	/* files */
	const char *in, *out, *model, *transitions, *init, *csv, *png, *date;
	unsigned static_size;
	int quiet;
	const char *positional;      /* inspect MODEL */
};

/* main.c */
void tr_usage(FILE *fp, const char *cmd);

/* simsrc.c: load the trace named by the options and split it. */
struct tr_sim {
	struct sim_trace *all, *train, *held;
	struct sim_config cfg;
	const char *name; /* for metadata: the path given */
};
int tr_sim_load(struct tr_sim *s, const struct tr_opts *o, struct eph_err *err);
void tr_sim_free(struct tr_sim *s);
/* A new env over t with s->cfg (episode_len as given). */
int tr_sim_env(sim_env **out, const struct tr_sim *s, const struct sim_trace *t,
	       size_t episode_len, struct eph_err *err);
/* qnet's view of a sim env; chained: one chain per workload class. */
void tr_qnet_env(struct qnet_env *q, sim_env *env, int chained);
/*
 * Mean and standard deviation of the per-decision reward of the VPA-style
 * baseline over one episode of env (the reward normalisation of training:
 * a reference policy's rewards, not the random policy's, whose OOM
 * penalties would dwarf the differences between good actions).
 */
int tr_reward_stats(sim_env *env, uint64_t seed, double *mean, double *sd, struct eph_err *err);
/* Model norm <-> sim norm, action tables. */
void tr_norm_to_sim(const qnet_model *m, struct sim_norm *n);
int tr_actions_from_sim(qnet_model *m, const sim_env *env, struct eph_err *err);
int tr_check_actions(const qnet_model *m, const sim_env *env, struct eph_err *err);
/* "2026-11-25T12:00:00Z": --date, else SOURCE_DATE_EPOCH, else now. */
void tr_date(char *buf, size_t cap, const char *given);

/* the subcommands */
int tr_cmd_train(const struct tr_opts *o);
int tr_cmd_offline(const struct tr_opts *o);
int tr_cmd_quantize(const struct tr_opts *o);
int tr_cmd_inspect(const struct tr_opts *o);
int tr_cmd_eval(const struct tr_opts *o);

/* Map a library code to an exit code: refused inputs vs failures. */
int tr_exit_for(int rc);

#endif
