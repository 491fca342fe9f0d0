/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: GetWriteWatch and ResetWriteWatch.  The answer is the union
 * of the tracker's written pages and the sticky bits (src/win32_internal.h),
 * ascending and without duplicates; a reset clears both for exactly the
 * pages it covers.
 */
#include <errno.h>
#include <stdlib.h>

#include "win32_internal.h"

/*
 * The write-watch allocation holding all of [base, base+size) (rounded out to
 * pages), or NULL with ERROR_INVALID_PARAMETER.  Called with the lock held.
 */
static struct walloc *watch_target(PVOID base, SIZE_T size, size_t *i0, size_t *i1)
{
	uintptr_t start = ww_align_down((uintptr_t)base, ww_page_size()), end;
	struct walloc *a;

	if ((uintptr_t)base + size < (uintptr_t)base) {
		ww32_fail(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	end = ww_align_up((uintptr_t)base + size, ww_page_size());
	a = ww32_alloc_find(start);
	if (!a || !a->write_watch || end > a->end || end < start) {
		ww32_fail(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	*i0 = ww32_page_index(a, start);
	*i1 = ww32_page_index(a, end);
	return a;
}

/*
 * Take the lock and find the write-watch allocation for a Get/Reset call.
 * On failure the lock is released again and the last error is set.
 */
static struct walloc *enter_target(PVOID base, SIZE_T size, size_t *i0, size_t *i1)
{
	struct walloc *a;

	ww32_enter();
	a = watch_target(base, size, i0, i1);
	if (a && !ww32_tracker_live()) {
		ww32_fail(ERROR_NOT_SUPPORTED);
		a = NULL;
	}
	if (!a)
		ww32_leave();
	return a;
}

/*
 * An error a GetWriteWatch with reset met after it had reset pages (which it
 * returned): the next GetWriteWatch fails with it.  Under the layer's lock.
 */
static int deferred_err;

struct out {
	void **v;
	size_t cap;
	size_t n;
};

/* Pages [i0, i1) the tracker does not watch: only sticky pages can be written. */
static void emit_unwatched(struct walloc *a, size_t i0, size_t i1, struct out *o, bool reset)
{
	size_t i;

	for (i = ww32_sticky_next(a, i0, i1); i < i1 && o->n < o->cap;
	     i = ww32_sticky_next(a, i + 1, i1)) {
		o->v[o->n++] = (void *)ww32_page_addr(a, i);
		if (reset)
			ww32_sticky_clear(a, i);
	}
}

/* Pending run of reported tracker pages to reset, [rs, re). */
struct reset_run {
	uintptr_t rs;
	uintptr_t re;
};

static int flush_reset(struct reset_run *run)
{
	int ret = 0;

	if (run->re > run->rs)
		ret = ww_reset(ww32_tracker, (void *)run->rs, run->re - run->rs);
	run->rs = run->re = 0;
	return ret;
}

/* Add tracker page p to the pending run, resetting the run before when p does not extend it. */
static int add_reset(struct reset_run *run, uintptr_t p)
{
	int ret = 0;

	if (p != run->re) {
		ret = flush_reset(run);
		run->rs = p;
	}
	run->re = p + ww_page_size();
	return ret;
}

/*
 * Merge the n tracker pages tb[] with the sticky pages of [i0, i1), ascending
 * and without duplicates.  With reset, the tracker pages reported are reset
 * after they were read; that loses nothing because each of them is in this
 * answer (a write landing between the read and the reset is covered by
 * reporting the page now).
 */
static int merge(struct walloc *a, size_t i0, size_t i1, void **tb, size_t n,
		 struct out *o, bool reset)
{
	struct reset_run run = { 0, 0 };
	size_t j = 0, s = ww32_sticky_next(a, i0, i1);
	int ret = 0;

	while (o->n < o->cap && (j < n || s < i1) && !ret) {
		uintptr_t t = j < n ? (uintptr_t)tb[j] : UINTPTR_MAX;
		uintptr_t sp = s < i1 ? ww32_page_addr(a, s) : UINTPTR_MAX;
		uintptr_t p = t < sp ? t : sp;

		o->v[o->n++] = (void *)p;
		if (p == t) {
			j++;
			if (reset)
				ret = add_reset(&run, p);
		}
		if (p == sp) {
			if (reset)
				ww32_sticky_clear(a, s);
			s = ww32_sticky_next(a, s + 1, i1);
		}
	}
	if (!ret && reset)
		ret = flush_reset(&run);
	return ret;
}

/* Watched pages with sticky ones among them. */
static int emit_merged(struct walloc *a, size_t i0, size_t i1, struct out *o, bool reset)
{
	size_t room = o->cap - o->n, max = room < i1 - i0 ? room : i1 - i0;
	void **tb = malloc(max * sizeof(*tb));
	ssize_t n;
	int ret;

	if (!tb)
		return -ENOMEM;
	/* The first max tracker pages suffice: the answer holds at most max pages. */
	n = ww_get(ww32_tracker, (void *)ww32_page_addr(a, i0), (i1 - i0) * ww_page_size(),
		   tb, max, 0);
	ret = n < 0 ? (int)n : merge(a, i0, i1, tb, (size_t)n, o, reset);
	free(tb);
	return ret;
}

static int emit_watched(struct walloc *a, size_t i0, size_t i1, struct out *o, bool reset)
{
	ssize_t n;

	if (ww32_sticky_next(a, i0, i1) < i1)
		return emit_merged(a, i0, i1, o, reset);
	/* The common case: one get, straight into the caller's array. */
	n = ww_get(ww32_tracker, (void *)ww32_page_addr(a, i0), (i1 - i0) * ww_page_size(),
		   o->v + o->n, o->cap - o->n, reset ? WW_GET_RESET : 0);
	if (n < 0)
		return (int)n;
	o->n += n;
	return 0;
}

WW_API UINT ww_win32_GetWriteWatch(DWORD flags, PVOID base, SIZE_T size, PVOID *addresses,
				   ULONG_PTR *count, ULONG *granularity)
{
	bool reset = flags & WRITE_WATCH_FLAG_RESET;
	struct out o;
	struct walloc *a;
	size_t i0, i1, i, j;
	int ret = 0;

	if (!count || !granularity)
		return ww32_fail(ERROR_NOACCESS), (UINT)-1;
	if (!*count || !size || (flags & ~WRITE_WATCH_FLAG_RESET))
		return ww32_fail(ERROR_INVALID_PARAMETER), (UINT)-1;
	if (!addresses)
		return ww32_fail(ERROR_NOACCESS), (UINT)-1;
	o = (struct out){ .v = addresses, .cap = *count };
	a = enter_target(base, size, &i0, &i1);
	if (!a)
		return (UINT)-1;
	ret = deferred_err;
	deferred_err = 0;
	for (i = i0; i < i1 && o.n < o.cap && !ret; i = j) {
		j = ww32_run_end(a, i, i1);
		if (ww32_page_watched(a, i))
			ret = emit_watched(a, i, j, &o, reset);
		else
			emit_unwatched(a, i, j, &o, reset);
	}
	/* Pages already reset are the caller's: a short answer now, the error next time. */
	if (ret && reset && o.n) {
		deferred_err = ret;
		ret = 0;
	}
	ww32_leave();
	if (ret)
		return ww32_fail(ww32_err_from_errno(ret)), (UINT)-1;
	*count = o.n;
	*granularity = (ULONG)ww_page_size();
	return 0;
}

WW_API UINT ww_win32_ResetWriteWatch(LPVOID base, SIZE_T size)
{
	struct walloc *a;
	size_t i0, i1, i, j;
	int ret = 0;

	if (!size)
		return ww32_fail(ERROR_INVALID_PARAMETER), (UINT)-1;
	a = enter_target(base, size, &i0, &i1);
	if (!a)
		return (UINT)-1;
	for (i = ww32_sticky_next(a, i0, i1); i < i1; i = ww32_sticky_next(a, i + 1, i1))
		ww32_sticky_clear(a, i);
	for (i = i0; i < i1 && !ret; i = j) {
		j = ww32_run_end(a, i, i1);
		if (ww32_page_watched(a, i))
			ret = ww_reset(ww32_tracker, (void *)ww32_page_addr(a, i),
				       (j - i) * ww_page_size());
	}
	ww32_leave();
	if (ret)
		return ww32_fail(ww32_err_from_errno(ret)), (UINT)-1;
	return 0;
}
