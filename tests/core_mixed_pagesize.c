/*
 * A range has one page size.  ww_watch over [anon][hugetlb][anon] is
 * refused with -EINVAL (today's checks looked at the first and last page
 * only), and changes nothing; each part watched on its own works, in its own
 * unit: one write to the huge page is one huge page reported.
 */
#include "tt.h"
#include "tt_hugetlb.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t hs;
	char *huge = tt_hugetlb_map(1, &hs), *area, *h;
	void *pages[8];

	/* Reserve 3 huge pages of address space, aligned, and build the sandwich in it. */
	area = mmap(NULL, 4 * hs, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	tt_check(area != MAP_FAILED, "reserve");
	area = (char *)(((uintptr_t)area + hs - 1) & ~(uintptr_t)(hs - 1));
	h = area + hs;
	tt_check(mremap(huge, hs, hs, MREMAP_MAYMOVE | MREMAP_FIXED, h) == h, "mremap hugetlb");
	tt_check(mmap(area, hs, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		      -1, 0) == area, "anon before");
	tt_check(mmap(h + hs, hs, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == h + hs, "anon after");

	tt_ret(ww_watch(t, area, 3 * hs), -EINVAL);
	tt_ret(ww_watch(t, area, 2 * hs), -EINVAL);            /* anon then hugetlb */
	tt_ret(ww_watch(t, area + hs - TT_PAGE, 2 * TT_PAGE), -EINVAL);
	tt_ret(ww_granularity(t, area), -ENOENT);              /* nothing was registered */

	tt_ok(ww_watch(t, area, hs));
	tt_ok(ww_watch(t, h, hs));
	tt_ok(ww_watch(t, h + hs, hs));
	tt_ret(ww_granularity(t, h), (ssize_t)hs);
	tt_ret(ww_granularity(t, area), (ssize_t)TT_PAGE);
	h[12345] = 1;           /* must return: uffd-sync once spun here forever */
	area[0] = 1;
	tt_ret(ww_get(t, area, 3 * hs, pages, 8, WW_GET_RESET), 2);
	tt_check(pages[0] == area && pages[1] == h, "pages %p %p", pages[0], pages[1]);
	tt_ret(ww_get(t, area, 3 * hs, pages, 8, 0), 0);
	ww_close(t);
	return 0;
}
