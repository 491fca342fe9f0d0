/* SPDX-License-Identifier: MIT */
/*
 * The written set of a case (which pages, in which order) and the writer
 * threads that write it, one word per page.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

size_t wb_case_written(const struct wb_case *c)
{
	size_t npages = c->size / wb_page(), k;

	if (c->pages)
		k = c->pages;
	else
		k = (size_t)(c->fraction * (double)npages + 0.5);
	if (k < 1)
		k = 1;
	return k > npages ? npages : k;
}

/* Dense enough for a shuffle: shuffle every index, keep the first k. */
static int random_by_shuffle(uint32_t *idx, size_t k, size_t npages, uint64_t *seed)
{
	uint32_t *all = malloc(npages * sizeof(*all));
	size_t i;

	if (!all)
		return -ENOMEM;
	for (i = 0; i < npages; i++)
		all[i] = (uint32_t)i;
	for (i = npages - 1; i > 0; i--) {
		size_t j = wb_rand(seed) % (i + 1);
		uint32_t tmp = all[i];

		all[i] = all[j];
		all[j] = tmp;
	}
	memcpy(idx, all, k * sizeof(*idx));
	free(all);
	return 0;
}

/*
 * Sparse: draw pages until k distinct ones are taken, remembered in an
 * open-addressing set of 4k slots (a byte a page of the range would be
 * 4 GiB at 16 TiB).  Slots hold page + 1, so 0 is empty.
 */
static int random_by_drawing(uint32_t *idx, size_t k, size_t npages, uint64_t *seed)
{
	size_t slots = 16, n = 0;
	uint64_t *set;

	while (slots < 4 * k)
		slots *= 2;
	set = calloc(slots, sizeof(*set));
	if (!set)
		return -ENOMEM;
	while (n < k) {
		uint64_t p = wb_rand(seed) % npages;
		size_t h = (size_t)(p * 0x9e3779b97f4a7c15ULL >> 20) & (slots - 1);

		while (set[h] && set[h] != p + 1)
			h = (h + 1) & (slots - 1);
		if (!set[h]) {
			set[h] = p + 1;
			idx[n++] = (uint32_t)p;
		}
	}
	free(set);
	return 0;
}

uint32_t *wb_written_set(const struct wb_case *c, size_t *count)
{
	size_t npages = c->size / wb_page(), k = wb_case_written(c), i;
	uint32_t *idx = malloc(k * sizeof(*idx));
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ npages ^ ((uint64_t)k << 32);
	int ret = 0;

	if (!idx)
		return NULL;
	switch (c->pattern) {
	case WB_DENSE:
		for (i = 0; i < k; i++)
			idx[i] = (uint32_t)i;
		break;
	case WB_STRIDED:
		/* Evenly spread: page i*npages/k, which is a plain stride when it divides. */
		for (i = 0; i < k; i++)
			idx[i] = (uint32_t)((unsigned __int128)i * npages / k);
		break;
	default:
		ret = k > npages / 2 ? random_by_shuffle(idx, k, npages, &seed) :
		      random_by_drawing(idx, k, npages, &seed);
		break;
	}
	if (ret) {
		free(idx);
		return NULL;
	}
	*count = k;
	return idx;
}

/* ---- writers ---- */

/* Write one word into each page of slice [from, to) of the set. */
static __attribute__((noinline)) void write_loop(struct wb_writers *w, size_t from, size_t to)
{
	size_t i, pg = wb_page();

	for (i = from; i < to; i++)
		*(volatile uint64_t *)(w->base + (size_t)w->idx[i] * pg) = w->value;
}

/* write_loop, with a way out if the hand-rolled SIGSEGV handler cannot unprotect. */
static int write_slice(struct wb_writers *w, size_t from, size_t to)
{
	sigjmp_buf esc;

	if (sigsetjmp(esc, 1)) {
		wb_plain_escape = NULL;
		return -1;
	}
	wb_plain_escape = &esc;
	write_loop(w, from, to);
	wb_plain_escape = NULL;
	return 0;
}

static void *writer_main(void *p)
{
	struct wb_writer_arg *a = p;
	struct wb_writers *w = a->w;
	size_t from = w->k * (size_t)a->id / (size_t)w->nthreads;
	size_t to = w->k * (size_t)(a->id + 1) / (size_t)w->nthreads;

	for (;;) {
		pthread_barrier_wait(&w->start);
		if (w->quit)
			break;
		if (write_slice(w, from, to))
			w->failed = 1;
		pthread_barrier_wait(&w->done);
	}
	return NULL;
}

int wb_writers_start(struct wb_writers *w)
{
	int i;

	if (w->nthreads <= 1)
		return 0;
	pthread_barrier_init(&w->start, NULL, (unsigned)w->nthreads + 1);
	pthread_barrier_init(&w->done, NULL, (unsigned)w->nthreads + 1);
	for (i = 0; i < w->nthreads; i++) {
		w->args[i] = (struct wb_writer_arg){ .w = w, .id = i };
		if (pthread_create(&w->tids[i], NULL, writer_main, &w->args[i]))
			return -EAGAIN;
	}
	return 0;
}

double wb_writers_run(struct wb_writers *w)
{
	double t0, t1;

	w->value++;
	if (w->nthreads <= 1) {
		t0 = wb_now();
		if (write_slice(w, 0, w->k))
			return -1;
		t1 = wb_now();
		return t1 - t0;
	}
	t0 = wb_now();
	pthread_barrier_wait(&w->start);
	pthread_barrier_wait(&w->done);
	t1 = wb_now();
	return w->failed ? -1 : t1 - t0;
}

void wb_writers_stop(struct wb_writers *w)
{
	int i;

	if (w->nthreads <= 1)
		return;
	w->quit = 1;
	pthread_barrier_wait(&w->start);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->tids[i], NULL);
	pthread_barrier_destroy(&w->start);
	pthread_barrier_destroy(&w->done);
}
