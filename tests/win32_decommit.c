/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: MEM_DECOMMIT forgets the write-watch state of the pages it
 * decommits, as Windows does (a page's write lives in its page table entry,
 * which a decommit throws away): written pages that no protection change
 * covered since are no longer reported, the pages outside the decommitted
 * range keep theirs, decommitted pages are not reported after recommitting
 * and reading them either, and pages written after a recommit are tracked
 * again.  (Pages written before a VirtualProtect over them are the
 * exception: tests/win32_decommit_kept.c.)
 */
#include "win32_tt.h"

#define NP 16

static void commit(char *p, size_t npages)
{
	tt_check(VirtualAlloc(p, npages * WPG, MEM_COMMIT, PAGE_READWRITE) == p,
		 "commit: %u", (unsigned)GetLastError());
}

static void decommit(char *p, size_t npages)
{
	tt_check(VirtualFree(p, npages * WPG, MEM_DECOMMIT), "decommit: %u",
		 (unsigned)GetLastError());
}

/* Written pages inside the decommitted range are forgotten, the others kept. */
static void partial(char *base, SIZE_T size)
{
	size_t i;

	base[2 * WPG] = 1;
	base[5 * WPG] = 1;
	base[7 * WPG] = 1;
	base[9 * WPG] = 1;
	decommit(base + 4 * WPG, 4);
	wt_expect_pages(0, base, size, "decommit forgets pages 5 and 7", 2, 9);
	tt_check(wt_access_faults(base + 5 * WPG, 0), "a decommitted page is accessible");

	/* Recommit: contents are gone; reading adds nothing. */
	commit(base + 4 * WPG, 4);
	for (i = 4; i < 8; i++)
		tt_check(((volatile char *)base)[i * WPG] == 0, "page %zu kept its contents", i);
	wt_expect_pages(0, base, size, "after recommit and reads", 2, 9);

	/* Writes after the recommit are tracked, in order, once each. */
	base[6 * WPG] = 2;
	base[5 * WPG] = 2;
	base[2 * WPG] = 2;
	wt_expect_pages(0, base, size, "written after the recommit", 2, 5, 6, 9);
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 2, WT_PAGES(base, 2, 5), 2, "reset 2");
	wt_expect_pages(0, base, size, "only the returned were reset", 6, 9);
	wt_ok(ResetWriteWatch(base, size));
}

/* Never-written pages: decommit, recommit, read, decommit again: nothing. */
static void unwritten(char *base, SIZE_T size)
{
	size_t i;

	decommit(base, NP);
	wt_expect_none(0, base, size, "decommitted unwritten");
	commit(base, NP);
	for (i = 0; i < NP; i++)
		(void)((volatile char *)base)[i * WPG];
	wt_expect_none(0, base, size, "recommitted and read");
	decommit(base, NP);
	commit(base, NP);
	wt_expect_none(0, base, size, "twice");
	base[3 * WPG] = 4;
	wt_expect_pages(0, base, size, "first write after all that", 3);
	wt_ok(ResetWriteWatch(base, size));
}

/* A write, a decommit, a recommit and the same write again: reported once. */
static void rewrite(char *base, SIZE_T size)
{
	base[WPG] = 5;
	base[12 * WPG] = 5;
	decommit(base + WPG, 1);
	commit(base + WPG, 1);
	base[WPG] = 5;
	wt_expect_pages(0, base, size, "rewritten after a recommit", 1, 12);
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, WT_PAGES(base, 1), 1, "drain 1");
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, WT_PAGES(base, 12), 1, "drain 12");
	wt_expect_none(0, base, size, "drained");
}

int main(void)
{
	const SIZE_T size = NP * WPG;
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);

	partial(base, size);
	unwritten(base, size);
	rewrite(base, size);

	/* Size 0 at the base decommits the whole allocation: everything forgotten. */
	base[0] = 6;
	base[11 * WPG] = 6;
	base[15 * WPG] = 6;
	tt_check(VirtualFree(base, 0, MEM_DECOMMIT), "decommit all");
	wt_expect_none(0, base, size, "decommit all");
	commit(base, NP);
	tt_check(base[0] == 0 && base[11 * WPG] == 0, "contents survived");
	wt_expect_none(0, base, size, "recommit all");
	base[11 * WPG] = 7;
	wt_expect_pages(0, base, size, "tracked after the whole decommit", 11);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
