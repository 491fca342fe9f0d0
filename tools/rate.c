/* SPDX-License-Identifier: MIT */
/* writewatch rate: one run's state, per interval and at the end (see rate.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "writewatch.h"
#include "rate.h"
#include "rate_plot.h"

/* Re-read the target's mappings at most this often, or when a page falls outside them. */
#define MAPS_EVERY_S 1.0

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
	tool_maps_free(&st->watched);
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

static void maps_refresh(struct rate_state *st, bool force)
{
	struct tool_maps fresh;
	double t = mono();
	uint64_t res;

	if (!force && st->maps.n && t - st->maps_read_at < MAPS_EVERY_S)
		return;
	/* A target that has gone (an exiting one shows no mappings) keeps the last picture. */
	if (tool_maps_read(st->pid, &fresh))
		return;
	if (!fresh.n) {
		tool_maps_free(&fresh);
		return;
	}
	tool_maps_free(&st->maps);
	st->maps = fresh;
	st->maps_read_at = t;
	res = resident(st->pid, &st->maps);
	if (res > st->resident_bytes)
		st->resident_bytes = res;
}

/* The accumulator of the mapping holding addr (one per address range and name). */
static struct rate_map *map_of(struct rate_state *st, const struct tool_maps *in, uint64_t addr)
{
	long k = tool_maps_find(in, addr);
	const struct tool_map *v;
	size_t i;

	if (k < 0)
		return NULL;
	v = &in->v[k];
	for (i = 0; i < st->nm; i++)
		if (st->m[i].start == v->start && st->m[i].end == v->end &&
		    !strcmp(st->m[i].name, v->name))
			return &st->m[i];
	if (st->nm == st->capm) {
		size_t cap = st->capm ? st->capm * 2 : 32;
		struct rate_map *m = realloc(st->m, cap * sizeof(*m));

		if (!m)
			return NULL;
		st->m = m;
		st->capm = cap;
	}
	memset(&st->m[st->nm], 0, sizeof(st->m[0]));
	st->m[st->nm].start = v->start;
	st->m[st->nm].end = v->end;
	st->m[st->nm].name = strdup(v->name);
	if (!st->m[st->nm].name)
		return NULL;
	return &st->m[st->nm++];
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

/* Per-mapping figures of the newest interval. */
static int account_maps(struct rate_state *st)
{
	const struct series_interval *iv = &st->s.iv[st->s.n - 1];
	size_t i, r;
	int ret;

	for (i = 0; i < st->nm; i++)
		st->m[i].last = 0;
	maps_refresh(st, false);
	for (r = 0; r < iv->nruns; r++) {
		struct series_run run = iv->runs[r];

		/* A run may span mappings: split it at each mapping's end. */
		while (run.start < run.end) {
			struct rate_map *m = map_of(st, &st->maps, run.start * st->page);
			struct series_run part = run;

			if (!m) {
				maps_refresh(st, true);
				m = map_of(st, &st->maps, run.start * st->page);
			}
			if (!m)         /* gone from /proc since: as the session watched it */
				m = map_of(st, &st->watched, run.start * st->page);
			if (!m) {
				run.start++;    /* no mapping holds it now: gone already */
				continue;
			}
			if (part.end * st->page > m->end)
				part.end = m->end / st->page;
			ret = map_add(m, &part);
			if (ret)
				return ret;
			run.start = part.end;
		}
	}
	return 0;
}

int rate_set_watched(struct rate_state *st, const uint64_t (*ranges)[2], const char *const *labels,
		     size_t n)
{
	struct tool_maps w = { calloc(n ? n : 1, sizeof(struct tool_map)), 0 };

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
	tool_maps_free(&st->watched);
	st->watched = w;
	return 0;
}

void rate_sample_start(struct rate_state *st)
{
	if (!st->o.sample_per_gib)
		return;
	maps_refresh(st, true);
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
	rate_report_interval(st, st->s.n - 1);
	rate_sample_start(st);
	return 0;
}

int rate_finish(struct rate_state *st)
{
	struct rate_plot_info pi = { st->o.what, st->o.link_mbps * 1e6 / 8 };
	int ret = 0;

	rate_report_summary(st);
	if (st->o.plot_dir)
		ret = plot_all(st->o.plot_dir, &st->s, &st->maps, &pi);
	if (!ret && st->o.svg_file)
		ret = plot_one_file(st->o.svg_file, &st->s, &st->maps, &pi);
	return ret;
}
