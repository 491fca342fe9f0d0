/* SPDX-License-Identifier: MIT */
/*
 * writewatch rate: the state of one run and its reports.  The tracking
 * session hands every interval's written runs to rate_interval(); the
 * report side prints them (a live view on a terminal, a line per interval
 * otherwise, or JSON lines) and sums the run up at the end.
 */
#ifndef WW_TOOL_RATE_H
#define WW_TOOL_RATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "maps.h"
#include "sampler.h"
#include "series.h"

/*
 * Totals of one mapping over the run.  Mappings come and go: one is kept by
 * its start and name (a heap that grows stays one), its end the furthest
 * seen.  At most RATE_MAPS_MAX are kept; the pages of mappings beyond
 * count in one more, "[other mappings]" (start = end = 0: no curve).
 */
#define RATE_MAPS_MAX 4096

struct rate_map {
	uint64_t start, end;
	char *name;
	uint64_t pages;                 /* sum over the intervals */
	uint64_t last;                  /* in the last interval */
	struct series_run *seen;        /* distinct pages so far, merged */
	size_t nseen;
	uint64_t distinct;
};

struct rate_opts {
	int interval_ms;
	double duration_s;              /* 0: until the target ends (or SIGINT) */
	bool json;
	double link_mbps;               /* 0: none */
	const char *plot_dir, *svg_file;
	unsigned sample_per_gib;        /* 0: no sampling estimator */
	const char *what;               /* the target, for people */
};

struct rate_state {
	struct rate_opts o;
	pid_t pid;
	size_t page;
	struct series s;
	struct tool_maps maps;          /* what the session watched at the last collection */
	struct rate_map *m;
	size_t nm, capm;
	struct sampler sp;
	bool sampling;                  /* sp started for the current interval */
	double sampled_pages;           /* the estimate for the last interval */
	FILE *out;
	bool tty;
	double resident_at;             /* when resident_bytes was last measured */
	uint64_t resident_bytes;        /* present bytes of the writable mappings, the most
					 * seen (what pre-copy's first round sends) */
};

int rate_init(struct rate_state *st, const struct rate_opts *o, pid_t pid);
void rate_free(struct rate_state *st);
/*
 * The mappings the session watched (label "[anon]" for anonymous memory),
 * before the first interval and with each: the session is the one owner of
 * which mappings there are; rate accounts every page to the one of these
 * that holds it, whatever /proc says by then (a target that exited right
 * after the collection shows none).  0 or -ENOMEM.
 */
int rate_set_watched(struct rate_state *st, const uint64_t (*ranges)[2], const char *const *labels,
		     size_t n);
/*
 * One interval [t0, t1) (seconds since tracking began): the written runs
 * [runs[i][0], runs[i][1]) in bytes, ascending.  Records, then reports.
 */
int rate_interval(struct rate_state *st, double t0, double t1, const uint64_t (*runs)[2],
		  size_t n);
/* Before the first interval and after each: re-sample for the next one (when asked). */
void rate_sample_start(struct rate_state *st);
/* The end of the run: the summary (text or JSON) and the pictures.  0 or -errno. */
int rate_finish(struct rate_state *st);

/* ---- rate_report.c ---- */
void rate_report_interval(struct rate_state *st);
void rate_report_summary(struct rate_state *st);
/*
 * Indices of the mappings with pages written, busiest first by key (0: the
 * last interval, 1: the run), at most max: their count.
 */
size_t rate_busiest(const struct rate_state *st, size_t *idx, size_t max, int key);

#endif /* WW_TOOL_RATE_H */
