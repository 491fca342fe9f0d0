/* SPDX-License-Identifier: MIT */
/*
 * uffd-async: page-table holes, and the THP + MADV_DONTNEED over-report.
 *
 * A MADV_DONTNEED of a whole PMD-mapped THP, or of a whole 2 MiB block of
 * base pages where the kernel reclaims empty page tables (CONFIG_PT_RECLAIM),
 * frees the block's page table, and the markers in it.  Kernels before the
 * 2026 fix "fs/proc/task_mmu: fix PAGEMAP_SCAN written state for PMD holes"
 * skip such a hole in PAGEMAP_SCAN: the drop was not reported, a get+reset
 * did not re-arm the hole, and one write that faulted a THP in there later
 * read as 512 written pages.
 *
 * 1. ww_probe() says which kind of kernel this is.  That must be what a real
 *    dropped THP shows, asked with raw ioctls on a userfaultfd of the test's
 *    own (not checked when no THP can be had).
 * 2. The library, on each of its paths: the one this kernel gets; the
 *    two-part get of kernels that skip holes (WW_ASYNC_DEBUG_HOLES), which
 *    here finds what the kernel reports already; and that get with its
 *    first scan filtered so that it leaves every hole to the second part
 *    (WW_ASYNC_DEBUG_HOLES_FILTER), as a kernel that skips holes does: here
 *    too the holes are found, handed over and protected by the library
 *    alone.  Two blocks, backed by THPs when THP can be had and by base
 *    pages otherwise, are watched and dropped.  A get reports every dropped
 *    page.  get+resets of at most 100 pages (cutting inside a hole) hand
 *    each dropped page over exactly once.  Then the holes are armed again:
 *    one write is one page, a read is nothing.
 *
 * On a kernel that skips holes, the code before the hole scan fails step 2
 * (no page for the drop, then 512 for the one write).  This machine's kernel
 * has the fix: there, step 2 shows that both paths give the exact answer.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "tt.h"
#include "../src/uapi.h"
#include "../src/uffd_async_debug.h"

#define HUGE (2UL << 20)
#define LIMIT 100               /* pages per limited get+reset */

/* A userfaultfd of our own, user-mode-only when that is all this caller may have. */
static int raw_uffd(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 && errno == EPERM)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | 1 /* UFFD_USER_MODE_ONLY */);
	tt_check(fd >= 0, "userfaultfd: %s", strerror(errno));
	tt_check(ioctl(fd, UFFDIO_API, &api) == 0, "UFFDIO_API: %s", strerror(errno));
	return fd;
}

/* Written pages of [a, a + len) as PAGEMAP_SCAN reports them, no protection. */
static long raw_written(int pm, char *a, size_t len)
{
	struct page_region v[16];
	struct pm_scan_arg arg = {
		.size = sizeof(arg), .start = (uintptr_t)a, .end = (uintptr_t)a + len,
		.vec = (uintptr_t)v, .vec_len = 16,
		.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
	};
	long n = ioctl(pm, PAGEMAP_SCAN, &arg), pages = 0;

	tt_check(n >= 0, "PAGEMAP_SCAN: %s", strerror(errno));
	for (long i = 0; i < n; i++)
		pages += (long)((v[i].end - v[i].start) / TT_PAGE);
	return pages;
}

/* Does a dropped, write-protected THP read as written?  -1: no THP to be had. */
static int raw_dropped_thp_written(void)
{
	char *raw = tt_map(2 * HUGE), *mem = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	struct uffdio_register reg = { .range = { (uintptr_t)mem, HUGE },
				       .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .range = { (uintptr_t)mem, HUGE },
					  .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	int fd, pm, ret = -1;
	long got;

	if (madvise(mem, HUGE, MADV_HUGEPAGE))
		goto out;
	memset(mem, 1, HUGE);
	if (tt_anon_huge_kb(mem) < (long)(HUGE / 1024))
		goto out;
	fd = raw_uffd();
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	tt_check(pm >= 0, "open /proc/self/pagemap: %s", strerror(errno));
	tt_check(ioctl(fd, UFFDIO_REGISTER, &reg) == 0, "UFFDIO_REGISTER: %s", strerror(errno));
	tt_check(ioctl(fd, UFFDIO_WRITEPROTECT, &wp) == 0, "UFFDIO_WRITEPROTECT: %s",
		 strerror(errno));
	tt_check(raw_written(pm, mem, HUGE) == 0, "a protected THP reads as written");
	tt_check(madvise(mem, HUGE, MADV_DONTNEED) == 0, "MADV_DONTNEED: %s", strerror(errno));
	got = raw_written(pm, mem, HUGE);
	tt_check(got == 0 || got == (long)(HUGE / TT_PAGE),
		 "a dropped THP reads as %ld written pages: neither none nor all", got);
	ret = got > 0;
	close(pm);
	close(fd);
out:
	munmap(raw, 2 * HUGE);
	return ret;
}

static void check_probe(void)
{
	struct ww_probe p = { .size = sizeof(p) };
	int real;

	tt_ok(ww_probe(&p));
	tt_check(p.size == sizeof(p), "ww_probe filled %zu bytes of %zu", p.size, sizeof(p));
	tt_check(p.pagemap_hole_written == 0 || p.pagemap_hole_written == 1,
		 "pagemap_hole_written %d: no answer", p.pagemap_hole_written);
	real = raw_dropped_thp_written();
	if (real < 0) {
		fprintf(stderr, "no THP could be had: the probe's answer (%d) is not checked\n",
			p.pagemap_hole_written);
		return;
	}
	tt_check(real == p.pagemap_hole_written,
		 "ww_probe says a page-table hole reads as %swritten, a dropped THP reads as %s",
		 p.pagemap_hole_written ? "" : "not ", real ? "written" : "nothing");
	fprintf(stderr, "this kernel %s page-table holes\n", real ? "reports" : "skips");
}

/* get+resets of LIMIT pages until none is left: each page of the two blocks once. */
static void drain_limited(struct ww_tracker *t, char *mem, void **pages, const char *what)
{
	size_t npages = 2 * HUGE / TT_PAGE, total = 0;
	unsigned char *seen = calloc(npages, 1);
	ssize_t n;

	tt_check(seen != NULL, "calloc");
	for (int calls = 0; (n = ww_get(t, mem, 2 * HUGE, pages, LIMIT, WW_GET_RESET)) != 0;
	     calls++) {
		tt_check(n > 0 && n <= LIMIT, "%s: limited get+reset answered %zd", what, n);
		tt_check(calls < 2 * (int)(npages / LIMIT), "%s: no end after %d calls", what, calls);
		for (ssize_t i = 0; i < n; i++) {
			size_t at = (size_t)((char *)pages[i] - mem) / TT_PAGE;

			tt_check(at < npages && !seen[at], "%s: page %zu reported twice", what, at);
			seen[at] = 1;
		}
		total += (size_t)n;
	}
	tt_check(total == npages, "%s: the drop was handed over as %zu pages, not %zu", what,
		 total, npages);
	free(seen);
}

/* One variant: false when it needs a THP and none could be had. */
static bool run(struct ww_tracker *t, void **pages, bool thp, int mode)
{
	char *raw = tt_map(3 * HUGE), *mem = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	char *wpage = mem + 5 * TT_PAGE, *rpage = mem + HUGE + 7 * TT_PAGE;
	size_t max = 2 * HUGE / TT_PAGE;
	char what[64];
	ssize_t n;

	static const char *const names[] = { "this kernel's path", "two-part get",
					     "two-part get, first scan filtered" };
	static const unsigned flags[] = { 0, WW_ASYNC_DEBUG_HOLES,
					  WW_ASYNC_DEBUG_HOLES | WW_ASYNC_DEBUG_HOLES_FILTER };

	snprintf(what, sizeof(what), "%s, %s", thp ? "THPs" : "base pages", names[mode]);
	ww_async_debug = flags[mode];
	/* MADV_NOHUGEPAGE fails only on kernels without THP, where it is not needed. */
	if (madvise(mem, 2 * HUGE, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) && thp) {
		munmap(raw, 3 * HUGE);
		return false;
	}
	memset(mem, 1, 2 * HUGE);
	if (thp && tt_anon_huge_kb(mem) < (long)(2 * HUGE / 1024)) {
		munmap(raw, 3 * HUGE);
		return false;
	}
	tt_ok(ww_watch(t, mem, 2 * HUGE));
	tt_ret(ww_get(t, mem, 2 * HUGE, pages, max, 0), 0);
	tt_check(madvise(mem, 2 * HUGE, MADV_DONTNEED) == 0, "MADV_DONTNEED: %s", strerror(errno));
	/* Every dropped page reads as written until reset (writewatch(3)). */
	n = ww_get(t, mem, 2 * HUGE, pages, max, 0);
	tt_check(n == (ssize_t)max, "%s: a get after the drop reports %zd pages, not %zu", what,
		 n, max);
	drain_limited(t, mem, pages, what);
	tt_ret(ww_get(t, mem, 2 * HUGE, pages, max, 0), 0);
	/* Re-armed: a THP cannot come back without a write, and the write is one page. */
	*(volatile char *)wpage = 2;
	(void)*(volatile char *)rpage;
	n = ww_get(t, mem, 2 * HUGE, pages, max, WW_GET_RESET);
	tt_check(n == 1 && pages[0] == wpage,
		 "%s: one write and one read after the reset read as %zd pages", what, n);
	tt_ret(ww_get(t, mem, 2 * HUGE, pages, max, 0), 0);
	tt_ok(ww_unwatch(t, mem, 2 * HUGE));
	munmap(raw, 3 * HUGE);
	fprintf(stderr, "%s: exact\n", what);
	return true;
}

int main(void)
{
	void **pages = (void **)tt_map(2 * HUGE / TT_PAGE * sizeof(void *));
	struct ww_tracker *t;
	int thp_runs = 0;

	t = tt_open();          /* first: skips where uffd-async cannot open */
	check_probe();
	for (int mode = 0; mode < 3; mode++) {
		run(t, pages, false, mode);
		/* A THP may not be had every time: a few tries each. */
		for (int i = 0; i < 5; i++)
			if (run(t, pages, true, mode)) {
				thp_runs++;
				break;
			}
	}
	if (thp_runs < 3)
		fprintf(stderr, "THPs were had in %d of 3 variants: the base-page ones ran\n",
			thp_runs);
	ww_async_debug = 0;
	ww_close(t);
	return 0;
}
