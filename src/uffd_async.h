/* SPDX-License-Identifier: MIT */
/*
 * uffd-async's populated-only mode for private anonymous memory
 * (uffd_async_sparse.c), used by backend_uffd_async.c.
 *
 * Arming with markers (UFFD_FEATURE_WP_UNPOPULATED) puts one in every
 * page-table entry of the range: page tables for all of it, and every scan
 * walks them.  For private anonymous memory that THP cannot back, markers
 * are not needed to be exact: a never-touched page is a page-table hole,
 * and its first write faults in a page without the uffd-wp bit, which a
 * scan reads as written.  So a sparse range is registered, only its
 * populated pages are write-protected, and every scan asks for the pages
 * that hold memory (PRESENT or SWAPPED, and not the shared zero page, which
 * a read maps), with their WRITTEN bit: holes never match, whatever the
 * kernel reports for them, and one walk finds the written pages and the
 * populated ones.
 *
 * What holes cannot tell is MADV_DONTNEED: a dropped page is a hole again.
 * To keep "a dropped page reads as written", the range remembers, one bit a
 * page, which pages held memory when last armed (by ww_watch, ww_reset or a
 * get+reset that reported them); one of those a scan no longer returns (a
 * hole, or the zero page after a read) was dropped.  A page that held
 * nothing then (a hole, the zero page), written and dropped since, reads as
 * never touched: its contents, zeroes, are what they were.  The bits live
 * in a sorted array of 512-page blocks: 72 bytes per populated block, not
 * per block of the range.
 */
#ifndef WW_UFFD_ASYNC_H
#define WW_UFFD_ASYNC_H

#include "internal.h"
#include "kernel.h"

#define WW_SPARSE_BLOCK_PAGES 512

struct ww_sparse_block {
	uintptr_t base;                         /* aligned to 512 pages */
	uint64_t bits[WW_SPARSE_BLOCK_PAGES / 64];
};

/* r->priv of a range in populated-only mode (NULL: armed with markers). */
struct ww_sparse {
	struct ww_sparse_block *b;              /* ascending base */
	size_t n, cap;
	/* Every record of a tracker, so that closing it frees those a failed unwatch left. */
	struct ww_sparse *prev, *next;
	bool pooled;                            /* in its list's pool, not a mapping of its own */
};

#define WW_SPARSE_POOL 64

/*
 * A tracker's records: the list, and headers for the first WW_SPARSE_POOL
 * of them (free: prev NULL) in the tracker's own mapping, so that watching
 * a range maps nothing before the range has populated pages: a program may
 * have just released a hole it maps again next (Win32 code reserving
 * adjacent allocations does).
 */
struct ww_sparse_list {
	struct ww_sparse head;
	struct ww_sparse pool[WW_SPARSE_POOL];
};

/* May [start, end) use the populated-only mode?  (Private anonymous, no THP.) */
bool ww_sparse_eligible(uintptr_t start, uintptr_t end);
/* A new record, linked into the tracker's list. */
struct ww_sparse *ww_sparse_new(struct ww_sparse_list *list);
/* Unlink and free s (NULL: nothing). */
void ww_sparse_free(struct ww_sparse *s);
/* Record (set) or forget (clear) pages [start, end). */
int ww_sparse_set(struct ww_sparse *s, uintptr_t start, uintptr_t end);
void ww_sparse_clear(struct ww_sparse *s, uintptr_t start, uintptr_t end);
/* Move the bits at and above at into tail (empty on entry). */
int ww_sparse_split(struct ww_sparse *s, struct ww_sparse *tail, uintptr_t at);
/* Recorded pages in [start, end) (for the dense-at-watch choice and tests). */
size_t ww_sparse_count(const struct ww_sparse *s, uintptr_t start, uintptr_t end);

/*
 * Write-protect the populated pages of [start, end) and record them in s,
 * stopping once limit pages were (UINT64_MAX: no limit).  *pages gets how
 * many were populated.
 */
int ww_sparse_arm(int pagemap_fd, struct page_region *vec, size_t vec_len,
		  struct ww_sparse *s, uintptr_t start, uintptr_t end, uint64_t limit,
		  uint64_t *pages);

/* How many pages of [start, end) are populated, counting up to limit (no protection). */
int ww_sparse_populated(int pagemap_fd, struct page_region *vec, size_t vec_len,
			uintptr_t start, uintptr_t end, uint64_t limit, uint64_t *pages);

/*
 * Dropped pages in [start, end): recorded, but not among the populated runs
 * pop[0..np) (ascending) a scan of [start, end) returned: a hole or the zero
 * page now.  Up to max runs into out; returns their number (max: there may
 * be more).
 */
ssize_t ww_sparse_missing(const struct ww_sparse *s, uintptr_t start, uintptr_t end,
			  const struct page_region *pop, size_t np,
			  struct ww_region *out, size_t max);

/* The backend's buffers a sparse or hole scan uses (never in watched memory). */
struct ww_sparse_bufs {
	struct page_region *vec;        /* populated runs, written or not */
	size_t vec_len;
	struct ww_region *drops;
	size_t drops_max;
	struct page_region *holes;      /* drops_max of them: a hole scan's output */
};

/*
 * The backend's scan op for a range in populated-only mode (r->priv): the
 * written pages and the dropped ones, merged ascending, within the limits.
 */
ssize_t ww_sparse_scan(struct ww_tracker *t, struct ww_range *r, const struct ww_sparse_bufs *b,
		       uintptr_t start, uintptr_t end, struct ww_region *out, size_t max_out,
		       uint64_t max_pages, bool reset, uintptr_t *walk_end);

/*
 * The scan op for a range armed with markers where the kernel does not read
 * a page-table hole as written (ww_k_pmd_hole_written() is not 1).  Such a
 * hole is a whole block whose page table was freed with its pages: a
 * MADV_DONTNEED of a PMD-mapped THP, or of a whole block of base pages
 * (CONFIG_PT_RECLAIM).  Its markers went with the table, so its pages were
 * dropped (they read as written until reset, as every dropped page does),
 * and only a reset puts markers back: a later fault there would otherwise
 * map a whole THP that reads as 512 written pages.  PAGEMAP_SCAN neither
 * reports such a hole nor, with PM_SCAN_WP_MATCHING, protects it there.
 * So the range is read in two parts: the written pages (one scan, which
 * re-protects them and passes the holes by), and then, where that scan
 * walked, the holes (neither present nor swapped; no protection), which
 * read as written; both merge, and a reset protects the holes handed over.
 * filter_first: the first scan leaves out every page that holds nothing,
 * whatever the kernel reads holes as (WW_ASYNC_DEBUG_HOLES_FILTER).
 */
ssize_t ww_hole_scan(struct ww_tracker *t, const struct ww_sparse_bufs *b, bool filter_first,
		     uintptr_t start, uintptr_t end, struct ww_region *out, size_t max_out,
		     uint64_t max_pages, bool reset, uintptr_t *walk_end);

/*
 * The scan: every page that holds memory (present or swapped, not the zero
 * page), its WRITTEN bit returned.  Holes never match, however a kernel
 * reports them; with PM_SCAN_WP_MATCHING the kernel re-protects only the
 * written ones.  What is recorded but not returned was dropped.
 */
static inline void ww_sparse_scan_filter(struct pm_scan_arg *arg)
{
	arg->category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
	arg->category_mask = PAGE_IS_PFNZERO;
	arg->category_inverted = PAGE_IS_PFNZERO;
	arg->return_mask = PAGE_IS_WRITTEN;
}

#endif /* WW_UFFD_ASYNC_H */
