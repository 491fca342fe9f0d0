/*
 * The caller's output arrays live inside the watched range: the core writes
 * them while holding the tracker lock, the writes fault, and the fault thread
 * must resolve them without that lock (no deadlock).  The pages holding the
 * arrays are then reported like any other written page.
 */
#include "sync_util.h"

#define NPAGES 32

int main(void)
{
	struct ww_tracker *t = sync_open();
	char *mem = tt_map(NPAGES * TT_PAGE);
	/* pages[] straddles pages 29 and 30 (never touched); regions[] and next sit in 26..27. */
	void **pages = (void **)(mem + 30 * TT_PAGE - 2 * sizeof(void *));
	struct ww_region *regions = (struct ww_region *)(mem + 26 * TT_PAGE + 8);
	void **next = (void **)(mem + 27 * TT_PAGE + 16);
	void *mine[NPAGES];
	ssize_t n;
	int round;

	sync_hang_guard(30);
	mem[26 * TT_PAGE] = 1;                  /* populated: both kinds of page fault */
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	for (round = 0; round < 50; round++) {
		tt_ok(ww_reset(t, mem, NPAGES * TT_PAGE));
		mem[1 * TT_PAGE] = 1;
		mem[5 * TT_PAGE] = 1;
		mem[9 * TT_PAGE] = 1;
		/* The array's own pages are written during the call: the result may include them. */
		n = ww_get(t, mem, NPAGES * TT_PAGE, pages, 8, WW_GET_RESET);
		tt_check(n == 3, "round %d: get into watched memory returned %zd", round, n);
		tt_check(pages[0] == mem + TT_PAGE && pages[1] == mem + 5 * TT_PAGE &&
			 pages[2] == mem + 9 * TT_PAGE, "round %d: wrong pages", round);
		n = ww_get(t, mem, NPAGES * TT_PAGE, mine, NPAGES, 0);
		tt_check(n == 2 && mine[0] == mem + 29 * TT_PAGE && mine[1] == mem + 30 * TT_PAGE,
			 "round %d: the output array's pages not reported (%zd)", round, n);

		tt_ok(ww_reset(t, mem, NPAGES * TT_PAGE));
		mem[12 * TT_PAGE] = mem[13 * TT_PAGE] = mem[20 * TT_PAGE] = 1;
		n = ww_get_regions(t, mem, NPAGES * TT_PAGE, regions, 1, WW_GET_RESET, next);
		tt_check(n == 1 && regions[0].start == (uintptr_t)mem + 12 * TT_PAGE &&
			 regions[0].end == (uintptr_t)mem + 14 * TT_PAGE &&
			 /* resume anywhere between the run's end and the next written page */
			 (char *)*next >= mem + 14 * TT_PAGE && (char *)*next <= mem + 20 * TT_PAGE,
			 "round %d: regions into watched memory (%zd)", round, n);
		n = ww_get(t, mem, NPAGES * TT_PAGE, mine, NPAGES, 0);
		tt_check(n == 3 && mine[0] == mem + 20 * TT_PAGE && mine[1] == mem + 26 * TT_PAGE &&
			 mine[2] == mem + 27 * TT_PAGE, "round %d: after regions (%zd)", round, n);
	}
	ww_close(t);
	return 0;
}
