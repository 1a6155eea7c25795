/*
 * main.c - ephemera-train: the command line of the Q-network's trainer
 * (subcommands train, offline, quantize, eval, inspect), its --help and its
 * exit codes. Each subcommand lives in cmd_*.c.
 *
 * Not here: any training or evaluation logic.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

static const char help_text[] =
"NAME\n"
"    ephemera-train - train, quantize, evaluate and inspect the broker's Q-network\n"
"\n"
"SYNOPSIS\n"
"    ephemera-train train    TRACE [--episodes N] [--seed S] --out MODEL [training options]\n"
"    ephemera-train offline  --transitions FILE --init MODEL --out MODEL [--steps N]\n"
"    ephemera-train quantize --in MODEL (TRACE | --transitions FILE) [--calib N] --out MODEL\n"
"    ephemera-train eval     --model MODEL TRACE [--csv FILE [--png FILE]]\n"
"    ephemera-train inspect  MODEL\n"
"    ephemera-train --help | SUBCOMMAND --help\n"
"\n"
"    TRACE is one of\n"
"        --trace FILE         a trace in Ephemera's CSV schema (docs/sim-trace-format.md)\n"
"        --bitbrains DIR      GWA-T-12 Bitbrains: every *.csv in DIR, one VM each\n"
"        --azure DIR          Azure Functions 2019 (invitro layout: invocations.csv,\n"
"                             durations.csv, memory.csv)\n"
"        --alibaba FILE       Alibaba cluster-trace-gpu-v2023 pod list\n"
"                             [--alibaba-nodes FILE: the node list, sets the host pool]\n"
"        --synthetic N        a seeded synthetic trace of N requests (smoke tests)\n"
"\n"
"DESCRIPTION\n"
"    The broker chooses each environment's configuration (size x count x pre-warm) with\n"
"    a small Q-network (32 -> H -> H -> actions, ReLU), trained here by DQN against the\n"
"    trace-driven simulator and served as an int8 network (integer-only inference).\n"
"    docs/learner.md explains training, evaluation and the measured figures.\n"
"\n"
"    The trace is split by time: the first --split share (default 0.8) trains, the rest\n"
"    is held out for eval (--all uses the whole trace for both).\n"
"\n"
"    train     DQN (experience replay, target network, epsilon-greedy with linear\n"
"              decay, Huber loss, Adam, Double DQN targets, advantage learning) over\n"
"              episodes of --episode-len decisions of the training part. Each workload\n"
"              class is its own chain: a transition links a decision to the class's\n"
"              next decision (its warm pool is what one decision leaves to the next).\n"
"              The state normalisation is fitted on one random-policy episode first;\n"
"              rewards are normalised by the mean and standard deviation of the\n"
"              VPA-style baseline's rewards on the training part (an argmax-neutral\n"
"              shift and scale). Then the network is calibrated on --calib states\n"
"              (half from the greedy policy over the training part, half from the\n"
"              replay buffer) and quantized; the model file holds both the float and\n"
"              the int8 network. Deterministic: the\n"
"              same trace, options and seed give the same file (set --date or\n"
"              SOURCE_DATE_EPOCH so that the metadata date is the same too).\n"
"    offline   Fine-tune --init MODEL on transitions the broker stored in production\n"
"              (CSV, docs/qnet-model-format.md): --steps minibatch updates over them,\n"
"              then re-quantize on their states.\n"
"    quantize  Re-calibrate and re-quantize a model: on --calib states that its own\n"
"              greedy policy visits on the training part of TRACE, or on the first\n"
"              --calib states of --transitions FILE.\n"
"    eval      Every policy on the held-out part, one episode each, same seed: static,\n"
"              asked, VPA-style (p90 + 15%, with and without one pre-warmed\n"
"              environment), the float DQN, the int8 DQN, the int8 DQN restricted\n"
"              to pre-warm 0 (the no-pre-warm variant), the oracle (true usage of\n"
"              each request, and HINDSIGHT pre-warm: it knows when the class arrives\n"
"              next) and the oracle without pre-warm. Prints cost, cost ratio to the\n"
"              oracle, shortfall events (throttle + OOM + rejected), cold starts and\n"
"              mean reward, the int8/float argmax agreement on the held-out states,\n"
"              and whether the goals hold (int8 cost within 10% of the oracle, no\n"
"              more shortfall events than VPA, fewer cold starts than the\n"
"              no-pre-warm variant).\n"
"    inspect   Check a model file and print its shape, metadata, normalisation and\n"
"              action table.\n"
"\n"
"TRAINING OPTIONS (defaults in brackets)\n"
"    --episodes N       episodes [200]\n"
"    --episode-len N    decisions per episode, a seeded window of the trace [2000]\n"
"    --seed S           seed of everything random [1]\n"
"    --hidden H         hidden width [64]\n"
"    --lr X             Adam step [5e-4]         --gamma X    discount [0.9]\n"
"    --lr-end X         decay the step linearly to X over the run [constant]\n"
"    --al-alpha X       advantage learning: the target loses X * (max_b Q(s,b) -\n"
"                       Q(s,a)); widens the gap between the best action and the\n"
"                       others (robust to int8 rounding); 0 = plain DQN [0.9]\n"
"    --train-every N    environment steps per gradient update [1]\n"
"    --no-chain         link consecutive decisions, not a class's decisions\n"
"    --no-reward-norm   raw rewards (times --reward-scale)\n"
"    --batch N          minibatch [64]           --replay N   replay size [100000]\n"
"    --warmup N         transitions before learning [1000]\n"
"    --eps-decay N      steps of epsilon decay 1 -> 0.05 [50000]\n"
"    --target-every N   updates between target copies [500]\n"
"    --reward-scale X   rewards are multiplied by X, no shift [automatic, see train]\n"
"    --lambda X --mu X  reward weights: cu per shortfall unit, cu per cold second\n"
"                       [the simulator's: 1, 0.01]\n"
"    --max-per-minute N Azure: invocations kept per function-minute [2]\n"
"    --calib N          calibration states for quantization [10000]\n"
"    --steps N          offline: minibatch updates [10000]\n"
"    --progress N       a progress line on stderr every N episodes (offline: every\n"
"                       100 N updates) [10]; --quiet: none\n"
"    --date STR         metadata date [SOURCE_DATE_EPOCH or now, ISO 8601 UTC]\n"
"    --static-size K    eval: size index of the static policy [3]\n"
"    --split F          training share of the trace by time [0.8]; --all: no split\n"
"\n"
"OUTPUT\n"
"    Model files: CBOR, [\"EPHQNET\", 1, payload, SHA-256(payload)] (see\n"
"    docs/qnet-model-format.md); refused on load if anything is off. Progress lines\n"
"    (stderr): episode, environment steps, mean reward per episode, mean Huber loss,\n"
"    epsilon and elapsed time over the last N episodes. eval prints a table on stdout;\n"
"    --csv writes one row per policy, --png (needs --csv and gnuplot) three bar charts.\n"
"\n"
"EXIT STATUS\n"
"    0 success; 1 run-time failure (I/O, memory, simulator); 2 bad command line;\n"
"    3 an input was refused (model file, trace, transitions).\n"
"\n"
"EXAMPLES\n"
"    ephemera-train train --bitbrains /work/shared/traces/bitbrains_rnd \\\n"
"        --episodes 300 --seed 1 --out bb.cbor\n"
"    ephemera-train eval --model bb.cbor --bitbrains /work/shared/traces/bitbrains_rnd \\\n"
"        --csv bb.csv --png bb.png\n"
"    ephemera-train offline --transitions store-export.csv --init bb.cbor --out bb2.cbor\n"
"    ephemera-train inspect bb.cbor\n";

void tr_usage(FILE *fp, const char *cmd)
{
	(void)cmd;
	fputs(help_text, fp);
}

enum {
	O_TRACE = 256, O_BITBRAINS, O_AZURE, O_ALIBABA, O_ALIBABA_NODES, O_SYNTHETIC, O_SPLIT,
	O_ALL, O_LAMBDA, O_MU, O_MPM, O_EPISODES, O_EPLEN, O_STEPS, O_CALIB, O_PROGRESS,
	O_HIDDEN, O_SEED, O_LR, O_GAMMA, O_RSCALE, O_BATCH, O_TARGET, O_REPLAY, O_EPSDECAY,
	O_WARMUP, O_IN, O_OUT, O_MODEL, O_TRANSITIONS, O_INIT, O_CSV, O_PNG, O_DATE, O_STATIC,
	O_QUIET, O_HELP, O_LREND, O_ALALPHA, O_TRAINEVERY, O_NOCHAIN, O_NORNORM,
};

static const struct option longopts[] = {
	{ "trace", required_argument, NULL, O_TRACE },
	{ "bitbrains", required_argument, NULL, O_BITBRAINS },
	{ "azure", required_argument, NULL, O_AZURE },
	{ "alibaba", required_argument, NULL, O_ALIBABA },
	{ "alibaba-nodes", required_argument, NULL, O_ALIBABA_NODES },
	{ "synthetic", required_argument, NULL, O_SYNTHETIC },
	{ "split", required_argument, NULL, O_SPLIT },
	{ "all", no_argument, NULL, O_ALL },
	{ "lambda", required_argument, NULL, O_LAMBDA },
	{ "mu", required_argument, NULL, O_MU },
	{ "max-per-minute", required_argument, NULL, O_MPM },
	{ "episodes", required_argument, NULL, O_EPISODES },
	{ "episode-len", required_argument, NULL, O_EPLEN },
	{ "steps", required_argument, NULL, O_STEPS },
	{ "calib", required_argument, NULL, O_CALIB },
	{ "progress", required_argument, NULL, O_PROGRESS },
	{ "hidden", required_argument, NULL, O_HIDDEN },
	{ "seed", required_argument, NULL, O_SEED },
	{ "lr", required_argument, NULL, O_LR },
	{ "gamma", required_argument, NULL, O_GAMMA },
	{ "reward-scale", required_argument, NULL, O_RSCALE },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "target-every", required_argument, NULL, O_TARGET },
	{ "replay", required_argument, NULL, O_REPLAY },
	{ "eps-decay", required_argument, NULL, O_EPSDECAY },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "in", required_argument, NULL, O_IN },
	{ "out", required_argument, NULL, O_OUT },
	{ "model", required_argument, NULL, O_MODEL },
	{ "transitions", required_argument, NULL, O_TRANSITIONS },
	{ "init", required_argument, NULL, O_INIT },
	{ "csv", required_argument, NULL, O_CSV },
	{ "png", required_argument, NULL, O_PNG },
	{ "date", required_argument, NULL, O_DATE },
	{ "static-size", required_argument, NULL, O_STATIC },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "help", no_argument, NULL, O_HELP },
	{ "lr-end", required_argument, NULL, O_LREND },
	{ "al-alpha", required_argument, NULL, O_ALALPHA },
	{ "train-every", required_argument, NULL, O_TRAINEVERY },
	{ "no-chain", no_argument, NULL, O_NOCHAIN },
	{ "no-reward-norm", no_argument, NULL, O_NORNORM },
	{ NULL, 0, NULL, 0 },
};

static int num(const char *s, double lo, double hi, double *v)
{
	char *end = NULL;

	errno = 0;
	*v = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && isfinite(*v) && *v >= lo && *v <= hi ?
		       0 :
		       -1;
}

static int integer(const char *s, unsigned long long lo, unsigned long long hi,
		   unsigned long long *v)
{
	char *end = NULL;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' && *v >= lo && *v <= hi ? 0 : -1;
}

static void defaults(struct tr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->split = 0.8;
	o->lambda = o->mu = -1;
	o->max_per_minute = 2;
	o->episodes = 200;
	o->episode_len = 2000;
	o->steps = 10000;
	o->calib = 10000;
	o->progress = 10;
	o->hidden = 64;
	o->seed = 1;
	o->gamma = -1;
	o->al_alpha = -1;
	o->static_size = 3;
}

/* Parse one option into o; -1 on a bad value. */
static int set_opt(struct tr_opts *o, int c, const char *a)
{
	unsigned long long u = 0;
	double d = 0;

	switch (c) {
	case O_TRACE: o->trace = a; return 0;
	case O_BITBRAINS: o->bitbrains = a; return 0;
	case O_AZURE: o->azure = a; return 0;
	case O_ALIBABA: o->alibaba = a; return 0;
	case O_ALIBABA_NODES: o->alibaba_nodes = a; return 0;
	case O_IN: o->in = a; return 0;
	case O_OUT: o->out = a; return 0;
	case O_MODEL: o->model = a; return 0;
	case O_TRANSITIONS: o->transitions = a; return 0;
	case O_INIT: o->init = a; return 0;
	case O_CSV: o->csv = a; return 0;
	case O_PNG: o->png = a; return strchr(a, '\'') != NULL ? -1 : 0;
	case O_DATE: o->date = a; return strlen(a) < QNET_DATE_MAX ? 0 : -1;
	case O_ALL: o->whole = 1; return 0;
	case O_QUIET: o->quiet = 1; return 0;
	case O_NOCHAIN: o->no_chain = 1; return 0;
	case O_NORNORM: o->no_reward_norm = 1; return 0;
	case O_ALALPHA: if (num(a, 0, 0.99, &d) < 0) return -1; o->al_alpha = (float)d; return 0;
	case O_LREND: if (num(a, 1e-9, 1, &d) < 0) return -1; o->lr_end = (float)d; return 0;
	case O_SPLIT: return num(a, 0.01, 0.99, &o->split);
	case O_LAMBDA: return num(a, 0, 1e9, &o->lambda);
	case O_MU: return num(a, 0, 1e9, &o->mu);
	case O_LR: if (num(a, 1e-9, 1, &d) < 0) return -1; o->lr = (float)d; return 0;
	case O_GAMMA: if (num(a, 0, 1, &d) < 0) return -1; o->gamma = (float)d; return 0;
	case O_RSCALE: if (num(a, 1e-9, 1e9, &d) < 0) return -1; o->reward_scale = (float)d; return 0;
	default: break;
	}
	if (integer(a, 0, 1ull << 40, &u) < 0)
		return -1;
	switch (c) {
	case O_SYNTHETIC: o->synthetic = (unsigned long)u; return u > 0 ? 0 : -1;
	case O_MPM: o->max_per_minute = (unsigned)u; return 0;
	case O_EPISODES: o->episodes = (unsigned long)u; return u > 0 ? 0 : -1;
	case O_EPLEN: o->episode_len = (unsigned long)u; return 0;
	case O_STEPS: o->steps = (unsigned long)u; return u > 0 ? 0 : -1;
	case O_CALIB: o->calib = (unsigned long)u; return u > 0 && u <= 1000000 ? 0 : -1;
	case O_PROGRESS: o->progress = (unsigned long)u; return u > 0 ? 0 : -1;
	case O_HIDDEN: o->hidden = (unsigned)u; return u >= 1 && u <= QNET_MAX_WIDTH ? 0 : -1;
	case O_SEED: o->seed = u; return 0;
	case O_BATCH: o->batch = (unsigned)u; return u >= 1 && u <= 4096 ? 0 : -1;
	case O_TARGET: o->target_every = (unsigned)u; return u >= 1 ? 0 : -1;
	case O_TRAINEVERY: o->train_every = (unsigned)u; return u >= 1 && u <= 1000 ? 0 : -1;
	case O_REPLAY: o->replay = (unsigned long)u; return u >= 1 && u <= 10000000 ? 0 : -1;
	case O_EPSDECAY: o->eps_decay = (unsigned long)u; return 0;
	case O_WARMUP: o->warmup = (unsigned long)u; return 0;
	case O_STATIC: o->static_size = (unsigned)u; return u < 64 ? 0 : -1;
	default: return -1;
	}
}

static int bad(const char *msg)
{
	fprintf(stderr, "ephemera-train: %s (see ephemera-train --help)\n", msg);
	return TR_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct tr_opts o;
	int c, ntrace, li = 0;

	defaults(&o);
	if (argc < 2)
		return bad("no subcommand");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		tr_usage(stdout, NULL);
		return TR_EXIT_OK;
	}
	o.cmd = argv[1];
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		if (c == 'h' || c == O_HELP) {
			tr_usage(stdout, o.cmd);
			return TR_EXIT_OK;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, "ephemera-train: unknown option or missing value: %s\n",
				argv[optind - 1]);
			return TR_EXIT_USAGE;
		}
		if (set_opt(&o, c, optarg) < 0) {
			fprintf(stderr, "ephemera-train: bad value for --%s: %s\n", longopts[li].name,
				optarg);
			return TR_EXIT_USAGE;
		}
	}
	if (optind < argc)
		o.positional = argv[optind++];
	if (optind < argc)
		return bad("too many arguments");
	ntrace = (o.trace != NULL) + (o.bitbrains != NULL) + (o.azure != NULL) +
		 (o.alibaba != NULL) + (o.synthetic > 0);
	if (ntrace > 1)
		return bad("give one trace source");
	if (strcmp(o.cmd, "train") == 0) {
		if (ntrace != 1 || o.out == NULL || o.positional != NULL)
			return bad("train needs a trace and --out");
		return tr_cmd_train(&o);
	}
	if (strcmp(o.cmd, "offline") == 0) {
		if (o.transitions == NULL || o.init == NULL || o.out == NULL || o.positional)
			return bad("offline needs --transitions, --init and --out");
		return tr_cmd_offline(&o);
	}
	if (strcmp(o.cmd, "quantize") == 0) {
		if (o.in == NULL || o.out == NULL || (ntrace == 1) == (o.transitions != NULL) ||
		    o.positional)
			return bad("quantize needs --in, --out and a trace or --transitions");
		return tr_cmd_quantize(&o);
	}
	if (strcmp(o.cmd, "eval") == 0) {
		if (o.model == NULL || ntrace != 1 || o.positional)
			return bad("eval needs --model and a trace");
		if (o.png != NULL && o.csv == NULL)
			return bad("--png needs --csv");
		return tr_cmd_eval(&o);
	}
	if (strcmp(o.cmd, "inspect") == 0) {
		if (o.positional == NULL)
			return bad("inspect needs a model file");
		return tr_cmd_inspect(&o);
	}
	return bad("unknown subcommand");
}
