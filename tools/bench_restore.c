/* SPDX-License-Identifier: MIT */
/* writewatch bench --measure restore: options, the matrix, the run, the output. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "writewatch.h"
#include "bench.h"
#include "cli.h"
#include "measure.h"
#include "restore.h"

#define MAX_LIST 16

struct ropts {
	size_t sizes[MAX_LIST];
	int nsizes;
	size_t sparse[MAX_LIST];
	int nsparse;
	size_t pages[MAX_LIST];
	int npages;
	bool methods[WR_NMETHODS];
	bool any_method;
	int reps;
	int timeout;
	bool markdown;
	bool quiet;
	bool quick;
	const char *csv;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: writewatch bench --measure restore [options]\n"
"Put a range back to a saved state after a run wrote some of its pages, by\n"
"every method side by side; a run writes one byte into each of N distinct\n"
"random pages, and the written bytes are checked after every restore.\n"
"\n"
"Methods (--methods):\n");
	for (int m = 0; m < WR_NMETHODS; m++)
		fprintf(f, "  %-16s%s\n", wr_method_name((enum wr_method)m),
			wr_method_desc((enum wr_method)m));
	fprintf(f,
"\n"
"Options:\n"
"  --methods LIST     comma-separated methods, or \"all\" (default all)\n"
"  --size LIST        populated ranges, powers of two: 64M,1G,4G (default 64M,1G,4G)\n"
"  --sparse LIST      sparse ranges (MAP_NORESERVE, %d pages populated): 256G\n"
"                     (default none, or 256G with the default --size)\n"
"  --pages LIST       pages written per run (default 1,64,1024,100000)\n"
"  --reps N           timed runs per row, median reported (default 9; fewer\n"
"                     when runs take over 3 s in all, never under 3)\n"
"  --quick            16M and 64 pages, 3 runs: a smoke test\n"
"  --timeout SEC      give up on one row after SEC seconds (default 600)\n"
"  --csv[=FILE]       CSV to stdout, or to FILE besides the tables\n"
"  --markdown         tables as Markdown\n"
"  -q, --quiet        no progress on stderr\n"
"  -h, --help         this help\n"
"Exit status: 0 ok, 1 a row failed, 2 usage error.\n", WR_SPARSE_POP);
}

enum { O_MEASURE = 256, O_METHODS, O_SIZE, O_SPARSE, O_PAGES, O_REPS, O_QUICK, O_TIMEOUT,
       O_CSV, O_MARKDOWN };

static const struct option long_opts[] = {
	{ "measure", required_argument, NULL, O_MEASURE },
	{ "methods", required_argument, NULL, O_METHODS },
	{ "size", required_argument, NULL, O_SIZE },
	{ "sparse", required_argument, NULL, O_SPARSE },
	{ "pages", required_argument, NULL, O_PAGES },
	{ "reps", required_argument, NULL, O_REPS },
	{ "quick", no_argument, NULL, O_QUICK },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "csv", optional_argument, NULL, O_CSV },
	{ "markdown", no_argument, NULL, O_MARKDOWN },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* List items (bench_parse_list): a power-of-two size, a page count, a method or "all". */
static int item_size(const char *s, void *out, int i)
{
	size_t *v = out;

	return wb_parse_size(s, &v[i]) || v[i] < wb_page() || (v[i] & (v[i] - 1));
}

static int item_pages(const char *s, void *out, int i)
{
	int k;

	if (cli_parse_int(s, 1, 1 << 30, &k))
		return -1;
	((size_t *)out)[i] = (size_t)k;
	return 0;
}

static int item_method(const char *s, void *out, int i)
{
	enum wr_method id;

	return bench_flag_item(s, out, WR_NMETHODS, wr_method_parse(s, &id) ? -1 : (int)id);
}

static int parse_methods(struct ropts *o, const char *s)
{
	int n;

	if (bench_parse_list(s, item_method, o->methods, &n, MAX_LIST))
		return -1;
	o->any_method = true;
	return 0;
}

static int opt_one(void *ctx, int c, const char *a)
{
	struct ropts *o = ctx;

	switch (c) {
	case O_MEASURE:
		return strcmp(a, "restore") ? cli_usage_error("bench", "--measure restore only here") : -1;
	case O_METHODS:
		return parse_methods(o, a) ? cli_usage_error("bench", "bad --methods '%s'", a) : -1;
	case O_SIZE:
		return bench_parse_list(a, item_size, o->sizes, &o->nsizes, MAX_LIST) ?
		       cli_usage_error("bench", "bad --size '%s' (powers of two)", a) : -1;
	case O_SPARSE:
		return bench_parse_list(a, item_size, o->sparse, &o->nsparse, MAX_LIST) ?
		       cli_usage_error("bench", "bad --sparse '%s' (powers of two)", a) : -1;
	case O_PAGES:
		return bench_parse_list(a, item_pages, o->pages, &o->npages, MAX_LIST) ?
		       cli_usage_error("bench", "bad --pages '%s'", a) : -1;
	case O_REPS:
		return cli_parse_int(a, 1, 64, &o->reps) ?
		       cli_usage_error("bench", "bad --reps '%s' (1 to 64)", a) : -1;
	case O_TIMEOUT:
		return cli_parse_int(a, 1, 1 << 20, &o->timeout) ?
		       cli_usage_error("bench", "bad --timeout '%s' (seconds)", a) : -1;
	case O_QUICK:
		o->quick = true;
		return -1;
	case O_CSV:
		o->csv = a ? a : "-";
		return -1;
	case O_MARKDOWN:
		o->markdown = true;
		return -1;
	case 'q':
		o->quiet = true;
		return -1;
	}
	return -1;
}

static void defaults(struct ropts *o)
{
	static const size_t sizes[] = { 64UL << 20, 1UL << 30, 4UL << 30 };
	static const size_t pages[] = { 1, 64, 1024, 100000 };

	if (!o->any_method)
		for (int k = 0; k < WR_NMETHODS; k++)
			o->methods[k] = true;
	if (o->quick) {
		o->sizes[0] = 16UL << 20;
		o->pages[0] = 64;
		o->nsizes = o->npages = 1;
		o->reps = o->reps ? o->reps : 3;
	}
	if (!o->nsizes && !o->nsparse) {
		memcpy(o->sizes, sizes, sizeof(sizes));
		o->nsizes = 3;
		o->sparse[0] = 256UL << 30;
		o->nsparse = 1;
	}
	if (!o->npages) {
		memcpy(o->pages, pages, sizeof(pages));
		o->npages = 4;
	}
	o->reps = o->reps ? o->reps : 9;
}

static size_t case_size(const struct ropts *o, int s)
{
	return s < o->nsizes ? o->sizes[s] : o->sparse[s - o->nsizes];
}

/* A case writes distinct pages: at most half the range's (a larger count is left out). */
static bool case_fits(const struct ropts *o, int s, int p)
{
	return o->pages[p] * 2 <= case_size(o, s) / wb_page();
}

static int run(const struct ropts *o, struct wr_result *res, int *failed)
{
	struct wb_progress prog;
	int n = 0, total = 0, methods = 0, s, p, m;

	for (m = 0; m < WR_NMETHODS; m++)
		methods += o->methods[m];
	for (s = 0; s < o->nsizes + o->nsparse; s++)
		for (p = 0; p < o->npages; p++)
			total += case_fits(o, s, p) ? methods : 0;
	wb_progress_init(&prog, total, !o->quiet);
	for (s = 0; s < o->nsizes + o->nsparse; s++) {
		for (p = 0; p < o->npages; p++) {
			struct wr_case c = {
				.size = case_size(o, s), .sparse = s >= o->nsizes,
				.pages = o->pages[p], .reps = o->reps,
			};

			if (!case_fits(o, s, p))
				continue;
			for (m = 0; m < WR_NMETHODS; m++) {
				if (!o->methods[m])
					continue;
				wb_progress_step(&prog, "%s, %zu pages of %zu MiB%s",
						 wr_method_name((enum wr_method)m), c.pages,
						 c.size >> 20, c.sparse ? " sparse" : "");
				wr_measure(&c, (enum wr_method)m, o->timeout, &res[n]);
				prog.done++;
				*failed += res[n].status == WR_FAILED;
				n++;
			}
		}
	}
	wb_progress_end(&prog);
	return n;
}

int cmd_bench_restore(int argc, char **argv)
{
	struct ropts o = { .timeout = 600 };
	struct wr_result *res;
	FILE *csv_f = NULL;
	int ret = cli_parse("bench", argc, argv, ":qh", long_opts, usage, opt_one, &o), n, failed = 0;

	if (ret >= 0)
		return ret;
	defaults(&o);
	if (o.csv && strcmp(o.csv, "-") && !(csv_f = fopen(o.csv, "w")))
		return cli_error("bench", "cannot write %s: %s", o.csv, strerror(errno));
	res = calloc((size_t)(WR_NMETHODS * (o.nsizes + o.nsparse) * o.npages), sizeof(*res));
	if (!res)
		return cli_error("bench", "out of memory");
	/* Measuring children inherit the priority; failing to raise it is fine. */
	setpriority(PRIO_PROCESS, 0, -20);
	n = run(&o, res, &failed);
	if (!(o.csv && !strcmp(o.csv, "-")))
		wr_report_text(stdout, res, (size_t)n, o.markdown);
	if (o.csv)
		wr_report_csv(csv_f ? csv_f : stdout, res, (size_t)n);
	if (csv_f && (ferror(csv_f) | fclose(csv_f)))
		ret = cli_error("bench", "writing %s failed", o.csv);
	free(res);
	ret = cli_finish_output("bench", ret >= 0 ? ret : CLI_OK);
	if (failed && ret == CLI_OK)
		ret = cli_error("bench", "%d row(s) failed (reasons in the output)", failed);
	return ret;
}
