/* SPDX-License-Identifier: MIT */
/* writewatch rate: one run's state, per interval and at the end (see rate.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "writewatch.h"
#include "rate.h"
#include "rate_plot.h"

/* Measure the resident bytes at most this often (a page-map scan of every writable mapping). */
#define RESIDENT_EVERY_S 1.0

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int rate_init(struct rate_state *st, const struct rate_opts *o, pid_t pid)
{
	memset(st, 0, sizeof(*st));
	st->o = *o;
	st->pid = pid;
	st->page = (size_t)sysconf(_SC_PAGESIZE);
	st->out = stdout;
	st->tty = !o->json && isatty(STDOUT_FILENO);
	series_init(&st->s, st->page);
	if (o->sample_per_gib)
		return sampler_init(&st->sp, pid, st->page, 20261203);
	return 0;
}

void rate_free(struct rate_state *st)
{
	size_t i;

	for (i = 0; i < st->nm; i++) {
		free(st->m[i].name);
		free(st->m[i].seen);
	}
	free(st->m);
	series_free(&st->s);
	tool_maps_free(&st->maps);
	if (st->o.sample_per_gib)
		sampler_free(&st->sp);
}

/*
 * Present bytes of the target's writable mappings: what pre-copy's first
 * round sends, at its largest so far.  (Swapped pages are left out: once armed, a never-populated
 * page's marker reads as swapped too.) */
static uint64_t resident(pid_t pid, const struct tool_maps *m)
{
	struct ww_pagemap *pm;
	struct ww_page_run runs[256];
	uint64_t total = 0, cur, next;
	size_t i;

	if (ww_pagemap_open(&pm, pid, 0))
		return 0;
	for (i = 0; i < m->n; i++) {
		if (m->v[i].perms[1] != 'w')
			continue;
		for (cur = m->v[i].start; cur < m->v[i].end; cur = next) {
			ssize_t n = ww_pagemap_scan(pm, cur, m->v[i].end, WW_PAGE_IS_PRESENT,
						    WW_PAGE_IS_PRESENT, runs, 256, &next), k;

			if (n < 0 || next <= cur)
				break;
			for (k = 0; k < n; k++)
				total += runs[k].end - runs[k].start;
		}
	}
	ww_pagemap_close(pm);
	return total;
}

/* The resident bytes, at their largest so far (not more often than RESIDENT_EVERY_S). */
static void resident_update(struct rate_state *st, bool force)
{
	double t = mono();
	uint64_t res;

	if (!force && t - st->resident_at < RESIDENT_EVERY_S)
		return;
	st->resident_at = t;
	res = resident(st->pid, &st->maps);
	if (res > st->resident_bytes)
		st->resident_bytes = res;
}

/* A new accumulator for mapping v (or the overflow one once RATE_MAPS_MAX are kept). */
static struct rate_map *map_new(struct rate_state *st, const struct tool_map *v)
{
	bool other = st->nm == RATE_MAPS_MAX - 1;
	struct rate_map *m;

	if (st->nm == RATE_MAPS_MAX)
		return &st->m[RATE_MAPS_MAX - 1];
	if (st->nm == st->capm) {
		size_t cap = st->capm ? st->capm * 2 : 32;

		m = realloc(st->m, cap * sizeof(*m));
		if (!m)
			return NULL;
		st->m = m;
		st->capm = cap;
	}
	m = &st->m[st->nm];
	memset(m, 0, sizeof(*m));
	m->start = other ? 0 : v->start;
	m->end = other ? 0 : v->end;
	m->name = strdup(other ? "[other mappings]" : v->name);
	if (!m->name)
		return NULL;
	st->nm++;
	return m;
}

/* The accumulator of watched mapping v: NULL when out of memory. */
static struct rate_map *map_of(struct rate_state *st, const struct tool_map *v)
{
	size_t i;

	for (i = 0; i < st->nm; i++) {
		struct rate_map *m = &st->m[i];

		if (m->start == v->start && (m->start || m->end) && !strcmp(m->name, v->name)) {
			if (v->end > m->end)
				m->end = v->end;        /* grown */
			return m;
		}
	}
	return map_new(st, v);
}

/* Add one run (page numbers, inside one mapping) to the mapping's distinct set. */
static int map_add(struct rate_map *m, const struct series_run *r)
{
	struct series_run *u = malloc((m->nseen + 1) * sizeof(*u));

	if (!u)
		return -ENOMEM;
	m->nseen = series_union(m->seen, m->nseen, r, 1, u, &m->distinct);
	free(m->seen);
	m->seen = u;
	m->pages += r->end - r->start;
	m->last += r->end - r->start;
	return 0;
}

/* Per-mapping figures of the newest interval, by the mappings the session watched. */
static int account_maps(struct rate_state *st)
{
	const struct series_interval *iv = &st->s.newest;
	size_t i, r;
	int ret;

	for (i = 0; i < st->nm; i++)
		st->m[i].last = 0;
	for (r = 0; r < iv->nruns; r++) {
		struct series_run run = iv->runs[r];

		/* A run may span mappings: split it at each mapping's end. */
		while (run.start < run.end) {
			long k = tool_maps_find(&st->maps, run.start * st->page);
			struct series_run part = run;
			struct rate_map *m;

			if (k < 0) {    /* outside what was watched: cannot be, but never loop */
				run.start++;
				continue;
			}
			m = map_of(st, &st->maps.v[k]);
			if (!m)
				return -ENOMEM;
			if (part.end * st->page > st->maps.v[k].end)
				part.end = st->maps.v[k].end / st->page;
			ret = map_add(m, &part);
			if (ret)
				return ret;
			run.start = part.end;
		}
	}
	return 0;
}

/* Is the list the same as the one held (the common case: nothing was mapped or unmapped)? */
static bool same_watched(const struct rate_state *st, const uint64_t (*ranges)[2],
			 const char *const *labels, size_t n)
{
	size_t i;

	if (n != st->maps.n)
		return false;
	for (i = 0; i < n; i++) {
		const struct tool_map *v = &st->maps.v[i];

		if (v->start != ranges[i][0] || v->end != ranges[i][1] ||
		    strcmp(v->name[0] ? v->name : "[anon]", labels[i]))
			return false;
	}
	return true;
}

int rate_set_watched(struct rate_state *st, const uint64_t (*ranges)[2], const char *const *labels,
		     size_t n)
{
	struct tool_maps w;

	if (st->maps.v && same_watched(st, ranges, labels, n)) {
		resident_update(st, false);
		return 0;
	}
	w = (struct tool_maps){ calloc(n ? n : 1, sizeof(struct tool_map)), 0 };
	if (!w.v)
		return -ENOMEM;
	for (; w.n < n; w.n++) {
		struct tool_map *v = &w.v[w.n];

		v->start = ranges[w.n][0];
		v->end = ranges[w.n][1];
		memcpy(v->perms, "rw-p", sizeof(v->perms));
		/* The session labels anonymous memory "[anon]"; /proc names it "". */
		v->name = strdup(strcmp(labels[w.n], "[anon]") ? labels[w.n] : "");
		if (!v->name) {
			tool_maps_free(&w);
			return -ENOMEM;
		}
	}
	tool_maps_free(&st->maps);
	st->maps = w;
	resident_update(st, st->resident_at == 0);
	return 0;
}

void rate_sample_start(struct rate_state *st)
{
	if (!st->o.sample_per_gib)
		return;
	st->sampling = sampler_start(&st->sp, &st->maps, st->o.sample_per_gib) == 0;
}

int rate_interval(struct rate_state *st, double t0, double t1, const uint64_t (*runs)[2],
		  size_t n)
{
	int ret = series_add(&st->s, t0, t1, runs, n);

	if (ret)
		return ret;
	ret = account_maps(st);
	if (ret)
		return ret;
	st->sampled_pages = -1;
	if (st->sampling && !sampler_end(&st->sp, &st->sampled_pages))
		st->sampled_pages = st->sampled_pages;
	rate_report_interval(st);
	rate_sample_start(st);
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct tool_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The mappings written over the run, for the heatmap's bands: every
 * accumulator (not only what is mapped at the end), sorted; of two that
 * overlap (a mapping replaced by another) the first stays.  The names are
 * the accumulators'.
 */
static int written_maps(const struct rate_state *st, struct tool_maps *out)
{
	size_t i, n = 0;

	out->v = calloc(st->nm + 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (i = 0; i < st->nm; i++)
		if (st->m[i].end > st->m[i].start)
			out->v[n++] = (struct tool_map){ st->m[i].start, st->m[i].end, "rw-p",
							 st->m[i].name };
	qsort(out->v, n, sizeof(*out->v), by_start);
	out->n = 0;
	for (i = 0; i < n; i++)
		if (!out->n || out->v[i].start >= out->v[out->n - 1].end)
			out->v[out->n++] = out->v[i];
	return 0;
}

/* The busiest mappings of the run, a curve each on the windows picture. */
static size_t plot_curves(const struct rate_state *st, struct rate_plot_curve *c, size_t max)
{
	size_t idx[RATE_PLOT_CURVES], n = rate_busiest(st, idx, max, 1), i, k = 0;

	for (i = 0; i < n; i++) {
		const struct rate_map *m = &st->m[idx[i]];

		if (m->end <= m->start)
			continue;       /* the overflow accumulator: no range of its own */
		snprintf(c[k].label, sizeof(c[k].label), "%.16s at %#llx",
			 m->name[0] ? m->name : "[anon]", (unsigned long long)m->start);
		c[k].lo = m->start / st->page;
		c[k++].hi = m->end / st->page;
	}
	return k;
}

int rate_finish(struct rate_state *st)
{
	struct rate_plot_info pi = { .what = st->o.what,
				     .link_bytes_per_s = st->o.link_mbps * 1e6 / 8 };
	struct tool_maps wm;
	int ret;

	rate_report_summary(st);
	if (!st->o.plot_dir && !st->o.svg_file)
		return 0;
	ret = written_maps(st, &wm);
	if (ret)
		return ret;
	pi.ncurves = plot_curves(st, pi.curves, RATE_PLOT_CURVES);
	if (st->o.plot_dir)
		ret = plot_all(st->o.plot_dir, &st->s, &wm, &pi);
	if (!ret && st->o.svg_file)
		ret = plot_one_file(st->o.svg_file, &st->s, &wm, &pi);
	free(wm.v);     /* the names are the accumulators' */
	return ret;
}
