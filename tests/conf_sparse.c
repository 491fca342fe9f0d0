/* SPDX-License-Identifier: MIT */
/*
 * A large, mostly never-touched range (1 GiB, a few pages populated before
 * the watch): every kind of page a sparse range holds, on every backend.
 *
 *  - never touched: not reported, in a block with populated pages (a hole
 *    in an existing page table) and in a block without any (no page table);
 *  - only read: not reported (the shared zero page is mapped);
 *  - written: reported, whether populated before the watch, in a hole of a
 *    populated block, in an untouched block, or after a read mapped the zero
 *    page; reset re-arms exactly those;
 *  - MADV_DONTNEED: per backend (README, conf_dontneed): uffd-async reports
 *    a dropped page that held memory when last armed (watched, reset, or
 *    reported by a get+reset), and not a dropped page that was never
 *    populated (its content, zeroes, did not change); mprotect and uffd-sync
 *    do not see the drop, only writes before it (uffd-sync after ww_reset).
 *
 * The two kinds of never-touched page are the two ways a kernel may report
 * a hole to PAGEMAP_SCAN (a page-table entry that is empty; a page table
 * that does not exist); on uffd-async the test prints which of them this
 * kernel reads as written when no filter is asked, and the answers must be
 * exact either way.
 */
#include <fcntl.h>
#include <sys/ioctl.h>

#include "tt_sparse.h"
#include "../src/uapi.h"

#define LEN (1UL << 30)

static char *base;

static void touch(const size_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		base[w[i] * TT_PAGE] = 1;
}

static void expect(struct ww_tracker *t, unsigned flags, const size_t *want, size_t n,
		   const char *what)
{
	tts_expect(t, base, LEN, flags, want, n, what);
}

/* What an unfiltered PAGEMAP_SCAN says of the page at idx (-1 if it cannot say). */
static long hole_reads(size_t idx)
{
	struct page_region v[1];
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = (uintptr_t)base + idx * TT_PAGE,
		.end = (uintptr_t)base + (idx + 1) * TT_PAGE, .vec = (uintptr_t)v, .vec_len = 1,
		.return_mask = PAGE_IS_WRITTEN | PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};
	int fd = open("/proc/self/pagemap", O_RDONLY);
	long n = fd < 0 ? -1 : ioctl(fd, PAGEMAP_SCAN, &a);

	if (fd >= 0)
		close(fd);
	return n == 1 ? (long)v[0].categories : n == 0 ? 0 : -1;
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	bool async = !strcmp(ww_backend_name(t), "uffd-async");
	bool sync = !strcmp(ww_backend_name(t), "uffd-sync");
	const size_t pre[] = { 0, 1, 600, 70000, 262143 };
	const size_t w1[] = { 1, 3, 150000 };
	const size_t ro[] = { 2, 100000, 200000 };
	const size_t w2[] = { 2, 200000 };
	const size_t drop_async[] = { 0, 1, 3, 600 }, drop_other[] = { 1, 600 };
	const size_t w3[] = { 0, 5, 180000 };
	volatile char sink = 0;

	base = tts_map(LEN);
	if (!base)
		tt_skip("cannot map 1 GiB of address space: %s", strerror(errno));
	touch(pre, 5);
	tt_ok(ww_watch(t, base, LEN));
	tts_check_mode(t, base, 1);
	if (async)
		fprintf(stderr, "this kernel's holes: in a page table %#lx, without one %#lx "
			"(WRITTEN is %#x)\n", hole_reads(4), hole_reads(140000), PAGE_IS_WRITTEN);
	expect(t, 0, NULL, 0, "after watch");

	for (size_t i = 0; i < 3; i++)
		sink += base[ro[i] * TT_PAGE];
	touch(w1, 3);
	expect(t, 0, w1, 3, "written (before the watch, hole, untouched block), read-only");
	expect(t, WW_GET_RESET, w1, 3, "get+reset");
	expect(t, 0, NULL, 0, "after get+reset");

	touch(w2, 2);           /* over the zero pages the reads mapped */
	expect(t, WW_GET_RESET, w2, 2, "written after a read");

	base[600 * TT_PAGE] = 2;
	for (size_t p = 0; p < 4; p++) {
		static const size_t drop[] = { 0, 3, 5, 180000 };

		tt_check(madvise(base + drop[p] * TT_PAGE, TT_PAGE, MADV_DONTNEED) == 0, "madvise");
	}
	tt_check(madvise(base + 600 * TT_PAGE, TT_PAGE, MADV_DONTNEED) == 0, "madvise");
	tt_check(base[3 * TT_PAGE] == 0, "a dropped page reads back as zero");
	base[1 * TT_PAGE] = 3;  /* a written page among the dropped ones */
	if (async)
		expect(t, 0, drop_async, 4, "dropped: populated when armed, or written");
	else
		expect(t, 0, drop_other, 2, "dropped: only the writes");
	/* One page per get+reset: dropped and written pages in order, none lost, none twice. */
	for (size_t i = 0, n = async ? 4 : 2; i <= n; i++) {
		void *page = NULL;
		ssize_t got = ww_get(t, base, LEN, &page, 1, WW_GET_RESET);

		tt_ret(got, i < n);
		if (got)
			tt_check(page == base + (async ? drop_async : drop_other)[i] * TT_PAGE,
				 "limited get+reset #%zu: page %zd", i, ((char *)page - base) / (ssize_t)TT_PAGE);
	}
	expect(t, 0, NULL, 0, "after the drop's get+reset");
	if (sync)
		tt_ok(ww_reset(t, base, LEN));  /* documented: reset after MADV_DONTNEED */
	touch(w3, 3);
	expect(t, WW_GET_RESET, w3, 3, "written after the drop");

	tt_ok(ww_reset(t, base, LEN));
	expect(t, 0, NULL, 0, "after ww_reset");
	tt_ok(ww_unwatch(t, base, LEN));
	base[4 * TT_PAGE] = 1;  /* usable as before */
	ww_close(t);
	(void)sink;
	return 0;
}
