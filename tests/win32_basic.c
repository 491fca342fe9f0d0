/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: basic GetWriteWatch / ResetWriteWatch (the opening of Wine's
 * test_write_watch): nothing reported after allocation, a write is reported
 * until reset, WRITE_WATCH_FLAG_RESET resets, later writes are reported
 * again, and the types have their Windows widths.
 */
#include "win32_tt.h"

_Static_assert(sizeof(DWORD) == 4, "DWORD is 32 bits");
_Static_assert(sizeof(UINT) == 4, "UINT is 32 bits");
_Static_assert(sizeof(ULONG) == 4, "ULONG is 32 bits (LLP64)");
_Static_assert(sizeof(BOOL) == 4, "BOOL is 32 bits");
_Static_assert(sizeof(ULONG_PTR) == sizeof(void *), "ULONG_PTR is pointer-sized");
_Static_assert(sizeof(SIZE_T) == sizeof(void *), "SIZE_T is pointer-sized");
_Static_assert(MEM_WRITE_WATCH == 0x200000 && MEM_RESERVE == 0x2000 && MEM_COMMIT == 0x1000 &&
	       MEM_DECOMMIT == 0x4000 && MEM_RELEASE == 0x8000, "MEM_* have Windows values");
_Static_assert(ERROR_INVALID_PARAMETER == 87 && ERROR_NOACCESS == 998 &&
	       ERROR_INVALID_ADDRESS == 487 && ERROR_NOT_ENOUGH_MEMORY == 8, "error values");

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	unsigned char truth[16] = { 0 };
	size_t i;

	tt_check(((uintptr_t)base & 0xffff) == 0, "allocation %p not 64 KiB aligned", base);
	tt_check(ww_win32_backend(), "no backend after a MEM_WRITE_WATCH allocation");
	if (!tt_backend_is("auto"))
		tt_check(!strcmp(ww_win32_backend(), tt_backend()),
			 "layer uses %s, test asked for %s", ww_win32_backend(), tt_backend());

	wt_expect_none(0, base, size, "fresh allocation");
	/* Reading does not count as writing. */
	for (i = 0; i < 16; i++)
		tt_check(((volatile char *)base)[i * WPG] == 0, "fresh page %zu not zero", i);
	wt_expect_none(0, base, size, "after reads");

	base[WPG + 1] = 0x44;
	wt_expect_pages(0, base, size, "one write", 1);
	wt_expect_pages(0, base, size, "get without reset does not reset", 1);
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "get with reset", 1);
	wt_expect_none(0, base, size, "after reset");

	base[2 * WPG + 3] = 0x11;
	base[4 * WPG + 8] = 0x11;
	wt_expect_pages(0, base, size, "two writes", 2, 4);

	/* Writing the same page again after a reset is reported again. */
	wt_ok(ResetWriteWatch(base, size));
	wt_expect_none(0, base, size, "after ResetWriteWatch");
	base[2 * WPG + 3] = 0x12;
	wt_expect_pages(0, base, size, "rewrite after reset", 2);
	tt_check(base[WPG + 1] == 0x44 && base[4 * WPG + 8] == 0x11, "contents changed by reset");

	/* Every page, then all reported in order. */
	for (i = 0; i < 16; i++) {
		base[i * WPG + 100] = (char)i;
		truth[i] = 1;
	}
	wt_expect_truth(base, 16, truth, "all pages");
	wt_ok(ResetWriteWatch(base, size));
	wt_expect_none(0, base, size, "all reset");

	tt_check(VirtualFree(base, 0, MEM_RELEASE), "VirtualFree: %u", (unsigned)GetLastError());
	return 0;
}
