/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the tests of `writewatch rate` (cli_rate_*): run it with
 * --json on bench/rate_target, a process writing a known schedule into a
 * region of its own, and read back the figures of that region.
 */
#ifndef CLI_RATE_H
#define CLI_RATE_H

#include "cli_util.h"

#define CLI_NOTAVAIL_CODE 3     /* writewatch(1): nothing requested is available here */

struct rate_result {
	struct cli_out r;
	uint64_t region;                /* start of the target's region */
	uint64_t more[2];               /* maps mode: its second and third mapping */
	size_t nmore;
	long long truth_distinct, truth_writes;
	long long sum_pages;            /* the region's pages, summed over the intervals */
	long long max_interval;         /* the region's most pages in one interval */
	long long sum_pages_summary, distinct_summary;
	size_t intervals;
	const char *summary;            /* the summary object's line */
};

/* The rate_target next to the tool: $BUILD/bench/rate_target. */
static inline void rate_target_path(char *buf, size_t len)
{
	const char *slash = strrchr(cli_tool, '/');

	snprintf(buf, len, "%.*s/bench/rate_target", slash ? (int)(slash - cli_tool) : 1,
		 slash ? cli_tool : ".");
	if (access(buf, X_OK))
		tt_fail("%s not built (make)", buf);
}

/* The "pages" of the mapping starting at region in a mappings array, 0 if absent. */
static inline long long rate_map_pages(const char *arr, uint64_t region, const char *key)
{
	const char *p;

	tt_check(arr && *arr == '[', "rate --json: no mappings array");
	for (p = json_ws(arr + 1); *p == '{';) {
		const char *s = json_get(p, "start");

		if (s && strtoull(s + 1, NULL, 16) == region)
			return atoll(json_get(p, key));
		p = json_ws(json_value(p, 0));
		if (*p == ',')
			p = json_ws(p + 1);
	}
	return 0;
}

/* One per-interval object: checked, and its region pages added up. */
static inline void rate_interval_line(struct rate_result *x, const char *line)
{
	double secs = atof(json_get(line, "dt")), bps = atof(json_get(line, "written_bytes_per_s"));
	double bytes = atof(json_get(line, "written_pages")) * (double)TT_PAGE;
	long long n = rate_map_pages(json_get(line, "mappings"), x->region, "written_pages");

	tt_check(atol(json_get(line, "page_size")) == (long)TT_PAGE && json_get(line, "t") &&
		 json_get(line, "written_mib") && json_get(line, "distinct_pages"),
		 "rate --json: the fields of track --json are not all there: %s", line);
	/* Equal but for the printed digits: seconds to 1 ns, the rate to 0.1 B/s. */
	double tol = 0.1 + bytes / (secs * secs) * 1e-9;

	tt_check(secs > 0 && bps - bytes / secs <= tol && bytes / secs - bps <= tol,
		 "rate --json: written_bytes_per_s %.1f is not bytes/seconds %.1f", bps, bytes / secs);
	tt_check(n <= atoll(json_get(line, "written_pages")), "rate --json: a mapping above the total");
	x->sum_pages += n;
	x->max_interval = n > x->max_interval ? n : x->max_interval;
	x->intervals++;
}

/* Split the combined output (the tool's JSON lines and the target's lines) and check each. */
static inline void rate_parse(struct rate_result *x)
{
	char *line = x->r.out, *nl;

	for (; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (!strncmp(line, "region ", 7)) {
			x->region = strtoull(line + 7, NULL, 16);
		} else if (!strncmp(line, "map ", 4) && x->nmore < 2) {
			x->more[x->nmore++] = strtoull(line + 4, NULL, 16);
		} else if (!strncmp(line, "{\"mode\"", 7)) {
			tt_check(json_valid(line), "rate_target: bad truth line %s", line);
			x->truth_distinct = atoll(json_get(line, "distinct"));
			x->truth_writes = atoll(json_get(line, "page_writes"));
		} else if (!strncmp(line, "{\"t\":", 5)) {
			tt_check(json_valid(line), "rate --json: not JSON: %s", line);
			tt_check(x->region, "rate --json: an interval before the target's region");
			rate_interval_line(x, line);
		} else if (!strncmp(line, "{\"summary\"", 10)) {
			const char *s;

			tt_check(json_valid(line), "rate --json: summary not JSON: %s", line);
			x->summary = line;
			s = json_get(line, "summary");
			x->sum_pages_summary = rate_map_pages(json_get(s, "mappings"), x->region,
							       "written_pages");
			x->distinct_summary = rate_map_pages(json_get(s, "mappings"), x->region,
							    "distinct_pages");
		} else if (*line) {
			tt_fail("rate: unexpected output line: %s", line);
		}
	}
	tt_check(x->summary, "rate --json: no summary:\n%s", x->r.err);
}

/*
 * writewatch rate --json --interval ms [extra...] -- rate_target targs...
 * (the target waits until it is armed, and at the end until its last
 * writes were taken).  Skips when this machine cannot track another process.
 */
static inline struct rate_result rate_run(int ms, const char *const *extra,
					  const char *const *targs)
{
	struct rate_result x = { 0 };
	char target[PATH_MAX], interval[16];
	const char *args[48];
	int n = 0, i;

	rate_target_path(target, sizeof(target));
	snprintf(interval, sizeof(interval), "%d", ms);
	args[n++] = "rate";
	args[n++] = "--json";
	args[n++] = "--interval";
	args[n++] = interval;
	for (i = 0; extra && extra[i]; i++)
		args[n++] = extra[i];
	args[n++] = "--";
	args[n++] = target;
	for (i = 0; targs[i]; i++)
		args[n++] = targs[i];
	args[n++] = "--wait-armed";
	args[n++] = "--wait-reset";
	args[n] = NULL;
	x.r = cli_run(120, args);
	if (x.r.status == CLI_NOTAVAIL_CODE)
		tt_skip("writewatch rate cannot track another process here: %s", x.r.err);
	tt_check(x.r.status == 0, "rate: exit %d: %s", x.r.status, x.r.err);
	rate_parse(&x);
	return x;
}

#endif /* CLI_RATE_H */
