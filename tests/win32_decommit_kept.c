/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: the one case where a written page stays reported across
 * MEM_DECOMMIT, as on Windows (Wine's test_write_watch ends with it): the
 * page was written before a VirtualProtect over it.  Windows copies a page's
 * written state out of its page table entry whenever it changes the
 * entry's protection, and that copy outlives the decommit.  So:
 *
 * - written, then VirtualProtect (any protection, the same one included),
 *   then decommitted: reported until reset, across recommits and further
 *   decommits, once each;
 * - written only after the last VirtualProtect: forgotten;
 * - a reset after the VirtualProtect (ResetWriteWatch, or a get-and-reset
 *   that returned the page) clears the copy;
 * - MEM_COMMIT over committed pages changes their protection, so it
 *   copies too.
 */
#include "win32_tt.h"

#define NP 16

static void decommit(char *p, size_t npages)
{
	tt_check(VirtualFree(p, npages * WPG, MEM_DECOMMIT), "decommit: %u",
		 (unsigned)GetLastError());
}

static void protect(char *p, size_t npages, DWORD prot)
{
	DWORD old;

	tt_check(VirtualProtect(p, npages * WPG, prot, &old), "protect %#x: %u",
		 (unsigned)prot, (unsigned)GetLastError());
}

/* Wine's last check: written, made no-access, decommitted: still reported. */
static void wine_sequence(void)
{
	const SIZE_T size = NP * WPG;
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_NOACCESS);

	tt_check(wt_alloc(base, size, MEM_COMMIT, PAGE_NOACCESS) == base, "commit");
	protect(base, 6, PAGE_READWRITE);
	base[5 * WPG + 200] = 3;
	protect(base, 6, PAGE_NOACCESS);
	wt_expect_pages(0, base, size, "written then no-access", 5);
	tt_check(VirtualFree(base, size, MEM_DECOMMIT), "decommit");
	wt_expect_pages(0, base, size, "after decommit", 5);
	tt_check(wt_alloc(base, size, MEM_COMMIT, PAGE_READWRITE) == base, "recommit");
	tt_check(base[5 * WPG + 200] == 0, "contents survived the decommit");
	wt_expect_pages(0, base, size, "after recommit", 5);
	decommit(base, NP);
	wt_expect_pages(0, base, size, "after a second decommit", 5);
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "get-reset", 5);
	wt_expect_none(0, base, size, "reset clears the copy");
	VirtualFree(base, 0, MEM_RELEASE);
}

/* Which writes a protection change keeps: before it, over its pages. */
static void which_writes(char *base, SIZE_T size)
{
	base[1 * WPG] = 1;      /* before, protected RO and back */
	base[2 * WPG] = 1;      /* before, protected RW -> RW */
	base[3 * WPG] = 1;      /* before, not covered by the protection changes */
	protect(base + WPG, 1, PAGE_READONLY);
	protect(base + WPG, 1, PAGE_READWRITE);
	protect(base + 2 * WPG, 1, PAGE_READWRITE);
	base[4 * WPG] = 1;      /* after the protection change over it */
	protect(base + 4 * WPG, 1, PAGE_EXECUTE_READWRITE);
	base[4 * WPG] = 2;
	base[5 * WPG] = 1;      /* after, with no change at all */
	protect(base + 6 * WPG, 1, PAGE_READONLY);      /* never written */
	protect(base + 6 * WPG, 1, PAGE_READWRITE);
	protect(base + 7 * WPG, 1, PAGE_READWRITE);
	base[7 * WPG] = 1;      /* only after the change over it */
	base[8 * WPG] = 1;      /* outside the decommit */
	wt_expect_pages(0, base, size, "before the decommit", 1, 2, 3, 4, 5, 7, 8);
	decommit(base + WPG, 7);
	wt_expect_pages(0, base, size, "only the pages written before a change", 1, 2, 4, 8);
	tt_check(VirtualAlloc(base + WPG, 7 * WPG, MEM_COMMIT, PAGE_READWRITE) == base + WPG,
		 "recommit");
	base[2 * WPG] = 3;      /* kept and written again: once */
	wt_expect_pages(0, base, size, "kept and rewritten", 1, 2, 4, 8);
	wt_ok(ResetWriteWatch(base, size));
}

/* A reset after the protection change clears the copy, exactly for what it covers. */
static void resets(char *base, SIZE_T size)
{
	base[1 * WPG] = 1;
	base[2 * WPG] = 1;
	base[3 * WPG] = 1;
	base[4 * WPG] = 1;
	protect(base, 6, PAGE_READONLY);
	wt_ok(ResetWriteWatch(base + WPG, WPG));
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, WT_PAGES(base, 2), 1, "get-reset 1");
	protect(base, 6, PAGE_READWRITE);
	decommit(base, 6);
	wt_expect_pages(0, base, size, "the copies not reset", 3, 4);
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, WT_PAGES(base, 3), 1, "get-reset 3");
	tt_check(VirtualAlloc(base, 6 * WPG, MEM_COMMIT, PAGE_READWRITE) == base, "recommit");
	decommit(base, 6);
	wt_expect_pages(0, base, size, "the last copy", 4);
	wt_ok(ResetWriteWatch(base, size));
	wt_expect_none(0, base, size, "all reset");
}

/* MEM_COMMIT over committed pages is a protection change: it copies too. */
static void recommit_copies(char *base, SIZE_T size)
{
	tt_check(VirtualAlloc(base, NP * WPG, MEM_COMMIT, PAGE_READWRITE) == base, "commit");
	base[9 * WPG] = 1;
	base[10 * WPG] = 1;
	tt_check(VirtualAlloc(base + 9 * WPG, WPG, MEM_COMMIT, PAGE_READWRITE) == base + 9 * WPG,
		 "commit over a committed page");
	decommit(base + 9 * WPG, 2);
	wt_expect_pages(0, base, size, "committed over, then decommitted", 9);
	wt_ok(ResetWriteWatch(base, size));
}

int main(void)
{
	const SIZE_T size = NP * WPG;
	char *base;

	wine_sequence();
	base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	which_writes(base, size);
	resets(base, size);
	recommit_copies(base, size);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
