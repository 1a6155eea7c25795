/*
 * policy_tu.h - helpers for the policy tests: a temporary policy folder
 * per test, writing policy.json into it, and attribute sets in one line.
 */
#ifndef POLICY_TU_H
#define POLICY_TU_H

#include "policy.h"

/* criterion .init / .fini: make and remove this test's folder. */
void ptu_setup(void);
void ptu_teardown(void);
/* The folder. */
const char *ptu_dir(void);
/* Write text as <folder>/policy.json. */
void ptu_write(const char *text);
/* ptu_write + policy_engine_new, asserting success. */
policy_engine *ptu_engine(const char *text);
/* Load text, expecting EPH_EFORMAT; returns the message (static buffer). */
const char *ptu_refused(const char *text);

/* attrs from "name=value/source,..." e.g. "role=analyst/issuer,clearance=#3/issuer,
 * secure_boot=?true/hardware": '#' an integer, '?' a boolean. */
attrs_set *ptu_attrs(const char *spec);

/* policy_evaluate, asserting success. */
struct policy_result *ptu_eval(policy_engine *e, const attrs_set *a);

/* A policy (version 1, sizes s1 250/256 .. s4 2000/2048, s5 4000/4096)
 * with the rules given as a JSON array body. */
char *ptu_policy(const char *rules);

#endif
