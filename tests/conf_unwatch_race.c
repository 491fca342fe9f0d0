/* SPDX-License-Identifier: MIT */
/*
 * Every backend: watching, splitting and unwatching memory while other
 * threads keep writing it never crashes a writer nor leaves protection
 * behind.  (On mprotect a write can fault on a page that an unwatch makes
 * writable and forgets before the signal handler runs: the handler must
 * retry the write, not pass the fault on as the application's.)
 */
#include <pthread.h>
#include "tt.h"

#define NP 64
#define NWRITERS 3
#define SECONDS 1.0

static char *mem;
static volatile int stop;

static void *writer(void *arg)
{
	unsigned long long seed = 77 + (long)arg;

	while (!stop) {
		size_t p = tt_rand(&seed) % NP;

		__atomic_add_fetch(&mem[p * TT_PAGE + 8], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	pthread_t th[NWRITERS];
	void *pages[NP];
	unsigned long rounds = 0;
	double end;
	long i;

	mem = tt_map(NP * TT_PAGE);
	for (i = 0; i < NWRITERS; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	end = tt_now() + SECONDS;
	while (tt_now() < end) {
		tt_ok(ww_watch(t, mem, NP * TT_PAGE));
		tt_check(ww_get(t, mem, NP * TT_PAGE, pages, NP, WW_GET_RESET) >= 0, "get");
		tt_ok(ww_unwatch(t, mem + 16 * TT_PAGE, 16 * TT_PAGE));         /* split */
		tt_check(ww_get(t, mem, 16 * TT_PAGE, pages, NP, WW_GET_RESET) >= 0, "get");
		tt_ok(ww_reset(t, mem + 32 * TT_PAGE, 32 * TT_PAGE));
		tt_ok(ww_unwatch(t, mem + 32 * TT_PAGE, 32 * TT_PAGE));
		tt_ok(ww_unwatch(t, mem, 16 * TT_PAGE));
		rounds++;
	}
	stop = 1;
	for (i = 0; i < NWRITERS; i++)
		pthread_join(th[i], NULL);
	/* No protection left: a plain write to every page works. */
	for (i = 0; i < NP; i++)
		mem[i * TT_PAGE] = 1;
	fprintf(stderr, "%lu watch/split/unwatch rounds\n", rounds);
	ww_close(t);
	return 0;
}
