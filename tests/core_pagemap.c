/* SPDX-License-Identifier: MIT */
/*
 * ww_pagemap_scan on a known layout gives exact counts per category:
 * present, zero page, file-backed and guard pages of an anonymous area and
 * a memfd, the three pages of a 1 TiB sparse reservation, a THP (as many
 * huge pages as smaps says), written pages of a range the backend under
 * test tracks (uffd-async: WPALLOWED and exactly the pages written; the
 * other backends leave WPALLOWED clear); runs are merged across a small
 * output array, and bad arguments get -EINVAL.
 */
#include "pagemap_layout.h"

/* Pages of [a, b) having bit (0: every page reported), scanning with anyof and report, max runs per call. */
static size_t count(struct ww_pagemap *pm, const void *a, size_t len, uint32_t anyof,
		    uint32_t report, uint32_t bit, size_t max)
{
	struct ww_page_run runs[64];
	uint64_t cur = (uintptr_t)a, end = cur + len, next;
	size_t pages = 0;

	while (cur < end) {
		ssize_t n = ww_pagemap_scan(pm, cur, end, anyof, report, runs, max, &next), i;

		tt_check(n >= 0, "ww_pagemap_scan: %s", strerror((int)-n));
		for (i = 0; i < n; i++) {
			tt_check(runs[i].start >= cur && runs[i].end <= next && runs[i].start < runs[i].end,
				 "run %zd [%#llx, %#llx) outside the walk", i,
				 (unsigned long long)runs[i].start, (unsigned long long)runs[i].end);
			tt_check(!i || runs[i].start >= runs[i - 1].end, "runs not ascending");
			if (!bit || runs[i].categories & bit)
				pages += (runs[i].end - runs[i].start) / TT_PAGE;
		}
		tt_check(next > cur || n == 0, "no progress");
		if (next <= cur)
			break;
		cur = next;
	}
	return pages;
}

#define POP (WW_PAGE_IS_PRESENT | WW_PAGE_IS_SWAPPED)

static void check_layout(struct ww_pagemap *pm, uint32_t cats)
{
	struct pl_layout l;
	size_t pg = TT_PAGE, alen = PL_ANON_PAGES * pg;

	pl_build(&l);
	tt_ret(count(pm, l.anon, alen, POP, POP, WW_PAGE_IS_PRESENT, 64), PL_WRITTEN + PL_READ);
	tt_ret(count(pm, l.anon, alen, POP, WW_PAGE_IS_PFNZERO, WW_PAGE_IS_PFNZERO, 64), PL_READ);
	tt_ret(count(pm, l.anon, alen, POP, WW_PAGE_IS_FILE, WW_PAGE_IS_FILE, 64), 0);
	/* One run per call: the library resumes, and the total does not change. */
	tt_ret(count(pm, l.anon, alen, POP, WW_PAGE_IS_PFNZERO | WW_PAGE_IS_PRESENT,
		     WW_PAGE_IS_PRESENT, 1), PL_WRITTEN + PL_READ);
	if (cats & WW_PAGE_IS_GUARD)
		tt_ret(count(pm, l.anon, alen, WW_PAGE_IS_GUARD, WW_PAGE_IS_GUARD,
			     WW_PAGE_IS_GUARD, 64), l.guards);
	tt_ret(count(pm, l.file, PL_FILE_PAGES * pg, POP, POP | WW_PAGE_IS_FILE,
		     WW_PAGE_IS_FILE, 64), PL_FILE_WRITTEN);
	tt_ret(count(pm, l.sparse, PL_SPARSE_LEN, POP, POP, WW_PAGE_IS_PRESENT, 64),
	       PL_SPARSE_WRITTEN);
	/* Everything mapped when anyof is 0: the untouched pages too. */
	tt_ret(count(pm, l.anon, PL_GUARD_AT * pg, 0, WW_PAGE_IS_PRESENT, 0, 64), PL_GUARD_AT);
}

/* The AnonHugePages of the smaps entry starting at addr, in bytes (-1 if not found). */
static long smaps_thp(const void *addr)
{
	char line[256], want[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	long kb = -1;
	int in = 0;

	tt_check(f, "open smaps: %s", strerror(errno));
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)addr);
	while (fgets(line, sizeof(line), f)) {
		/* VMA lines start with a lowercase hex address, field lines with a capital. */
		if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))
			in = !strncmp(line, want, strlen(want));
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static void check_thp(struct ww_pagemap *pm)
{
	size_t huge = 2UL << 20, pg = TT_PAGE;
	char *raw = tt_map(3 * huge);
	char *mem = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
	long thp;

	munmap(raw, (size_t)(mem - raw));
	munmap(mem + huge, 3 * huge - (size_t)(mem - raw) - huge);
	madvise(mem, huge, MADV_HUGEPAGE);
	mem[0] = 1;
	thp = smaps_thp(mem);
	tt_check(thp >= 0, "no smaps entry for the THP area");
	tt_ret(count(pm, mem, huge, POP, WW_PAGE_IS_HUGE, WW_PAGE_IS_HUGE, 64) * pg, thp);
	munmap(mem, huge);
}

/* A tracked range: uffd-async marks it WPALLOWED and reports exactly the pages written. */
static void check_tracked(struct ww_pagemap *pm)
{
	size_t pg = TT_PAGE, n = 16, i;
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(n * pg);
	bool async = ww_backend_id(t) == WW_BACKEND_UFFD_ASYNC;
	uint32_t rep = WW_PAGE_IS_WPALLOWED | WW_PAGE_IS_WRITTEN | WW_PAGE_IS_PRESENT;

	madvise(mem, n * pg, MADV_NOHUGEPAGE);
	memset(mem, 1, n * pg);
	tt_ok(ww_watch(t, mem, n * pg));
	for (i = 0; i < 5; i++)
		mem[i * 3 * pg] = 2;
	tt_ret(count(pm, mem, n * pg, 0, rep, WW_PAGE_IS_WPALLOWED, 64), async ? n : 0);
	if (async) {
		struct ww_page_run runs[64];
		ssize_t k = ww_pagemap_scan(pm, (uintptr_t)mem, (uintptr_t)mem + n * pg, 0, rep,
					    runs, 64, NULL), j;
		size_t w = 0;

		for (j = 0; j < k; j++)
			if (runs[j].categories & WW_PAGE_IS_WRITTEN)
				w += (runs[j].end - runs[j].start) / pg;
		tt_ret(w, 5);
		/* The scan changed nothing: the tracker still sees the same five. */
		tt_ret(ww_get(t, mem, n * pg, (void **)runs, 64, 0), 5);
	}
	ww_close(t);
	munmap(mem, n * pg);
}

static void check_errors(struct ww_pagemap *pm, uint32_t cats)
{
	struct ww_page_run run;
	struct ww_pagemap *x = (struct ww_pagemap *)1;

	tt_ret(ww_pagemap_open(NULL, 0, 0), -EINVAL);
	tt_ret(ww_pagemap_open(&x, 0, 1), -EINVAL);
	tt_check(x == NULL, "a failed open leaves *out set");
	tt_ret(ww_pagemap_scan(pm, 1, 2 * TT_PAGE, 0, 0, &run, 1, NULL), -EINVAL);
	tt_ret(ww_pagemap_scan(pm, 0, TT_PAGE, 0, 0, NULL, 1, NULL), -EINVAL);
	tt_ret(ww_pagemap_scan(pm, 0, TT_PAGE, 0, 0, &run, 0, NULL), -EINVAL);
	tt_ret(ww_pagemap_scan(pm, 2 * TT_PAGE, TT_PAGE, 0, 0, &run, 1, NULL), -EINVAL);
	if (~cats & (1u << 31))
		tt_ret(ww_pagemap_scan(pm, 0, TT_PAGE, 0, 1u << 31, &run, 1, NULL), -EINVAL);
	tt_ret(ww_pagemap_categories(NULL, &cats), -EINVAL);
	ww_pagemap_close(NULL);
}

int main(void)
{
	struct ww_pagemap *pm;
	uint32_t cats;
	int ret = ww_pagemap_open(&pm, 0, 0);

	if (ret == -EOPNOTSUPP)
		tt_skip("kernel without PAGEMAP_SCAN (Linux >= 6.7)");
	tt_check(ret == 0, "ww_pagemap_open: %s", strerror(-ret));
	tt_ok(ww_pagemap_categories(pm, &cats));
	tt_check((cats & 0x7f) == 0x7f, "categories %#x lack one of the 6.7 set", cats);
	check_layout(pm, cats);
	check_thp(pm);
	check_tracked(pm);
	check_errors(pm, cats);
	ww_pagemap_close(pm);
	return 0;
}
