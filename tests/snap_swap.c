/*
 * Swapped-out pages: a page swapped out before take reads as SWAPPED, not
 * PRESENT, and must still be saved; a written page swapped out after it
 * must still be restored.  Needs swap (tt_swap.h: as root, a file of its own).
 */
#include "tt_snap.h"
#include "tt_swap.h"

int main(void)
{
	struct tt_snap x = { .npages = 64, .gran = TT_PAGE, .seed = 17 };
	size_t len = x.npages * TT_PAGE, out = 0;

	tt_swap_or_skip();
	x.t = tt_open();
	tt_snap_map_some(&x, 1);
	if (madvise(x.mem, len / 2, MADV_PAGEOUT))
		tt_skip("MADV_PAGEOUT: %s", strerror(errno));
	out = tt_swapped_pages(x.mem, x.npages / 2);
	if (!out)
		tt_skip("MADV_PAGEOUT swapped nothing out");
	tt_snap_take(&x, 1);
	for (size_t pg = 0; pg < x.npages; pg += 3)
		tt_snap_write(&x, pg);
	tt_ok(madvise(x.mem, len, MADV_PAGEOUT));
	fprintf(stderr, "%zu of %zu pages are swapped out before restore\n",
		tt_swapped_pages(x.mem, x.npages), x.npages);
	fprintf(stderr, "%zu of %zu pages were swapped out at take\n", out, x.npages / 2);
	tt_snap_restore_check(&x, 1, "after pageout");
	tt_snap_done(&x);
	ww_close(x.t);
	return 0;
}
