/* SPDX-License-Identifier: MIT */
/*
 * The bench front end shared by `writewatch bench` and bench/ww_bench:
 * options, the default matrix, running it, printing it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "writewatch.h"
#include "engine.h"

#define MAX_LIST 32

struct bench_opts {
	bool methods[WB_NMETHODS];
	bool requested[WB_NMETHODS];    /* what --backends named (methods adds raw) */
	bool any_method;
	bool measure[2];
	size_t sizes[MAX_LIST];
	int nsizes;
	double fractions[MAX_LIST];
	int nfractions;
	size_t pages;
	enum wb_pattern patterns[3];
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
	bool reference;
	bool no_nice;
	int nice;               /* what the run got: -20, or 0 when not allowed */
};

void wb_bench_usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [options]\n"
"Measure first-write cost and get+reset cost of every tracking method, side by\n"
"side, with ratios to the raw kernel sequence and to the uffd-async backend.\n"
"\n"
"Methods (--backends):\n"
"  raw             uffd WP_ASYNC + PAGEMAP_SCAN by hand with ioctl() (always run: the reference)\n"
"  uffd-async      libwritewatch, uffd-async backend\n"
"  uffd-sync       libwritewatch, uffd-sync backend\n"
"  mprotect        libwritewatch, mprotect backend\n"
"  plain-mprotect  hand-rolled mprotect + SIGSEGV, page at a time (as Wine, Boehm GC)\n"
"  old-pagemap     /proc/self/pagemap read + per-page UFFDIO_WRITEPROTECT (get+reset only)\n"
"  untracked       no tracking (first write only)\n"
"\n"
"Options:\n"
"  --backends LIST    comma-separated methods, or \"all\" (default all)\n"
"  --measure WHAT     first-write, get-reset or both (default both)\n"
"  --size LIST        tracked sizes, e.g. 64M,1G,16G (default: the standard matrix)\n"
"  --fraction LIST    written share of the pages: 0.01, 1%%, 1/64 (default 1%%)\n"
"  --pages N          write exactly N pages (instead of --fraction)\n"
"  --pattern LIST     dense, strided, random (default random)\n"
"  --threads N        threads writing in the first-write measure (default 1)\n"
"  --reps N           timed repetitions; the median is reported (default 7, quick 3)\n"
"  --rounds N         run the whole matrix N times, methods interleaved, and pool\n"
"                     the repetitions (evens out noisy neighbours; default 1)\n"
"  --populate MODE    full (touch every page first), written (only the written\n"
"                     pages) or auto (full up to 2 GiB; default)\n"
"  --quick            small sizes and 3 repetitions: seconds instead of minutes\n"
"  --timeout SEC      give up on one measurement after SEC seconds (default 600)\n"
"  --csv[=FILE]       CSV (columns in writewatch(1)) to stdout, or to FILE besides the text\n"
"  --json[=FILE]      JSON to stdout, or to FILE besides the text\n"
"  --markdown         side-by-side tables as Markdown\n"
"  --no-nice          keep the priority (by default the run asks for nice -20,\n"
"                     which root gets, so that other work on the machine disturbs less)\n"
"  -q, --quiet        no progress on stderr\n"
"  -h, --help         this help\n"
"\n"
"Without --size, --fraction, --pages or --pattern the standard matrix runs:\n"
"first write dense over 64 MiB, 1 in 64 pages of 1 GiB, 1 in 4096 pages of\n"
"8 GiB; get+reset with 1%% of the pages of 1 GiB written at random\n"
"(--quick: 4 MiB, 64 MiB, 512 MiB, 64 MiB).\n"
"Exit status: 0 ok, 1 a measurement failed, 2 usage error, 3 no requested\n"
"method is available here.\n", prog);
}

static int usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", prog);
	return WB_EXIT_USAGE;
}

/* Split a comma list; calls parse on every item. */
static int parse_list(const char *s, int (*parse)(const char *item, void *out, int i), void *out,
		      int *count)
{
	char buf[512], *save = NULL, *tok;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_LIST || parse(tok, out, n))
			return -EINVAL;
		n++;
	}
	if (!n)
		return -EINVAL;
	*count = n;
	return 0;
}

static int item_size(const char *s, void *out, int i)
{
	return wb_parse_size(s, &((size_t *)out)[i]) || ((size_t *)out)[i] < WB_PAGE;
}

static int item_fraction(const char *s, void *out, int i)
{
	return wb_parse_fraction(s, &((double *)out)[i]);
}

static int item_pattern(const char *s, void *out, int i)
{
	return i >= 3 || wb_pattern_parse(s, &((enum wb_pattern *)out)[i]);
}

static int item_method(const char *s, void *out, int i)
{
	bool *m = out;
	enum wb_method id;
	int k;

	if (!strcmp(s, "all")) {
		for (k = 0; k < WB_NMETHODS; k++)
			m[k] = true;
		return 0;
	}
	if (wb_method_parse(s, &id))
		return -1;
	m[id] = true;
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

enum { O_BACKENDS = 256, O_MEASURE, O_SIZE, O_FRACTION, O_PAGES, O_PATTERN, O_THREADS, O_REPS,
       O_ROUNDS, O_POPULATE, O_QUICK, O_TIMEOUT, O_CSV, O_JSON, O_MARKDOWN, O_NO_NICE };

static const struct option long_opts[] = {
	{ "backends", required_argument, NULL, O_BACKENDS },
	{ "measure", required_argument, NULL, O_MEASURE },
	{ "size", required_argument, NULL, O_SIZE },
	{ "fraction", required_argument, NULL, O_FRACTION },
	{ "pages", required_argument, NULL, O_PAGES },
	{ "pattern", required_argument, NULL, O_PATTERN },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "reps", required_argument, NULL, O_REPS },
	{ "rounds", required_argument, NULL, O_ROUNDS },
	{ "populate", required_argument, NULL, O_POPULATE },
	{ "quick", no_argument, NULL, O_QUICK },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "csv", optional_argument, NULL, O_CSV },
	{ "json", optional_argument, NULL, O_JSON },
	{ "markdown", no_argument, NULL, O_MARKDOWN },
	{ "no-nice", no_argument, NULL, O_NO_NICE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, else an exit code (help printed, or a usage error). */
static int parse_opts(int argc, char **argv, const char *prog, struct bench_opts *o)
{
	int c, n, v;
	bool custom_measure = false;

	memset(o, 0, sizeof(*o));
	o->threads = 1;
	o->rounds = 1;
	o->timeout = 600;
	o->measure[WB_FIRST_WRITE] = o->measure[WB_GET_RESET] = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":qh", long_opts, NULL)) != -1) {
		const char *a = optarg;

		switch (c) {
		case O_BACKENDS:
			memset(o->methods, 0, sizeof(o->methods));
			if (parse_list(a, item_method, o->methods, &n))
				return usage_error(prog, "unknown method in --backends '%s'", a);
			o->any_method = true;
			break;
		case O_MEASURE:
			custom_measure = true;
			o->measure[0] = !strcmp(a, "first-write") || !strcmp(a, "both");
			o->measure[1] = !strcmp(a, "get-reset") || !strcmp(a, "both");
			if (!o->measure[0] && !o->measure[1])
				return usage_error(prog, "--measure takes first-write, get-reset or both, not '%s'", a);
			break;
		case O_SIZE:
			if (parse_list(a, item_size, o->sizes, &o->nsizes))
				return usage_error(prog, "bad --size '%s' (e.g. 64M,1G,16G)", a);
			break;
		case O_FRACTION:
			if (parse_list(a, item_fraction, o->fractions, &o->nfractions))
				return usage_error(prog, "bad --fraction '%s' (a share in (0,1]: 0.01, 1%%, 1/64)", a);
			break;
		case O_PAGES:
			if (parse_int(a, 1, 1 << 30, &v))
				return usage_error(prog, "bad --pages '%s'", a);
			o->pages = (size_t)v;
			break;
		case O_PATTERN:
			if (parse_list(a, item_pattern, o->patterns, &o->npatterns))
				return usage_error(prog, "bad --pattern '%s' (dense, strided, random)", a);
			break;
		case O_THREADS:
			if (parse_int(a, 1, 64, &o->threads))
				return usage_error(prog, "bad --threads '%s' (1 to 64)", a);
			break;
		case O_REPS:
			if (parse_int(a, 1, 10000, &o->reps))
				return usage_error(prog, "bad --reps '%s'", a);
			break;
		case O_ROUNDS:
			if (parse_int(a, 1, 100, &o->rounds))
				return usage_error(prog, "bad --rounds '%s' (1 to 100)", a);
			break;
		case O_POPULATE:
			if (!strcmp(a, "full"))
				o->populate = WB_POP_FULL;
			else if (!strcmp(a, "written"))
				o->populate = WB_POP_WRITTEN;
			else if (!strcmp(a, "auto"))
				o->populate = WB_POP_AUTO;
			else
				return usage_error(prog, "bad --populate '%s' (full, written, auto)", a);
			break;
		case O_QUICK:
			o->quick = true;
			break;
		case O_TIMEOUT:
			if (parse_int(a, 1, 1 << 20, &o->timeout))
				return usage_error(prog, "bad --timeout '%s'", a);
			break;
		case O_CSV:
			o->csv = a ? a : "-";
			break;
		case O_JSON:
			o->json = a ? a : "-";
			break;
		case O_MARKDOWN:
			o->markdown = true;
			break;
		case O_NO_NICE:
			o->no_nice = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			wb_bench_usage(stdout, prog);
			return WB_EXIT_OK;
		case ':':
			return usage_error(prog, "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error(prog, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(prog, "unexpected argument '%s'", argv[optind]);
	if (o->csv && o->json && !strcmp(o->csv, "-") && !strcmp(o->json, "-"))
		return usage_error(prog, "%s", "--csv and --json cannot both go to stdout");
	if (o->pages && o->nfractions)
		return usage_error(prog, "%s", "--pages and --fraction exclude each other");
	if (!o->any_method)
		for (n = 0; n < WB_NMETHODS; n++)
			o->methods[n] = true;
	memcpy(o->requested, o->methods, sizeof(o->requested));
	/* The raw kernel sequence is the yardstick of every ratio. */
	o->methods[WB_RAW] = true;
	if (!o->reps)
		o->reps = o->quick ? 3 : 7;
	if ((o->npatterns ? o->npatterns : 1) * (o->nsizes ? o->nsizes : 1) *
	    (o->nfractions ? o->nfractions : 1) * 2 > MAX_LIST * MAX_LIST)
		return usage_error(prog, "%s", "too many combinations of --pattern, --size and --fraction");
	o->reference = !custom_measure && !o->nsizes && !o->nfractions && !o->pages && !o->npatterns;
	return -1;
}

static struct wb_case mk(const struct bench_opts *o, enum wb_measure m, enum wb_pattern p,
			 size_t size, double fraction, size_t pages)
{
	struct wb_case c;

	memset(&c, 0, sizeof(c));
	c.measure = m;
	c.pattern = p;
	c.size = size & ~(WB_PAGE - 1);
	c.fraction = fraction;
	c.pages = pages;
	c.threads = o->threads;
	c.reps = o->reps;
	c.populate = o->populate;
	return c;
}

/* The cases to run, in order. */
static int build_cases(const struct bench_opts *o, struct wb_case *cs, int max)
{
	bool custom = o->nsizes || o->nfractions || o->pages || o->npatterns;
	int n = 0, m, p, s, f;

	if (!custom) {
		size_t big = o->quick ? (512UL << 20) : (8UL << 30);

		if (o->measure[WB_FIRST_WRITE]) {
			cs[n++] = mk(o, WB_FIRST_WRITE, WB_DENSE, o->quick ? 4UL << 20 : 64UL << 20, 1, 0);
			cs[n++] = mk(o, WB_FIRST_WRITE, WB_STRIDED,
				     o->quick ? 64UL << 20 : 1UL << 30, 1.0 / 64, 0);
			cs[n++] = mk(o, WB_FIRST_WRITE, WB_STRIDED, big, 1.0 / 4096, 0);
		}
		if (o->measure[WB_GET_RESET])
			cs[n++] = mk(o, WB_GET_RESET, WB_RANDOM, o->quick ? 64UL << 20 : 1UL << 30,
				     0.01, 0);
		return n;
	}
	for (m = 0; m < 2; m++) {
		if (!o->measure[m])
			continue;
		for (p = 0; p < (o->npatterns ? o->npatterns : 1); p++)
			for (s = 0; s < (o->nsizes ? o->nsizes : 1); s++)
				for (f = 0; f < (o->nfractions ? o->nfractions : 1); f++) {
					if (n == max)
						return n;
					cs[n++] = mk(o, (enum wb_measure)m,
						     o->npatterns ? o->patterns[p] : WB_RANDOM,
						     o->nsizes ? o->sizes[s] :
						     (o->quick ? 128UL << 20 : 1UL << 30),
						     o->nfractions ? o->fractions[f] : 0.01, o->pages);
				}
	}
	return n;
}

static FILE *open_out(const char *path, const char *prog)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, path, strerror(errno));
	return f;
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

static bool measures(const struct wb_case *c, enum wb_method m)
{
	return c->measure == WB_FIRST_WRITE ? wb_method_measures_first_write(m) :
	       wb_method_measures_get_reset(m);
}

/*
 * Measure one case with every selected method into out[] (enum order).  The
 * raw sequence and uffd-async, whose ratio is the library's whole overhead,
 * run interleaved in one process, twice, the second time in the other order:
 * an A/A test (raw against raw) showed the memory set up second in a process
 * measuring up to ~10% faster on a 16 GiB range, and alternating cancels
 * that out.  Every other method runs alone.  Round r > 0 merges its
 * repetitions into the earlier rounds' (tmp: scratch for one run).
 */
static void run_case(const struct wb_case *c, const bool *methods, struct wb_result *out,
		     struct wb_result *tmp, int round, struct wb_progress *prog, int timeout)
{
	enum wb_method list[WB_NMETHODS];
	int n = 0, k, j, order, praw = -1, pasync = -1;

	for (k = 0; k < WB_NMETHODS; k++) {
		if (!methods[k] || !measures(c, (enum wb_method)k))
			continue;
		if (k == WB_RAW)
			praw = n;
		if (k == WB_UFFD_ASYNC)
			pasync = n;
		list[n++] = (enum wb_method)k;
	}
	for (j = 0; j < n; j++) {
		bool pair = praw >= 0 && pasync >= 0 && (j == praw || j == pasync);
		int cnt = pair ? 2 : 1, runs = pair ? 2 : 1;

		if (pair && j == pasync)
			continue;       /* measured with raw */
		/* In later rounds, rows already n/a or failed are not measured again. */
		if (round && out[j].status != WB_OK && (!pair || out[pasync].status != WB_OK)) {
			prog->done += cnt * runs;
			continue;
		}
		for (order = 0; order < runs; order++) {
			int at[2] = { j, -1 };
			enum wb_method ms[2] = { list[j] };

			if (pair) {
				at[0] = order ? pasync : praw;
				at[1] = order ? praw : pasync;
				ms[0] = list[at[0]];
				ms[1] = list[at[1]];
			}
			wb_measure_run(c, ms, cnt, tmp, prog, timeout);
			for (k = 0; k < cnt; k++) {
				if (round || order)
					wb_measure_merge(&out[at[k]], &tmp[k]);
				else
					out[at[k]] = tmp[k];
			}
		}
	}
}

static void command_line(char *buf, size_t len, int argc, char **argv, const char *prog)
{
	size_t at = 0;
	int i;

	at += (size_t)snprintf(buf, len, "%s", prog);
	for (i = 1; i < argc && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, " %s", argv[i]);
}

int wb_bench_main(int argc, char **argv, const char *prog)
{
	struct bench_opts o;
	struct wb_case cases[MAX_LIST * MAX_LIST];
	struct wb_result *res, *one;
	struct wb_env env;
	struct wb_progress prog_state;
	char why[200], cmd[1024];
	bool text_stdout;
	int ret = parse_opts(argc, argv, prog, &o), ncases, i, k, r, total = 0, failed = 0, usable = 0;
	int progress_total = 0;
	size_t nres = 0;
	FILE *csv_f, *json_f;

	if (ret >= 0)
		return ret;
	ncases = build_cases(&o, cases, (int)(sizeof(cases) / sizeof(cases[0])));
	for (k = 0; k < WB_NMETHODS; k++) {
		if (o.requested[k] && !wb_method_available((enum wb_method)k, why, sizeof(why)))
			usable++;
	}
	/* Nothing asked for can run: say so instead of printing tables of n/a. */
	if (!usable) {
		for (k = 0; k < WB_NMETHODS; k++)
			if (o.requested[k])
				break;
		wb_method_available((enum wb_method)k, why, sizeof(why));
		fprintf(stderr, "%s: %s is not available here: %s\n", prog,
			wb_method_name((enum wb_method)k), why);
		return WB_EXIT_NOTAVAIL;
	}
	for (i = 0; i < ncases; i++) {
		for (k = 0; k < WB_NMETHODS; k++)
			if (o.methods[k] && measures(&cases[i], (enum wb_method)k))
				total++;
		/* raw and uffd-async run twice, once in each order (run_case) */
		if (o.methods[WB_RAW] && o.methods[WB_UFFD_ASYNC])
			progress_total += 2;
	}
	progress_total += total;
	/* Output files first: a typo in a path should not cost a whole run. */
	csv_f = o.csv ? open_out(o.csv, prog) : NULL;
	json_f = o.json ? open_out(o.json, prog) : NULL;
	if ((o.csv && !csv_f) || (o.json && !json_f))
		return WB_EXIT_FAILURE;
	res = calloc((size_t)total + WB_NMETHODS, sizeof(*res));
	if (!res) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return WB_EXIT_FAILURE;
	}
	one = &res[total];
	/* Measuring children inherit the priority; failing to raise it is fine. */
	errno = 0;
	o.nice = getpriority(PRIO_PROCESS, 0);
	if (!o.no_nice && !setpriority(PRIO_PROCESS, 0, -20))
		o.nice = -20;
	wb_env_get(&env, o.nice);
	wb_progress_init(&prog_state, progress_total * o.rounds, !o.quiet);
	for (r = 0; r < o.rounds; r++) {
		nres = 0;
		for (i = 0; i < ncases; i++) {
			size_t first = nres;

			for (k = 0; k < WB_NMETHODS; k++)
				if (o.methods[k] && measures(&cases[i], (enum wb_method)k))
					nres++;
			run_case(&cases[i], o.methods, &res[first], one, r, &prog_state, o.timeout);
		}
	}
	for (i = 0; i < (int)nres; i++)
		failed += res[i].status == WB_FAILED;
	wb_progress_end(&prog_state);
	wb_results_ratios(res, nres);

	command_line(cmd, sizeof(cmd), argc, argv, prog);
	text_stdout = !(o.csv && !strcmp(o.csv, "-")) && !(o.json && !strcmp(o.json, "-"));
	if (text_stdout) {
		if (!o.markdown)
			header(stdout, &o, &env);
		wb_report_text(stdout, res, nres, o.markdown);
		if (o.reference && !o.markdown)
			wb_report_reference(stdout);
	}
	ret = WB_EXIT_OK;
	if (csv_f) {
		wb_report_csv(csv_f, res, nres);
		if (csv_f != stdout && fclose(csv_f))
			ret = WB_EXIT_FAILURE;
	}
	if (json_f) {
		wb_report_json(json_f, res, nres, cmd, &env);
		if (json_f != stdout && fclose(json_f))
			ret = WB_EXIT_FAILURE;
	}
	if (fflush(stdout) || ferror(stdout))
		ret = WB_EXIT_FAILURE;
	if (ret)
		fprintf(stderr, "%s: writing the results failed: %s\n", prog, strerror(errno));
	if (failed) {
		fprintf(stderr, "%s: %d measurement(s) failed (reasons in the output)\n", prog, failed);
		ret = WB_EXIT_FAILURE;
	}
	free(res);
	return ret;
}
