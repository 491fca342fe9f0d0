/* SPDX-License-Identifier: MIT */
/*
 * writewatch demo: a mutator-shaped workload (a hot set written all the time,
 * a cold tail written rarely, several threads) run untracked and tracked by
 * every backend, with a get+reset every interval, in interleaved rounds (the
 * order rotates each round) so that the machine's drift hits every backend
 * alike; plus each backend's first-write and get+reset cost.  Then a table
 * of the backends side by side, overheads with their spread over the rounds
 * (demo_report.c).  --verbose prints every run and interval on the way.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <string.h>

#include "writewatch.h"
#include "cli.h"
#include "demo.h"

const enum wb_method demo_backends[DEMO_NBACK] = { WB_UFFD_ASYNC, WB_UFFD_SYNC, WB_MPROTECT };

static void usage(FILE *f)
{
	fprintf(f, "Usage: writewatch demo [options]\n"
		"Run a mutator-shaped workload (a heap whose hot set is written all the time and\n"
		"whose cold tail is written rarely, by several threads) untracked and tracked by\n"
		"every backend, with a get+reset every interval, in interleaved rounds.  Then a\n"
		"table: each backend's first-write and get+reset cost, and its overhead on the\n"
		"workload (median over the rounds, with its range); a figure within the spread\n"
		"of the untracked runs is marked as noise.\n\n"
		"  --quick           a short run (a few seconds) with a smaller heap\n"
		"  --backends LIST   comma-separated: uffd-async, uffd-sync, mprotect (default all)\n"
		"  --threads N       mutator threads (default 2)\n"
		"  --rounds N        interleaved rounds, 2 to %d (default 5, quick 3)\n"
		"  --seconds S       length of an untracked run; tracked runs do the same work\n"
		"                    (default 0.5, quick 0.2)\n"
		"  --heap SIZE       heap size (default 256M, quick 32M)\n"
		"  --hot FRACTION    share of the heap in the hot set (default 4%%)\n"
		"  --interval MS     get+reset period in milliseconds (default 100, quick 50)\n"
		"  -v, --verbose     every run and every interval as it happens\n"
		"  -q, --quiet       no progress on stderr\n"
		"  -h, --help        this help\n\n"
		"Exit status: 0 ok, 1 a run failed, 2 usage error, 3 no backend available.\n",
		DEMO_MAX_ROUNDS);
}

static int parse_backends(const char *s, bool *use)
{
	char buf[256], *save = NULL, *tok;
	int i, n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(use, 0, DEMO_NBACK * sizeof(*use));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
		enum wb_method m;

		for (i = 0; i < DEMO_NBACK && !strcmp(tok, "all"); i++)
			use[i] = true;
		if (!strcmp(tok, "all"))
			continue;
		if (wb_method_parse(tok, &m))
			return -EINVAL;
		for (i = 0; i < DEMO_NBACK && demo_backends[i] != m; i++)
			;
		if (i == DEMO_NBACK)
			return -EINVAL;
		use[i] = true;
	}
	return n ? 0 : -EINVAL;
}

/* One option: -1 when it parses, else the usage error's code. */
static int opt_one(void *ctx, int c, const char *a)
{
	struct demo_opts *o = ctx;

	switch (c) {
	case 'Q':
		o->quick = true;
		return -1;
	case 'v':
		o->verbose = true;
		return -1;
	case 'q':
		o->quiet = true;
		return -1;
	case 'b':
		if (parse_backends(a, o->use))
			return cli_usage_error("demo", "bad --backends '%s' (uffd-async, uffd-sync, mprotect)", a);
		return -1;
	case 't':
		if (cli_parse_int(a, 1, 64, &o->threads))
			return cli_usage_error("demo", "bad --threads '%s' (1 to 64)", a);
		return -1;
	case 'r':
		if (cli_parse_int(a, 2, DEMO_MAX_ROUNDS, &o->rounds))
			return cli_usage_error("demo", "bad --rounds '%s' (2 to %d: a spread needs two)",
					       a, DEMO_MAX_ROUNDS);
		return -1;
	case 's':
		if (wb_parse_decimal(a, &o->seconds) || !(o->seconds >= 0.01) || o->seconds > 3600)
			return cli_usage_error("demo", "bad --seconds '%s' (0.01 to 3600)", a);
		return -1;
	case 'H':
		if (wb_parse_size(a, &o->heap) || o->heap < (1UL << 20))
			return cli_usage_error("demo", "bad --heap '%s' (at least 1M)", a);
		return -1;
	case 'o':
		if (wb_parse_fraction(a, &o->hot) || o->hot >= 1)
			return cli_usage_error("demo", "bad --hot '%s' (a share below 1: 4%%, 0.04)", a);
		return -1;
	case 'i':
		if (wb_parse_decimal(a, &o->interval_ms) || !(o->interval_ms >= 1) ||
		    o->interval_ms > 3600e3)
			return cli_usage_error("demo", "bad --interval '%s' (1 to 3600000 ms)", a);
		return -1;
	}
	return -1;
}

/* Defaults for what the command line left out (0: not given). */
static void defaults(struct demo_opts *o)
{
	if (!o->seconds)
		o->seconds = o->quick ? 0.2 : 0.5;
	if (!o->heap)
		o->heap = o->quick ? 32UL << 20 : 256UL << 20;
	if (!o->interval_ms)
		o->interval_ms = o->quick ? 50 : 100;
	if (!o->rounds)
		o->rounds = o->quick ? 3 : 5;
	o->heap &= ~(wb_page() - 1);
}

static int parse_opts(int argc, char **argv, struct demo_opts *o)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'Q' },
		{ "backends", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "heap", required_argument, NULL, 'H' },
		{ "hot", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int i, ret;

	*o = (struct demo_opts){ .threads = 2, .hot = 0.04 };
	for (i = 0; i < DEMO_NBACK; i++)
		o->use[i] = true;
	ret = cli_parse("demo", argc, argv, ":vqh", opts, usage, opt_one, o);
	if (ret < 0)
		defaults(o);
	return ret;
}

/* Printed in the measuring child, as each interval ends (--verbose). */
static void print_interval(const struct wb_interval *iv, void *arg)
{
	const char *name = arg;
	char sz[32];

	wb_fmt_size(sz, sizeof(sz), iv->pages * wb_page());
	printf("  %-10s #%-3d %6.2fs %7zu pages (%s) in %zu runs: hot %zu, cold %zu; "
	       "get+reset %.3f ms\n", name, iv->index, iv->t, iv->pages, sz, iv->runs,
	       iv->hot, iv->cold, iv->get_ms);
	fflush(stdout);
}

struct demo {
	const struct demo_opts *o;
	struct wb_workload w;
	struct wb_case fw, gr;
	struct demo_row rows[DEMO_NBACK];
	struct demo_base base;
	int n;
	struct wb_progress prog;
};

/* One run of the workload under m (WB_UNTRACKED: none); --verbose says how it went. */
static void workload(struct demo *d, enum wb_method m, int round, struct wb_workload_result *res)
{
	const char *name = wb_method_name(m);

	d->prog.done++;
	wb_progress_step(&d->prog, "round %d/%d: workload, %s", round + 1, d->o->rounds, name);
	wb_workload_run(&d->w, m, res, d->o->verbose && m != WB_UNTRACKED ? print_interval : NULL,
			(void *)name, 300);
	if (!d->o->verbose)
		return;
	if (res->status != WB_OK)
		printf("  round %d: %-10s %s: %s\n", round + 1, name,
		       res->status == WB_NA ? "n/a" : "FAILED", res->reason);
	else
		printf("  round %d: %-10s %.3f s, CPU %.3f s, %d intervals, %zu pages reported\n",
		       round + 1, name, res->seconds, res->cpu_seconds, res->intervals,
		       res->pages_total);
	fflush(stdout);
}

/* One backend's run in a round, as overheads against the round's untracked run. */
static void record(struct demo_row *r, const struct wb_workload_result *res, int round,
		   const struct demo_base *b)
{
	if (r->wl.status != WB_OK)
		return;         /* the first failure is kept */
	r->wl = *res;
	if (res->status != WB_OK)
		return;
	r->wall[round] = (res->seconds / b->wall[round] - 1) * 100;
	r->cpu[round] = (res->cpu_seconds / b->cpu[round] - 1) * 100;
	r->intervals += res->intervals;
	r->pages += res->pages_total;
}

/*
 * Round r runs untracked and every backend, the order rotated by r so that
 * none is always first or last; overheads are against the round's untracked
 * run.  An untracked run that fails ends the demo.
 */
static int round_run(struct demo *d, int r)
{
	struct wb_workload_result res[DEMO_NBACK + 1] = { 0 };
	int k, slots = d->n + 1;

	for (k = 0; k < slots; k++) {
		int at = (k + r) % slots;

		workload(d, at == d->n ? WB_UNTRACKED : d->rows[at].m, r, &res[at]);
	}
	if (res[d->n].status != WB_OK)
		return cli_error("demo", "untracked workload: %s", res[d->n].reason);
	d->base.wall[r] = res[d->n].seconds;
	d->base.cpu[r] = res[d->n].cpu_seconds;
	for (k = 0; k < d->n; k++)
		record(&d->rows[k], &res[k], r, &d->base);
	return 0;
}

/* Each backend's first-write and get+reset cost, measured alone. */
static void microbench(struct demo *d)
{
	int i;

	for (i = 0; i < d->n; i++) {
		struct demo_row *r = &d->rows[i];

		wb_measure_run(&d->fw, &r->m, 1, &r->fw, &d->prog, 120);
		wb_measure_run(&d->gr, &r->m, 1, &r->gr, &d->prog, 120);
	}
}

/* Medians and ranges over the rounds; a figure within the noise is marked. */
static void summarize(struct demo *d)
{
	struct demo_base *b = &d->base;
	int i, n = d->o->rounds;

	demo_spread(&b->w, b->wall, n);
	demo_spread(&b->c, b->cpu, n);
	b->wall_noise = (b->w.max - b->w.min) / b->w.median * 100;
	b->cpu_noise = (b->c.max - b->c.min) / b->c.median * 100;
	for (i = 0; i < d->n; i++) {
		struct demo_row *r = &d->rows[i];

		if (r->wl.status != WB_OK)
			continue;
		demo_spread(&r->ow, r->wall, n);
		demo_spread(&r->oc, r->cpu, n);
		/* Noise: no bigger than the untracked runs' own spread, or of either sign. */
		r->ow_noise = fabs(r->ow.median) <= b->wall_noise || r->ow.min * r->ow.max <= 0;
		r->oc_noise = fabs(r->oc.median) <= b->cpu_noise || r->oc.min * r->oc.max <= 0;
	}
}

static void setup(struct demo *d, const struct demo_opts *o)
{
	int i;

	memset(d, 0, sizeof(*d));
	d->o = o;
	d->w = (struct wb_workload){
		.heap = o->heap, .hot_fraction = o->hot, .cold_share = 0.0001, .threads = o->threads,
		.interval_s = o->interval_ms / 1000,
	};
	d->fw = (struct wb_case){ .measure = WB_FIRST_WRITE, .pattern = WB_DENSE,
				  .size = o->quick ? 4UL << 20 : 16UL << 20, .fraction = 1,
				  .threads = 1, .reps = o->quick ? 3 : 5, .populate = WB_POP_FULL };
	d->gr = (struct wb_case){ .measure = WB_GET_RESET, .pattern = WB_RANDOM, .size = o->heap,
				  .fraction = 0.01, .threads = 1, .reps = o->quick ? 3 : 5,
				  .populate = WB_POP_FULL };
	for (i = 0; i < DEMO_NBACK; i++)
		if (o->use[i])
			d->rows[d->n++].m = demo_backends[i];
	wb_progress_init(&d->prog, d->n * 2 + (d->n + 1) * o->rounds, !o->quiet);
}

/* Is anything asked for available, and does the heap fit?  -1 to go on, else an exit code. */
static int check(const struct demo_opts *o)
{
	char why[200];
	int i, avail = 0;

	for (i = 0; i < DEMO_NBACK; i++)
		avail += o->use[i] && !wb_method_available(demo_backends[i], why, sizeof(why));
	if (!avail)
		return cli_report(CLI_NOTAVAIL, "demo",
				  "no requested backend is available here (see 'writewatch probe')");
	if (wb_size_check(o->heap, 1, why, sizeof(why))) {
		cli_error("demo", "--heap: %s", why);
		return CLI_USAGE;
	}
	return -1;
}

int cmd_demo(int argc, char **argv)
{
	static struct demo d;
	struct demo_opts o;
	char heap[32];
	int ret = parse_opts(argc, argv, &o), r, i, failed = 0;

	if (ret < 0)
		ret = check(&o);
	if (ret >= 0)
		return ret;
	setup(&d, &o);
	wb_fmt_size(heap, sizeof(heap), o.heap);
	printf("writewatch demo: %d mutator threads on a %s heap, %.0f%% of it a hot set taking\n"
	       "all but 1 in 10000 writes; a get+reset of the heap every %.0f ms; %d rounds of\n"
	       "%.1f s runs, untracked and under each backend in rotating order.\n",
	       o.threads, heap, o.hot * 100, o.interval_ms, o.rounds, o.seconds);
	fflush(stdout);
	d.w.ops_per_thread = wb_workload_calibrate(&d.w, o.seconds);
	microbench(&d);
	for (r = 0; r < o.rounds; r++)
		if (round_run(&d, r))
			return cli_finish_output("demo", CLI_FAILURE);
	wb_progress_end(&d.prog);
	summarize(&d);
	demo_report(d.rows, d.n, &d.base, &d.fw, &d.gr, &o);
	for (i = 0; i < d.n; i++)
		failed += d.rows[i].wl.status == WB_FAILED || d.rows[i].fw.status == WB_FAILED ||
			  d.rows[i].gr.status == WB_FAILED;
	ret = cli_finish_output("demo", CLI_OK);
	if (failed)
		return cli_error("demo", "%d backend run(s) failed (reasons above)", failed);
	return ret;
}
