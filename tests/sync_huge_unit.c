/*
 * uffd-sync: a hugetlb page whose fault the thread first tries to resolve a
 * base page at a time (issue 8 item 2).  That happened to a hugetlb VMA
 * inside a range watched at the base page size, before the core refused
 * ranges that mix page sizes; no real program reaches it now, so the debug
 * hook WW_UFFD_SYNC_DEBUG_BASE_UNPROTECT makes the thread start from a base
 * page.  The kernel refuses that unprotect (EINVAL, not aligned to the huge
 * page).  The old thread woke the writer anyway, which faulted again,
 * forever; now the whole huge page is unprotected and reported.
 */
#include "sync_util.h"
#include "tt_hugetlb.h"
#include "../src/uffd_sync_debug.h"

#define NHUGE 2

int main(void)
{
	struct ww_tracker *t;
	void *pages[NHUGE];
	size_t hs;
	char *mem;

	ww_uffd_sync_debug = WW_UFFD_SYNC_DEBUG_BASE_UNPROTECT;
	t = sync_open();
	sync_hang_guard(60);
	mem = tt_hugetlb_map(NHUGE, &hs);
	mem[0] = 1;                                     /* huge page 0 populated */
	tt_ok(ww_watch(t, mem, NHUGE * hs));

	mem[hs + 3 * TT_PAGE + 5] = 2;                  /* never touched, past its first base page */
	mem[hs - 1] = 3;                                /* the last base page of huge page 0 */
	tt_ret(ww_get(t, mem, NHUGE * hs, pages, NHUGE, WW_GET_RESET), 2);
	tt_check(pages[0] == mem && pages[1] == mem + hs, "wrong huge pages reported");
	tt_ret(ww_get(t, mem, NHUGE * hs, pages, NHUGE, 0), 0);

	/* Re-armed whole: a write to another base page of the huge page faults again. */
	mem[hs + 100 * TT_PAGE] = 4;
	tt_ret(ww_get(t, mem, NHUGE * hs, pages, NHUGE, 0), 1);
	tt_check(pages[0] == mem + hs, "rewrite of huge page 1");
	tt_ok(ww_unwatch(t, mem, NHUGE * hs));
	ww_close(t);
	tt_check(mem[hs + 3 * TT_PAGE + 5] == 2 && mem[hs - 1] == 3 && mem[0] == 1, "contents");
	munmap(mem, NHUGE * hs);
	return 0;
}
