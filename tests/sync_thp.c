/*
 * uffd-sync on a transparent huge page (MADV_HUGEPAGE): one written byte
 * reports one 4 KiB page, the rest of the huge page stays clean and
 * protected (the kernel splits the PMD when one 4 KiB page is unprotected).
 */
#include <sys/mman.h>

#include "sync_util.h"

#define HPAGE (2UL << 20)
#define NPAGES (HPAGE / TT_PAGE)

int main(void)
{
	struct ww_tracker *t = sync_open();
	unsigned char *truth = calloc(NPAGES, 1);
	char *raw, *mem;
	void *pages[8];

	sync_hang_guard(60);
	raw = tt_map(2 * HPAGE);
	mem = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	if (madvise(mem, HPAGE, MADV_HUGEPAGE))
		tt_skip("MADV_HUGEPAGE: %s", strerror(errno));
	memset(mem, 1, HPAGE);
	if (tt_anon_huge_kb(mem) < 2048)
		tt_skip("no transparent huge page was allocated (THP disabled or memory fragmented)");

	tt_ok(ww_watch(t, mem, HPAGE));
	tt_check(ww_granularity(t, mem) == (ssize_t)TT_PAGE, "THP granularity must be 4 KiB");
	tt_expect_written(t, mem, NPAGES, truth, "fresh THP watch");
	mem[300 * TT_PAGE + 7] = 2;
	truth[300] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "one byte written in the THP");
	tt_check(sync_wp_pages(mem, NPAGES) == NPAGES - 1, "%zu of %lu pages protected",
		 sync_wp_pages(mem, NPAGES), NPAGES);
	tt_ret(ww_get(t, mem, HPAGE, pages, 8, WW_GET_RESET), 1);
	tt_check(pages[0] == mem + 300 * TT_PAGE, "wrong page reported");
	truth[300] = 0;
	tt_expect_written(t, mem, NPAGES, truth, "after get+reset");
	mem[HPAGE - 1] = 3;
	mem[0] = 3;
	truth[0] = truth[NPAGES - 1] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "first and last byte");
	tt_check(mem[300 * TT_PAGE + 7] == 2 && mem[1] == 1, "contents changed");
	ww_close(t);
	free(truth);
	tt_check(sync_wp_pages(mem, NPAGES) == 0, "protection left after close");
	return 0;
}
