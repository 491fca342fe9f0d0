/* SPDX-License-Identifier: MIT */
/*
 * The public-API operations of tests/fuzz_model.c: watch, unwatch, get in
 * both forms (with and without reset, small limits, the output array in
 * watched memory), reset, prepare_write, granularity and bad arguments,
 * each checked against the model of fuzz_model.h.
 */
#ifndef FUZZ_OPS_API_H
#define FUZZ_OPS_API_H

#include "fuzz_model.h"

/* A call's byte range and the window pages [pa, pb) it widens to. */
struct fz_call {
	size_t pa, pb;
	char *lo;
	size_t len;
};

/* What a call over [pa, pb) meets. */
struct fz_cover {
	bool unwatched, gone, replaced;
};

static void fz_call_bytes(struct fz_call *c, bool aligned)
{
	size_t o1 = aligned ? 0 : fz_rand(g.page), o2;

	o2 = aligned ? 0 : fz_rand(c->pb - c->pa == 1 ? g.page - o1 : g.page);
	c->lo = fz_addr(c->pa) + o1;
	c->len = (size_t)(fz_addr(c->pb) - o2 - c->lo);
}

/* Mostly a stretch of watched memory (across adjacent ranges), sometimes anywhere. */
static void fz_pick_call(struct fz_call *c, bool aligned)
{
	if (g.nr && fz_rand(8)) {
		size_t k = fz_rand(g.nr), k2 = k, a, b;

		while (k2 + 1 < g.nr && g.r[k2 + 1].a == g.r[k2].b && fz_rand(3))
			k2++;
		a = g.r[k].a;
		b = g.r[k2].b;
		if (fz_rand(2)) {
			a += fz_rand(b - a);
			b = a + 1 + fz_rand(b - a);
		}
		c->pa = a;
		c->pb = b;
	} else {
		c->pa = fz_rand(g.npages);
		c->pb = c->pa + 1 + fz_rand(g.npages - c->pa < 64 ? g.npages - c->pa : 64);
	}
	fz_call_bytes(c, aligned);
}

static void fz_classify(size_t pa, size_t pb, struct fz_cover *cv)
{
	*cv = (struct fz_cover){ .unwatched = fz_any(pa, pb, fz_is_unwatched) };
	for (size_t k = 0; k < g.nr; k++) {
		if (g.r[k].b <= pa || g.r[k].a >= pb)
			continue;
		switch (fz_status(k)) {
		case FZ_GONE: cv->gone = true; break;
		case FZ_REPLACED: cv->replaced = true; break;
		default: break;
		}
	}
}

/*
 * A call over [pa, pb) failed with -EFAULT: the memory of a range it covers
 * is gone (every such range is dropped) or replaced (the one the backend
 * tripped over is dropped).  Returns true if only replacements were met.
 */
static bool fz_efault(const struct fz_cover *cv, size_t pa, size_t pb, const char *what)
{
	int kept, dropped;

	if (!cv->gone && !cv->replaced)
		fz_fail("%s: -EFAULT over memory that is still the watched mapping", what);
	dropped = fz_resolve(pa, pb, &kept);
	if (cv->gone && kept)
		fz_fail("%s: -EFAULT, but %d unmapped range(s) it covers are still watched "
			"(the contract: the whole range is dropped)", what, kept);
	if (!cv->gone && !dropped)
		fz_fail("%s: -EFAULT for replaced memory, but no range was dropped "
			"(the contract: the whole range is dropped, later calls say -ENOENT)", what);
	return !cv->gone;
}

/* ---- watch / unwatch ---- */

static bool fz_watchable(size_t i)
{
	/* mprotect tracks only pages writable when watched: keep to those there. */
	return strcmp(g.backend, "mprotect") || fz_writable(i);
}

static bool fz_is_stale(size_t i) { return g.pg[i].stale; }
static bool fz_is_mapped_unwatched(size_t i) { return g.pg[i].mapped && !g.pg[i].watched; }

static bool fz_is_thp_unwatched(size_t i)
{
	return g.pg[i].mapped && g.pg[i].kind == FZ_THP && !g.pg[i].watched;
}

/* The first page of a whole zone where pred holds, from a random zone on. */
static bool fz_pick_zone(bool (*pred)(size_t), size_t *first)
{
	size_t z0 = fz_rand(FZ_ZONES);

	for (size_t j = 0; j < FZ_ZONES; j++) {
		size_t a = (z0 + j) % FZ_ZONES * g.zone_pages;

		if (fz_all(a, a + g.zone_pages, pred)) {
			*first = a;
			return true;
		}
	}
	return false;
}

/* Mostly mapped memory nobody watches (whole THPs now and then), sometimes anywhere. */
static void fz_pick_watch(struct fz_call *c)
{
	size_t n = 1 + fz_rand(fz_rand(4) ? 16 : 600);

	c->pa = fz_rand(g.npages);
	if (g.thp && !fz_rand(4) && fz_pick_zone(fz_is_thp_unwatched, &c->pa)) {
		n = g.zone_pages;
	} else if (fz_rand(4)) {
		if (g.nr && fz_rand(2))
			c->pa = g.r[fz_rand(g.nr)].b;   /* right after a range: two adjacent ranges */
		for (int tries = 0; tries < 16 && (c->pa >= g.npages ||
		     !fz_is_mapped_unwatched(c->pa)); tries++)
			c->pa = fz_rand(g.npages);
		if (c->pa >= g.npages)
			c->pa = 0;
		for (c->pb = c->pa; c->pb < g.npages && c->pb - c->pa < n &&
		     fz_is_mapped_unwatched(c->pb); c->pb++)
			;
		if (c->pb > c->pa)
			return;
	}
	c->pb = c->pa + n > g.npages ? g.npages : c->pa + n;
}

static void fz_op_watch(void)
{
	struct fz_call c;
	bool misalign = !fz_rand(16);
	long long want, ret;

	if (g.nr + 2 > FZ_MAX_RANGES)
		return;         /* the model's table is full (an unwatch may split in three) */
	fz_pick_watch(&c);
	if (!fz_all(c.pa, c.pb, fz_watchable))
		return;
	c.lo = fz_addr(c.pa) + (misalign ? 1 + fz_rand(g.page - 1) : 0);
	c.len = (size_t)(fz_addr(c.pb) - c.lo) - fz_rand(g.page);
	if (!c.len)
		c.len = 1;
	fz_log(false, "watch [%zu,%zu) addr+%zu len %zu", c.pa, c.pb,
	       (size_t)(c.lo - fz_addr(c.pa)), c.len);
	fz_snap_before(0, g.npages);
	ret = ww_watch(g.t, c.lo, c.len);
	fz_snap_after(0, g.npages);
	fz_log(true, "watch [%zu,%zu) %s -> %lld", c.pa, c.pb, misalign ? "misaligned" : "", ret);
	if (misalign) {
		fz_want(ret, -EINVAL, "ww_watch(misaligned)");
		return;
	}
	want = fz_any(c.pa, c.pb, fz_is_watched) ? -EEXIST :
	       fz_any(c.pa, c.pb, fz_is_unmapped) ? -ENOMEM : 0;
	if (want == -EEXIST && ret == -ENOMEM && fz_any(c.pa, c.pb, fz_is_unmapped))
		return;         /* both apply; the pages say nothing about which comes first */
	if (want == 0 && ret == -EBUSY && fz_any(c.pa, c.pb, fz_is_stale))
		return;         /* uffd-sync: the rest of a dropped range is still registered */
	fz_want(ret, want, "ww_watch");
	if (!ret)
		fz_range_add(c.pa, c.pb);
}

/* Widen [pa, pb) over whole ranges that are not ours any more (no partial unwatch of those). */
static void fz_widen_dead(size_t *pa, size_t *pb)
{
	for (size_t k = 0; k < g.nr; k++) {
		if (g.r[k].b <= *pa || g.r[k].a >= *pb || fz_status(k) == FZ_LIVE)
			continue;
		if (g.r[k].a < *pa)
			*pa = g.r[k].a;
		if (g.r[k].b > *pb)
			*pb = g.r[k].b;
	}
}

static void fz_op_unwatch(void)
{
	struct fz_call c;
	bool bad_end;
	long long ret, want;

	if (g.nr + 2 > FZ_MAX_RANGES)
		return;
	fz_pick_call(&c, true);
	fz_widen_dead(&c.pa, &c.pb);
	fz_call_bytes(&c, true);
	bad_end = !fz_rand(16) && c.len > 1;
	if (bad_end)
		c.len -= 1 + fz_rand(g.page - 1 < c.len - 1 ? g.page - 1 : c.len - 1);
	fz_log(false, "unwatch [%zu,%zu)%s", c.pa, c.pb, bad_end ? " unaligned end" : "");
	ret = ww_unwatch(g.t, c.lo, c.len);
	fz_log(true, "unwatch [%zu,%zu)%s -> %lld", c.pa, c.pb, bad_end ? " unaligned end" : "",
	       ret);
	want = fz_any(c.pa, c.pb, fz_is_unwatched) ? -ENOENT : bad_end ? -EINVAL : 0;
	if (want == -ENOENT && bad_end && ret == -EINVAL)
		return;
	fz_want(ret, want, "ww_unwatch");
	if (!ret)
		fz_model_unwatch(c.pa, c.pb);
}

/* ---- get ---- */

struct fz_get {
	struct fz_call c;
	struct fz_cover cv;
	bool reset, regions, with_next;
	size_t max, esize;
	void *out;
	size_t out_a, out_b;    /* window pages holding out[0..max), or none (a == b) */
	void *next;
	unsigned char *rep;     /* pages reported */
	size_t last;            /* last page reported + 1 */
	size_t lim;             /* pages below lim must have been reported */
};

/* Put the output array in watched memory sometimes: the library's stores count there. */
static void fz_place_out(struct fz_get *q)
{
	size_t bytes = q->max * q->esize, i = fz_rand(g.npages);
	long k = fz_range_of(i);

	q->out_a = q->out_b = 0;
	if (bytes <= g.page && !fz_rand(6) && k >= 0 && fz_status((size_t)k) == FZ_LIVE &&
	    fz_writable(i) && !g.pg[i].writer && g.pg[i].st != FZ_UNTRACKED) {
		size_t off = fz_rand(g.page - bytes + 1) & ~(size_t)15;

		q->out = fz_addr(i) + off;
		q->out_a = i;
		q->out_b = i + 1;
		return;
	}
	q->out = calloc(q->max, q->esize);
	if (!q->out)
		tt_fail("out of memory");
}

/* Mark the reported pages, checking order, bounds and granularity. */
static void fz_get_collect(struct fz_get *q, ssize_t n)
{
	size_t prev_end = q->c.pa;

	q->last = q->c.pa;
	for (ssize_t j = 0; j < n; j++) {
		uintptr_t s, e;

		if (q->regions) {
			const struct ww_region *r = (const struct ww_region *)q->out + j;

			s = r->start;
			e = r->end;
		} else {
			s = (uintptr_t)((void **)q->out)[j];
			e = s + g.page;
		}
		if (s % g.page || e % g.page || s >= e || s < (uintptr_t)fz_addr(prev_end) ||
		    e > (uintptr_t)fz_addr(q->c.pb))
			fz_fail("get result %zd [%#lx, %#lx) is not a page run, ascending, inside "
				"pages [%zu,%zu) after page %zu", j, (unsigned long)s,
				(unsigned long)e, q->c.pa, q->c.pb, prev_end);
		for (size_t i = fz_index((void *)s); i < fz_index((void *)e); i++)
			q->rep[i] = 1;
		prev_end = q->last = fz_index((void *)e);
	}
}

/* Every page reported was written (or may be, by the model) since its last reset. */
static void fz_get_check_reported(const struct fz_get *q)
{
	for (size_t i = q->c.pa; i < q->c.pb; i++) {
		if (!q->rep[i])
			continue;
		if (!g.pg[i].watched)
			fz_fail("page %zu reported but not watched", i);
		if (!fz_page_live(i) || (i >= q->out_a && i < q->out_b))
			continue;
		if (!fz_allowed(i))
			fz_fail("page %zu reported but not written since its last reset "
				"(state %s, writer writes started %lu, finished when reset began %lu)",
				i, fz_st_name(g.pg[i].st), g.sta1[i], g.pg[i].f_rs);
	}
}

/* Pages below q->lim that were written before the call began were all reported. */
static void fz_get_check_must(const struct fz_get *q)
{
	for (size_t i = q->c.pa; i < q->lim; i++) {
		if (q->rep[i] || !g.pg[i].watched || !fz_page_live(i) || !fz_must(i))
			continue;
		fz_fail("page %zu written (state %s, writer writes finished before the call %lu, "
			"started when reset ended %lu) but not reported: a lost write",
			i, fz_st_name(g.pg[i].st), g.fin0[i], g.pg[i].s_re);
	}
}

/* Which ranges the call may have dropped (replacements the backend met): the first one's start. */
static size_t fz_get_drops(struct fz_get *q, int *dropped)
{
	size_t first = q->c.pb;

	*dropped = 0;
	for (size_t k = 0; k < g.nr && q->cv.replaced; k++) {
		if (g.r[k].b <= q->c.pa || g.r[k].a >= q->c.pb || fz_status(k) != FZ_REPLACED)
			continue;
		if (ww_granularity(g.t, fz_addr(g.r[k].a)) == -ENOENT) {
			(*dropped)++;
			if (g.r[k].a < first)
				first = g.r[k].a > q->c.pa ? g.r[k].a : q->c.pa;
		}
	}
	return first;
}

static void fz_get_limits(struct fz_get *q, ssize_t n, size_t drop_at)
{
	char *hi = q->c.lo + q->c.len;

	q->lim = drop_at;
	if ((size_t)n == q->max && q->last < q->lim)
		q->lim = q->last;
	if (!q->with_next)
		return;
	if ((char *)q->next < q->c.lo || (char *)q->next > hi)
		fz_fail("*next = %p outside the call's range [%p, %p)", q->next,
			(void *)q->c.lo, (void *)hi);
	if ((size_t)n < q->max && drop_at == q->c.pb && q->next != hi)
		fz_fail("get_regions returned %zd < max %zu but *next = %p, not addr+len %p",
			n, q->max, q->next, (void *)hi);
	if (n && (char *)q->next < fz_addr(q->last) && q->next != hi)
		fz_fail("*next = %p is before the end of the last region returned", q->next);
	if (q->next != hi && fz_index(q->next) < q->lim)
		q->lim = fz_index(q->next);    /* the walk stopped there: resume point */
}

/* The model after a successful get: resets, the output array's pages. */
static void fz_get_apply(const struct fz_get *q, ssize_t n)
{
	char *ob = q->out, *oe = ob + (size_t)n * q->esize, *om = ob + q->max * q->esize;

	for (size_t i = q->c.pa; i < q->c.pb && q->reset; i++)
		if (q->rep[i] && fz_page_live(i) && g.pg[i].st != FZ_UNTRACKED)
			fz_stamp_reset(i);
	for (size_t i = q->out_a; i < q->out_b; i++) {
		struct fz_page *p = &g.pg[i];

		if (p->st == FZ_UNTRACKED)
			continue;
		if (oe > ob && fz_addr(i) < oe && fz_addr(i + 1) > ob)
			p->st = q->reset && q->rep[i] ? FZ_MAYBE : FZ_DIRTY;
		else if (p->st == FZ_CLEAN && fz_addr(i) < om)
			p->st = FZ_MAYBE;       /* room the library may have used */
	}
}

static void fz_get_result(struct fz_get *q, ssize_t n)
{
	int dropped, kept;
	size_t drop_at;

	if (q->cv.unwatched)
		fz_fail("get over unwatched pages returned %zd, the contract says -ENOENT", n);
	if (q->cv.gone)
		fz_fail("get over unmapped watched memory returned %zd, the contract says -EFAULT", n);
	fz_get_collect(q, n);
	drop_at = fz_get_drops(q, &dropped);
	if (dropped && (!q->reset || !n))
		fz_fail("a get dropped a replaced range but returned %zd, not -EFAULT", n);
	fz_get_check_reported(q);
	fz_get_limits(q, n, drop_at);
	fz_get_check_must(q);
	fz_get_apply(q, n);
	if (dropped) {
		g.deferred = true;      /* the error waits for the next get */
		fz_resolve(q->c.pa, q->c.pb, &kept);
	}
}

static void fz_get_failed(struct fz_get *q, ssize_t n)
{
	if (n == -ENOENT && q->cv.unwatched)
		return;
	if (n == -EFAULT) {
		fz_efault(&q->cv, q->c.pa, q->c.pb, "ww_get");
		return;         /* nothing was reset: a get that failed returned nothing */
	}
	fz_fail("ww_get%s returned %zd (%s); unwatched %d gone %d replaced %d",
		q->regions ? "_regions" : "", n, strerror((int)-n), q->cv.unwatched,
		q->cv.gone, q->cv.replaced);
}

/* A get over *at (NULL: a random call). */
static void fz_get_at(const struct fz_call *at)
{
	static const size_t maxes[] = { 1, 2, 3, 5, 16, 64 };
	struct fz_get q = { .reset = fz_rand(2), .regions = fz_rand(2) };
	ssize_t n;

	if (at)
		q.c = *at;
	else
		fz_pick_call(&q.c, fz_rand(2));
	fz_classify(q.c.pa, q.c.pb, &q.cv);
	q.with_next = q.regions && fz_rand(4);
	q.max = fz_rand(3) ? maxes[fz_rand(6)] : q.c.pb - q.c.pa + fz_rand(2);
	q.esize = q.regions ? sizeof(struct ww_region) : sizeof(void *);
	fz_place_out(&q);
	q.rep = calloc(g.npages, 1);
	if (!q.rep)
		tt_fail("out of memory");
	fz_log(false, "get%s%s [%zu,%zu) max %zu out %s", q.regions ? "_regions" : "",
	       q.reset ? "+reset" : "", q.c.pa, q.c.pb, q.max, q.out_b ? "watched" : "heap");
	fz_snap_before(0, g.npages);
	if (q.regions)
		n = ww_get_regions(g.t, q.c.lo, q.c.len, q.out, q.max,
				   q.reset ? WW_GET_RESET : 0, q.with_next ? &q.next : NULL);
	else
		n = ww_get(g.t, q.c.lo, q.c.len, q.out, q.max, q.reset ? WW_GET_RESET : 0);
	fz_snap_after(0, g.npages);
	fz_log(true, "get%s%s [%zu,%zu) max %zu out %s -> %zd", q.regions ? "_regions" : "",
	       q.reset ? "+reset" : "", q.c.pa, q.c.pb, q.max, q.out_b ? "watched" : "heap", n);
	if (g.deferred) {
		g.deferred = false;
		fz_want(n, -EFAULT, "the get after a get+reset that met replaced memory");
	} else if (n < 0) {
		fz_get_failed(&q, n);
	} else {
		fz_get_result(&q, n);
	}
	if (!q.out_b)
		free(q.out);
	free(q.rep);
}

/* ---- reset / prepare_write / granularity / bad arguments ---- */

static void fz_op_get(void) { fz_get_at(NULL); }

/* ww_reset (or ww_prepare_write) over *at (NULL: a random call). */
static void fz_reset_at(const struct fz_call *at, bool prepare)
{
	const char *name = prepare ? "ww_prepare_write" : "ww_reset";
	struct fz_call c;
	struct fz_cover cv;
	int ret;

	if (at)
		c = *at;
	else
		fz_pick_call(&c, fz_rand(2));
	if (prepare && !fz_all(c.pa, c.pb, fz_writable))
		return;         /* uffd-async refuses read-only memory (-EINVAL, documented) */
	fz_classify(c.pa, c.pb, &cv);
	fz_log(false, "%s [%zu,%zu)", prepare ? "prepare_write" : "reset", c.pa, c.pb);
	fz_snap_before(0, g.npages);
	ret = prepare ? ww_prepare_write(g.t, c.lo, c.len) : ww_reset(g.t, c.lo, c.len);
	fz_snap_after(0, g.npages);
	fz_log(true, "%s [%zu,%zu) -> %d", prepare ? "prepare_write" : "reset", c.pa, c.pb, ret);
	if (ret == -ENOENT && cv.unwatched)
		return;
	if (ret == -EFAULT && fz_efault(&cv, c.pa, c.pb, name)) {
		/* Stopped at a replacement: the parts before it may be done. */
		for (size_t i = c.pa; i < c.pb; i++) {
			struct fz_page *p = &g.pg[i];

			if (!fz_page_live(i) || p->st == FZ_UNTRACKED)
				continue;
			if (p->st == (prepare ? FZ_CLEAN : FZ_DIRTY))
				p->st = FZ_MAYBE;
			if (!prepare)
				p->s_re = g.sta1[i];
		}
		return;
	}
	if (ret == -EFAULT)
		return;
	fz_want(ret, cv.unwatched ? -ENOENT : cv.gone ? -EFAULT : 0, name);
	for (size_t i = c.pa; i < c.pb; i++) {
		if (!fz_page_live(i))
			continue;
		if (prepare)
			g.pg[i].st = FZ_DIRTY;
		else
			fz_stamp_reset(i);
	}
}

static void fz_op_reset(void) { fz_reset_at(NULL, false); }
static void fz_op_prepare(void) { fz_reset_at(NULL, true); }

static void fz_op_granularity(void)
{
	size_t i = fz_rand(g.npages);
	ssize_t ret = ww_granularity(g.t, fz_addr(i) + fz_rand(g.page));

	fz_log(false, "granularity page %zu -> %zd", i, ret);
	fz_want(ret, g.pg[i].watched ? (long long)g.page : -ENOENT, "ww_granularity");
}

/* Documented answers to bad arguments; none changes anything. */
static void fz_op_badargs(void)
{
	void *pages[4];
	char *a = g.nr ? fz_addr(g.r[fz_rand(g.nr)].a) : g.base;

	fz_log(false, "bad arguments at %p", (void *)a);
	fz_want(ww_get(g.t, a, 0, pages, 4, 0), -EINVAL, "ww_get(len 0)");
	fz_want(ww_get(g.t, a, g.page, pages, 0, 0), -EINVAL, "ww_get(max 0)");
	fz_want(ww_get(g.t, a, g.page, pages, 4, 2), -EINVAL, "ww_get(flags 2)");
	fz_want(ww_get(g.t, a, g.page, NULL, 4, 0), -EFAULT, "ww_get(pages NULL)");
	fz_want(ww_get_regions(g.t, a, g.page, NULL, 4, 0, NULL), -EFAULT,
		"ww_get_regions(regions NULL)");
	fz_want(ww_get(g.t, (void *)-g.page, 2 * g.page, pages, 4, 0), -EINVAL, "ww_get(wraps)");
	fz_want(ww_reset(g.t, a, 0), -EINVAL, "ww_reset(len 0)");
	fz_want(ww_prepare_write(g.t, a, 0), -EINVAL, "ww_prepare_write(len 0)");
	fz_want(ww_watch(g.t, a, 0), -EINVAL, "ww_watch(len 0)");
	fz_want(ww_unwatch(g.t, a, 0), -EINVAL, "ww_unwatch(len 0)");
	fz_want(ww_get(NULL, a, g.page, pages, 4, 0), -EINVAL, "ww_get(NULL tracker)");
	fz_want(ww_granularity(NULL, a), -EINVAL, "ww_granularity(NULL tracker)");
}

#endif /* FUZZ_OPS_API_H */
