/* SPDX-License-Identifier: MIT */
/*
 * uffd-async backend: UFFD_FEATURE_WP_ASYNC + PAGEMAP_SCAN (Linux >= 6.7).
 *
 * Watched memory is registered for write-protect on a userfaultfd whose
 * faults the kernel resolves by itself: a write to a protected page just
 * clears the page's uffd-wp bit, without a message, a thread or a signal.
 * "Written" is therefore "uffd-wp bit clear", which PAGEMAP_SCAN reports as
 * PAGE_IS_WRITTEN and, with PM_SCAN_WP_MATCHING, re-protects in the same
 * page-table walk under the page-table lock: get-and-reset is atomic per
 * page, and the TLB flush is done before the ioctl returns.
 *
 * Kernel bugs steered around:
 * - PM_SCAN_WP_MATCHING is always given a non-empty vec (a NULL vec oopsed
 *   on partial THP/hugetlb before 6.17);
 * - hugetlb ranges are armed and re-armed with UFFDIO_WRITEPROTECT, never by
 *   PAGEMAP_SCAN (which hung over unpopulated hugetlb holes and is unreliable
 *   for 1 GiB pages): they are scanned read-only, then the reported pages
 *   are protected, which still loses no write (a write between the two
 *   lands on a page this call reports);
 * - protection is removed before the userfaultfd is closed (closing left
 *   uffd-wp bits behind before 6.8.10);
 * - where PAGEMAP_SCAN skips a page-table hole (kernels before the 2026 fix
 *   "fs/proc/task_mmu: fix PAGEMAP_SCAN written state for PMD holes"), a
 *   second scan finds the holes, which read as written until a reset
 *   protects them (ww_hole_scan): a THP dropped with MADV_DONTNEED and
 *   faulted in again would read as 512 written pages after the reset.
 *
 * Private anonymous memory without THP that is mostly unpopulated when
 * watched goes without markers (uffd_async.h): arming, page tables and scans
 * then follow the populated memory, not the size watched.  Everything else
 * (shared and file memory, hugetlb, THP-eligible memory, ranges at least
 * half populated when watched) is armed with a marker in every entry.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"
#include "remote.h"
#include "uffd_async.h"
#include "uffd_async_debug.h"

#define VEC_LEN 512             /* page_region entries per PAGEMAP_SCAN call */
#define DROPS_MAX 512           /* dropped runs looked for per scan call */

unsigned int ww_async_debug;                    /* test hooks: src/uffd_async_debug.h */

struct async_state {
	struct page_region vec[VEC_LEN];
	struct ww_region drops[DROPS_MAX];
	struct page_region holes[DROPS_MAX];
	struct ww_sparse_list records;  /* the ranges' records */
	bool hole_blind;                /* PAGEMAP_SCAN skips page-table holes (uffd_async.h) */
};

static int async_probe(char *why, size_t whylen)
{
	uint64_t features;
	int ret = ww_uffd_probe(&features, why, whylen);

	if (ret)
		return ret;
	if (!(features & UFFD_FEATURE_WP_ASYNC)) {
		ww_why(why, whylen, "kernel lacks UFFD_FEATURE_WP_ASYNC (needs Linux >= 6.7 with "
		       "CONFIG_PTE_MARKER_UFFD_WP)");
		return -EOPNOTSUPP;
	}
	/*
	 * When this process may not open its pagemap (not dumpable, unprivileged)
	 * the ioctl cannot be tried: it came with WP_ASYNC in Linux 6.7, so take
	 * it as there, and let the open report the refusal (cached here, a
	 * refusal would outlive a later PR_SET_DUMPABLE).
	 */
	ret = ww_k_pagemap_scan_probe(NULL);
	if (ret == 0) {
		ww_why(why, whylen, "kernel lacks the PAGEMAP_SCAN ioctl (needs Linux >= 6.7)");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int async_open(struct ww_tracker *t)
{
	uint64_t want = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED, have = 0;
	struct async_state *st;
	enum ww_uffd_how how;
	int ret;

	ww_k_uffd_features(&have, NULL);
	/* Needed for shmem and hugetlb on kernels that still check it. */
	want |= have & UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	/*
	 * The kernel writes the scan results into st->vec: on the heap, and the
	 * heap watched, those writes would read as the application's.  A private
	 * mapping of our own is never watched.
	 */
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		return -ENOMEM;
	/* Async faults produce no messages: the fd is never read. */
	if (t->pid) {
		ret = ww_remote_uffd(t->pid, &t->uffd, &t->uffd_user_mode_only);
		if (ret)
			goto fail;
	} else {
		ret = ww_k_uffd_open(true, &how);
		if (ret < 0)
			goto fail;
		t->uffd = ret;
		t->uffd_user_mode_only = how == WW_UFFD_USER_ONLY;
	}
	ret = ww_k_uffd_api(t->uffd, want, NULL, NULL);
	if (ret)
		goto fail;
	ret = ww_k_pagemap_open(t->pid);
	if (ret < 0)
		goto fail;
	t->pagemap_fd = ret;
	/* The kernel's answer is the same for every process; unknown: look for holes. */
	st->hole_blind = ww_k_pmd_hole_written() != 1;
	t->priv = st;
	return 0;
fail:
	if (t->uffd >= 0)
		close(t->uffd);
	t->uffd = -1;
	munmap(st, sizeof(*st));
	return ret;
}

static void async_close(struct ww_tracker *t)
{
	struct async_state *st = t->priv;

	/* Records of ranges a failed unwatch left behind (close forgets them all). */
	while (st->records.head.next)
		ww_sparse_free(st->records.head.next);
	close(t->pagemap_fd);
	close(t->uffd);
	t->pagemap_fd = t->uffd = -1;
	munmap(t->priv, sizeof(struct async_state));
	t->priv = NULL;
}

/*
 * Arm the populated pages of r only.  Returns 0 in populated-only mode, 1
 * when r is to get markers after all (at least half populated: its page
 * tables exist already, and the scan that needs no filter is cheaper), or
 * -errno.
 */
static int sparse_watch(struct ww_tracker *t, struct ww_range *r)
{
	struct async_state *st = t->priv;
	uint64_t pages, half = (r->end - r->start) / ww_page_size() / 2 + 1;
	struct ww_sparse *s;
	int ret;

	/*
	 * Count first, protecting nothing: a dense range gets markers at once,
	 * without being write-protected twice.  smaps last: its reading walks
	 * the page tables too, of a sparse range only.
	 */
	ret = ww_sparse_populated(t->pagemap_fd, st->vec, VEC_LEN, r->start, r->end, half, &pages);
	if (ret)
		return ww_uffd_wp_err(ret);
	if (pages >= half || !ww_sparse_eligible(r->start, r->end))
		return 1;
	s = ww_sparse_new(&st->records);
	if (!s)
		return 1;
	ret = ww_sparse_arm(t->pagemap_fd, st->vec, VEC_LEN, s, r->start, r->end, UINT64_MAX,
			    &pages);
	if (ret) {
		ww_sparse_free(s);
		return ww_uffd_wp_err(ret);
	}
	r->priv = s;
	return 0;
}

static int async_watch(struct ww_tracker *t, struct ww_range *r)
{
	size_t len = r->end - r->start;
	int ret;

	ret = ww_k_uffd_register(t->uffd, r->start, len, UFFDIO_REGISTER_MODE_WP, NULL);
	if (ret == -EINVAL)
		return -EOPNOTSUPP;     /* a memory type this kernel cannot write-protect */
	if (ret)
		return ret;             /* EBUSY: another userfaultfd; EPERM: never writable */
	/* Another process's VMAs are not in our /proc/self: it keeps markers. */
	if (!r->hugetlb && !t->pid && !(ww_async_debug & WW_ASYNC_DEBUG_MARKERS)) {
		ret = sparse_watch(t, r);
		if (ret <= 0) {
			if (ret)
				ww_k_uffd_unregister(t->uffd, r->start, len);
			return ret;
		}
	}
	/* WP_UNPOPULATED: never-touched pages get markers, so their first write counts. */
	ret = ww_marker_cost_check(len, r->pagesize);
	if (!ret)
		ret = ww_k_uffd_wp(t->uffd, r->start, len, true, false);
	if (ret)
		ww_k_uffd_unregister(t->uffd, r->start, len);
	return ret;
}

static int async_unwatch(struct ww_tracker *t, struct ww_range *r, uintptr_t start,
			 uintptr_t end, bool gone)
{
	int ret;

	/*
	 * Even when the memory was unmapped, both ioctls are safe: they act only
	 * on VMAs registered with this userfaultfd, never on a newer mapping.
	 * What is still mapped gets its protection and registration removed.
	 */
	ret = ww_k_uffd_wp(t->uffd, start, end - start, false, false);
	if (ret && !gone)
		return ww_uffd_wp_err(ret);    /* -EFAULT: replaced, the core retries as gone */
	ret = ww_k_uffd_unregister(t->uffd, start, end - start);
	if (ret && !gone)
		return ret;
	if (r->priv && start == r->start && end == r->end) {
		ww_sparse_free(r->priv);
		r->priv = NULL;
	} else if (r->priv) {
		ww_sparse_clear(r->priv, start, end);
	}
	return 0;
}

static int async_split(struct ww_tracker *t, struct ww_range *r, struct ww_range *tail)
{
	struct ww_sparse *s;
	int ret;

	if (!r->priv)
		return 0;
	s = ww_sparse_new(&((struct async_state *)t->priv)->records);
	if (!s)
		return -ENOMEM;
	ret = ww_sparse_split(r->priv, s, tail->start);
	if (ret) {
		ww_sparse_free(s);
		return ret;
	}
	tail->priv = s;
	return 0;
}

/*
 * May r hold a page-table hole this kernel's scans skip?  Only a whole
 * aligned block inside it can lose its table (hugetlb has its own).
 */
static bool holes_looked_for(const struct async_state *st, const struct ww_range *r)
{
	size_t span = ww_k_pt_span();
	uintptr_t block = ww_align_up(r->start, span);

	if (r->hugetlb || !(st->hole_blind || (ww_async_debug & WW_ASYNC_DEBUG_HOLES)))
		return false;
	return block >= r->start && block + span <= r->end;
}

static ssize_t async_scan(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end,
			  struct ww_region *out, size_t max_out, uint64_t max_pages,
			  bool reset, uintptr_t *walk_end)
{
	struct async_state *st = t->priv;
	bool wp_in_scan = reset && !r->hugetlb;
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = PM_SCAN_CHECK_WPASYNC | (wp_in_scan ? PM_SCAN_WP_MATCHING : 0),
		.start = start,
		.end = end,
		.vec = (uintptr_t)st->vec,
		.vec_len = max_out < VEC_LEN ? max_out : VEC_LEN,
		/* max_pages counts base pages; 0 means no limit. */
		.max_pages = max_pages == UINT64_MAX ? 0 : max_pages * (r->pagesize / ww_page_size()),
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};
	struct ww_sparse_bufs b = { st->vec, VEC_LEN, st->drops, DROPS_MAX, st->holes };
	long n, i;

	if (r->priv)
		return ww_sparse_scan(t, r, &b, start, end, out, max_out, max_pages, reset,
				      walk_end);
	if (holes_looked_for(st, r))
		return ww_hole_scan(t, &b, ww_async_debug & WW_ASYNC_DEBUG_HOLES_FILTER, start,
				    end, out, max_out, max_pages, reset, walk_end);
	n = ww_k_pagemap_scan(t->pagemap_fd, &arg);
	if (n == -EPERM)
		return -EFAULT; /* a VMA here is not ours any more: unmapped and replaced */
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		out[i].start = st->vec[i].start;
		out[i].end = st->vec[i].end;
		if (reset && r->hugetlb) {
			int ret = ww_k_uffd_wp(t->uffd, st->vec[i].start,
					       st->vec[i].end - st->vec[i].start, true, false);
			/*
			 * Runs before this one are re-armed already: hand them
			 * over and stop here (the next call meets the error
			 * again, with nothing of its own reset yet).
			 */
			if (ret && !i)
				return ww_uffd_wp_err(ret);
			if (ret) {
				*walk_end = st->vec[i].start;
				return i;
			}
		}
	}
	*walk_end = arg.walk_end;
	return n;
}

static int async_reset(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	struct async_state *st = t->priv;
	uint64_t pages;

	if (r->priv) {
		/* Holes are never-touched again; what is populated now is armed and recorded. */
		ww_sparse_clear(r->priv, start, end);
		return ww_uffd_wp_err(ww_sparse_arm(t->pagemap_fd, st->vec, VEC_LEN, r->priv,
						    start, end, UINT64_MAX, &pages));
	}
	return ww_uffd_wp_err(ww_k_uffd_wp(t->uffd, start, end - start, true, false));
}

static int async_prepare_write(struct ww_tracker *t, struct ww_range *r, uintptr_t start,
			       uintptr_t end)
{
	/*
	 * The kernel resolves async write faults itself, so kernel writes
	 * already succeed; populating for write makes every page present and
	 * written (a removed marker alone would leave untouched pages unreported).
	 * Another process's memory cannot be populated from here.
	 */
	int ret = t->pid ? -EOPNOTSUPP : ww_k_populate_write(start, end - start);

	/*
	 * EFAULT is populate's SIGBUS (a file shorter than the mapping, no free
	 * huge page): the memory is still ours, and -EFAULT would tell the core
	 * it was replaced.
	 */
	return ret == -EFAULT ? -ENOMEM : ret;
}

/* Populated-only: a hole is a never-touched page again (uffd_async.h). */
static bool async_holes_unwritten(const struct ww_tracker *t, const struct ww_range *r)
{
	return r->priv != NULL;
}

int ww_async_debug_sparse(struct ww_tracker *t, const void *addr)
{
	/* Only uffd-async has the op: another backend's ranges answer 0. */
	return ww_holes_unwritten(t, (uintptr_t)addr, (uintptr_t)addr + 1);
}

const struct ww_backend_ops ww_uffd_async_ops = {
	.id = WW_BACKEND_UFFD_ASYNC,
	.name = "uffd-async",
	.probe = async_probe,
	.open = async_open,
	.close = async_close,
	.watch = async_watch,
	.unwatch = async_unwatch,
	.split = async_split,
	.scan = async_scan,
	.reset = async_reset,
	.prepare_write = async_prepare_write,
	.holes_unwritten = async_holes_unwritten,
};
