/* SPDX-License-Identifier: MIT */
/*
 * The figures of `writewatch rate`, computed from what each interval's
 * get-and-reset returned: the pages written per interval (a page written
 * many times in one interval counts once, as it would be copied once), the
 * distinct pages written over growing windows (1 s, 2 s, 4 s, ... up to the
 * run), and what iterative pre-copy would leave to copy at a link speed.
 *
 * Pages are kept as runs of page numbers (address / page size), so a
 * sweep over gigabytes costs a few runs per interval, not a page each.
 *
 * Memory stays bounded however long the run: at most max_intervals stored
 * intervals (SERIES_MAX_INTERVALS); when there would be more, or the runs
 * of all of them pass budget_runs (SERIES_BUDGET_RUNS, 16 bytes a run),
 * neighbours are merged pairwise (their union: a page written in both
 * counts once) and every stored interval then holds twice as many of the
 * intervals added.  So the series costs at most 16 bytes x max(budget_runs,
 * the runs of the pages written in the whole run), and the curve stays
 * exact for every window it shows; only its shortest windows (and the
 * resolution of the pictures) give way.  A mapping's curve is the same
 * series clipped to the mapping's pages: nothing is kept per mapping.
 */
#ifndef WW_TOOL_SERIES_H
#define WW_TOOL_SERIES_H

#include <stddef.h>
#include <stdint.h>

/* [start, end) in page numbers. */
struct series_run {
	uint64_t start, end;
};

struct series_interval {
	double t0, t1;                  /* seconds since the run began */
	struct series_run *runs;        /* ascending, disjoint, merged */
	size_t nruns;
	uint64_t pages;                 /* sum of the runs' lengths */
};

#define SERIES_MAX_INTERVALS 4096
#define SERIES_BUDGET_RUNS (16u << 20)  /* 256 MiB of runs */

struct series {
	size_t page;                    /* bytes */
	struct series_interval *iv;     /* stored: each holds per intervals added */
	size_t n, cap;
	size_t per;                     /* intervals added per stored one (1, 2, 4, ...) */
	size_t fill;                    /* intervals added into the last stored one */
	size_t added;                   /* intervals added in all */
	size_t max_intervals;           /* stored at most (>= 2) */
	size_t budget_runs;             /* runs stored before merging */
	size_t nruns;                   /* runs stored, all intervals */
	struct series_interval newest;  /* the interval added last, as added */
	size_t newest_cap;
	uint64_t pages;                 /* sum of the pages of every interval added */
	double peak;                    /* pages per second, the busiest interval added */
};

/* One window of the distinct-pages curve. */
struct series_window {
	double seconds;                 /* window length */
	size_t intervals;               /* intervals (as added) per window */
	size_t count;                   /* whole windows in the run (aligned at its start) */
	uint64_t max_pages;             /* distinct pages, the busiest window */
	double mean_pages;              /* distinct pages, mean over the windows */
};

void series_init(struct series *s, size_t page);
void series_free(struct series *s);
/*
 * Append the interval [t0, t1) (t0 not before the last t1) with the pages
 * [runs[i].start, runs[i].end) in bytes, ascending as a get returns them.
 * 0 or -errno.
 */
int series_add(struct series *s, double t0, double t1, const uint64_t (*runs)[2], size_t n);

/* Pages per second of stored interval i; 0 for an empty interval of no length. */
double series_rate(const struct series *s, size_t i);
/* The same of the interval added last (s->newest). */
double series_newest_rate(const struct series *s);

/*
 * The distinct-pages curve: windows of 1, 2, 4, ... seconds (rounded up to
 * whole intervals unless within 5% of one; the first one at least one interval), while one fits in
 * the run, and the whole run last.  Windows are aligned at the run's start
 * and do not overlap.  Fills at most max into w; returns the count or -errno.
 */
int series_windows(const struct series *s, struct series_window *w, size_t max);
/*
 * The same curve (the same windows) of the pages in [lo, hi) only (page
 * numbers): the curve of one mapping.
 */
int series_windows_in(const struct series *s, uint64_t lo, uint64_t hi,
		      struct series_window *w, size_t max);
/*
 * The union of run lists a and b into out (room for na + nb): ascending,
 * merged.  Returns its length; *pages gets its size in pages.
 */
size_t series_union(const struct series_run *a, size_t na, const struct series_run *b,
		    size_t nb, struct series_run *out, uint64_t *pages);
/* Distinct pages of stored intervals [i, j). */
uint64_t series_distinct(const struct series *s, size_t i, size_t j);
/* The same, of the pages in [lo, hi) only (page numbers). */
uint64_t series_distinct_in(const struct series *s, size_t i, size_t j, uint64_t lo,
			    uint64_t hi);

/*
 * Iterative pre-copy over a link of bytes_per_s: the first round copies
 * total bytes; each next round copies what was written while the last one
 * ran, read off the curve (the busiest windows; linear between windows,
 * proportional below the first, flat after the run).  Stops when a round
 * no longer shrinks, less than a page is left, or after max_rounds.
 * Returns the bytes left for the final stop-and-copy; *rounds gets the
 * rounds run.
 */
double series_left_to_copy(const struct series_window *w, size_t nw, size_t page,
			   double total, double bytes_per_s, int max_rounds, int *rounds);

#endif /* WW_TOOL_SERIES_H */
