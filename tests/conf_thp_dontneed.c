/* SPDX-License-Identifier: MIT */
/*
 * THP dropped with MADV_DONTNEED, then touched again: still exact per page.
 *
 * Two transparent huge pages are filled, watched and dropped (MADV_DONTNEED
 * of whole, aligned huge pages removes the page-table entry of each: the
 * range is left as a hole of 2 MiB each).  After the get+reset that takes
 * the drop's documented outcome (conf_dontneed), two threads keep writing
 * one page of the first huge page and a third keeps reading a page of the
 * second, while limited and full get+resets run.  Every page reported must
 * be the written one: one write is one page, a read is nothing (contract 1
 * and 5), however the kernel backs the page the threads fault back in.
 *
 * What could break it, on uffd-async: the write faulting a whole new THP into
 * the hole, or the read mapping the huge zero page there, neither
 * write-protected, so that each reads as 512 written pages.  That is the
 * drop's documented outcome in a hole not reset since the drop (every
 * dropped page reads as written until reset), and it is what happened after
 * the reset too on kernels whose PAGEMAP_SCAN skips a page-table hole: the
 * get+reset neither reported nor re-armed it.  The library looks for such
 * holes itself there (ww_hole_scan); a kernel that reads them as written
 * (Linux 6.18.44 here) does not need it, so on uffd-async two rounds in
 * three force that path (WW_ASYNC_DEBUG_HOLES, one of them with its first
 * scan leaving every hole to the library: WW_ASYNC_DEBUG_HOLES_FILTER) and
 * must give the same answer.
 *
 * Runs until ITERATIONS rounds with a real THP were done (bounded by 60 s);
 * skips if THP is off or no huge page could be had in any round.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "tt.h"
#include "../src/uffd_async_debug.h"

#define HUGE (2UL << 20)
#define ITERATIONS 40
#define ROUNDS 8

struct touch {
	volatile char *page;
	atomic_bool stop;
	atomic_ulong count;
	bool write;
};

static void *toucher(void *arg)
{
	struct touch *w = arg;

	while (!atomic_load(&w->stop)) {
		if (w->write)
			w->page[1] = 1;
		else
			(void)w->page[2];
		atomic_fetch_add(&w->count, 1);
		sched_yield();
	}
	return NULL;
}

/* Every page reported must be want; returns whether want was reported. */
static bool check_only(void **pages, ssize_t n, void *want, const char *what)
{
	if (n < 0)
		tt_fail("%s: %s", what, strerror((int)-n));
	for (ssize_t i = 0; i < n; i++)
		if (pages[i] != want)
			tt_fail("%s: %zd pages reported, one of them %p, but only %p was written "
				"(a huge page read as written)", what, n, pages[i], want);
	return n > 0;
}

static void start(pthread_t *th, struct touch *w, volatile char *page, bool write)
{
	w->page = page;
	w->write = write;
	atomic_store(&w->stop, false);
	atomic_store(&w->count, 0);
	if (pthread_create(th, NULL, toucher, w))
		tt_fail("pthread_create");
}

/* Wait until every toucher has run once since it started (no timing assumed). */
static void wait_touched(struct touch *w, int n)
{
	double deadline = tt_now() + 60;

	for (int i = 0; i < n; i++)
		while (!atomic_load(&w[i].count)) {
			if (tt_now() > deadline)
				tt_fail("toucher %d (%s) never ran in 60 s", i, w[i].write ? "writer" : "reader");
			sched_yield();
		}
}

/* One round: drop, absorb the drop, touch, get+reset; false if no THP was had. */
static bool one_iteration(struct ww_tracker *t, void **pages)
{
	size_t len = 2 * HUGE, max = len / TT_PAGE;
	char *raw = tt_map(3 * HUGE);
	char *mem = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	char *wpage = mem + 5 * TT_PAGE, *rpage = mem + HUGE + 7 * TT_PAGE;
	struct touch w[3] = { { 0 } };
	pthread_t th[3];
	bool seen = false, had_thp;
	ssize_t n;

	if (madvise(mem, len, MADV_HUGEPAGE))
		tt_skip("MADV_HUGEPAGE: %s (kernel without THP)", strerror(errno));
	memset(mem, 1, len);
	had_thp = tt_anon_huge_kb(mem) > 0;
	tt_ok(ww_watch(t, mem, len));
	tt_check(madvise(mem, len, MADV_DONTNEED) == 0, "MADV_DONTNEED: %s", strerror(errno));
	/* The drop's own outcome differs per backend (conf_dontneed): take it. */
	n = ww_get(t, mem, len, pages, max, WW_GET_RESET);
	tt_check(n >= 0, "get+reset after the drop: %s", strerror((int)-n));
	if (tt_backend_is("uffd-sync"))
		tt_ok(ww_reset(t, mem, len));   /* documented: reset after MADV_DONTNEED */

	start(&th[0], &w[0], wpage, true);
	start(&th[1], &w[1], wpage, true);
	start(&th[2], &w[2], rpage, false);
	wait_touched(w, 3);
	for (int r = 0; r < ROUNDS; r++) {
		seen |= check_only(pages, ww_get(t, mem, len, pages, 1, WW_GET_RESET), wpage,
				   "limited get+reset");
		seen |= check_only(pages, ww_get(t, mem, len, pages, max, WW_GET_RESET), wpage,
				   "full get+reset");
	}
	for (int i = 0; i < 3; i++) {
		atomic_store(&w[i].stop, true);
		pthread_join(th[i], NULL);
	}
	seen |= check_only(pages, ww_get(t, mem, len, pages, max, 0), wpage, "final get");
	tt_check(seen, "the page written by two threads was never reported");
	tt_ok(ww_unwatch(t, mem, len));
	munmap(raw, 3 * HUGE);
	return had_thp;
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	void **pages = (void **)tt_map(2 * HUGE / TT_PAGE * sizeof(void *));
	double deadline = tt_now() + 60;
	int with_thp = 0, done = 0;

	tt_thp_or_skip();
	while (with_thp < ITERATIONS && tt_now() < deadline) {
		/* The flags are only read by uffd-async's scans. */
		static const unsigned flags[] = { 0, WW_ASYNC_DEBUG_HOLES,
						  WW_ASYNC_DEBUG_HOLES | WW_ASYNC_DEBUG_HOLES_FILTER };

		ww_async_debug = flags[done % 3];
		with_thp += one_iteration(t, pages);
		done++;
	}
	fprintf(stderr, "%d of %d rounds had a THP\n", with_thp, done);
	if (!with_thp)
		tt_skip("no transparent huge page could be allocated in %d tries (memory "
			"fragmented or THP defrag off)", done);
	ww_close(t);
	return 0;
}
