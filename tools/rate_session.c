/* SPDX-License-Identifier: MIT */
/*
 * writewatch rate's tracking session: a tracker of the target opened from
 * outside (ww_open_pid), every writable mapping watched as it appears,
 * and at the end of every interval one get-and-reset per watched range,
 * handed to rate_interval().  Ends when the target does, at --duration or
 * at SIGINT/SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "writewatch.h"
#include "cli.h"
#include "rate.h"
#include "rate_session.h"

#define REGIONS 4096

/* A watched mapping of the target. */
struct watched {
	uint64_t start, end;
};

struct session {
	struct rate_state *st;
	struct ww_tracker *t;
	struct watched *w;
	size_t nw, capw;
	uint64_t (*runs)[2];
	size_t nruns, capruns;
	uint64_t pt_budget;             /* bytes of page tables the arming may cost */
	uint64_t skipped, nskipped;     /* mappings not armed: too large */
	struct ww_region reg[REGIONS];
};

static volatile sig_atomic_t stop_now;

static void on_stop(int sig)
{
	stop_now = 1;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The watched range starting at start, or NULL. */
static struct watched *watched_at(struct session *x, uint64_t start)
{
	size_t i;

	for (i = 0; i < x->nw; i++)
		if (x->w[i].start == start)
			return &x->w[i];
	return NULL;
}

static int watched_cmp(const void *a, const void *b)
{
	const struct watched *p = a, *q = b;

	return p->start < q->start ? -1 : p->start > q->start;
}

/*
 * Watch a new writable mapping.  Arming puts a marker in every page-table
 * entry (8 bytes a page, populated or not): beyond the budget a mapping is
 * left untracked, and said so, rather than exhausting the machine.
 */
static int watch_one(struct session *x, const struct tool_map *m)
{
	uint64_t len = m->end - m->start, cost = len / x->st->page * 8;
	int ret;

	if (cost > x->pt_budget) {
		x->skipped += len;
		x->nskipped++;
		return 0;
	}
	ret = ww_watch(x->t, (void *)(uintptr_t)m->start, len);
	if (ret == -EBUSY || ret == -EINVAL || ret == -EFAULT || ret == -ENOMEM ||
	    ret == -EPERM || ret == -EEXIST)
		return 0;       /* the target's own userfaultfd, odd, gone, or changed shape */
	if (ret)
		return ret;
	if (x->nw == x->capw) {
		size_t cap = x->capw ? x->capw * 2 : 64;
		struct watched *w = realloc(x->w, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		x->w = w;
		x->capw = cap;
	}
	x->w[x->nw++] = (struct watched){ m->start, m->end };
	x->pt_budget -= cost;
	return 0;
}

/* Watch every writable mapping not watched yet (new ones appear as the target runs). */
static int watch_new(struct session *x)
{
	struct tool_maps m;
	size_t i;
	int ret = tool_maps_read(x->st->pid, &m);

	if (ret)
		return ret == -ENOENT ? -ESRCH : ret;
	for (i = 0; i < m.n && !ret; i++) {
		struct tool_map part = m.v[i];
		struct watched *w = watched_at(x, part.start);

		if (part.perms[1] != 'w')
			continue;
		if (w && part.end > w->end) {
			/* A mapping that grew (the heap): watch what it gained. */
			part.start = w->end;
			w->end = part.end;
			ret = ww_watch(x->t, (void *)(uintptr_t)part.start, part.end - part.start);
			ret = ret == -EBUSY || ret == -EINVAL || ret == -EEXIST ? 0 : ret;
		} else if (!w) {
			ret = watch_one(x, &part);
		}
	}
	qsort(x->w, x->nw, sizeof(*x->w), watched_cmp);
	tool_maps_free(&x->st->maps);
	x->st->maps = m;
	return ret;
}

static int add_run(struct session *x, uint64_t a, uint64_t b)
{
	if (x->nruns == x->capruns) {
		size_t cap = x->capruns ? x->capruns * 2 : 1024;
		uint64_t (*r)[2] = realloc(x->runs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		x->runs = r;
		x->capruns = cap;
	}
	x->runs[x->nruns][0] = a;
	x->runs[x->nruns++][1] = b;
	return 0;
}

/* Get-and-reset one watched range to its end; -EFAULT/-ENOENT: it is gone (dropped). */
static int take_range(struct session *x, const struct watched *w)
{
	uint64_t cur = w->start;

	while (cur < w->end) {
		void *next = NULL;
		ssize_t n = ww_get_regions(x->t, (void *)(uintptr_t)cur, w->end - cur, x->reg,
					   REGIONS, WW_GET_RESET, &next), i;
		int ret;

		if (n < 0)
			return (int)n;
		for (i = 0; i < n; i++) {
			ret = add_run(x, x->reg[i].start, x->reg[i].end);
			if (ret)
				return ret;
		}
		if ((uintptr_t)next <= cur)
			break;
		cur = (uintptr_t)next;
	}
	return 0;
}

/* One interval's get-and-reset of every range; ranges gone are forgotten. */
static int take_all(struct session *x)
{
	size_t i, k = 0;
	int ret = 0;

	x->nruns = 0;
	for (i = 0; i < x->nw; i++) {
		ret = take_range(x, &x->w[i]);
		if (ret == -EFAULT || ret == -ENOENT) {
			ret = 0;
			continue;       /* unmapped by the target: the library dropped it */
		}
		if (ret)
			break;
		x->w[k++] = x->w[i];
	}
	for (; i < x->nw; i++)
		x->w[k++] = x->w[i];
	x->nw = k;
	return ret;
}

/* A quarter of MemAvailable: what arming's page tables may take. */
static uint64_t pt_budget(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb ? kb * 1024 / 4 : 256ULL << 20;
}

/* Populated bytes of the target's writable mappings, before arming marks the rest. */
static uint64_t resident(pid_t pid, const struct tool_maps *m, size_t page)
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
			ssize_t n = ww_pagemap_scan(pm, cur, m->v[i].end,
						    WW_PAGE_IS_PRESENT | WW_PAGE_IS_SWAPPED,
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

static int sleep_until(double t)
{
	struct timespec ts = { (time_t)t, (long)((t - (double)(time_t)t) * 1e9) };

	/* A signal (SIGINT) ends the wait early: the caller looks at stop_now. */
	return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* True once the command this tool started has exited (reaped here). */
static bool child_ended(pid_t child)
{
	int status;

	return child > 0 && waitpid(child, &status, WNOHANG) == child;
}

static int open_and_arm(struct session *x)
{
	struct tool_maps m;
	int ret = ww_open_pid(&x->t, x->st->pid, WW_BACKEND_AUTO, 0);

	if (ret)
		return ret;
	ret = tool_maps_read(x->st->pid, &m);
	if (ret)
		return ret == -ENOENT ? -ESRCH : ret;
	x->st->resident_bytes = resident(x->st->pid, &m, x->st->page);
	tool_maps_free(&m);
	x->pt_budget = pt_budget();
	ret = watch_new(x);
	return ret;
}

/* The intervals, until the target ends, the duration is up or a signal came. */
static int loop(struct session *x, pid_t child)
{
	const struct rate_opts *o = &x->st->o;
	double begin = mono(), prev = 0, due;
	unsigned long i;
	bool last = false;
	int ret = 0;

	rate_sample_start(x->st);
	for (i = 1; !last && !stop_now; i++) {
		due = (double)i * o->interval_ms / 1000.0;
		if (o->duration_s > 0 && due >= o->duration_s) {
			due = o->duration_s;
			last = true;
		}
		sleep_until(begin + due);
		if (child_ended(child))
			break;  /* its memory is gone: the writes since the last get with it */
		due = mono() - begin;
		ret = take_all(x);
		if (ret == -ESRCH)
			return 0;
		if (ret)
			return ret;
		ret = rate_interval(x->st, prev, due, (const uint64_t (*)[2])x->runs, x->nruns);
		if (ret)
			return ret;
		prev = due;
		ret = watch_new(x);
		if (ret == -ESRCH)
			return 0;
		if (ret)
			return ret;
	}
	return 0;
}

int rate_session_run(struct rate_state *st, pid_t child, const char **why)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct session *x = calloc(1, sizeof(*x));
	int ret;

	if (!x)
		return -ENOMEM;
	x->st = st;
	*why = "opening a tracker of the target";
	ret = open_and_arm(x);
	if (!ret) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		*why = "tracking";
		ret = loop(x, child);
	}
	st->skipped_bytes = x->skipped;
	st->skipped_maps = x->nskipped;
	ww_close(x->t);
	free(x->w);
	free(x->runs);
	free(x);
	return ret;
}
