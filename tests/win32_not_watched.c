/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: allocations made without MEM_WRITE_WATCH are ordinary
 * memory: GetWriteWatch / ResetWriteWatch on them fail with
 * ERROR_INVALID_PARAMETER, whatever was written, and they work normally
 * next to write-watched ones (reserve, commit later, write, decommit).
 */
#include "win32_tt.h"

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	char *w = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	char *p = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	char *r = wt_alloc(NULL, size, MEM_RESERVE, PAGE_READWRITE);
	char *c = wt_alloc(NULL, size, MEM_COMMIT, PAGE_READWRITE);      /* reserves too */
	void *res[16];
	ULONG_PTR count = 16;
	ULONG gran;
	size_t i;

	memset(p, 0x33, size);
	memset(c, 0x44, size);
	tt_check(wt_alloc(r + WPG, 2 * WPG, MEM_COMMIT, PAGE_READWRITE) == r + WPG, "commit in r");
	memset(r + WPG, 0x55, 2 * WPG);
	w[5 * WPG] = 1;

	wt_fails(GetWriteWatch(0, p, size, res, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(GetWriteWatch(0, r, size, res, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(GetWriteWatch(0, c, WPG, res, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(ResetWriteWatch(p, size), ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(ResetWriteWatch(r + WPG, WPG), ~0u, ERROR_INVALID_PARAMETER);

	for (i = 0; i < size; i += WPG)
		tt_check(p[i] == 0x33 && c[i] == 0x44, "plain memory content lost at %zu", i);
	tt_check(r[WPG] == 0x55 && r[3 * WPG - 1] == 0x55, "committed part of r lost");

	/* Decommit of plain memory drops its contents. */
	tt_check(VirtualFree(p + WPG, WPG, MEM_DECOMMIT), "decommit plain");
	tt_check(wt_alloc(p + WPG, WPG, MEM_COMMIT, PAGE_READWRITE) == p + WPG, "recommit plain");
	tt_check(p[WPG] == 0 && p[0] == 0x33, "decommit kept data or lost the neighbour");

	wt_expect_pages(0, w, size, "write-watched neighbour", 5);

	VirtualFree(w, 0, MEM_RELEASE);
	VirtualFree(p, 0, MEM_RELEASE);
	VirtualFree(r, 0, MEM_RELEASE);
	VirtualFree(c, 0, MEM_RELEASE);
	return 0;
}
