/*
 * uffd-async: the PAGEMAP_SCAN result buffer is never watched memory.
 *
 * The kernel writes a get's results into the backend's buffer after its
 * page-table walk.  If that buffer were on the heap (it once came from
 * calloc) and the heap were watched, the kernel's writes would be reported
 * as the application's: the next get would report pages nobody wrote.
 *
 * The test keeps all of its own allocations off the heap (mmap), makes the
 * heap hold a large block (so that the tracker's allocations come after it),
 * opens the tracker (which allocates on the heap), and watches the whole
 * [heap] except the pages of the tracker struct itself, whose mutex every
 * call takes (the library's own writes, not the kernel's).  It writes every
 * other page of the block, so that a get returns many runs and fills far
 * more of a result buffer than the tracker's page, then checks that a get
 * after a get+reset reports nothing, and that a write is still reported.
 */
#include <malloc.h>
#include <stdint.h>

#include "tt.h"

#define BLOCK_PAGES 1024        /* heap block the test writes into */
#define RUNS 400                /* runs per get: 400 x 16 bytes >> one page */

/* The [heap] mapping of /proc/self/maps, or skip. */
static void heap_bounds(uintptr_t *start, uintptr_t *end)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	if (!f)
		tt_skip("/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", &s, &e) == 2) {
			fclose(f);
			*start = s;
			*end = e;
			return;
		}
	}
	fclose(f);
	tt_skip("this process has no [heap] mapping (brk unavailable)");
}

/* Watch [start, end) minus the pages of [hole, hole_end). */
static void watch_around(struct ww_tracker *t, uintptr_t start, uintptr_t end,
			 uintptr_t hole, uintptr_t hole_end)
{
	hole &= ~(uintptr_t)(TT_PAGE - 1);
	hole_end = (hole_end + TT_PAGE - 1) & ~(uintptr_t)(TT_PAGE - 1);
	if (hole > start)
		tt_ok(ww_watch(t, (void *)start, hole - start));
	if (end > hole_end)
		tt_ok(ww_watch(t, (void *)hole_end, end - hole_end));
	if (hole > start)
		tt_ok(ww_reset(t, (void *)start, hole - start));
	if (end > hole_end)
		tt_ok(ww_reset(t, (void *)hole_end, end - hole_end));
}

/* ww_get over [start, end) minus the hole, summed over both parts. */
static ssize_t get_around(struct ww_tracker *t, uintptr_t start, uintptr_t end,
			  uintptr_t hole, uintptr_t hole_end, void **pages, size_t max,
			  unsigned flags)
{
	ssize_t a = 0, b = 0;

	hole &= ~(uintptr_t)(TT_PAGE - 1);
	hole_end = (hole_end + TT_PAGE - 1) & ~(uintptr_t)(TT_PAGE - 1);
	if (hole > start)
		a = ww_get(t, (void *)start, hole - start, pages, max, flags);
	if (a < 0)
		return a;
	if (end > hole_end)
		b = ww_get(t, (void *)hole_end, end - hole_end, pages + a, max - a, flags);
	return b < 0 ? b : a + b;
}

int main(void)
{
	size_t max = 2 * BLOCK_PAGES;
	void **pages = (void **)tt_map(max * sizeof(void *));
	uintptr_t hs, he, tp, blk;
	struct ww_tracker *t;
	char *block;
	ssize_t n;

	/* Keep large blocks on the heap (brk) rather than in their own mappings. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	block = malloc(BLOCK_PAGES * TT_PAGE);
	if (!block)
		tt_fail("malloc of the heap block");
	t = tt_open();
	tp = (uintptr_t)t;
	heap_bounds(&hs, &he);
	if (tp < hs || tp >= he || (uintptr_t)block < hs)
		tt_skip("malloc does not allocate from the brk heap here");
	blk = ((uintptr_t)block + TT_PAGE - 1) & ~(uintptr_t)(TT_PAGE - 1);
	/* 256 bytes cover struct ww_tracker and its mutex. */
	watch_around(t, hs, he, tp, tp + 256);

	for (size_t i = 0; i < RUNS; i++)
		((volatile char *)blk)[2 * i * TT_PAGE] = 1;
	n = get_around(t, hs, he, tp, tp + 256, pages, max, WW_GET_RESET);
	tt_ret(n, RUNS);
	n = get_around(t, hs, he, tp, tp + 256, pages, max, 0);
	if (n > 0)
		tt_fail("%zd heap page(s) reported after a get+reset with nothing written, first "
			"at heap+%#lx (the scan buffer is in watched memory)", n,
			(unsigned long)((uintptr_t)pages[0] - hs));
	tt_ret(n, 0);

	((volatile char *)blk)[7 * TT_PAGE] = 2;
	n = get_around(t, hs, he, tp, tp + 256, pages, max, 0);
	tt_ret(n, 1);
	tt_check(pages[0] == (void *)(blk + 7 * TT_PAGE), "wrong page reported");
	ww_close(t);
	return 0;
}
