/*
 * Swapped-out pages: a page swapped out before take reads as SWAPPED, not
 * PRESENT, and must still be saved; a written page swapped out after it
 * must still be restored.  Needs an active swap device (MADV_PAGEOUT).
 */
#include "tt_snap.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static int swap_active(void)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[256];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1;   /* a header line, then one line per device */
}

/* Pages whose page-table entry is a swap entry (pagemap bit 62; mincore counts the swap cache). */
static size_t swapped_pages(const char *p, size_t n)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	unsigned long long e;
	size_t c = 0;

	tt_check(fd >= 0, "pagemap: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		off_t off = (off_t)(((uintptr_t)p / TT_PAGE + i) * sizeof(e));

		tt_check(pread(fd, &e, sizeof(e), off) == sizeof(e), "pagemap read");
		c += e >> 62 & 1;
	}
	close(fd);
	return c;
}

int main(void)
{
	struct tt_snap x = { .npages = 64, .gran = TT_PAGE, .seed = 17 };
	size_t len = x.npages * TT_PAGE, out = 0;

	if (!swap_active())
		tt_skip("no active swap device: swapped-out pages cannot be made here");
	x.t = tt_open();
	tt_snap_map_some(&x, 1);
	if (madvise(x.mem, len / 2, MADV_PAGEOUT))
		tt_skip("MADV_PAGEOUT: %s", strerror(errno));
	out = swapped_pages(x.mem, x.npages / 2);
	if (!out)
		tt_skip("MADV_PAGEOUT swapped nothing out");
	tt_snap_take(&x, 1);
	for (size_t pg = 0; pg < x.npages; pg += 3)
		tt_snap_write(&x, pg);
	tt_ok(madvise(x.mem, len, MADV_PAGEOUT));
	fprintf(stderr, "%zu of %zu pages are swapped out before restore\n",
		swapped_pages(x.mem, x.npages), x.npages);
	fprintf(stderr, "%zu of %zu pages were swapped out at take\n", out, x.npages / 2);
	tt_snap_restore_check(&x, 1, "after pageout");
	tt_snap_done(&x);
	ww_close(x.t);
	return 0;
}
