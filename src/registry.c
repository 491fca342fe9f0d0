/* SPDX-License-Identifier: MIT */
/*
 * The registry of watched ranges: a sorted array of non-overlapping ranges,
 * lookups, insertion, splitting and removal, and the argument checks every
 * call shares.  Callers hold t->lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernel.h"

void ww_range_remove_at(struct ww_tracker *t, size_t i)
{
	free(t->ranges[i]);
	memmove(&t->ranges[i], &t->ranges[i + 1], (t->nr_ranges - i - 1) * sizeof(t->ranges[0]));
	t->nr_ranges--;
}

/* True when some of r's memory has been unmapped behind our back. */
bool ww_range_gone(const struct ww_tracker *t, const struct ww_range *r)
{
	return ww_target_mapped(t, r->start, r->end - r->start) != 0;
}

/*
 * Forget range i; gone: some of its memory was unmapped or replaced, so the
 * backend restores protection only on what is still ours.  When the backend
 * could not remove its protection the range stays registered (still
 * watched, still usable) and the error is returned, unless the memory is
 * gone: then nothing could make the range usable again and it is forgotten.
 */
int ww_range_drop(struct ww_tracker *t, size_t i, bool gone)
{
	struct ww_range *r = t->ranges[i];
	int ret = t->ops->unwatch(t, r, r->start, r->end, gone);

	/*
	 * -EFAULT: the backend found part of the range replaced by a mapping
	 * that is not ours (still mapped, so the msync check missed it).  What
	 * it could undo is undone; the rest is handled as gone, which succeeds:
	 * the caller asked to stop watching and nothing is watched any more.
	 */
	if (ret == -EFAULT && !gone) {
		gone = true;
		ret = t->ops->unwatch(t, r, r->start, r->end, true);
	}
	if (ret && !gone)
		return ret;
	ww_range_remove_at(t, i);
	return gone ? 0 : ret;
}

/*
 * A backend answered -EFAULT for range i: it saw the memory replaced, so the
 * range is dropped as gone (the contract: later calls say -ENOENT).
 */
int ww_range_failed(struct ww_tracker *t, size_t i, int err)
{
	if (err == -EFAULT)
		ww_range_drop(t, i, true);
	return err;
}

/* ---- registry ---- */

static uintptr_t range_end_of(const void *arr, size_t i)
{
	return ((struct ww_range *const *)arr)[i]->end;
}

/* Index of the first range whose end is above addr (nr_ranges if none). */
size_t ww_range_search(const struct ww_tracker *t, uintptr_t addr)
{
	return ww_search_end(t->ranges, t->nr_ranges, addr, range_end_of);
}

struct ww_range *ww_range_find(const struct ww_tracker *t, uintptr_t addr)
{
	size_t i = ww_range_search(t, addr);

	if (i < t->nr_ranges && t->ranges[i]->start <= addr)
		return t->ranges[i];
	return NULL;
}

int ww_range_insert(struct ww_tracker *t, struct ww_range *r, size_t at)
{
	if (t->nr_ranges == t->cap_ranges) {
		size_t cap = t->cap_ranges ? t->cap_ranges * 2 : 8;
		struct ww_range **n = realloc(t->ranges, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->ranges = n;
		t->cap_ranges = cap;
	}
	memmove(&t->ranges[at + 1], &t->ranges[at], (t->nr_ranges - at) * sizeof(t->ranges[0]));
	t->ranges[at] = r;
	t->nr_ranges++;
	return 0;
}

/*
 * Split ranges[i] at addr (strictly inside it): the tail becomes ranges[i+1].
 * Nothing changes on failure.
 */
int ww_range_split(struct ww_tracker *t, size_t i, uintptr_t addr)
{
	struct ww_range *r = t->ranges[i];
	struct ww_range *tail = malloc(sizeof(*tail));
	int ret;

	if (!tail)
		return -ENOMEM;
	*tail = *r;
	tail->start = addr;
	tail->priv = NULL;
	/* Make room first so that the backend's split is the last thing that can fail. */
	ret = ww_range_insert(t, tail, i + 1);
	if (ret) {
		free(tail);
		return ret;
	}
	ret = t->ops->split ? t->ops->split(t, r, tail) : 0;
	if (ret) {
		ww_range_remove_at(t, i + 1);
		return ret;
	}
	r->end = addr;
	return 0;
}

/* ---- argument checks ---- */

/* Common checks for calls taking (t, addr, len); *end receives addr + len. */
int ww_check_call(const struct ww_tracker *t, const void *addr, size_t len, uintptr_t *end)
{
	uintptr_t a = (uintptr_t)addr;

	if (!t || !len)
		return -EINVAL;
	if (a + len < a)
		return -EINVAL;
	if (ww_in_forked_child(t))
		return -ECHILD;
	*end = a + len;
	return ww_target_check(t);
}

/*
 * [start, end) must be covered by watched ranges with no gap.  Returns the
 * index of the first overlapping range in *first and how many overlap.
 */
int ww_cover(const struct ww_tracker *t, uintptr_t start, uintptr_t end,
		 size_t *first, size_t *count)
{
	size_t i = ww_range_search(t, start), j;
	uintptr_t at = start;

	*first = i;
	for (j = i; j < t->nr_ranges && at < end; j++) {
		const struct ww_range *r = t->ranges[j];

		if (r->start > at)
			return -ENOENT;
		at = r->end;
	}
	if (at < end)
		return -ENOENT;
	*count = j - i;
	return 0;
}

/*
 * Check the ranges about to be touched are still mapped; drop those that
 * are not (the application unmapped them) and report -EFAULT.
 */
int ww_check_mapped(struct ww_tracker *t, size_t first, size_t count)
{
	int ret = 0;
	size_t i;

	for (i = first + count; i-- > first;) {
		if (ww_range_gone(t, t->ranges[i])) {
			ww_range_drop(t, i, true);
			ret = -EFAULT;
		}
	}
	return ret;
}

/* Clamp [start, end) to range r, rounded out to r's pages. */
void ww_clamp(const struct ww_range *r, uintptr_t start, uintptr_t end,
		  uintptr_t *cs, uintptr_t *ce)
{
	*cs = start > r->start ? ww_align_down(start, r->pagesize) : r->start;
	*ce = end < r->end ? ww_align_up(end, r->pagesize) : r->end;
}
