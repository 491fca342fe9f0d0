/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend on hugetlb memory: tracked per huge page (the
 * granularity is the huge page size; a write anywhere in a huge page
 * reports that huge page), re-protected per huge page, split at huge page
 * boundaries, and given back writable.  Reserves hugetlb pages through
 * /proc/sys/vm/nr_hugepages when it can (root) and restores the old value;
 * skips otherwise.
 */
#include "mprotect_tt.h"
#include "tt_hugetlb.h"

#define NHUGE 4
int main(void)
{
	struct ww_tracker *t;
	size_t hs;
	char *mem;
	void *pages[NHUGE];
	struct ww_region reg[NHUGE];
	void *next;

	mt_require_mprotect();
	t = tt_open();
	mem = tt_hugetlb_map(NHUGE, &hs);
	mem[0] = 1;     /* populate one huge page before watching */

	tt_ret(ww_watch(t, mem + TT_PAGE, hs), -EINVAL);        /* not huge-page aligned */
	tt_ok(ww_watch(t, mem, NHUGE * hs - TT_PAGE));          /* len rounds up */
	tt_ret(ww_granularity(t, mem + hs + 5), (ssize_t)hs);
	mt_expect_perms(mem + 3 * hs, "r--", "after watch");
	tt_ret(ww_get(t, mem, NHUGE * hs, pages, NHUGE, 0), 0);

	/* A write anywhere in a huge page reports that huge page. */
	mem[hs + hs / 2 + 17] = 1;
	mt_expect_perms(mem + hs, "rw-", "written huge page");
	mt_expect_perms(mem + 2 * hs, "r--", "clean huge page");
	tt_ret(ww_get(t, mem, NHUGE * hs, pages, NHUGE, 0), 1);
	tt_check(pages[0] == mem + hs, "reported %p, want %p", pages[0], (void *)(mem + hs));
	/* A sub-range of one huge page rounds out to it. */
	tt_ret(ww_get(t, mem + hs + 3 * TT_PAGE, TT_PAGE, pages, NHUGE, 0), 1);

	mem[3 * hs + hs - 1] = 1;
	tt_ret(ww_get_regions(t, mem, NHUGE * hs, reg, NHUGE, WW_GET_RESET, &next), 2);
	tt_check(reg[0].start == (uintptr_t)(mem + hs) && reg[0].end == (uintptr_t)(mem + 2 * hs),
		 "region 0 wrong");
	tt_check(reg[1].start == (uintptr_t)(mem + 3 * hs) && reg[1].end == (uintptr_t)(mem + 4 * hs),
		 "region 1 wrong");
	tt_check(next == mem + NHUGE * hs, "next %p", next);
	mt_expect_perms(mem + hs, "r--", "after get+reset");
	tt_ret(ww_get(t, mem, NHUGE * hs, pages, NHUGE, 0), 0);

	/* Unwatch a huge page in the middle: the rest is still tracked. */
	tt_ret(ww_unwatch(t, mem + 2 * hs, TT_PAGE), -EINVAL);
	tt_ok(ww_unwatch(t, mem + hs, hs));
	mt_expect_perms(mem + hs, "rw-", "unwatched huge page");
	mem[hs + 5] = 1;
	mem[2 * hs + 5] = 1;
	tt_ret(ww_get(t, mem + hs, hs, pages, NHUGE, 0), -ENOENT);
	tt_ret(ww_get(t, mem + 2 * hs, 2 * hs, pages, NHUGE, 0), 1);
	tt_check(pages[0] == mem + 2 * hs, "after split: reported %p", pages[0]);
	mem[0] = 2;
	tt_ret(ww_get(t, mem, hs, pages, NHUGE, 0), 1);

	ww_close(t);
	mt_expect_perms(mem + 3 * hs, "rw-", "after close");
	mem[3 * hs] = 3;
	munmap(mem, NHUGE * hs);
	return 0;
}
