/* SPDX-License-Identifier: MIT */
/* writewatch bench: options, and the cases they select. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "bench.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: writewatch bench [options]\n"
"Measure first-write cost and get+reset cost of every tracking method, side by\n"
"side, with ratios to the raw kernel sequence and to the uffd-async backend.\n"
"\n"
"Methods (--backends):\n"
"  raw             baseline: uffd WP_ASYNC + PAGEMAP_SCAN by hand with ioctl()\n"
"                  (always run: the reference of every ratio)\n"
"  uffd-async      libwritewatch, uffd-async backend\n"
"  uffd-sync       libwritewatch, uffd-sync backend\n"
"  mprotect        libwritewatch, mprotect backend\n"
"  plain-mprotect  baseline: mprotect + SIGSEGV by hand, page at a time (as Wine, Boehm GC)\n"
"  old-pagemap     baseline: /proc/self/pagemap read + per-page UFFDIO_WRITEPROTECT\n"
"                  (get+reset only)\n"
"  untracked       no tracking (first write only)\n"
"\n"
"Options:\n"
"  --backends LIST    comma-separated methods, or \"all\" (default all)\n"
"  --measure WHAT     first-write, get-reset or both (default both); remote: tracking\n"
"                     another process against in-process and raw (its own fixed cases;\n"
"                     --reps, --quick and --markdown apply)\n"
"  --size LIST        tracked sizes, e.g. 64M,1G,16G (default: the standard matrix)\n"
"  --fraction LIST    written share of the pages: 0.01, 1%%, 1/64 (default 1%%)\n"
"  --pages N          write exactly N pages (instead of --fraction)\n"
"  --pattern LIST     dense, strided, random (default random)\n"
"  --threads N        threads writing in the first-write measure (default 1)\n"
"  --reps N           timed repetitions; the median is reported (default 7, quick 3)\n"
"  --rounds N         run the whole matrix N times, methods interleaved, and pool\n"
"                     the repetitions (evens out noisy neighbours; default 1)\n"
"  --populate MODE    full (touch every page first), written (only the written\n"
"                     pages), none (nothing: the writes populate it) or auto\n"
"                     (full up to 2 GiB; default)\n"
"  --quick            small sizes and 3 repetitions: seconds instead of minutes\n"
"  --timeout SEC      give up on one measurement after SEC seconds (default 600)\n"
"  --csv[=FILE]       CSV (columns in writewatch(1)) to stdout, or to FILE besides the text\n"
"  --json[=FILE]      JSON to stdout, or to FILE besides the text\n"
"  --markdown         side-by-side tables as Markdown\n"
"  --no-nice          keep the priority (by default the run asks for nice -20,\n"
"                     which needs root or CAP_SYS_NICE, so that other work disturbs less)\n"
"  -q, --quiet        no progress on stderr\n"
"  -h, --help         this help\n"
"\n"
"Without --size, --fraction, --pages or --pattern the standard matrix runs:\n"
"first write dense over 64 MiB, 1 in 64 pages of 1 GiB, 1 in 4096 pages of\n"
"8 GiB; get+reset with 1%% of the pages of 1 GiB written at random\n"
"(--quick: 4 MiB, 64 MiB, 512 MiB, 64 MiB).\n"
"Exit status: 0 ok, 1 a measurement failed, 2 usage error (a size that cannot\n"
"be mapped here included), 3 no requested method is available here.\n");
}

int bench_parse_list(const char *s, bench_item_fn parse, void *out, int *count, int max)
{
	char buf[512], *save = NULL, *tok;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max || parse(tok, out, n))
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
	return wb_parse_size(s, &((size_t *)out)[i]) || ((size_t *)out)[i] < wb_page();
}

static int item_fraction(const char *s, void *out, int i)
{
	return wb_parse_fraction(s, &((double *)out)[i]);
}

static int item_pattern(const char *s, void *out, int i)
{
	return i >= WB_NPATTERNS || wb_pattern_parse(s, &((enum wb_pattern *)out)[i]);
}

int bench_flag_item(const char *s, bool *flags, int n, int id)
{
	if (!strcmp(s, "all")) {
		for (int k = 0; k < n; k++)
			flags[k] = true;
		return 0;
	}
	if (id < 0 || id >= n)
		return -1;
	flags[id] = true;
	return 0;
}

static int item_method(const char *s, void *out, int i)
{
	enum wb_method id;

	return bench_flag_item(s, out, WB_NMETHODS, wb_method_parse(s, &id) ? -1 : (int)id);
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

static int opt_measure(struct bench_opts *o, const char *a)
{
	o->remote = !strcmp(a, "remote");
	if (o->remote)
		return -1;
	o->measure[WB_FIRST_WRITE] = !strcmp(a, "first-write") || !strcmp(a, "both");
	o->measure[WB_GET_RESET] = !strcmp(a, "get-reset") || !strcmp(a, "both");
	if (o->measure[WB_FIRST_WRITE] || o->measure[WB_GET_RESET])
		return -1;
	return cli_usage_error("bench", "--measure takes first-write, get-reset, both or remote, "
			       "not '%s'", a);
}

static int opt_populate(struct bench_opts *o, const char *a)
{
	if (!strcmp(a, "full"))
		o->populate = WB_POP_FULL;
	else if (!strcmp(a, "written"))
		o->populate = WB_POP_WRITTEN;
	else if (!strcmp(a, "none"))
		o->populate = WB_POP_NONE;
	else if (!strcmp(a, "auto"))
		o->populate = WB_POP_AUTO;
	else
		return cli_usage_error("bench", "bad --populate '%s' (full, written, none, auto)", a);
	return -1;
}

/* An option with a list or number: -1 when it parses, else the usage error's code. */
static int opt_value(struct bench_opts *o, int c, const char *a)
{
	int n, v;

	switch (c) {
	case O_BACKENDS:
		memset(o->methods, 0, sizeof(o->methods));
		o->any_method = true;
		if (bench_parse_list(a, item_method, o->methods, &n, BENCH_MAX_LIST))
			return cli_usage_error("bench", "unknown method in --backends '%s'", a);
		return -1;
	case O_SIZE:
		if (bench_parse_list(a, item_size, o->sizes, &o->nsizes, BENCH_MAX_LIST))
			return cli_usage_error("bench", "bad --size '%s' (e.g. 64M,1G,16G)", a);
		return -1;
	case O_FRACTION:
		if (bench_parse_list(a, item_fraction, o->fractions, &o->nfractions,
				     BENCH_MAX_LIST))
			return cli_usage_error("bench", "bad --fraction '%s' (a share in (0,1]: 0.01, 1%%, 1/64)", a);
		return -1;
	case O_PATTERN:
		if (bench_parse_list(a, item_pattern, o->patterns, &o->npatterns, BENCH_MAX_LIST))
			return cli_usage_error("bench", "bad --pattern '%s' (dense, strided, random)", a);
		return -1;
	case O_PAGES:
		if (cli_parse_int(a, 1, 1 << 30, &v))
			return cli_usage_error("bench", "bad --pages '%s'", a);
		o->pages = (size_t)v;
		return -1;
	case O_THREADS:
		if (cli_parse_int(a, 1, 64, &o->threads))
			return cli_usage_error("bench", "bad --threads '%s' (1 to 64)", a);
		return -1;
	case O_REPS:
		if (cli_parse_int(a, 1, 10000, &o->reps))
			return cli_usage_error("bench", "bad --reps '%s' (1 to 10000)", a);
		return -1;
	case O_ROUNDS:
		if (cli_parse_int(a, 1, 100, &o->rounds))
			return cli_usage_error("bench", "bad --rounds '%s' (1 to 100)", a);
		return -1;
	case O_TIMEOUT:
		if (cli_parse_int(a, 1, 1 << 20, &o->timeout))
			return cli_usage_error("bench", "bad --timeout '%s' (seconds)", a);
		return -1;
	}
	return -1;
}

/* One option from getopt: -1 to go on, else an exit code. */
static int opt_one(void *ctx, int c, const char *a)
{
	struct bench_opts *o = ctx;

	switch (c) {
	case O_MEASURE:
		return opt_measure(o, a);
	case O_POPULATE:
		return opt_populate(o, a);
	case O_QUICK:
		o->quick = true;
		return -1;
	case O_CSV:
		o->csv = a ? a : "-";
		return -1;
	case O_JSON:
		o->json = a ? a : "-";
		return -1;
	case O_MARKDOWN:
		o->markdown = true;
		return -1;
	case O_NO_NICE:
		o->no_nice = true;
		return -1;
	case 'q':
		o->quiet = true;
		return -1;
	default:
		return opt_value(o, c, a);
	}
}

/* Options that exclude each other, and what follows from the rest. */
static int finish(struct bench_opts *o)
{
	int n;

	if (o->csv && o->json && !strcmp(o->csv, "-") && !strcmp(o->json, "-"))
		return cli_usage_error("bench", "--csv and --json cannot both go to stdout");
	if (o->pages && o->nfractions)
		return cli_usage_error("bench", "--pages and --fraction exclude each other");
	if (!o->any_method)
		for (n = 0; n < WB_NMETHODS; n++)
			o->methods[n] = true;
	memcpy(o->requested, o->methods, sizeof(o->requested));
	/* The raw kernel sequence is the yardstick of every ratio. */
	o->methods[WB_RAW] = true;
	if (!o->reps)
		o->reps = o->quick ? 3 : 7;
	if ((o->npatterns ? o->npatterns : 1) * (o->nsizes ? o->nsizes : 1) *
	    (o->nfractions ? o->nfractions : 1) * 2 > BENCH_MAX_CASES)
		return cli_usage_error("bench", "too many combinations of --pattern, --size and --fraction");
	return -1;
}

int bench_parse(int argc, char **argv, struct bench_opts *o)
{
	int ret;

	memset(o, 0, sizeof(*o));
	o->threads = 1;
	o->rounds = 1;
	o->timeout = 600;
	o->measure[WB_FIRST_WRITE] = o->measure[WB_GET_RESET] = true;
	ret = cli_parse("bench", argc, argv, ":qh", long_opts, usage, opt_one, o);
	return ret >= 0 ? ret : finish(o);
}

static struct wb_case mk(const struct bench_opts *o, enum wb_measure m, enum wb_pattern p,
			 size_t size, double fraction, size_t pages)
{
	return (struct wb_case){
		.measure = m, .pattern = p, .size = size & ~(wb_page() - 1), .fraction = fraction,
		.pages = pages, .threads = o->threads, .reps = o->reps, .populate = o->populate,
	};
}

/* The standard matrix (no --size, --fraction, --pages or --pattern). */
static int standard_cases(const struct bench_opts *o, struct wb_case *cs)
{
	size_t big = o->quick ? 512UL << 20 : 8UL << 30;
	int n = 0;

	if (o->measure[WB_FIRST_WRITE]) {
		cs[n++] = mk(o, WB_FIRST_WRITE, WB_DENSE, o->quick ? 4UL << 20 : 64UL << 20, 1, 0);
		cs[n++] = mk(o, WB_FIRST_WRITE, WB_STRIDED, o->quick ? 64UL << 20 : 1UL << 30,
			     1.0 / 64, 0);
		cs[n++] = mk(o, WB_FIRST_WRITE, WB_STRIDED, big, 1.0 / 4096, 0);
	}
	if (o->measure[WB_GET_RESET])
		cs[n++] = mk(o, WB_GET_RESET, WB_RANDOM, o->quick ? 64UL << 20 : 1UL << 30, 0.01, 0);
	return n;
}

int bench_cases(const struct bench_opts *o, struct wb_case *cs, int max)
{
	int np = o->npatterns ? o->npatterns : 1, ns = o->nsizes ? o->nsizes : 1;
	int nf = o->nfractions ? o->nfractions : 1, n = 0, m, p, s, f;
	size_t dflt = o->quick ? 128UL << 20 : 1UL << 30;

	if (!o->nsizes && !o->nfractions && !o->pages && !o->npatterns)
		return standard_cases(o, cs);
	for (m = 0; m < 2; m++) {
		if (!o->measure[m])
			continue;
		for (p = 0; p < np; p++)
			for (s = 0; s < ns; s++)
				for (f = 0; f < nf && n < max; f++)
					cs[n++] = mk(o, (enum wb_measure)m,
						     o->npatterns ? o->patterns[p] : WB_RANDOM,
						     o->nsizes ? o->sizes[s] : dflt,
						     o->nfractions ? o->fractions[f] : 0.01, o->pages);
	}
	return n;
}
