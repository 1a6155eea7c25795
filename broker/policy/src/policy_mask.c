/*
 * policy_mask.c - the Q-network's action mask from a composed result: bit
 * i is set when action i is allowed (rules in policy.h, policy_mask).
 *
 * Not here: choosing among allowed actions (broker/qnet). The mask never
 * widens the result: a denied result gives 0, and so does an action whose
 * size index is outside the table or whose size name the policy does not
 * know.
 */
#include "policy-priv.h"

#include <string.h>

/* Is the size called name among the result's allowed sizes? */
static bool size_allowed(const struct policy_result *r, const char *name)
{
	for (size_t i = 0; i < r->nsizes && i < POLICY_MAX_SIZES; i++) {
		if (strcmp(r->sizes[i].name, name) == 0)
			return (r->c.sizes >> i) & 1u;
	}
	return false;
}

uint64_t policy_mask(const struct policy_result *r, const struct policy_action *actions,
		     unsigned n, const struct policy_size *sizes, unsigned nsizes)
{
	uint64_t mask = 0;

	if (!r->allowed || r->c.deny)
		return 0;
	if (sizes == NULL) {
		sizes = r->sizes;
		nsizes = (unsigned)r->nsizes;
	}
	if (n > POLICY_MAX_ACTIONS)
		n = POLICY_MAX_ACTIONS;
	for (unsigned i = 0; i < n; i++) {
		const struct policy_action *a = &actions[i];
		const struct policy_size *s;
		uint64_t cpu, mem;

		if (a->size >= nsizes || a->count == 0)
			continue;
		s = &sizes[a->size];
		if (!size_allowed(r, s->name))
			continue;
		cpu = (uint64_t)s->vcpu_milli * a->count;
		mem = (uint64_t)s->mem_mib * a->count;
		if (cpu > r->c.max_vcpu_milli || mem > r->c.max_mem_mib)
			continue;
		mask |= 1ull << i;
	}
	return mask;
}
