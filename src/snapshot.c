/* SPDX-License-Identifier: MIT */
/*
 * ww_snapshot_take / _restore / _free: a range put back to its saved content
 * in O(pages written).  Built on the public tracking calls: take saves the
 * content, then arms tracking; restore asks which pages were written, puts
 * back exactly those and re-arms exactly those.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"
#include "procmaps.h"
#include "remote.h"
#include "snapshot.h"

#define RESTORE_BUF 1024        /* runs per get */
#define REARM_BUF 64            /* runs per re-arming get (what it returns is not used) */
#define REARM_GAP 1024          /* units between runs re-armed by one get+reset */

/* Page tables cost 8 bytes a page; arming a range may use at most this share of memory. */
#define PT_SHARE_DIV 8

static uintptr_t run_end(const void *arr, size_t i)
{
	return ((const struct snap_run *)arr)[i].end;
}

/* Does [a, b) hold saved pages? */
static bool saved_in(const struct ww_snapshot *s, uintptr_t a, uintptr_t b)
{
	size_t i = ww_search_end(s->runs, s->nr_runs, a, run_end);

	return a < b && i < s->nr_runs && s->runs[i].start < b;
}

/*
 * Drop [a, e), pages that were holes at take.  Dropping one page leaves its
 * page table behind, and on uffd-async every later scan walks it: a sparse
 * range written at random would cost more to scan each run.  So when the
 * page-table blocks around [a, e) lie in the range and nothing of them was
 * saved (all holes at take, so zeros either way), the whole blocks are
 * dropped, which lets the kernel free their tables.  Only where the backend
 * says a hole reads as unwritten, its first write as written and a read maps
 * nothing a scan reports (uffd-async arming populated pages only), so the
 * wider drop changes nothing the tracking sees.  Armed with markers, a
 * dropped hole would lose its marker (a later read would map a zero page
 * that reads as written); uffd-sync needs the markers too; another
 * process's holes are written with zeros, not dropped.  All of those keep
 * the exact drop.
 */
static int drop_hole(struct ww_snapshot *s, uintptr_t a, uintptr_t e)
{
	size_t span = ww_k_pt_span();
	uintptr_t lo = ww_align_down(a, span), hi = ww_align_up(e, span);

	if (s->pid || lo < s->start || hi > s->end || hi < e || saved_in(s, lo, a) ||
	    saved_in(s, e, hi) || ww_holes_unwritten(s->t, lo, hi) != 1)
		return ww_snap_hole(s, a, e - a);
	return ww_snap_hole(s, lo, hi - lo);
}

/*
 * Put [a, b) back: saved pages are copied, pages that were holes at take are
 * dropped (zeros again).  Written pages are writable, so the copy needs no
 * help from the backend; a dropped page reads as written until re-armed.
 */
static int put_back(struct ww_snapshot *s, uintptr_t a, uintptr_t b)
{
	size_t i = ww_search_end(s->runs, s->nr_runs, a, run_end);

	while (a < b) {
		const struct snap_run *r = i < s->nr_runs ? &s->runs[i] : NULL;
		uintptr_t e;

		int ret;

		if (r && r->start <= a) {
			e = r->end < b ? r->end : b;
			ret = ww_snap_write(s, a, s->data + r->off + (a - r->start), e - a);
			i++;
		} else {
			e = r && r->start < b ? r->start : b;
			ret = drop_hole(s, a, e);
		}
		if (ret)
			return ret;
		a = e;
	}
	return 0;
}

/*
 * Get+reset [at, end): re-arms what was written there in one walk (what it
 * returns, the runs just put back, goes to rbuf: buf holds the batch).
 */
static int rearm_span(struct ww_snapshot *s, uintptr_t at, uintptr_t end)
{
	while (at < end) {
		void *next = NULL;
		ssize_t got = ww_get_regions(s->t, (void *)at, end - at, s->rbuf, REARM_BUF,
					     WW_GET_RESET, &next);

		if (got < 0)
			return (int)got;
		if ((uintptr_t)next <= at)
			return -EIO;
		at = (uintptr_t)next;
	}
	return 0;
}

/*
 * Re-arm the n runs in s->buf (our own copies wrote them; the writers are
 * quiescent) by get+reset, which re-arms exactly what it reports, over spans
 * of runs: one kernel call a span, which walks the span.  On uffd-async
 * (measured on a quiet 2-core VM: a call about 1.4 us, a walk about 1.1 ns
 * a page) runs closer than REARM_GAP units share a span, so no gap costs
 * more to walk than a call; the other backends walk a bitmap, and mprotect
 * pays far more per separate reset than per batched one, so they re-arm the
 * batch as one span.
 */
static int rearm(struct ww_snapshot *s, size_t n)
{
	uintptr_t gap = ww_backend_id(s->t) == WW_BACKEND_UFFD_ASYNC ? REARM_GAP * s->gran :
		       UINTPTR_MAX;
	size_t i = 0;

	while (i < n) {
		uintptr_t b = s->buf[i].end;
		size_t j = i + 1;
		int ret;

		while (j < n && s->buf[j].start - b < gap)
			b = s->buf[j++].end;
		ret = rearm_span(s, s->buf[i].start, b);
		if (ret)
			return ret;
		i = j;
	}
	return 0;
}

/* Restore and re-arm the n runs in s->buf; returns the pages restored. */
static ssize_t restore_batch(struct ww_snapshot *s, size_t n)
{
	size_t pages = 0, i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = put_back(s, s->buf[i].start, s->buf[i].end);
		if (ret)
			return ret;
		pages += (s->buf[i].end - s->buf[i].start) / s->gran;
	}
	ret = n ? rearm(s, n) : 0;
	return ret ? ret : (ssize_t)pages;
}

/*
 * This process's copies are memcpy(): a page the application made read-only
 * or PROT_NONE since take would fault in the library.  So on the uffd
 * backends the range must be writable throughout, checked before anything
 * is changed (-EACCES).  The mprotect backend write-protects unwritten pages
 * itself and its fault handler takes a write to any watched page; another
 * process's memory is written by process_vm_writev, which fails instead.
 */
static int check_writable(struct ww_snapshot *s)
{
	int ret;

	if (s->pid || ww_backend_id(s->t) == WW_BACKEND_MPROTECT)
		return 0;
	ret = ww_writable(s->maps_fd, s->start, s->end);
	/* A hole: the get says so, as the tracker sees it (-EFAULT, then -ENOENT). */
	return ret == -ENOMEM ? 0 : ret;
}

static ssize_t restore_all(struct ww_snapshot *s)
{
	ssize_t total = 0;
	int ret = check_writable(s);
	uintptr_t at;

	if (ret)
		return ret;

	for (at = s->start; at < s->end;) {
		void *next = NULL;
		ssize_t n = ww_get_regions(s->t, (void *)at, s->end - at, s->buf, s->buf_len, 0,
					   &next);

		if (n < 0)
			return n;
		n = restore_batch(s, (size_t)n);
		if (n < 0)
			return n;
		total += n;
		if ((uintptr_t)next <= at)
			return -EIO;
		at = (uintptr_t)next;
	}
	return total;
}

/* Another process is held stopped while its memory is read or written from here. */
WW_API ssize_t ww_snapshot_restore(struct ww_snapshot *s)
{
	struct ww_stop st;
	ssize_t n;
	int ret;

	if (!s)
		return -EINVAL;
	if (!s->pid)
		return restore_all(s);
	ret = ww_remote_stop(s->pid, &st);
	if (ret)
		return ret;
	n = restore_all(s);
	ww_remote_resume(&st);
	return n;
}

void ww_snap_release(struct ww_snapshot *s)
{
	if (s->data_map)
		munmap(s->data, s->data_map);
	free(s->runs);
	free(s->buf);
	free(s->rbuf);
	if (s->maps_fd >= 0)
		close(s->maps_fd);
	free(s);
}

WW_API void ww_snapshot_free(struct ww_snapshot *s)
{
	if (!s)
		return;
	if (s->owns_watch)
		ww_unwatch(s->t, (void *)s->start, s->end - s->start);
	ww_snap_release(s);
}

/* Refuse a range whose page tables (8 bytes a page once armed) would crowd out memory. */
static int check_pt_cost(uintptr_t start, uintptr_t end)
{
	long phys = ww_k_phys_bytes();
	uint64_t pt = (end - start) / ww_page_size() * 8;

	return phys > 0 && pt > (uint64_t)phys / PT_SHARE_DIV ? -E2BIG : 0;
}

/* Arm the range on t: reset the watch that covers it, or watch it anew. */
static int arm(struct ww_snapshot *s, bool watched)
{
	int ret;

	if (watched)
		return ww_reset(s->t, (void *)s->start, s->end - s->start);
	ret = ww_watch(s->t, (void *)s->start, s->end - s->start);
	if (!ret)
		s->owns_watch = true;
	return ret;
}

static int save_and_arm(struct ww_snapshot *s, bool watched)
{
	struct ww_stop st;
	int ret;

	if (s->pid) {
		ret = ww_remote_stop(s->pid, &st);
		if (ret)
			return ret;
	}
	ret = ww_snap_save(s);
	if (!ret)
		ret = arm(s, watched);
	if (s->pid)
		ww_remote_resume(&st);
	return ret;
}

static int snap_init(struct ww_snapshot *s, struct ww_tracker *t, uintptr_t a, uintptr_t end,
		     bool *watched)
{
	uintptr_t vma_end;
	bool huge;
	ssize_t g = ww_granularity(t, (void *)a);
	long ps;

	*watched = g > 0;
	ps = *watched ? g : ww_k_vma_page_size(t->pid, t->maps_fd, a, &vma_end, &huge);
	if (ps < 0)
		return (int)ps;
	if (a & (ps - 1))
		return -EINVAL;
	*s = (struct ww_snapshot){ .t = t, .pid = t->pid, .start = a, .gran = (size_t)ps,
				   .end = ww_align_up(end, (size_t)ps), .maps_fd = -1 };
	if (s->end < a)
		return -EINVAL;
	/* Restore checks the range's VMAs each time: an open maps file saves an open a call. */
	if (!s->pid) {
		int fd = ww_k_maps_open(getpid());

		s->maps_fd = fd < 0 ? -1 : fd;
	}
	s->buf_len = RESTORE_BUF;
	s->buf = malloc(s->buf_len * sizeof(*s->buf));
	s->rbuf = malloc(REARM_BUF * sizeof(*s->rbuf));
	if (!s->buf || !s->rbuf)
		return -ENOMEM;
	return *watched ? 0 : check_pt_cost(s->start, s->end);
}

WW_API int ww_snapshot_take(struct ww_tracker *t, void *addr, size_t len,
			    struct ww_snapshot **out)
{
	struct ww_snapshot *s;
	uintptr_t end;
	bool watched;
	int ret = ww_check_call(t, addr, len, &end);

	if (ret)
		return ret;
	if (!out)
		return -EFAULT;
	if ((uintptr_t)addr & (ww_page_size() - 1))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->maps_fd = -1;
	ret = snap_init(s, t, (uintptr_t)addr, end, &watched);
	if (!ret)
		ret = save_and_arm(s, watched);
	if (ret) {
		ww_snap_release(s);
		return ret;
	}
	*out = s;
	return 0;
}
