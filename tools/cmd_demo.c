/* SPDX-License-Identifier: MIT */
/*
 * writewatch demo: a mutator-shaped workload (a hot set written all the time,
 * a cold tail written rarely, several threads) run untracked, then tracked
 * by every backend in turn with a get+reset every interval, printing what
 * each interval wrote; then a table of the backends side by side: first-write
 * cost, get+reset cost and the overhead on the workload, with ratios to
 * mprotect (what Wine and Boehm GC fall back to).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "writewatch.h"
#include "cli.h"

#define NBACK 3

static const enum wb_method backends[NBACK] = { WB_UFFD_ASYNC, WB_UFFD_SYNC, WB_MPROTECT };

struct demo_opts {
	bool use[NBACK];
	bool quick, quiet;
	int threads;
	double seconds;
	size_t heap;
	double interval_ms;
	double hot;
};

struct row {
	enum wb_method m;
	struct wb_result fw, gr;
	struct wb_workload_result wl;
	double before, after;           /* untracked runs just before and after this one */
	double cpu_before, cpu_after;   /* their CPU times */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: writewatch demo [options]\n"
		"Run a mutator-shaped workload (a heap whose hot set is written all the time and\n"
		"whose cold tail is written rarely, by several threads) untracked, then tracked by\n"
		"every backend in turn with a get+reset every interval.  One line per interval;\n"
		"at the end every backend side by side, with ratios to mprotect.\n\n"
		"  --quick           a short run (a few seconds) with a smaller heap\n"
		"  --backends LIST   comma-separated: uffd-async, uffd-sync, mprotect (default all)\n"
		"  --threads N       mutator threads (default 2)\n"
		"  --seconds S       length of an untracked run; tracked runs do the same work\n"
		"                    (default 1.5, quick 0.3)\n"
		"  --heap SIZE       heap size (default 256M, quick 32M)\n"
		"  --hot FRACTION    share of the heap in the hot set (default 4%%)\n"
		"  --interval MS     get+reset period in milliseconds (default 100, quick 50)\n"
		"  -q, --quiet       no interval lines, only the table\n"
		"  -h, --help        this help\n\n"
		"Exit status: 0 ok, 1 a run failed, 2 usage error, 3 no backend available.\n");
}

static int parse_backends(const char *s, bool *use)
{
	char buf[256], *save = NULL, *tok;
	int i, n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(use, 0, NBACK * sizeof(*use));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum wb_method m;

		if (!strcmp(tok, "all")) {
			for (i = 0; i < NBACK; i++)
				use[i] = true;
			n++;
			continue;
		}
		if (wb_method_parse(tok, &m))
			return -EINVAL;
		for (i = 0; i < NBACK && backends[i] != m; i++)
			;
		if (i == NBACK)
			return -EINVAL;
		use[i] = true;
		n++;
	}
	return n ? 0 : -EINVAL;
}

static int parse_opts(int argc, char **argv, struct demo_opts *o)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'Q' },
		{ "backends", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "heap", required_argument, NULL, 'H' },
		{ "hot", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seconds_set = false, heap_set = false, interval_set = false;
	char *end;
	int c, i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < NBACK; i++)
		o->use[i] = true;
	o->threads = 2;
	o->hot = 0.04;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		const char *a = optarg;

		switch (c) {
		case 'Q':
			o->quick = true;
			break;
		case 'b':
			if (parse_backends(a, o->use))
				return cli_usage_error("demo", "bad --backends '%s' (uffd-async, uffd-sync, mprotect)", a);
			break;
		case 't':
			o->threads = (int)strtol(a, &end, 10);
			if (*end || end == a || o->threads < 1 || o->threads > 64)
				return cli_usage_error("demo", "bad --threads '%s' (1 to 64)", a);
			break;
		case 's':
			o->seconds = strtod(a, &end);
			if (*end || end == a || !(o->seconds > 0) || o->seconds > 3600)
				return cli_usage_error("demo", "bad --seconds '%s'", a);
			seconds_set = true;
			break;
		case 'H':
			if (wb_parse_size(a, &o->heap) || o->heap < (1UL << 20))
				return cli_usage_error("demo", "bad --heap '%s' (at least 1M)", a);
			heap_set = true;
			break;
		case 'o':
			if (wb_parse_fraction(a, &o->hot) || o->hot >= 1)
				return cli_usage_error("demo", "bad --hot '%s' (a share below 1: 4%%, 0.04)", a);
			break;
		case 'i':
			o->interval_ms = strtod(a, &end);
			if (*end || end == a || !(o->interval_ms >= 1))
				return cli_usage_error("demo", "bad --interval '%s' (milliseconds, >= 1)", a);
			interval_set = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		case ':':
			return cli_usage_error("demo", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("demo", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
	if (!seconds_set)
		o->seconds = o->quick ? 0.3 : 1.5;
	if (!heap_set)
		o->heap = o->quick ? 32UL << 20 : 256UL << 20;
	if (!interval_set)
		o->interval_ms = o->quick ? 50 : 100;
	o->heap &= ~(WB_PAGE - 1);
	return -1;
}

/* Printed in the measuring child, as each interval ends. */
static void print_interval(const struct wb_interval *iv, void *arg)
{
	const char *name = arg;
	char sz[32];

	wb_fmt_size(sz, sizeof(sz), iv->pages * WB_PAGE);
	printf("  %-10s #%-3d %6.2fs %7zu pages (%s) in %zu runs: hot %zu, cold %zu; "
	       "get+reset %.3f ms\n", name, iv->index, iv->t, iv->pages, sz, iv->runs,
	       iv->hot, iv->cold, iv->get_ms);
	fflush(stdout);
}

static void fmt_ns(char *buf, size_t len, const struct wb_result *r)
{
	if (r->status != WB_OK)
		snprintf(buf, len, "%s", r->status == WB_NA ? "n/a" : "failed");
	else if (r->median >= 1000)
		snprintf(buf, len, "%.2f us", r->median / 1000);
	else
		snprintf(buf, len, "%.0f ns", r->median);
}

static void fmt_ms(char *buf, size_t len, const struct wb_result *r)
{
	if (r->status != WB_OK)
		snprintf(buf, len, "%s", r->status == WB_NA ? "n/a" : "failed");
	else
		snprintf(buf, len, r->median >= 1 ? "%.2f ms" : "%.3f ms", r->median);
}

/* "5.1x faster", "1.3x slower", "same" */
static void fmt_vs(char *buf, size_t len, double mine, double theirs)
{
	double q;

	if (!(mine > 0) || !(theirs > 0)) {
		snprintf(buf, len, "-");
		return;
	}
	q = theirs / mine;
	if (q >= 1.05)
		snprintf(buf, len, "%.1fx faster", q);
	else if (q <= 1 / 1.05)
		snprintf(buf, len, "%.1fx slower", 1 / q);
	else
		snprintf(buf, len, "same");
}

/*
 * Overhead against the mean of the untracked runs bracketing this one: the
 * machine's speed drifts (other work, frequency), and a baseline taken at
 * the start only would charge the drift to the backend.
 */
static double overhead(const struct row *r)
{
	return (r->wl.seconds / ((r->before + r->after) / 2) - 1) * 100;
}

/* The same in CPU time of the whole process (mutators, tracker, fault thread). */
static double cpu_overhead(const struct row *r)
{
	return (r->wl.cpu_seconds / ((r->cpu_before + r->cpu_after) / 2) - 1) * 100;
}

static void table(const struct row *rows, int n, const struct wb_case *fw,
		  const struct wb_case *gr, const struct demo_opts *o)
{
	const struct row *mp = NULL;
	char a[32], b[32], c[32], d[32], lf[64], lg[64];
	int i;

	for (i = 0; i < n; i++)
		if (rows[i].m == WB_MPROTECT)
			mp = &rows[i];
	wb_case_label(fw, lf, sizeof(lf));
	wb_case_label(gr, lg, sizeof(lg));
	printf("\n== every backend side by side ==\n");
	printf("first write: per page, %s; get+reset: per call, %s;\n", lf, lg);
	printf("workload: %d threads, %.0f%% hot set, get+reset every %.0f ms; overhead: wall time,\n"
	       "and CPU time of the whole process, against the mean of the untracked runs just\n"
	       "before and after\n\n",
	       o->threads, o->hot * 100, o->interval_ms);
	printf("%-11s %11s %12s %10s %10s %10s   %-14s %s\n", "backend", "first write",
	       "get+reset", "workload", "overhead", "CPU", "first write", "get+reset");
	printf("%-11s %11s %12s %10s %10s %10s   %-14s %s\n", "", "", "", "", "(wall)",
	       "overhead", "vs mprotect", "vs mprotect");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char ov[32], w[32], cov[32];

		fmt_ns(a, sizeof(a), &r->fw);
		fmt_ms(b, sizeof(b), &r->gr);
		if (r->wl.status == WB_OK) {
			snprintf(w, sizeof(w), "%.2f s", r->wl.seconds);
			snprintf(ov, sizeof(ov), "%+.1f%%", overhead(r));
			snprintf(cov, sizeof(cov), "%+.1f%%", cpu_overhead(r));
		} else {
			snprintf(w, sizeof(w), "%s", r->wl.status == WB_NA ? "n/a" : "failed");
			snprintf(ov, sizeof(ov), "-");
			snprintf(cov, sizeof(cov), "-");
		}
		if (mp && r != mp) {
			fmt_vs(c, sizeof(c), r->fw.status == WB_OK ? r->fw.median : 0,
			       mp->fw.status == WB_OK ? mp->fw.median : 0);
			fmt_vs(d, sizeof(d), r->gr.status == WB_OK ? r->gr.median : 0,
			       mp->gr.status == WB_OK ? mp->gr.median : 0);
		} else {
			snprintf(c, sizeof(c), "%s", r == mp ? "(baseline)" : "-");
			snprintf(d, sizeof(d), "%s", r == mp ? "(baseline)" : "-");
		}
		printf("%-11s %11s %12s %10s %10s %10s   %-14s %s\n", wb_method_name(r->m), a, b, w,
		       ov, cov, c, d);
	}
	putchar('\n');
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (r->fw.status != WB_OK)
			printf("%s: %s\n", wb_method_name(r->m), r->fw.reason);
		else if (r->wl.status != WB_OK)
			printf("%s: workload %s\n", wb_method_name(r->m), r->wl.reason);
		else if (r->gr.status != WB_OK)
			printf("%s: get+reset %s\n", wb_method_name(r->m), r->gr.reason);
		else if (!mp || r == mp || mp->fw.status != WB_OK || mp->gr.status != WB_OK ||
			 mp->wl.status != WB_OK)
			continue;
		else {
			fmt_vs(c, sizeof(c), r->fw.median, mp->fw.median);
			fmt_vs(d, sizeof(d), r->gr.median, mp->gr.median);
			printf("%s: first write %s than mprotect, get+reset %s; workload overhead "
			       "%+.1f%% wall, %+.1f%% CPU (mprotect %+.1f%%, %+.1f%%)\n",
			       wb_method_name(r->m), c, d, overhead(r), cpu_overhead(r), overhead(mp),
			       cpu_overhead(mp));
		}
	}
	printf("\nUntracked runs drift from one to the next (see above), wall time more than CPU\n"
	       "time when other work shares the machine: overheads within that drift are noise.\n");
	printf("\nFigures measured just now on this machine; `writewatch bench` gives the full matrix.\n");
}

/* One untracked run of the workload; its wall time into *secs. */
static int untracked(const struct wb_workload *w, double *secs, double *cpu)
{
	struct wb_workload_result res;

	wb_workload_run(w, WB_UNTRACKED, &res, NULL, NULL, 300);
	if (res.status != WB_OK) {
		cli_error("demo", "untracked workload: %s", res.reason);
		return -1;
	}
	*secs = res.seconds;
	*cpu = res.cpu_seconds;
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	struct demo_opts o;
	struct wb_workload w;
	double last, last_cpu;
	struct wb_case fw, gr;
	struct row rows[NBACK];
	struct wb_progress prog;
	char heap[32], why[200];
	int ret = parse_opts(argc, argv, &o), i, n = 0, steps, failed = 0, avail = 0;

	if (ret >= 0)
		return ret;
	for (i = 0; i < NBACK; i++)
		if (o.use[i] && !wb_method_available(backends[i], why, sizeof(why)))
			avail++;
	if (!avail) {
		cli_error("demo", "no requested backend is available here (see 'writewatch probe')");
		return CLI_NOTAVAIL;
	}
	w = (struct wb_workload){
		.heap = o.heap, .hot_fraction = o.hot, .cold_share = 0.0001, .threads = o.threads,
		.interval_s = o.interval_ms / 1000,
	};
	memset(&fw, 0, sizeof(fw));
	fw = (struct wb_case){ .measure = WB_FIRST_WRITE, .pattern = WB_DENSE,
			       .size = o.quick ? 4UL << 20 : 16UL << 20, .fraction = 1, .threads = 1,
			       .reps = o.quick ? 3 : 5, .populate = WB_POP_FULL };
	memset(&gr, 0, sizeof(gr));
	gr = (struct wb_case){ .measure = WB_GET_RESET, .pattern = WB_RANDOM, .size = o.heap,
			       .fraction = 0.01, .threads = 1, .reps = o.quick ? 3 : 5,
			       .populate = WB_POP_FULL };
	wb_fmt_size(heap, sizeof(heap), o.heap);
	printf("writewatch demo: %d mutator threads on a %s heap; %.0f%% of it is a hot set taking\n"
	       "all but 1 in 10000 writes, the rest a cold tail written at random.  Each backend\n"
	       "tracks the heap with a get+reset every %.0f ms%s\n\n",
	       o.threads, heap, o.hot * 100, o.interval_ms,
	       o.quiet ? " (interval lines left out: --quiet)." : "; every line is one interval.");
	fflush(stdout);
	w.ops_per_thread = wb_workload_calibrate(&w, o.seconds);
	/* The workload runs show progress as interval lines; the microbenchmarks on stderr. */
	steps = 0;
	for (i = 0; i < NBACK; i++)
		steps += o.use[i] ? 2 : 0;
	wb_progress_init(&prog, steps, !o.quiet);
	if (untracked(&w, &last, &last_cpu))
		return CLI_FAILURE;
	printf("  %-10s %.2f s (CPU %.2f s) for %llu work units per thread\n", "untracked", last,
	       last_cpu, (unsigned long long)w.ops_per_thread);
	for (i = 0; i < NBACK; i++) {
		struct row *r;

		if (!o.use[i])
			continue;
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->m = backends[i];
		r->before = last;
		r->cpu_before = last_cpu;
		wb_workload_run(&w, r->m, &r->wl, o.quiet ? NULL : print_interval,
				(void *)wb_method_name(r->m), 300);
		if (untracked(&w, &last, &last_cpu))
			return CLI_FAILURE;
		r->after = last;
		r->cpu_after = last_cpu;
		if (r->wl.status == WB_OK)
			printf("  %-10s %.2f s (%+.1f%%), CPU %.2f s (%+.1f%%), %d intervals, %zu pages "
			       "reported, median get+reset %.3f ms\n", wb_method_name(r->m),
			       r->wl.seconds, overhead(r), r->wl.cpu_seconds, cpu_overhead(r),
			       r->wl.intervals, r->wl.pages_total, r->wl.get_ms_median);
		else
			printf("  %-10s %s: %s\n", wb_method_name(r->m),
			       r->wl.status == WB_NA ? "n/a" : "FAILED", r->wl.reason);
		printf("  %-10s %.2f s (CPU %.2f s)\n", "untracked", last, last_cpu);
		fflush(stdout);
		wb_measure_run(&fw, &r->m, 1, &r->fw, &prog, 120);
		wb_measure_run(&gr, &r->m, 1, &r->gr, &prog, 120);
		wb_progress_end(&prog);
		failed += r->wl.status == WB_FAILED || r->fw.status == WB_FAILED ||
			  r->gr.status == WB_FAILED;
	}
	wb_progress_end(&prog);
	table(rows, n, &fw, &gr, &o);
	fflush(stdout);
	if (failed)
		return cli_error("demo", "%d backend run(s) failed (reasons above)", failed);
	return CLI_OK;
}
