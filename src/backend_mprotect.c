/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: watched pages are made read-only; a process-wide
 * SIGSEGV handler (mprotect_fault.c) takes the write fault, makes the page
 * writable again and records it in the range's written-bitmap.  Works on
 * any kernel; it is also the baseline every benchmark compares against
 * (Wine, Boehm GC ...).  This file holds the operations, run under t->lock.
 *
 * Lost-write freedom (the contract's order):
 *   fault:      (1) set the page's bit, (2) mprotect it writable, (3) set
 *               the bit again;
 *   get+reset:  (1) atomically clear the bits it reports, (2) THEN re-protect
 *               those pages (per run, or the whole walk).
 * A store can only go through a writable page, and a page becomes writable
 * only after its bit was set (1), so a get after the store sees the bit,
 * unless a reset cleared it meanwhile: then the store raced with the reset,
 * and (3), after the page became writable, sets the bit again.  A page is
 * writable with its bit clear only between (1) and (2) of a get that is
 * reporting it anyway, or inside a fault path about to do (3).  So whenever
 * an mprotect() that makes pages writable fails part way, the pages it did
 * make writable are marked written (mp_mark_writable()).
 *
 * Application protections: at watch time /proc/self/maps gives each page's
 * protection and backing ("segments").  Pages that were not writable are
 * never touched: their faults belong to the application and are passed on
 * to the handler that was installed before ours (or to the default action).
 * Writable pages are re-protected as (prot & ~PROT_WRITE) and restored to
 * prot on unwatch.
 *
 * States are mmap'd (never malloc'd): they are never inside a watched heap
 * range, and freeing them gives the memory back.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "kernel.h"
#include "mprotect.h"
#include "procmaps.h"

/* ---- state ---- */

static struct mp_state *mp_state_new(uintptr_t start, uintptr_t end, size_t pagesize,
				     const struct ww_vma *segs, size_t nsegs)
{
	size_t npages = (end - start) / pagesize;
	size_t segoff = ww_align_up(sizeof(struct mp_state), 64);
	size_t bitoff = ww_align_up(segoff + nsegs * sizeof(*segs), 64);
	size_t sumoff = ww_align_up(bitoff + WW_BITMAP_WORDS(npages) * sizeof(uint64_t), 64);
	size_t ngroups = (npages + MP_GROUP_PAGES - 1) / MP_GROUP_PAGES;
	size_t len = ww_align_up(sumoff + WW_BITMAP_WORDS(ngroups) * sizeof(uint64_t),
				 ww_page_size());
	struct mp_state *st;
	char *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	st = (struct mp_state *)mem;
	st->base = start;
	atomic_init(&st->lo, start);
	atomic_init(&st->hi, end);
	st->pagesize = pagesize;
	st->shift = (unsigned)__builtin_ctzl(pagesize);
	st->slot = -1;
	st->nsegs = nsegs;
	memcpy(mem + segoff, segs, nsegs * sizeof(*segs));
	st->segs = (const struct ww_vma *)(mem + segoff);
	st->bits = (_Atomic uint64_t *)(mem + bitoff);
	st->summary = (_Atomic uint64_t *)(mem + sumoff);
	st->npages = npages;
	st->maplen = len;
	return st;
}

/* mprotect() failed with ret over [a, b): -EFAULT if the memory is gone. */
static int mp_err(int ret, uintptr_t a, uintptr_t b)
{
	if (ret == -ENOMEM && ww_k_mapped(a, b - a))
		return -EFAULT;
	return ret;
}

/* [a, b) clipped to segment seg, in *s and *e; false if they do not meet. */
static bool mp_clip(const struct ww_vma *seg, uintptr_t a, uintptr_t b,
		    uintptr_t *s, uintptr_t *e)
{
	*s = seg->start > a ? seg->start : a;
	*e = seg->end < b ? seg->end : b;
	return *s < *e;
}

int ww_mp_protect(struct mp_state *st, uintptr_t a, uintptr_t b, bool writable)
{
	size_t i;

	for (i = mp_seg_index(st, a); i < st->nsegs && st->segs[i].start < b; i++) {
		const struct ww_vma *seg = &st->segs[i];
		uintptr_t s, e;
		int ret;

		if (!(seg->prot & PROT_WRITE) || !mp_clip(seg, a, b, &s, &e))
			continue;
		ret = ww_k_mprotect(s, e - s, writable ? seg->prot : seg->prot & ~PROT_WRITE);
		if (ret)
			return mp_err(ret, s, e);
	}
	return 0;
}

struct mp_mark {
	struct mp_state *st;
	uintptr_t a, b;
};

static int mp_mark_cb(const struct ww_vma *v, void *arg)
{
	struct mp_mark *m = arg;
	uintptr_t s = v->start > m->a ? v->start : m->a;
	uintptr_t e = v->end < m->b ? v->end : m->b;

	if ((v->prot & PROT_WRITE) && s < e)
		mp_bits(m->st, s, e, true);
	return 0;
}

/*
 * An mprotect() making [a, b) writable failed part way: the kernel may
 * have changed some of it.  Mark written what is writable now (a write may
 * have landed there unseen); all of it if /proc cannot tell.  Over-reports
 * at most the pages made writable before the failure, never loses a write.
 */
static void mp_mark_writable(struct mp_state *st, uintptr_t a, uintptr_t b)
{
	struct mp_mark m = { st, a, b };

	if (ww_vmas_each(a, b, 0, mp_mark_cb, &m))
		mp_bits(st, a, b, true);
}

/*
 * Restoring protection (unwatch).  Without gone the core vouches that all of
 * [a, b) is still the memory we watch: it gets its watch-time protection
 * back, even where the application changed it since (documented: the
 * backend knows the watch-time protection and no other).
 *
 * With gone, part of the range was unmapped or replaced, and only memory
 * that is still ours is touched; /proc/self/maps tells it apart.  A VMA over
 * a segment that was writable at watch time is ours when it has that
 * segment's backing (the same file at the same offset with the same
 * sharing, or anonymous memory with the same sharing) and carries the
 * protection we set (prot & ~PROT_WRITE) or the watch-time one the fault
 * path gave back.  Holes, other memory mapped in our place and protections
 * the application chose since are left alone.  Not told apart: fresh
 * anonymous memory mapped over anonymous memory of ours with one of those
 * protections (nothing in /proc distinguishes it; it is made writable).
 * Not recognised: memory of another backing mapped over the range and then
 * re-protected by a ww_reset before the core saw the range gone; it keeps
 * the read-only protection the reset gave it.
 */
static bool mp_ours(const struct ww_vma *seg, const struct ww_vma *v, uintptr_t at)
{
	if (!(seg->prot & PROT_WRITE) || !ww_vma_same_backing(seg, v, at))
		return false;
	return v->prot == seg->prot || v->prot == (seg->prot & ~PROT_WRITE);
}

/* A pending mprotect() of [s, e): neighbouring pieces are joined into one call. */
struct mp_run {
	uintptr_t s, e;
	int prot;
};

static int mp_run_flush(struct mp_run *run)
{
	int ret = 0;

	if (run->s < run->e)
		ret = ww_k_mprotect(run->s, run->e - run->s, run->prot);
	if (ret)
		ret = mp_err(ret, run->s, run->e);
	run->s = run->e = 0;
	return ret;
}

static int mp_run_add(struct mp_run *run, uintptr_t s, uintptr_t e, int prot)
{
	int ret;

	if (run->s < run->e && run->e == s && run->prot == prot) {
		run->e = e;
		return 0;
	}
	ret = mp_run_flush(run);
	*run = (struct mp_run){ s, e, prot };
	return ret;
}

/* Queue the restores of the parts of [a, b) in VMA v that are still ours. */
static int mp_restore_vma(struct mp_state *st, const struct ww_vma *v, uintptr_t a, uintptr_t b,
			  struct mp_run *run)
{
	uintptr_t va = v->start > a ? v->start : a, vb = v->end < b ? v->end : b;
	size_t i;

	for (i = mp_seg_index(st, va); i < st->nsegs && st->segs[i].start < vb; i++) {
		const struct ww_vma *seg = &st->segs[i];
		uintptr_t s, e;
		int ret;

		if (!mp_clip(seg, va, vb, &s, &e) || !mp_ours(seg, v, s))
			continue;
		ret = mp_run_add(run, s, e, seg->prot);
		if (ret)
			return ret;
	}
	return 0;
}

/* With gone: give what is still ours in [a, b) its watch-time protection back. */
static int mp_restore_ours(struct mp_state *st, uintptr_t a, uintptr_t b)
{
	struct mp_run run = { 0 };
	struct ww_vma *v;
	size_t n, i;
	int ret = ww_vmas_get(a, b, 0, &v, &n);

	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++)
		ret = mp_restore_vma(st, &v[i], a, b, &run);
	if (!ret)
		ret = mp_run_flush(&run);
	free(v);
	return ret;
}

/*
 * Give [a, b) its watch-time protection back (see above).  On failure the
 * range stays fully watched: pages still protected are served by the
 * handler, pages already writable are marked written.
 */
static int mp_restore(struct mp_state *st, uintptr_t a, uintptr_t b, bool gone)
{
	int ret = gone ? mp_restore_ours(st, a, b) : ww_mp_protect(st, a, b, true);

	if (ret)
		mp_mark_writable(st, a, b);
	return ret;
}

/* ---- learning protections ---- */

/* ---- backend operations ---- */

static int mp_probe(char *why, size_t whylen)
{
	return 0;               /* mprotect and signals: every kernel */
}

static int mp_open(struct ww_tracker *t)
{
	return ww_mp_ensure_handler();
}

static void mp_close(struct ww_tracker *t)
{
	/* Nothing per tracker; the handler stays installed (others may chain to it). */
}

static int mp_watch(struct ww_tracker *t, struct ww_range *r)
{
	struct ww_vma *segs;
	struct mp_state *st;
	size_t nsegs;
	int ret = ww_mp_ensure_handler();

	if (!ret)
		ret = ww_mp_learn(r->start, r->end, &segs, &nsegs);
	if (ret)
		return ret;
	st = mp_state_new(r->start, r->end, r->pagesize, segs, nsegs);
	free(segs);
	if (!st)
		return -ENOMEM;
	/* Published before any page is protected: its faults must find an owner. */
	ret = ww_mp_publish(st, true);
	if (ret) {
		munmap(st, st->maplen);
		return ret;
	}
	ret = ww_mp_protect(st, r->start, r->end, false);
	if (ret) {
		/* Unpublished only if all of it is writable again (the invariant). */
		if (ww_mp_protect(st, r->start, r->end, true))
			return ret;     /* left published: its pages stay served */
		ww_mp_note_restored();
		ww_mp_release(st);
		return ret;
	}
	r->priv = st;
	return 0;
}

/*
 * Stop watching [start, end) of r (an end of it, or all).  If the
 * protection cannot be removed the range is left fully watched and
 * published (so it stays registered and usable) and -errno is returned.
 * With gone, and after such an error, the core forgets r all the same: the
 * state then stays published, its remaining protected pages served by the
 * handler, and is never freed (usable memory is worth more than the leak).
 */
static int mp_unwatch(struct ww_tracker *t, struct ww_range *r,
		      uintptr_t start, uintptr_t end, bool gone)
{
	struct mp_state *st = r->priv;
	uintptr_t lo, hi;
	int ret;

	if (!st)
		return 0;
	lo = atomic_load(&st->lo);
	hi = atomic_load(&st->hi);
	if (start > lo && end < hi)
		return -EINVAL;         /* a hole: the core splits first */
	if (st->slot >= 0) {
		/* Writable again before unpublishing, so no fault can miss its owner. */
		ret = mp_restore(st, start, end, gone);
		if (ret)
			return ret;
		ww_mp_note_restored();
	}
	if (start <= lo && end >= hi) {
		ww_mp_release(st);
		r->priv = NULL;
	} else if (st->slot >= 0) {
		if (start <= lo)
			ww_mp_shrink(st, end, hi);
		else
			ww_mp_shrink(st, lo, start);
	}
	return 0;
}

/* Move the written bits of [cut, cut + nst's pages) from st to nst. */
static void mp_move_bits(struct mp_state *st, struct mp_state *nst, uintptr_t cut)
{
	size_t from = mp_index(st, cut), i = 0;

	while ((i = ww_bits_next_set(st->bits, from + i, from + nst->npages) - from) <
	       nst->npages) {
		ww_bits_update(st->bits, from + i, from + i + 1, false);
		mp_bits(nst, nst->base + (i << nst->shift), nst->base + ((i + 1) << nst->shift), true);
		i++;
	}
}

static int mp_split(struct ww_tracker *t, struct ww_range *r, struct ww_range *tail)
{
	struct mp_state *st = r->priv, *nst;
	uintptr_t cut = tail->start;
	size_t first = mp_seg_index(st, cut), nsegs = st->nsegs - first;
	struct ww_vma *segs = malloc(nsegs * sizeof(*segs));
	int ret;

	if (!segs)
		return -ENOMEM;
	memcpy(segs, st->segs + first, nsegs * sizeof(*segs));
	ww_mp_seg_trim_front(&segs[0], cut);
	nst = mp_state_new(cut, tail->end, st->pagesize, segs, nsegs);
	free(segs);
	if (!nst)
		return -ENOMEM;
	/* The tail is claimable by both states for a moment; then only by nst. */
	ret = ww_mp_publish(nst, false);
	if (ret) {
		munmap(nst, nst->maplen);
		return ret;
	}
	ww_mp_shrink(st, atomic_load(&st->lo), cut);
	/* No handler can set a tail bit in st any more: move them. */
	mp_move_bits(st, nst, cut);
	tail->priv = nst;
	return 0;
}

/* Re-protect the runs just reported; on failure mark them written again. */
static int mp_rearm_runs(struct mp_state *st, const struct ww_region *runs, size_t n)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = ww_mp_protect(st, runs[i].start, runs[i].end, false);
	if (ret)
		for (i = 0; i < n; i++)
			mp_bits(st, runs[i].start, runs[i].end, true);
	return ret;
}

/*
 * Re-protect what a get-and-reset over [a, b) reported.  Each mprotect()
 * of a run costs a VMA split and merge (microseconds); one mprotect over the
 * whole walk costs a page-table walk of it (about a nanosecond a page) and
 * merges the VMAs back, which is what a plain mprotect tracker does.  With
 * many runs per page walked, the whole walk is cheaper.  It also protects
 * pages that were not reported: a write racing with that lands on a page
 * whose bit its fault sets (before and after making it writable, so on
 * either side of our call), so it is reported by a later get, never lost.
 */
#define MP_WHOLE_WALK_PAGES_PER_RUN 2048

static int mp_rearm(struct mp_state *st, uintptr_t a, uintptr_t b,
		    const struct ww_region *runs, size_t n)
{
	size_t i;
	int ret;

	if (n * MP_WHOLE_WALK_PAGES_PER_RUN < ((b - a) >> st->shift))
		return mp_rearm_runs(st, runs, n);
	ret = ww_mp_protect(st, a, b, false);
	if (ret)
		for (i = 0; i < n; i++)
			mp_bits(st, runs[i].start, runs[i].end, true);
	return ret;
}

/* Output state of a scan: runs so far, pages so far, and the limits. */
struct mp_out {
	struct ww_region *out;
	size_t n, max_out;
	uint64_t pages, max_pages;
};

/* Append the page at addr to the runs; false if the output is full. */
static bool mp_out_add(struct mp_out *o, uintptr_t addr, size_t pagesize)
{
	bool extends = o->n && o->out[o->n - 1].end == addr;

	if (o->pages >= o->max_pages || (!extends && o->n >= o->max_out))
		return false;
	if (extends)
		o->out[o->n - 1].end = addr + pagesize;
	else
		o->out[o->n++] = (struct ww_region){ addr, addr + pagesize };
	o->pages++;
	return true;
}

/*
 * The set bits of pages [i, last) as runs; with reset, clear the bits
 * taken.  Returns the address where the output filled, or 0 if it did not.
 */
static uintptr_t mp_collect_words(struct mp_state *st, size_t i, size_t last, struct mp_out *o,
				  bool reset)
{
	while (i < last) {
		size_t w = i / 64, lim = (w + 1) * 64 < last ? (w + 1) * 64 : last;
		uint64_t set = atomic_load(&st->bits[w]) & ww_bits_word_mask(w, i, lim);
		uint64_t took = 0;
		uintptr_t full = 0;

		while (set) {
			unsigned b = (unsigned)__builtin_ctzll(set);
			uintptr_t addr = st->base + ((w * 64 + b) << st->shift);

			if (!mp_out_add(o, addr, st->pagesize)) {
				full = addr;
				break;
			}
			took |= 1ULL << b;
			set &= set - 1;
		}
		/* Only this thread clears bits (t->lock): what it saw set is still set. */
		if (reset && took)
			atomic_fetch_and(&st->bits[w], ~took);
		if (full)
			return full;
		i = lim;
	}
	return 0;
}

/* Reset took every bit of group g it saw: clear its summary bit, unless one came meanwhile. */
static void mp_group_done(struct mp_state *st, size_t g)
{
	size_t w = g * (MP_GROUP_PAGES / 64), e = w + MP_GROUP_PAGES / 64;

	ww_bits_update(st->summary, g, g + 1, false);
	if (e > WW_BITMAP_WORDS(st->npages))
		e = WW_BITMAP_WORDS(st->npages);
	for (; w < e; w++)
		if (atomic_load(&st->bits[w])) {
			ww_bits_update(st->summary, g, g + 1, true);
			return;
		}
}

/*
 * mp_collect_words over the groups whose summary bit is set only: a get
 * costs a load per 4096 pages of the range plus the groups written, not a
 * load per 64 pages.
 */
static uintptr_t mp_collect(struct mp_state *st, size_t i, size_t last, struct mp_out *o,
			    bool reset)
{
	size_t ngroups = (st->npages + MP_GROUP_PAGES - 1) / MP_GROUP_PAGES;

	while (i < last) {
		size_t g = ww_bits_next_set(st->summary, i / MP_GROUP_PAGES, ngroups);
		size_t gs = g * MP_GROUP_PAGES, ge = gs + MP_GROUP_PAGES;
		size_t lo = gs > i ? gs : i, hi = ge < last ? ge : last;
		uintptr_t full;

		if (g >= ngroups || gs >= last)
			return 0;
		full = mp_collect_words(st, lo, hi, o, reset);
		if (full)
			return full;
		if (reset && lo == gs && (hi == ge || hi == st->npages))
			mp_group_done(st, g);
		i = hi;
	}
	return 0;
}

static ssize_t mp_scan(struct ww_tracker *t, struct ww_range *r,
		       uintptr_t start, uintptr_t end,
		       struct ww_region *out, size_t max_out, uint64_t max_pages,
		       bool reset, uintptr_t *walk_end)
{
	struct mp_state *st = r->priv;
	struct mp_out o = { .out = out, .max_out = max_out, .max_pages = max_pages };
	uintptr_t full = mp_collect(st, mp_index(st, start), mp_index(st, end), &o, reset);
	uintptr_t stop = full ? full : end;
	int ret;

	if (reset && o.n) {
		ret = mp_rearm(st, start, stop, out, o.n);
		if (ret)
			return ret;
	}
	*walk_end = stop;
	return (ssize_t)o.n;
}

static int mp_reset(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	struct mp_state *st = r->priv;
	int ret;

	mp_bits(st, start, end, false);
	/*
	 * All of it, not only the pages whose bit was set: also re-arms pages
	 * the application made writable itself (see the notes).
	 */
	ret = ww_mp_protect(st, start, end, false);
	if (ret)
		mp_bits(st, start, end, true);
	return ret;
}

static int mp_prepare_write(struct ww_tracker *t, struct ww_range *r,
			    uintptr_t start, uintptr_t end)
{
	struct mp_state *st = r->priv;
	int ret = ww_mp_protect(st, start, end, true);

	/* Writable first, then written: even after a failure (part may be writable). */
	mp_bits(st, start, end, true);
	return ret;
}

const struct ww_backend_ops ww_mprotect_ops = {
	.id = WW_BACKEND_MPROTECT,
	.name = "mprotect",
	.probe = mp_probe,
	.open = mp_open,
	.close = mp_close,
	.watch = mp_watch,
	.unwatch = mp_unwatch,
	.split = mp_split,
	.scan = mp_scan,
	.reset = mp_reset,
	.prepare_write = mp_prepare_write,
};
