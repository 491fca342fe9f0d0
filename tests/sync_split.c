/*
 * uffd-sync: unwatching part of a range splits it while the fault thread is
 * busy.  Written bits move with the tail, writes keep landing in the right
 * part, and the unwatched page is left unprotected.  A writer thread writes
 * the pages of the second half over and over during every split.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "sync_util.h"

#define NPAGES 64
#define HALF (NPAGES / 2)

static char *mem;
static atomic_int stop;
static atomic_ulong passes;
static unsigned char watched[NPAGES];

static void *writer(void *arg)
{
	size_t p;

	(void)arg;
	while (!atomic_load(&stop)) {
		for (p = HALF; p < NPAGES; p++)
			((volatile char *)mem)[p * TT_PAGE + 8]++;
		atomic_fetch_add(&passes, 1);
	}
	return NULL;
}

int main(void)
{
	struct ww_tracker *t = sync_open();
	unsigned char truth[HALF] = { 0 };
	void *pages[NPAGES];
	pthread_t th;
	size_t p;
	int c;

	sync_hang_guard(60);
	mem = tt_map(NPAGES * TT_PAGE);
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	memset(watched, 1, sizeof(watched));

	/* Quiet first half: head, middle and tail unwatch keep the bits of the rest. */
	mem[2 * TT_PAGE] = mem[9 * TT_PAGE] = mem[20 * TT_PAGE] = mem[31 * TT_PAGE] = 1;
	truth[2] = truth[9] = truth[20] = truth[31] = 1;
	tt_ok(ww_unwatch(t, mem, TT_PAGE));                     /* head */
	tt_ok(ww_unwatch(t, mem + 10 * TT_PAGE, 5 * TT_PAGE));  /* middle */
	tt_ok(ww_unwatch(t, mem + 30 * TT_PAGE, TT_PAGE));      /* middle */
	tt_ret(ww_get(t, mem + 10 * TT_PAGE, TT_PAGE, pages, 1, 0), -ENOENT);
	tt_check(sync_wp_pages(mem + 10 * TT_PAGE, 5) == 0 && sync_wp_pages(mem, 1) == 0,
		 "unwatched pages still protected");
	tt_check(sync_wp_pages(mem + 15 * TT_PAGE, 15) == 14, "watched pages unprotected");
	tt_expect_written(t, mem + TT_PAGE, 9, truth + 1, "head part");
	tt_expect_written(t, mem + 15 * TT_PAGE, 15, truth + 15, "middle part");
	tt_ret(ww_get(t, mem + 31 * TT_PAGE, TT_PAGE, pages, 1, 0), 1);
	/* Writes after the split go to the right part. */
	mem[3 * TT_PAGE] = mem[16 * TT_PAGE] = mem[12 * TT_PAGE] = 1;
	truth[3] = truth[16] = 1;
	tt_expect_written(t, mem + TT_PAGE, 9, truth + 1, "head part after split");
	tt_expect_written(t, mem + 15 * TT_PAGE, 15, truth + 15, "middle part after split");

	/* Second half: split while a writer faults on it. */
	tt_check(!pthread_create(&th, NULL, writer, NULL), "pthread_create");
	for (c = 0; c < 12; c++) {
		size_t cut = NPAGES - 2 - 2 * (size_t)c;  /* 62, 60, ... */
		unsigned long seen;

		for (p = HALF; p < NPAGES; p++)
			if (watched[p])
				tt_ok(ww_reset(t, mem + p * TT_PAGE, TT_PAGE));
		seen = atomic_load(&passes);
		tt_ok(ww_unwatch(t, mem + cut * TT_PAGE, TT_PAGE));
		watched[cut] = 0;
		while (atomic_load(&passes) < seen + 2)
			sched_yield();
		/* Every page still watched was written after its reset. */
		for (p = HALF; p < NPAGES; p++)
			if (watched[p])
				tt_check(ww_get(t, mem + p * TT_PAGE, TT_PAGE, pages, 1, 0) == 1,
					 "cycle %d: write to page %zu lost across a split", c, p);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	ww_close(t);
	tt_check(sync_wp_pages(mem, NPAGES) == 0, "protection left after close");
	return 0;
}
