/* SPDX-License-Identifier: MIT */
/*
 * MADV_HUGEPAGE memory in a process that disabled THP for itself
 * (PR_SET_THP_DISABLE): no huge page can back it, so on uffd-async it is
 * armed populated-only (without reading smaps), and every first write is
 * still one page (contract 5).  A range too small to hold an aligned
 * PMD-size block inside its mapping is the same without the prctl.  Every
 * backend gets the exact answers.
 */
#include <sys/prctl.h>

#include "tt_sparse.h"

#define HUGE (2UL << 20)
#define LEN (8 * HUGE)

/* One byte into each of the pages want[0..n) of mem, then the exact answer, twice. */
static void write_and_expect(struct ww_tracker *t, char *mem, size_t len, const size_t *want,
			     size_t n, const char *what)
{
	tts_expect(t, mem, len, 0, NULL, 0, what);
	for (size_t i = 0; i < n; i++)
		mem[want[i] * TT_PAGE] = 2;
	tts_expect(t, mem, len, WW_GET_RESET, want, n, what);
	tts_expect(t, mem, len, 0, NULL, 0, "after get+reset");
}

/*
 * 16 pages of their own VMA (MADV_HUGEPAGE splits it off), around a PMD
 * boundary: no aligned 2 MiB block fits inside, so no huge page either.
 */
static void small_range(struct ww_tracker *t)
{
	char *raw = tt_map(2 * HUGE);
	char *small = (char *)(((uintptr_t)raw + 8 * TT_PAGE + HUGE - 1) & ~(HUGE - 1)) - 8 * TT_PAGE;
	const size_t want[] = { 3, 8, 15 };

	if (madvise(small, 16 * TT_PAGE, MADV_HUGEPAGE))
		tt_skip("MADV_HUGEPAGE: %s (kernel without THP)", strerror(errno));
	tt_ok(ww_watch(t, small, 16 * TT_PAGE));
	tts_check_mode(t, small, 1);
	write_and_expect(t, small, 16 * TT_PAGE, want, 3, "16 pages with no huge page room");
	tt_ok(ww_unwatch(t, small, 16 * TT_PAGE));
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *raw = tt_map(LEN + HUGE);
	char *mem = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	size_t hp = HUGE / TT_PAGE;
	const size_t want[] = { 5, hp + 7, 2 * hp + 100, 7 * hp + hp - 1 };

	tt_thp_or_skip();
	small_range(t);
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		tt_skip("PR_SET_THP_DISABLE: %s", strerror(errno));
	if (madvise(mem, LEN, MADV_HUGEPAGE))
		tt_skip("MADV_HUGEPAGE: %s (kernel without THP)", strerror(errno));
	tt_ok(ww_watch(t, mem, LEN));
	tts_check_mode(t, mem, 1);
	write_and_expect(t, mem, LEN, want, 4, "one byte in each of four 2 MiB blocks");
	ww_close(t);
	return 0;
}
