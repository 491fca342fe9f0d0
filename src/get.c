/* SPDX-License-Identifier: MIT */
/*
 * ww_get() and ww_get_regions(): walk the watched parts of a range through
 * the backend's scan, into page addresses or merged runs.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* ---- get ---- */

/* Where scan results go: pages (expanded) or regions (merged). */
struct sink {
	void **pages;
	struct ww_region *regions;
	size_t max;
	size_t n;
};

/* Room left, in pages for the page form, in regions for the region form. */
static size_t sink_room(const struct sink *s)
{
	return s->max - s->n;
}

/* Page form: expand runs into page addresses (the scan never returns more pages than room). */
static void sink_pages(struct sink *s, const struct ww_region *regs, size_t n, size_t pagesize)
{
	size_t i;

	for (i = 0; i < n; i++)
		for (uint64_t a = regs[i].start; a < regs[i].end && s->n < s->max; a += pagesize)
			s->pages[s->n++] = (void *)(uintptr_t)a;
}

/*
 * Region form: the backend wrote n runs straight into the caller's array at
 * s->n (one copy less on the hot path).  A run cut by the backend's buffer or
 * a range boundary is one run to the caller: merge it into the previous one.
 */
static void sink_regions(struct sink *s, size_t n)
{
	struct ww_region *out = s->regions + s->n;

	if (n && s->n && s->regions[s->n - 1].end == out[0].start) {
		s->regions[s->n - 1].end = out[0].end;
		memmove(out, out + 1, (n - 1) * sizeof(*out));
		n--;
	}
	s->n += n;
}

/*
 * Scan [start, end) of range r into the sink.  Returns 0 when the range part
 * was walked completely, 1 when the sink filled first (*stop says where), or
 * -errno.
 */
static int scan_range(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end,
		      bool reset, struct sink *s, uintptr_t *stop)
{
	uintptr_t at = start;

	while (at < end) {
		size_t room = sink_room(s);
		uintptr_t walk_end = at;
		ssize_t n;

		if (!room) {
			*stop = at;
			return 1;
		}
		/*
		 * The page form limits pages (so a limited get resets only what
		 * it returns) and goes through the scratch buffer; the region
		 * form limits runs and writes into the caller's array, never
		 * asking for more runs than it has room for, so nothing is reset
		 * and then dropped.
		 */
		if (s->pages)
			n = t->ops->scan(t, r, at, end, t->scratch, t->scratch_len, room, reset,
					 &walk_end);
		else
			n = t->ops->scan(t, r, at, end, s->regions + s->n, room, UINT64_MAX, reset,
					 &walk_end);
		if (n < 0) {
			*stop = at;
			return (int)n;
		}
		if (s->pages)
			sink_pages(s, t->scratch, (size_t)n, r->pagesize);
		else
			sink_regions(s, (size_t)n);
		if (walk_end <= at && n == 0)
			return -EIO;    /* a backend that makes no progress: never loop forever */
		at = walk_end;
	}
	*stop = end;
	return 0;
}

/*
 * A get+reset that fails after it re-armed pages must not lose them: it
 * returns what it has (like a short read(2)) and the error waits for the
 * next get on this tracker.
 */
static ssize_t get_failed(struct ww_tracker *t, struct sink *s, bool reset, int err)
{
	if (!reset || !s->n)
		return err;
	t->deferred_err = err;
	return (ssize_t)s->n;
}

static ssize_t get_locked(struct ww_tracker *t, uintptr_t start, uintptr_t end,
			  struct sink *s, bool reset, uintptr_t *next)
{
	size_t first, count, i;
	uintptr_t stop = end;
	int ret;

	ret = ww_cover(t, start, end, &first, &count);
	if (ret)
		return ret;
	ret = ww_check_mapped(t, first, count);
	if (ret)
		return ret;
	for (i = first; i < first + count; i++) {
		struct ww_range *r = t->ranges[i];
		uintptr_t cs, ce;

		ww_clamp(r, start, end, &cs, &ce);
		ret = ww_range_failed(t, i, scan_range(t, r, cs, ce, reset, s, &stop));
		if (ret < 0) {
			*next = stop;
			return get_failed(t, s, reset, ret);
		}
		if (ret == 1)
			break;
	}
	*next = stop > end ? end : stop;
	return (ssize_t)s->n;
}

static ssize_t get_common(struct ww_tracker *t, void *addr, size_t len, struct sink *s,
			  unsigned flags, void **next)
{
	uintptr_t end, stop = 0;
	ssize_t ret = ww_check_call(t, addr, len, &end);

	if (ret)
		return ret;
	if (flags & ~WW_GET_RESET || !s->max)
		return -EINVAL;
	if (!s->pages && !s->regions)
		return -EFAULT;
	pthread_mutex_lock(&t->lock);
	if (t->deferred_err) {
		ret = t->deferred_err;
		t->deferred_err = 0;
	} else {
		ret = get_locked(t, (uintptr_t)addr, end, s, flags & WW_GET_RESET, &stop);
	}
	pthread_mutex_unlock(&t->lock);
	if (ret >= 0 && next)
		*next = (void *)stop;
	return ret;
}

WW_API ssize_t ww_get(struct ww_tracker *t, void *addr, size_t len,
		      void **pages, size_t max, unsigned flags)
{
	struct sink s = { .pages = pages, .max = max };

	return get_common(t, addr, len, &s, flags, NULL);
}

WW_API ssize_t ww_get_regions(struct ww_tracker *t, void *addr, size_t len,
			      struct ww_region *regions, size_t max, unsigned flags,
			      void **next)
{
	struct sink s = { .regions = regions, .max = max };

	return get_common(t, addr, len, &s, flags, next);
}
