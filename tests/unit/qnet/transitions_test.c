/*
 * transitions_test.c - the transitions CSV: rows written by the export
 * functions parse back bit-exact, offline updates run on them, and malformed
 * files are refused with the line number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "qnet.h"
#include "tinyenv.h"

Test(qnet_transitions, round_trip_and_offline_update)
{
	char *csv = malloc(200 * QNET_CSV_ROW_MAX), row[QNET_CSV_ROW_MAX];
	float s[BANDIT_DIM], s2[BANDIT_DIM];
	struct qnet_transition tr = { .state = s, .next_state = s2 };
	struct qnet_transitions *t = NULL;
	uint64_t rng = 8, mask;
	struct eph_err err = {{0}};
	size_t n = 0, k;
	int len;

	len = qnet_transitions_header(row, sizeof(row), BANDIT_DIM);
	cr_assert_gt(len, 0);
	n += (size_t)snprintf(csv + n, 64, "# ephemera-transitions v1\n");
	memcpy(csv + n, row, (size_t)len);
	n += (size_t)len;
	for (k = 0; k < 100; k++) {
		tiny_bandit_sample(&rng, s, &mask);
		tiny_bandit_sample(&rng, s2, &tr.next_mask);
		tr.action = (unsigned)(k % BANDIT_ACTIONS);
		tr.mask = mask | 1ull << tr.action;
		tr.reward = tiny_bandit_reward(s, tr.action) * 1e-3f;
		tr.done = k % 10 == 9;
		len = qnet_transitions_row(row, sizeof(row), &tr, BANDIT_DIM);
		cr_assert_gt(len, 0);
		memcpy(csv + n, row, (size_t)len);
		n += (size_t)len;
	}
	cr_assert_eq(qnet_transitions_parse(&t, (const uint8_t *)csv, n, &err), 0, "%s", err.msg);
	cr_assert_eq(t->n, 100);
	cr_assert_eq(t->dim, BANDIT_DIM);
	/* the last row written is row 99: check it bit for bit */
	cr_expect_eq(memcmp(t->state + 99 * BANDIT_DIM, s, sizeof(s)), 0);
	cr_expect_eq(t->reward[99], tr.reward);
	cr_expect_eq(t->done[99], 1);
	cr_expect_eq(t->next_mask[99], 0);
	cr_expect_eq(t->action[98], 98 % BANDIT_ACTIONS);
	cr_expect_eq(t->mask[99], tr.mask);

	/* offline: feed them to a trainer and take gradient steps */
	{
		unsigned dims[] = { BANDIT_DIM, 16, BANDIT_ACTIONS };
		struct qnet_train_cfg cfg;
		qnet_model *m = NULL;
		qnet_trainer *tt = NULL;
		float loss;

		cr_assert_eq(qnet_model_new(&m, dims, 2, 1, &err), 0);
		qnet_train_cfg_default(&cfg);
		cr_assert_eq(qnet_trainer_new(&tt, m, &cfg, &err), 0);
		for (k = 0; k < t->n; k++) {
			struct qnet_transition o = {
				.state = t->state + k * t->dim, .action = t->action[k],
				.reward = t->reward[k], .next_state = t->next_state + k * t->dim,
				.next_mask = t->next_mask[k], .done = t->done[k],
			};
			cr_assert_eq(qnet_trainer_observe(tt, &o, &err), 0, "%s", err.msg);
		}
		for (k = 0; k < 20; k++)
			cr_assert_eq(qnet_trainer_update(tt, &loss, &err), 0, "%s", err.msg);
		qnet_trainer_free(tt);
		qnet_model_free(m);
	}
	qnet_transitions_free(t);
	free(csv);
}

Test(qnet_transitions, malformed_refused)
{
	static const char *bad[] = {
		"",
		"s0,action,reward,n0,next_mask,done\n",
		"s1,action,mask,reward,n0,next_mask,done\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,0,0x1,1,1,0x1,2\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,64,0x1,1,1,0x1,0\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,0,0x1,1,1,1,0\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,0,0x1,1,1,0x,0\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,0,0x1,1,1,0x11111111111111111,0\n",
		"s0,action,mask,reward,n0,next_mask,done\nnan,0,0x1,1,1,0x1,0\n",
		"s0,action,mask,reward,n0,next_mask,done\ninf,0,0x1,1,1,0x1,0\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,0,0x1,1,1,0x1,0,\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,0,0x1,1,1,0x1\n",
		"s0,action,mask,reward,n0,next_mask,done\n 1,0,0x1,1,1,0x1,0\n",
		"s0,action,mask,reward,n0,next_mask,done\n1x,0,0x1,1,1,0x1,0\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,-1,0x1,1,1,0x1,0\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,1,0x1,1,1,0x1,0\n",
		"s0,action,mask,reward,n0,next_mask,done\n1,0,0x2,1,1,0x1,0\n",
	};
	struct qnet_transitions *t = NULL;
	struct eph_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		cr_expect_eq(qnet_transitions_parse(&t, (const uint8_t *)bad[i], strlen(bad[i]),
						    &err), EPH_EFORMAT, "case %zu accepted", i);
		cr_expect_null(t);
		cr_expect_str_not_empty(err.msg);
	}
	static const char ok[] = "s0,action,mask,reward,n0,next_mask,done\r\n"
				 "1.5,3,0x8,-2,0.25,0xA,0\r\n";

	cr_assert_eq(qnet_transitions_parse(&t, (const uint8_t *)ok, strlen(ok), &err), 0, "%s",
		     err.msg);
	cr_expect_eq(t->n, 1);
	cr_expect_eq(t->next_mask[0], 0xA);
	cr_expect_eq(t->mask[0], 0x8);
	qnet_transitions_free(t);
}
