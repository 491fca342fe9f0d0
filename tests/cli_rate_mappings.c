/* SPDX-License-Identifier: MIT */
/*
 * writewatch rate --json gives every mapping its own window curve, and on
 * three mappings written at once on known schedules (bench/rate_target
 * maps: a sweep of a page a tick, a sweep of a page every other tick, a hot
 * set) each curve equals the truth:
 *
 * - the two sweeps write every page once, so a window's distinct pages are
 *   the pages its intervals wrote: the busiest and the mean window of each
 *   length are computed here from the per-interval lines and must be equal.
 *   (A store in flight across a get is reported by both gets, which the
 *   library's contract allows; the sum over the intervals then exceeds the
 *   pages by the count of such doubles, d, and a window may be up to d
 *   below its intervals' sum, never above.)
 * - the hot set: no window above it, at least the most of one interval,
 *   and the whole run exactly the set;
 * - every mapping's curve has the whole process's windows (same lengths,
 *   interval counts and window counts) and never more pages than it;
 * - a mapping's distinct_pages is the truth and its whole-run window.
 */
#include "cli_rate.h"

#define MAXIV 4096
#define MAXW 48

struct curve {
	double seconds[MAXW], mean[MAXW];
	long long intervals[MAXW], count[MAXW], max[MAXW];
	int n;
};

struct mapping {
	uint64_t start;
	long long truth_distinct, truth_writes;
	long long per[MAXIV];           /* written_pages of each interval */
	long long sum, distinct;
	struct curve c;
};

static void read_curve(const char *arr, struct curve *c)
{
	const char *p;

	tt_check(arr && *arr == '[', "rate --json: no windows array");
	c->n = 0;
	for (p = json_ws(arr + 1); *p == '{' && c->n < MAXW; c->n++) {
		c->seconds[c->n] = atof(json_get(p, "seconds"));
		c->intervals[c->n] = atoll(json_get(p, "intervals"));
		c->count[c->n] = atoll(json_get(p, "windows"));
		c->max[c->n] = atoll(json_get(p, "max_pages"));
		c->mean[c->n] = atof(json_get(p, "mean_pages"));
		p = json_ws(json_value(p, 0));
		if (*p == ',')
			p = json_ws(p + 1);
	}
}

/* The summary object of the mapping starting at start. */
static const char *summary_map(const char *summary, uint64_t start)
{
	const char *p = json_get(json_get(summary, "summary"), "mappings");

	for (p = json_ws(p + 1); *p == '{';) {
		if (strtoull(json_get(p, "start") + 1, NULL, 16) == start)
			return p;
		p = json_ws(json_value(p, 0));
		if (*p == ',')
			p = json_ws(p + 1);
	}
	tt_fail("rate --json: no mapping at %#llx in the summary", (unsigned long long)start);
	return NULL;
}

/* Per-interval pages of each mapping, from the interval lines (before the summary). */
static size_t read_intervals(const struct rate_result *x, struct mapping *m, int nm)
{
	const char *p;
	size_t n = 0;
	int k;

	for (p = x->r.out; p < x->summary; p += strlen(p) + 1) {
		if (strncmp(p, "{\"t\":", 5))
			continue;
		tt_check(n < MAXIV, "too many intervals");
		for (k = 0; k < nm; k++) {
			m[k].per[n] = rate_map_pages(json_get(p, "mappings"), m[k].start,
						     "written_pages");
			m[k].sum += m[k].per[n];
		}
		n++;
	}
	return n;
}

/* The truth of each mapping, from the target's line. */
static void read_truth(const struct rate_result *x, struct mapping *m)
{
	const char *p, *arr = NULL;
	int k;

	for (p = x->r.out; p < x->summary; p += strlen(p) + 1)
		if (!strncmp(p, "{\"mode\"", 7))
			arr = json_get(p, "maps");
	tt_check(arr && *arr == '[', "rate_target maps: no truth per mapping");
	for (k = 0, p = json_ws(arr + 1); *p == '{' && k < 3; k++) {
		tt_check(strtoull(json_get(p, "start") + 1, NULL, 16) == m[k].start,
			 "rate_target: the truth's mapping %d is not where it said", k);
		m[k].truth_distinct = atoll(json_get(p, "distinct"));
		m[k].truth_writes = atoll(json_get(p, "page_writes"));
		p = json_ws(json_value(p, 0));
		if (*p == ',')
			p = json_ws(p + 1);
	}
	tt_check(k == 3, "rate_target maps: %d mappings in the truth", k);
}

/* A sweep: each window's busiest and mean equal the sums of its intervals (see above). */
static void check_sweep(const struct mapping *m, size_t nint, const char *what)
{
	long long d = m->sum - m->truth_writes;
	int w;

	tt_check(d >= 0 && d <= (long long)nint, "%s: the intervals sum to %lld pages, %lld "
		 "written (each once)", what, m->sum, m->truth_writes);
	for (w = 0; w < m->c.n; w++) {
		long long k = m->c.intervals[w], best = 0, total = 0, j, i;

		for (j = 0; j < m->c.count[w]; j++) {
			long long s = 0;

			for (i = j * k; i < (j + 1) * k && i < (long long)nint; i++)
				s += m->per[i];
			best = s > best ? s : best;
			total += s;
		}
		double mean = m->c.count[w] ? (double)total / (double)m->c.count[w] : 0;

		tt_check(m->c.max[w] <= best && m->c.max[w] >= best - d,
			 "%s: window %.3f s has %lld pages at the busiest, its intervals wrote %lld "
			 "(%lld doubles)", what, m->c.seconds[w], m->c.max[w], best, d);
		tt_check(m->c.mean[w] <= mean + 0.05 && m->c.mean[w] >= mean - (double)d - 0.05,
			 "%s: window %.3f s mean %.1f, its intervals' mean %.2f (%lld doubles)", what,
			 m->c.seconds[w], m->c.mean[w], mean, d);
	}
}

static void check_hot(const struct mapping *m, size_t nint)
{
	int w;

	for (w = 0; w < m->c.n; w++) {
		long long k = m->c.intervals[w], most = 0, j, i;

		for (j = 0; j < m->c.count[w]; j++)
			for (i = j * k; i < (j + 1) * k && i < (long long)nint; i++)
				most = m->per[i] > most ? m->per[i] : most;
		tt_check(m->c.max[w] <= m->truth_distinct && m->c.max[w] >= most,
			 "hot set: window %.3f s busiest %lld, the set %lld, an interval %lld",
			 m->c.seconds[w], m->c.max[w], m->truth_distinct, most);
	}
}

/* Every mapping's curve has the whole process's windows, never above it. */
static void check_same_windows(const struct curve *all, const struct mapping *m)
{
	int w;

	tt_check(m->c.n == all->n, "a mapping has %d windows, the process %d", m->c.n, all->n);
	for (w = 0; w < all->n; w++)
		tt_check(m->c.seconds[w] == all->seconds[w] && m->c.intervals[w] == all->intervals[w] &&
			 m->c.count[w] == all->count[w] && m->c.max[w] <= all->max[w],
			 "window %d of a mapping differs from the process's", w);
	tt_check(m->c.max[all->n - 1] == m->distinct && m->distinct == m->truth_distinct,
		 "whole run: %lld pages in the curve, distinct_pages %lld, truth %lld",
		 m->c.max[all->n - 1], m->distinct, m->truth_distinct);
}

int main(int argc, char **argv)
{
	/* 2.4 s at 1000 ticks a second, 100 ms intervals: windows of 1 s, 2 s and the run. */
	const char *targs[] = { "maps", "--pages", "2400", "--hot", "64", "--rate", "1000", NULL };
	const char *names[3] = { "sweep", "half-rate sweep", "hot set" };
	static struct mapping m[3];
	struct curve all;
	struct rate_result x;
	size_t nint;
	int k;

	cli_find_tool(argc, argv);
	x = rate_run(100, NULL, targs);
	tt_check(x.nmore == 2, "rate_target maps: %zu more mappings", x.nmore);
	m[0].start = x.region;
	m[1].start = x.more[0];
	m[2].start = x.more[1];
	read_truth(&x, m);
	nint = read_intervals(&x, m, 3);
	tt_check(nint == x.intervals, "%zu interval lines, %zu parsed", nint, x.intervals);
	read_curve(json_get(json_get(x.summary, "summary"), "windows"), &all);
	tt_check(all.n >= 3, "a 2.4 s run has %d windows, want 1 s, 2 s and the run", all.n);
	for (k = 0; k < 3; k++) {
		const char *o = summary_map(x.summary, m[k].start);

		read_curve(json_get(o, "windows"), &m[k].c);
		m[k].distinct = atoll(json_get(o, "distinct_pages"));
		check_same_windows(&all, &m[k]);
	}
	check_sweep(&m[0], nint, names[0]);
	check_sweep(&m[1], nint, names[1]);
	check_hot(&m[2], nint);
	cli_free(&x.r);
	return 0;
}
