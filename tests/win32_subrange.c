/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: GetWriteWatch and ResetWriteWatch over part of an
 * allocation see and reset only that part; an unaligned base or size covers
 * every page holding a byte of [base, base+size).
 */
#include "win32_tt.h"

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);

	base[2 * WPG + 3] = 0x11;
	base[4 * WPG + 8] = 0x11;
	wt_expect_sub(0, base, base + 3 * WPG, 2 * WPG, "sub-range [3, 5)", 4);
	wt_expect_none(0, base + 5 * WPG, 11 * WPG, "sub-range [5, 16)");
	wt_expect_none(0, base + 15 * WPG, WPG, "last page alone");

	wt_ok(ResetWriteWatch(base, 3 * WPG));
	wt_expect_pages(0, base, size, "reset [0, 3) keeps page 4", 4);

	/* Reset with a sub-range flag get: only that part is reset. */
	base[1 * WPG] = 1;
	base[6 * WPG] = 1;
	wt_expect_sub(WRITE_WATCH_FLAG_RESET, base, base + 4 * WPG, 4 * WPG, "reset get [4, 8)",
		      4, 6);
	wt_expect_pages(0, base, size, "outside [4, 8) untouched", 1);

	/* Unaligned base and size round out to whole pages. */
	base[7 * WPG + 5] = 2;
	wt_expect_sub(0, base, base + 7 * WPG + 17, 1, "one byte of page 7", 7);
	wt_expect_sub(0, base, base + 6 * WPG + WPG - 1, 2, "two bytes across pages 6-7", 7);
	wt_ok(ResetWriteWatch(base + 7 * WPG + 100, 1));
	wt_expect_pages(0, base, size, "unaligned reset cleared page 7", 1);
	wt_expect_sub(0, base, base + 1, size - 1, "whole allocation from an unaligned base",
		      1);

	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
