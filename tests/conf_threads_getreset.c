/* SPDX-License-Identifier: MIT */
/*
 * Every backend: many threads write watched pages while the main thread
 * runs get-and-reset in a loop (page form with varying limits, and region
 * form); no write may be lost.  The result array itself lives in watched
 * memory (another range of the same tracker), so the library writes watched
 * memory while holding its own lock.
 *
 * The check needs no timing: each page holds a counter its writer bumps.
 * After a get reported (and reset) a page, the main thread snapshots its
 * counter.  A write after the snapshot came after the reset, so a later get
 * must report it: once the writers have stopped, a final get+reset must
 * report every page whose counter differs from its snapshot.
 */
#include <pthread.h>
#include "tt.h"

#define NTHREADS 8
#define PER_THREAD 64
#define NP (NTHREADS * PER_THREAD)
#define SECONDS 1.5

static char *mem;
static uint64_t snap[NP];
static volatile int stop;

static uint64_t counter(size_t p)
{
	return __atomic_load_n((uint64_t *)(mem + p * TT_PAGE), __ATOMIC_SEQ_CST);
}

static void *writer(void *arg)
{
	long id = (long)arg;
	unsigned long long seed = 0x9e3779b97f4a7c15ULL * (id + 1);

	while (!stop) {
		size_t p = (size_t)id * PER_THREAD + tt_rand(&seed) % PER_THREAD;

		__atomic_add_fetch((uint64_t *)(mem + p * TT_PAGE), 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void note(void *page)
{
	size_t p = ((char *)page - mem) / TT_PAGE;

	tt_check((char *)page >= mem && p < NP && (char *)page == mem + p * TT_PAGE,
		 "reported %p outside the range", page);
	snap[p] = counter(p);
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t outlen = (NP * sizeof(void *) + TT_PAGE - 1) / TT_PAGE * TT_PAGE;
	void **out = (void **)tt_map(outlen);
	struct ww_region *regs = (struct ww_region *)out;
	pthread_t th[NTHREADS];
	unsigned long gets = 0, reported = 0;
	double end;
	ssize_t n, i;
	long k;

	mem = tt_map(NP * TT_PAGE);
	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	tt_ok(ww_watch(t, out, outlen));
	for (k = 0; k < NTHREADS; k++)
		pthread_create(&th[k], NULL, writer, (void *)k);
	end = tt_now() + SECONDS;
	while (tt_now() < end) {
		if (gets % 3 == 2) {
			void *next = mem;

			do {
				n = ww_get_regions(t, next, mem + NP * TT_PAGE - (char *)next, regs,
						   1 + gets % 7, WW_GET_RESET, &next);
				tt_check(n >= 0, "ww_get_regions: %s", strerror((int)-n));
				for (i = 0; i < n; i++)
					for (uint64_t a = regs[i].start; a < regs[i].end; a += TT_PAGE)
						note((void *)(uintptr_t)a);
			} while (n > 0 && (char *)next < mem + NP * TT_PAGE);
		} else {
			n = ww_get(t, mem, NP * TT_PAGE, out, 1 + gets % NP, WW_GET_RESET);
			tt_check(n >= 0, "ww_get: %s", strerror((int)-n));
			for (i = 0; i < n; i++)
				note(out[i]);
		}
		reported += n > 0 ? (unsigned long)n : 0;
		gets++;
	}
	stop = 1;
	for (k = 0; k < NTHREADS; k++)
		pthread_join(th[k], NULL);

	n = ww_get(t, mem, NP * TT_PAGE, out, NP, WW_GET_RESET);
	tt_check(n >= 0, "final ww_get: %s", strerror((int)-n));
	for (i = 0; i < n; i++)
		note(out[i]);
	for (i = 0; i < NP; i++) {
		size_t p = (size_t)i;

		tt_check(counter(p) == snap[p], "page %zu: written after its last report "
			 "(counter %llu, snapshot %llu) and never reported: write lost", p,
			 (unsigned long long)counter(p), (unsigned long long)snap[p]);
	}
	tt_check(reported > 0, "nothing reported in %lu gets", gets);
	/* Quiet now: nothing more to report. */
	tt_ret(ww_get(t, mem, NP * TT_PAGE, out, NP, 0), 0);
	fprintf(stderr, "%lu gets, %lu pages reported\n", gets, reported);
	ww_close(t);
	return 0;
}
