/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: WRITE_WATCH_FLAG_RESET with a capacity smaller than the
 * number of written pages resets only the pages returned (Wine's "count = 1"
 * case); draining with capacity 1 returns every page once, in order.
 */
#include "win32_tt.h"

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	static const size_t pages[] = { 1, 2, 4, 9, 10, 15 };
	size_t i;

	base[1 * WPG + 1] = 1;
	base[2 * WPG + 3] = 1;
	base[4 * WPG + 8] = 1;
	wt_expect_pages(0, base, size, "three written", 1, 2, 4);

	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, WT_PAGES(base, 1), 1, "reset with count 1");
	wt_expect_pages(0, base, size, "only the returned page was reset", 2, 4);
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 2, WT_PAGES(base, 2, 4), 2, "reset with count 2");
	wt_expect_none(0, base, size, "all reset");

	/* Drain one page at a time. */
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		base[pages[i] * WPG + 100] = 2;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		void *want = base + pages[i] * WPG;

		wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, &want, 1, "drain one by one");
	}
	wt_expect_none(WRITE_WATCH_FLAG_RESET, base, size, "drained");

	/* A page written again after being returned comes back. */
	base[9 * WPG] = 3;
	base[2 * WPG] = 3;
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, WT_PAGES(base, 2), 1, "first of two");
	base[2 * WPG + 1] = 4;
	wt_expect_pages(0, base, size, "rewritten page is back", 2, 9);

	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
