/* SPDX-License-Identifier: MIT */
/*
 * Swapped-out pages of a watched range keep their state, on every backend:
 * a page written and then swapped out is still reported (on uffd-async it is
 * WRITTEN|SWAPPED, not PRESENT: a scan that asked for PRESENT pages would
 * lose it), a swapped page never written is not, and a swapped page written
 * after it comes back is.  Needs swap (tt_swap.h: as root, a file of its own).
 */
#include "tt_sparse.h"
#include "tt_swap.h"

#define NPAGES 64                /* populated, of LEN: a sparse range */
#define LEN (2048 * TT_PAGE)

int main(void)
{
	struct ww_tracker *t;
	char *mem;
	size_t out;
	const size_t want[] = { 3, 10, 30 };

	tt_swap_or_skip();
	t = tt_open();
	mem = tts_map(LEN);
	tt_check(mem, "mmap");
	memset(mem, 1, NPAGES * TT_PAGE);
	tt_ok(ww_watch(t, mem, LEN));
	tts_check_mode(t, mem, 1);
	mem[30 * TT_PAGE] = 2;  /* written, then swapped out */
	tt_check(madvise(mem, NPAGES * TT_PAGE, MADV_PAGEOUT) == 0, "MADV_PAGEOUT: %s",
		 strerror(errno));
	out = tt_swapped_pages(mem, NPAGES);
	if (!tt_swapped(mem + 30 * TT_PAGE) || out < NPAGES / 2)
		tt_skip("MADV_PAGEOUT swapped out %zu of %d pages, not the one written", out, NPAGES);
	tts_expect(t, mem, LEN, 0, &want[2], 1, "a written page, swapped out");
	mem[3 * TT_PAGE] = 3;   /* swapped back in by the writes */
	mem[10 * TT_PAGE] = 3;
	tt_check(mem[20 * TT_PAGE] == 1, "a swapped page reads back");
	tts_expect(t, mem, LEN, WW_GET_RESET, want, 3, "swapped in and written");
	tts_expect(t, mem, LEN, 0, NULL, 0, "after get+reset");
	ww_close(t);
	return 0;
}
