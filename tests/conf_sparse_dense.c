/* SPDX-License-Identifier: MIT */
/*
 * The dense-at-watch choice: a small-page private anonymous range at least
 * half populated when watched gets markers on uffd-async (its page tables
 * exist already; the unfiltered scan is cheaper), one under half populated
 * is armed populated-only.  ww_watch counts the populated pages before it
 * protects any; either way the answers are exact on every backend: pages
 * populated before the watch (written or only read, the zero page) are not
 * reported until written, never-touched ones not until written, and a
 * get+reset re-arms exactly what it reported.
 */
#include "tt_sparse.h"

#define PAGES 4096

/* Touch pages [0, n): write every third, read the others (the zero page). */
static void populate(char *m, size_t n)
{
	volatile char sink = 0;

	for (size_t i = 0; i < n; i++) {
		if (i % 3)
			sink += m[i * TT_PAGE];
		else
			m[i * TT_PAGE] = 1;
	}
	(void)sink;
}

static void one_range(struct ww_tracker *t, size_t populated, int mode, const char *what)
{
	char *m = tts_map(PAGES * TT_PAGE);
	/* Before the watch (written, read), a hole, the last page. */
	const size_t want[] = { 0, 1, populated - 1, populated + 5, PAGES - 1 };

	tt_check(m != NULL, "mmap: %s", strerror(errno));
	populate(m, populated);
	tt_ok(ww_watch(t, m, PAGES * TT_PAGE));
	tts_check_mode(t, m, mode);
	tts_expect(t, m, PAGES * TT_PAGE, 0, NULL, 0, what);
	for (size_t i = 0; i < 5; i++)
		m[want[i] * TT_PAGE] = 2;
	tts_expect(t, m, PAGES * TT_PAGE, WW_GET_RESET, want, 5, what);
	tts_expect(t, m, PAGES * TT_PAGE, 0, NULL, 0, "after get+reset");
	m[want[3] * TT_PAGE] = 3;
	tts_expect(t, m, PAGES * TT_PAGE, WW_GET_RESET, &want[3], 1, "written again");
	tt_ok(ww_unwatch(t, m, PAGES * TT_PAGE));
	munmap(m, PAGES * TT_PAGE);
}

int main(void)
{
	struct ww_tracker *t = tt_open();

	one_range(t, PAGES * 3 / 4, 0, "three quarters populated");
	one_range(t, PAGES / 4, 1, "a quarter populated");
	ww_close(t);
	return 0;
}
