/* SPDX-License-Identifier: MIT */
/* writewatch demo: options and measurements (cmd_demo.c), the table (demo_report.c). */
#ifndef WW_DEMO_H
#define WW_DEMO_H

#include "measure.h"

#define DEMO_NBACK 3
#define DEMO_MAX_ROUNDS 20

struct demo_opts {
	bool use[DEMO_NBACK];
	bool quick, quiet, verbose;
	int threads;
	int rounds;
	double seconds;
	size_t heap;
	double interval_ms;
	double hot;
};

/* Median and range of one figure over the rounds. */
struct spread {
	double median, min, max;
	int n;
};

/* One backend: its microbenchmarks and its workload runs, one per round. */
struct demo_row {
	enum wb_method m;
	struct wb_result fw, gr;
	struct wb_workload_result wl;   /* the first run that failed, else the last run */
	int intervals;
	size_t pages;
	double wall[DEMO_MAX_ROUNDS];   /* overhead of each round against its untracked run, % */
	double cpu[DEMO_MAX_ROUNDS];
	struct spread ow, oc;           /* over the rounds: wall, CPU */
	bool ow_noise, oc_noise;        /* inside the noise: not a fact */
};

/* The untracked runs, one per round: their spread is the noise. */
struct demo_base {
	double wall[DEMO_MAX_ROUNDS], cpu[DEMO_MAX_ROUNDS];
	struct spread w, c;
	double wall_noise, cpu_noise;   /* their range over their median, % */
};

extern const enum wb_method demo_backends[DEMO_NBACK];

void demo_spread(struct spread *s, const double *v, int n);
/* The table, then one verdict line per backend, then how to read them. */
void demo_report(const struct demo_row *rows, int n, const struct demo_base *base,
		 const struct wb_case *fw, const struct wb_case *gr, const struct demo_opts *o);

#endif /* WW_DEMO_H */
