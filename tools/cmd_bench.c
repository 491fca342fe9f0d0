/* SPDX-License-Identifier: MIT */
/* writewatch bench: run the matrix the options select, print it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "writewatch.h"
#include "cli.h"
#include "bench.h"
#include "bench_remote.h"

static bool measures(const struct wb_case *c, enum wb_method m)
{
	return c->measure == WB_FIRST_WRITE ? wb_method_measures_first_write(m) :
	       wb_method_measures_get_reset(m);
}

/* raw and uffd-async, whose ratio is the library's whole overhead, run as a pair. */
static bool paired(const bool *methods)
{
	return methods[WB_RAW] && methods[WB_UFFD_ASYNC];
}

/* Nothing asked for can run: say so instead of printing tables of n/a. */
static int check_available(const struct bench_opts *o)
{
	char why[200];
	int k, first = -1;

	for (k = 0; k < WB_NMETHODS; k++) {
		if (!o->requested[k])
			continue;
		if (!wb_method_available((enum wb_method)k, why, sizeof(why)))
			return -1;
		if (first < 0)
			first = k;
	}
	wb_method_available((enum wb_method)first, why, sizeof(why));
	cli_error("bench", "%s is not available here: %s", wb_method_name((enum wb_method)first),
		  why);
	return CLI_NOTAVAIL;
}

/* A size this machine cannot map is refused now, not as a table of failed rows. */
static int check_sizes(const struct bench_opts *o, const struct wb_case *cs, int n)
{
	char why[200];
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && cs[j].size != cs[i].size; j++)
			;
		if (j < i)
			continue;
		if (wb_size_check(cs[i].size, paired(o->methods) ? 2 : 1, why, sizeof(why))) {
			/* A usage error, but --help cannot help: no hint. */
			cli_error("bench", "--size: %s", why);
			return CLI_USAGE;
		}
	}
	return -1;
}

static void header(FILE *f, const struct bench_opts *o, const struct wb_env *env)
{
	int k;

	/* The load says how quiet the machine was: other work skews every figure. */
	fprintf(f, "writewatch %s bench: Linux %s, %ld CPUs online, load average %.2f at the start, "
		"nice %d\n", ww_version(), env->kernel, env->cpus, env->load, o->nice);
	fprintf(f, "methods:\n");
	for (k = 0; k < WB_NMETHODS; k++)
		if (o->methods[k])
			fprintf(f, "  %-15s %s\n", wb_method_name((enum wb_method)k),
				wb_method_desc((enum wb_method)k));
	fputc('\n', f);
}

struct run {
	const struct bench_opts *o;
	struct wb_progress prog;
	struct wb_result tmp[2];        /* one measurement's results */
	int round;
};

/* Measure ms[0..cnt) together; their results go to out[at[k]] (merged after the first time). */
static void measure_into(struct run *run, const struct wb_case *c, const enum wb_method *ms,
			 int cnt, struct wb_result *out, const int *at, bool merge)
{
	int k;

	wb_measure_run(c, ms, cnt, run->tmp, &run->prog, run->o->timeout);
	for (k = 0; k < cnt; k++) {
		if (merge)
			wb_measure_merge(&out[at[k]], &run->tmp[k]);
		else
			out[at[k]] = run->tmp[k];
	}
}

/*
 * The pair runs interleaved in one process, twice, the second time in the
 * other order: an A/A test (raw against raw) showed the memory set up second
 * in a process measuring up to ~10% faster on a 16 GiB range, and
 * alternating cancels that out.
 */
static void measure_pair(struct run *run, const struct wb_case *c, struct wb_result *out,
			 int praw, int pasync)
{
	int order;

	if (run->round && out[praw].status != WB_OK && out[pasync].status != WB_OK) {
		run->prog.done += 4;
		return;
	}
	for (order = 0; order < 2; order++) {
		int at[2] = { order ? pasync : praw, order ? praw : pasync };
		enum wb_method ms[2] = { out[at[0]].method, out[at[1]].method };

		measure_into(run, c, ms, 2, out, at, run->round || order);
	}
}

/*
 * Measure one case with every selected method into out[] (enum order).
 * Every method but the pair runs alone.  Round r > 0 merges its repetitions
 * into the earlier rounds'; rows already n/a or failed are not measured again.
 */
static void run_case(struct run *run, const struct wb_case *c, struct wb_result *out)
{
	const bool *methods = run->o->methods;
	int n = 0, k, praw = -1, pasync = -1;

	for (k = 0; k < WB_NMETHODS; k++) {
		if (!methods[k] || !measures(c, (enum wb_method)k))
			continue;
		praw = k == WB_RAW ? n : praw;
		pasync = k == WB_UFFD_ASYNC ? n : pasync;
		out[n++].method = (enum wb_method)k;
	}
	if (praw < 0 || pasync < 0)
		praw = pasync = -1;     /* no pair: each runs alone */
	else
		measure_pair(run, c, out, praw, pasync);
	for (k = 0; k < n; k++) {
		enum wb_method m = out[k].method;

		if (k == praw || k == pasync)
			continue;
		if (run->round && out[k].status != WB_OK) {
			run->prog.done++;
			continue;
		}
		measure_into(run, c, &m, 1, out, &k, run->round);
	}
}

/* Result rows of case c: one per method that takes part in its measure. */
static int rows_of(const struct bench_opts *o, const struct wb_case *c)
{
	int k, rows = 0;

	for (k = 0; k < WB_NMETHODS; k++)
		rows += o->methods[k] && measures(c, (enum wb_method)k);
	return rows;
}

/* Rows of all the results, and the progress steps of one round. */
static int count_rows(const struct bench_opts *o, const struct wb_case *cs, int n, int *steps)
{
	int i, rows = 0;

	*steps = 0;
	for (i = 0; i < n; i++) {
		rows += rows_of(o, &cs[i]);
		/* raw and uffd-async run twice, once in each order (measure_pair) */
		*steps += paired(o->methods) ? 2 : 0;
	}
	*steps += rows;
	return rows;
}

static FILE *open_out(const char *path)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		cli_error("bench", "cannot write %s: %s", path, strerror(errno));
	return f;
}

static void command_line(char *buf, size_t len, int argc, char **argv)
{
	size_t at = (size_t)snprintf(buf, len, "writewatch bench");
	int i;

	for (i = 1; i < argc && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, " %s", argv[i]);
}

/* A file output: written and closed; CLI_FAILURE if that failed. */
static int close_out(FILE *f, const char *path)
{
	if (f == stdout || !f)
		return CLI_OK;
	if (ferror(f) | fclose(f))
		return cli_error("bench", "writing %s failed", path);
	return CLI_OK;
}

static int output(const struct bench_opts *o, const struct wb_result *res, size_t n,
		  const struct wb_env *env, const char *cmd, FILE *csv_f, FILE *json_f)
{
	int ret;

	if (!(o->csv && !strcmp(o->csv, "-")) && !(o->json && !strcmp(o->json, "-"))) {
		if (!o->markdown)
			header(stdout, o, env);
		wb_report_text(stdout, res, n, o->markdown);
	}
	if (csv_f)
		wb_report_csv(csv_f, res, n);
	if (json_f)
		wb_report_json(json_f, res, n, cmd, env);
	ret = close_out(csv_f, o->csv) | close_out(json_f, o->json);
	return cli_finish_output("bench", ret ? CLI_FAILURE : CLI_OK);
}

/* Every round of every case; returns how many rows failed. */
static int run_all(struct run *run, const struct wb_case *cs, int ncases, struct wb_result *res)
{
	int i, failed = 0;
	size_t at = 0;

	for (run->round = 0; run->round < run->o->rounds; run->round++)
		for (i = 0, at = 0; i < ncases; i++) {
			run_case(run, &cs[i], &res[at]);
			at += (size_t)rows_of(run->o, &cs[i]);
		}
	wb_progress_end(&run->prog);
	for (i = 0; i < (int)at; i++)
		failed += res[i].status == WB_FAILED;
	return failed;
}

/* --measure restore has its own matrix and options (bench_restore.c). */
static bool wants_restore(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--measure=restore") ||
		    (!strcmp(argv[i], "--measure") && i + 1 < argc && !strcmp(argv[i + 1], "restore")))
			return true;
	return false;
}

int cmd_bench(int argc, char **argv)
{
	static struct wb_case cases[BENCH_MAX_CASES];
	struct bench_opts o;
	struct run run = { .o = &o };
	struct wb_result *res;
	struct wb_env env;
	char cmd[1024];
	int ret, ncases, rows, steps, failed;
	FILE *csv_f = NULL, *json_f = NULL;

	if (wants_restore(argc, argv))
		return cmd_bench_restore(argc, argv);
	ret = bench_parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (o.remote)
		return bench_remote(&o);
	ncases = bench_cases(&o, cases, BENCH_MAX_CASES);
	ret = check_sizes(&o, cases, ncases);
	if (ret < 0)
		ret = check_available(&o);
	if (ret >= 0)
		return ret;
	rows = count_rows(&o, cases, ncases, &steps);
	/* Output files first: a typo in a path should not cost a whole run. */
	if ((o.csv && !(csv_f = open_out(o.csv))) || (o.json && !(json_f = open_out(o.json))))
		return CLI_FAILURE;
	res = calloc((size_t)rows, sizeof(*res));
	if (!res)
		return cli_error("bench", "out of memory");
	/* Measuring children inherit the priority; failing to raise it is fine. */
	o.nice = getpriority(PRIO_PROCESS, 0);
	if (!o.no_nice && !setpriority(PRIO_PROCESS, 0, -20))
		o.nice = -20;
	wb_env_get(&env, o.nice);
	wb_progress_init(&run.prog, steps * o.rounds, !o.quiet);
	failed = run_all(&run, cases, ncases, res);
	wb_results_ratios(res, (size_t)rows);
	command_line(cmd, sizeof(cmd), argc, argv);
	ret = output(&o, res, (size_t)rows, &env, cmd, csv_f, json_f);
	free(res);
	if (failed) {
		cli_error("bench", "%d measurement(s) failed (reasons in the output)", failed);
		return CLI_FAILURE;
	}
	return ret;
}
