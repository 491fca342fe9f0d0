/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: MEM_DECOMMIT drops the pages' contents but keeps the
 * write-watch state: written pages stay reported until reset, decommitted
 * pages that were not written are never reported (not after recommitting,
 * reading or re-decommitting them either), and pages written after a
 * recommit are tracked, once each, merged in order with the kept ones, with
 * WRITE_WATCH_FLAG_RESET and a small count resetting only what it returned.
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

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

int main(void)
{
	const SIZE_T size = NP * WPG;
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	size_t i;

	base[2 * WPG] = 1;
	base[5 * WPG] = 1;
	base[7 * WPG] = 1;
	decommit(base + 4 * WPG, 4);
	wt_expect_pages(0, base, size, "written pages survive decommit", 2, 5, 7);
	tt_check(wt_access_faults(base + 5 * WPG, 0), "a decommitted page is accessible");

	/* Recommit: contents are gone; reading adds nothing. */
	commit(base + 4 * WPG, 4);
	for (i = 4; i < 8; i++)
		tt_check(((volatile char *)base)[i * WPG] == 0, "page %zu kept its contents", i);
	wt_expect_pages(0, base, size, "after recommit and reads", 2, 5, 7);

	/* New writes merge in order, without duplicates. */
	base[6 * WPG] = 2;
	base[5 * WPG] = 2;
	base[9 * WPG] = 2;
	wt_expect_pages(0, base, size, "merged", 2, 5, 6, 7, 9);
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 2, WT_PAGES(base, 2, 5), 2, "reset 2");
	wt_expect_pages(0, base, size, "only the returned were reset", 6, 7, 9);
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 2, WT_PAGES(base, 6, 7), 2, "reset 2 more");
	wt_expect_pages(0, base, size, "last one", 9);
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "reset last", 9);
	wt_expect_none(0, base, size, "all reset");
	base[5 * WPG] = 3;
	base[7 * WPG] = 3;
	wt_expect_pages(0, base, size, "kept pages tracked again after reset", 5, 7);
	wt_ok(ResetWriteWatch(base, size));

	/* Never-written pages: decommit, recommit, read, decommit again: nothing. */
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

	/* ResetWriteWatch and get-reset clear kept pages; a sub-range reset only its part. */
	base[10 * WPG] = 5;
	base[12 * WPG] = 5;
	decommit(base + 8 * WPG, 8);
	wt_ok(ResetWriteWatch(base + 10 * WPG, WPG));
	wt_expect_pages(0, base, size, "sub-range reset of kept pages", 3, 12);
	wt_expect_sub(WRITE_WATCH_FLAG_RESET, base, base + 8 * WPG, 8 * WPG, "get-reset kept",
		      12);
	wt_expect_pages(0, base, size, "kept page reset", 3);
	commit(base + 8 * WPG, 8);
	wt_expect_pages(0, base, size, "recommitted after reset", 3);

	/* Whole-allocation decommit with size 0 at the base (Wine's last check). */
	base[11 * WPG] = 6;
	tt_check(VirtualFree(base, 0, MEM_DECOMMIT), "decommit all");
	wt_expect_pages(0, base, size, "decommit all", 3, 11);
	commit(base, NP);
	tt_check(base[3 * WPG] == 0 && base[11 * WPG] == 0, "contents survived");
	wt_expect_pages(0, base, size, "recommit all", 3, 11);

	/* A drain with capacity 1 over kept and new pages returns each once. */
	base[0] = 7;
	base[11 * WPG] = 7;
	base[15 * WPG] = 7;
	{
		static const size_t order[] = { 0, 3, 11, 15 };

		for (i = 0; i < 4; i++) {
			void *want = base + order[i] * WPG;

			wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, &want, 1, "drain");
		}
	}
	wt_expect_none(0, base, size, "drained");
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
