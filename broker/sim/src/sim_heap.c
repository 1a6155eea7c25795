/*
 * sim_heap.c - the environment's event queue: a binary min-heap of request
 * ends and warm-pool expiries, ordered by time, then kind, then tag, so that
 * simultaneous events pop in the same order on every run.
 *
 * Deliberately nothing but the queue: what an event does is in sim_env.c.
 */
#include <stdlib.h>

#include "sim-priv.h"

static int ev_less(const struct sim__event *a, const struct sim__event *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->tag < b->tag;
}

int sim__heap_push(sim_env *e, const struct sim__event *ev)
{
	size_t i;

	if (e->heap_n == e->heap_cap) {
		size_t cap = e->heap_cap * 2;
		void *p = realloc(e->heap, cap * sizeof(*e->heap));

		if (p == NULL)
			return -1;
		e->heap = p;
		e->heap_cap = cap;
	}
	i = e->heap_n++;
	while (i > 0 && ev_less(ev, &e->heap[(i - 1) / 2])) {
		e->heap[i] = e->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	e->heap[i] = *ev;
	return 0;
}

void sim__heap_pop(sim_env *e, struct sim__event *ev)
{
	struct sim__event last;
	size_t i = 0;

	*ev = e->heap[0];
	last = e->heap[--e->heap_n];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < e->heap_n && ev_less(&e->heap[l], &last))
			m = l;
		if (l + 1 < e->heap_n && ev_less(&e->heap[l + 1], m == i ? &last : &e->heap[l]))
			m = l + 1;
		if (m == i)
			break;
		e->heap[i] = e->heap[m];
		i = m;
	}
	if (e->heap_n > 0)
		e->heap[i] = last;
}
