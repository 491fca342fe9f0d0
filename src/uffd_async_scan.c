/* SPDX-License-Identifier: MIT */
/*
 * uffd-async gets that merge two kinds of runs into one ascending answer
 * within the caller's limits:
 * - populated-only mode: one PAGEMAP_SCAN returns the runs of pages that
 *   hold memory (re-protecting the written ones), and the dropped pages are
 *   those recorded but not among those runs;
 * - ranges with markers on kernels that skip page-table holes: the written
 *   runs, and the holes a second scan finds (ww_hole_scan).
 */
#include <errno.h>

#include "uffd_async.h"

/* Where a merge stands: runs out, pages out, and the limits. */
struct merge {
	struct ww_region *out;
	size_t n, max_out;
	uint64_t pages, max_pages;
	uintptr_t cut;          /* everything below was handled */
	bool full;
};

/* Append [a, b) (merged with the last run when they touch); false when a limit stopped it. */
static bool merge_add(struct merge *m, uintptr_t a, uintptr_t b)
{
	size_t pg = ww_page_size();
	bool joins = m->n && m->out[m->n - 1].end >= a;

	if (joins && m->out[m->n - 1].end >= b)
		return true;    /* already covered (a page both written and dropped) */
	if (joins)
		a = (uintptr_t)m->out[m->n - 1].end;
	if (!joins && m->n == m->max_out) {
		m->cut = a;
		return false;
	}
	if (m->max_pages != UINT64_MAX && m->pages + (b - a) / pg > m->max_pages) {
		b = a + (uintptr_t)((m->max_pages - m->pages) * pg);
		m->full = true;
	}
	if (b > a) {
		if (joins)
			m->out[m->n - 1].end = b;
		else
			m->out[m->n++] = (struct ww_region){ a, b };
		m->pages += (b - a) / pg;
	}
	m->cut = b;
	return !m->full;
}

static bool written(const struct page_region *w)
{
	return w->categories & PAGE_IS_WRITTEN;
}

/* A reset written run not handed over: write-protection off again, so it still reads as written. */
static int give_back(struct ww_tracker *t, const struct page_region *w, long n, uintptr_t cut)
{
	int err = 0;

	for (long i = 0; i < n; i++) {
		uintptr_t a = w[i].start > cut ? w[i].start : cut;

		if (written(&w[i]) && a < w[i].end) {
			int ret = ww_k_uffd_wp(t->uffd, a, w[i].end - a, false, false);

			err = err ? err : ret;
		}
	}
	return err;
}

/* Written runs W and dropped runs D, both ascending, merged below limit. */
static void merge_runs(struct merge *m, const struct page_region *w, long nw,
		       const struct ww_region *d, ssize_t nd, uintptr_t limit)
{
	long i = 0;
	ssize_t j = 0;

	m->cut = limit;
	while (i < nw || j < nd) {
		bool take_w;
		uintptr_t a, b;

		if (i < nw && !written(&w[i])) {
			i++;
			continue;
		}
		take_w = j >= nd || (i < nw && w[i].start <= d[j].start);
		a = take_w ? w[i].start : d[j].start;
		b = take_w ? w[i].end : d[j].end;

		if (a >= limit)
			break;
		if (!merge_add(m, a, b < limit ? b : limit))
			return;
		take_w ? i++ : j++;
	}
	m->cut = limit;
}

/* With reset: what was handed over is recorded (written) or forgotten (dropped). */
static void record(struct ww_tracker *t, struct ww_sparse *s, const struct page_region *w,
		   long nw, const struct ww_region *d, ssize_t nd, uintptr_t cut)
{
	int err = 0;

	for (long i = 0; i < nw && w[i].start < cut; i++)
		if (written(&w[i]) && !err)
			err = ww_sparse_set(s, w[i].start, w[i].end < cut ? w[i].end : cut);
	for (ssize_t j = 0; j < nd && d[j].start < cut; j++)
		ww_sparse_clear(s, d[j].start, d[j].end < cut ? d[j].end : cut);
	/*
	 * Out of memory for the record: the pages are reset and handed over,
	 * but a later MADV_DONTNEED of them could read as never touched; the
	 * next get says so.
	 */
	if (err && !t->deferred_err)
		t->deferred_err = err;
}

/*
 * Merge the written runs W (a scan of [start, scanned) whose PM_SCAN_WP_MATCHING
 * re-protected them when resetting) with the other runs D below limit, within
 * the caller's limits.  With reset, what lies past the cut is given back.
 * Returns the runs out; *cut: everything below was handed over.
 */
static ssize_t settle(struct ww_tracker *t, const struct page_region *w, long nw,
		      const struct ww_region *d, ssize_t nd, uintptr_t limit, uintptr_t scanned,
		      struct ww_region *out, size_t max_out, uint64_t max_pages, bool reset,
		      uintptr_t *cut)
{
	struct merge m = { .out = out, .max_out = max_out, .max_pages = max_pages };

	merge_runs(&m, w, nw, d, nd, limit);
	if (reset && m.cut < scanned) {
		int ret = give_back(t, w, nw, m.cut);

		/* What was handed over stands; the error waits for the next get. */
		if (ret && !t->deferred_err)
			t->deferred_err = ww_uffd_wp_err(ret);
	}
	*cut = m.cut;
	return (ssize_t)m.n;
}

/* The first scan of a get: into b->vec, within the limits, re-protecting with reset. */
static struct pm_scan_arg scan_arg(const struct ww_sparse_bufs *b, uintptr_t start, uintptr_t end,
				   size_t max_out, uint64_t max_pages, bool reset)
{
	return (struct pm_scan_arg){
		.size = sizeof(struct pm_scan_arg),
		.flags = PM_SCAN_CHECK_WPASYNC | (reset ? PM_SCAN_WP_MATCHING : 0),
		.start = start,
		.end = end,
		.vec = (uintptr_t)b->vec,
		.vec_len = max_out < b->vec_len ? max_out : b->vec_len,
		.max_pages = max_pages == UINT64_MAX ? 0 : max_pages,
	};
}

ssize_t ww_sparse_scan(struct ww_tracker *t, struct ww_range *r, const struct ww_sparse_bufs *b,
		       uintptr_t start, uintptr_t end, struct ww_region *out, size_t max_out,
		       uint64_t max_pages, bool reset, uintptr_t *walk_end)
{
	struct pm_scan_arg arg = scan_arg(b, start, end, max_out, max_pages, reset);
	uintptr_t limit;
	ssize_t nd, n;
	long nw;

	ww_sparse_scan_filter(&arg);
	nw = ww_k_pagemap_scan(t->pagemap_fd, &arg);
	if (nw < 0)
		return nw == -EPERM ? -EFAULT : nw;
	limit = arg.walk_end;
	/* Dropped pages only where the scan looked, so every call covers new ground. */
	nd = ww_sparse_missing(r->priv, start, limit, b->vec, (size_t)nw, b->drops, b->drops_max);
	/* A full drop buffer may have stopped short: go no further than its last run. */
	if ((size_t)nd == b->drops_max && b->drops[nd - 1].end < limit)
		limit = (uintptr_t)b->drops[nd - 1].end;
	n = settle(t, b->vec, nw, b->drops, nd, limit, arg.walk_end, out, max_out, max_pages,
		   reset, walk_end);
	if (reset)
		record(t, r->priv, b->vec, nw, b->drops, nd, *walk_end);
	return n;
}

/*
 * The holes of [start, *limit) into b->drops: pages neither present nor
 * swapped (a marker reads as swapped), so page-table holes and empty entries
 * both, found without protecting anything.  Returns their number; *limit is
 * lowered to where a full buffer stopped.
 */
static ssize_t find_holes(struct ww_tracker *t, const struct ww_sparse_bufs *b, uintptr_t start,
			  uintptr_t *limit)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = PM_SCAN_CHECK_WPASYNC,        /* replaced since the written scan: -EPERM */
		.start = start,
		.end = *limit,
		.vec = (uintptr_t)b->holes,
		.vec_len = b->drops_max,
		.category_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.category_inverted = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT,
	};
	long n = start < *limit ? ww_k_pagemap_scan(t->pagemap_fd, &arg) : 0;

	if (n < 0)
		return n == -EPERM ? -EFAULT : n;
	if (n)
		*limit = arg.walk_end;
	for (long i = 0; i < n; i++)
		b->drops[i] = (struct ww_region){ b->holes[i].start, b->holes[i].end };
	return n;
}

/* Protect the holes handed over (below cut): installs their markers. */
static void arm_holes(struct ww_tracker *t, const struct ww_region *d, ssize_t nd, uintptr_t cut)
{
	for (ssize_t i = 0; i < nd && (uintptr_t)d[i].start < cut; i++) {
		uintptr_t a = (uintptr_t)d[i].start;
		uintptr_t e = (uintptr_t)d[i].end < cut ? (uintptr_t)d[i].end : cut;
		int ret = ww_k_uffd_wp(t->uffd, a, e - a, true, false);

		/*
		 * An unarmed hole loses nothing (a fault there maps pages that
		 * read as written), but it would read as written again.
		 */
		if (ret && !t->deferred_err)
			t->deferred_err = ww_uffd_wp_err(ret);
	}
}

ssize_t ww_hole_scan(struct ww_tracker *t, const struct ww_sparse_bufs *b, bool filter_first,
		     uintptr_t start, uintptr_t end, struct ww_region *out, size_t max_out,
		     uint64_t max_pages, bool reset, uintptr_t *walk_end)
{
	struct pm_scan_arg arg = scan_arg(b, start, end, max_out, max_pages, reset);
	uintptr_t limit;
	ssize_t nd, n;
	long nw;

	/*
	 * The written pages, in the one-filter scan (the kernel's fast path),
	 * which on the kernels this is for leaves page-table holes out.  A
	 * kernel that reads them as written reports (and protects) them here
	 * too, and find_holes() then finds what is left: the merge takes a page
	 * once.  filter_first asks for pages that hold memory only, so that
	 * every hole is left to find_holes() on any kernel (tests).
	 */
	arg.category_mask = PAGE_IS_WRITTEN;
	arg.return_mask = PAGE_IS_WRITTEN;
	if (filter_first)
		arg.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
	nw = ww_k_pagemap_scan(t->pagemap_fd, &arg);
	if (nw < 0)
		return nw == -EPERM ? -EFAULT : nw;
	/*
	 * After the written scan, over what it walked: a hole it passed that a
	 * fault has filled since is a written page now, reported next time.
	 */
	limit = arg.walk_end;
	nd = find_holes(t, b, start, &limit);
	if (nd < 0) {
		if (reset)
			give_back(t, b->vec, nw, start);
		return nd;
	}
	n = settle(t, b->vec, nw, b->drops, nd, limit, arg.walk_end, out, max_out, max_pages,
		   reset, walk_end);
	if (reset)
		arm_holes(t, b->drops, nd, *walk_end);
	return n;
}
