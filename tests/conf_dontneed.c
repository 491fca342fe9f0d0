/*
 * madvise(MADV_DONTNEED) on watched private anonymous memory drops the pages
 * (they read back as zeroes).  Outcomes, per backend:
 *  - uffd-async: the dropped pages read as written (their contents changed);
 *  - mprotect: the madvise is not seen; the pages keep their protection and
 *    are reported when next written;
 *  - uffd-sync: the madvise is not seen, and the kernel drops the pages'
 *    protection with them, so writes to them are not seen until the pages
 *    are reset (documented: call ww_reset() after MADV_DONTNEED).
 * On every backend a reset re-arms the pages.
 */
#include "tt.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(16 * TT_PAGE);
	bool sees_drop = !strcmp(ww_backend_name(t), "uffd-async");
	bool sees_write = strcmp(ww_backend_name(t), "uffd-sync") != 0;
	void *pages[16];

	memset(mem, 1, 8 * TT_PAGE);
	tt_ok(ww_watch(t, mem, 16 * TT_PAGE));
	tt_check(madvise(mem + 2 * TT_PAGE, 2 * TT_PAGE, MADV_DONTNEED) == 0, "madvise");
	tt_check(mem[2 * TT_PAGE] == 0, "dropped page reads as zero");
	tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, 16, 0), sees_drop ? 2 : 0);
	if (sees_drop)
		tt_check(pages[0] == mem + 2 * TT_PAGE && pages[1] == mem + 3 * TT_PAGE, "pages");
	mem[3 * TT_PAGE] = 5;   /* a write after the drop */
	tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, 16, WW_GET_RESET),
	       sees_drop ? 2 : sees_write ? 1 : 0);
	tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, 16, 0), 0);
	tt_ok(ww_reset(t, mem, 16 * TT_PAGE));  /* what uffd-sync needs after a drop */
	mem[2 * TT_PAGE] = 6;   /* re-armed by the reset */
	tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, 16, 0), 1);
	tt_check(pages[0] == mem + 2 * TT_PAGE, "re-armed page");
	ww_close(t);
	return 0;
}
