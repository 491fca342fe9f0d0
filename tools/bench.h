/* SPDX-License-Identifier: MIT */
/* writewatch bench: its options and its cases (bench_opts.c), the run (cmd_bench.c). */
#ifndef WW_BENCH_H
#define WW_BENCH_H

#include "measure.h"

#define BENCH_MAX_LIST 32
#define BENCH_MAX_CASES (BENCH_MAX_LIST * BENCH_MAX_LIST)

struct bench_opts {
	bool methods[WB_NMETHODS];
	bool requested[WB_NMETHODS];    /* what --backends named (methods adds raw) */
	bool any_method;
	bool measure[2];
	bool remote;             /* --measure remote: tools/bench_remote.c */
	size_t sizes[BENCH_MAX_LIST];
	int nsizes;
	double fractions[BENCH_MAX_LIST];
	int nfractions;
	size_t pages;
	enum wb_pattern patterns[WB_NPATTERNS];
	int npatterns;
	int threads;
	int reps;
	int rounds;
	enum wb_populate populate;
	bool quick;
	bool quiet;
	bool markdown;
	int timeout;
	const char *csv;        /* NULL: none, "-": stdout, else a file */
	const char *json;
	bool no_nice;
	int nice;               /* what the run got: -20, or 0 when not allowed */
};

/* Parse the command line into *o: -1 to go on, else an exit code (help or usage error). */
int bench_parse(int argc, char **argv, struct bench_opts *o);
/*
 * Split the comma list s, calling parse(item, out, i) on the i-th item (non-zero:
 * a bad item); at most max items.  0 with *count set, or -EINVAL.  Shared by
 * bench's options and bench --measure restore's (tools/bench_restore.c).
 */
typedef int (*bench_item_fn)(const char *item, void *out, int i);
int bench_parse_list(const char *s, bench_item_fn parse, void *out, int *count, int max);
/* A method list's item: "all" sets flags[0..n), else flags[id] (id -1: unknown name, -1 back). */
int bench_flag_item(const char *s, bool *flags, int n, int id);
/* The cases to run, in order; returns how many (at most max). */
int bench_cases(const struct bench_opts *o, struct wb_case *cs, int max);

#endif /* WW_BENCH_H */
