/*
 * qnet_transitions_fuzzer.c - libFuzzer target for the transitions CSV
 * (broker/qnet: qnet_transitions_parse, docs/qnet-model-format.md), the
 * store's export that ephemera-train replays, with a round-trip oracle
 * through the row formatter.
 *
 * Input: the CSV text, e.g.
 *   # ephemera-transitions v1\n
 *   s0,s1,action,mask,reward,n0,n1,next_mask,done\n
 *   0.5,-1,1,0x3,-0.25,0,0,0x3,1\n
 * Seeds: tests/fuzz/corpora/qnet_transitions/ (tests/fuzz/make-json-seeds.py).
 *
 * Contracts checked (abort when broken): a refusal is EPH_EFORMAT (or
 * EPH_ENOMEM) with a message and leaves *out NULL; an accepted file has a
 * state width of 1..QNET_CSV_MAX_DIM, actions below 64 whose bit is set in
 * their mask, done flags of 0 or 1, finite values; the first rows format
 * again (qnet_transitions_header and _row, the store's writer) and that
 * text parses back to the same row.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "qnet_transitions_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

/* Row i of tr, formatted with the store's writer, must parse back to itself. */
static void round_trip(const struct qnet_transitions *tr, size_t i)
{
	static char buf[2 * QNET_CSV_ROW_MAX];
	struct eph_err err = {{0}};
	struct qnet_transition one;
	struct qnet_transitions *back = NULL;
	unsigned d = tr->dim, k;
	int h, r;

	one.state = tr->state + i * d;
	one.action = tr->action[i];
	one.mask = tr->mask[i];
	one.reward = tr->reward[i];
	one.next_state = tr->next_state + i * d;
	one.next_mask = tr->next_mask[i];
	one.done = tr->done[i];
	h = qnet_transitions_header(buf, QNET_CSV_ROW_MAX, d);
	check(h > 0, "header of an accepted width", NULL);
	r = qnet_transitions_row(buf + h, sizeof(buf) - (size_t)h, &one, d);
	check(r > 0, "row of an accepted transition", NULL);
	check(qnet_transitions_parse(&back, (const uint8_t *)buf, (size_t)(h + r), &err) == 0,
	      "own row does not parse", &err);
	check(back->n == 1 && back->dim == d, "round trip changes the shape", NULL);
	check(back->action[0] == one.action && back->mask[0] == one.mask &&
		      back->done[0] == one.done && back->reward[0] == one.reward,
	      "round trip changes a field", NULL);
	/* The writer zeroes the next state and next_mask of a final step. */
	check(one.done || back->next_mask[0] == one.next_mask, "round trip changes next_mask",
	      NULL);
	for (k = 0; k < d; k++) {
		check(back->state[k] == one.state[k], "round trip changes the state", NULL);
		check(one.done || back->next_state[k] == one.next_state[k],
		      "round trip changes the next state", NULL);
	}
	qnet_transitions_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	struct qnet_transitions *tr = (struct qnet_transitions *)&err;
	size_t i, k;
	int rc;

	rc = qnet_transitions_parse(&tr, data, size, &err);
	if (rc < 0) {
		check(tr == NULL, "failed parse left *out set", &err);
		check(rc == EPH_EFORMAT || rc == EPH_ENOMEM, "refusal code", &err);
		check(err.msg[0] != '\0', "refusal without a message", &err);
		return 0;
	}
	check(rc == 0 && tr != NULL, "success without transitions", &err);
	check(tr->n == 0 || (tr->dim >= 1 && tr->dim <= QNET_CSV_MAX_DIM), "state width", NULL);
	for (i = 0; i < tr->n; i++) {
		check(tr->action[i] < 64 && (tr->mask[i] >> tr->action[i] & 1),
		      "action outside its mask", NULL);
		check(tr->done[i] <= 1, "done flag", NULL);
		check(isfinite(tr->reward[i]), "reward not finite", NULL);
		for (k = 0; k < tr->dim; k++)
			check(isfinite(tr->state[i * tr->dim + k]) &&
				      isfinite(tr->next_state[i * tr->dim + k]),
			      "state not finite", NULL);
		if (i < 4)
			round_trip(tr, i);
	}
	qnet_transitions_free(tr);
	return 0;
}
