/* SPDX-License-Identifier: MIT */
/*
 * A THP-eligible range watched while mostly never touched: still one page
 * per write (contract 5).  Without a marker in place, a first write there
 * could fault in a whole 2 MiB page, which would read as 512 written pages;
 * so on uffd-async such a range is armed with markers (the test checks
 * that), like shared and file memory.  One huge page populated before the
 * watch is written once too.
 */
#include "tt_sparse.h"

#define HUGE (2UL << 20)
#define LEN (8 * HUGE)

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *raw = tt_map(LEN + HUGE);
	char *mem = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	size_t hp = HUGE / TT_PAGE;
	const size_t want[] = { 5, hp + 7, 2 * hp + 100, 6 * hp + hp - 1 };

	tt_thp_or_skip();
	if (madvise(mem, LEN, MADV_HUGEPAGE))
		tt_skip("MADV_HUGEPAGE: %s (kernel without THP)", strerror(errno));
	memset(mem + hp * TT_PAGE, 1, HUGE);    /* one huge page, populated before */
	tt_ok(ww_watch(t, mem, LEN));
	tts_check_mode(t, mem, 0);
	tts_expect(t, mem, LEN, 0, NULL, 0, "after watch");
	for (size_t i = 0; i < 4; i++)
		mem[want[i] * TT_PAGE] = 2;
	tts_expect(t, mem, LEN, 0, want, 4, "one byte written in each of four huge pages");
	tts_expect(t, mem, LEN, WW_GET_RESET, want, 4, "get+reset");
	tts_expect(t, mem, LEN, 0, NULL, 0, "after get+reset");
	mem[(3 * hp + 1) * TT_PAGE] = 3;
	{
		const size_t one[] = { 3 * hp + 1 };

		tts_expect(t, mem, LEN, WW_GET_RESET, one, 1, "a fifth huge page");
	}
	ww_close(t);
	return 0;
}
