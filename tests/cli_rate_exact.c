/* SPDX-License-Identifier: MIT */
/*
 * writewatch rate's figures equal the truth on known schedules
 * (bench/rate_target): a steady writer, bursts, a cold sweep (each page
 * once: the region's distinct pages are exactly the pages written, and its
 * pages summed over the intervals too, but for a page whose store straddles
 * an interval's end, counted in both), and a hot set rewritten (distinct
 * pages exactly the hot set, no interval above it, and at least the hot set
 * in all).  Every interval's written_bytes_per_s is its bytes over its
 * length; the window curve ascends and ends with the whole run, whose
 * busiest window holds every distinct page of the region.
 */
#include "cli_rate.h"

static void check_windows(const struct rate_result *x)
{
	const char *w = json_get(json_get(x->summary, "summary"), "windows"), *p;
	double last_s = 0, run = atof(json_get(json_get(x->summary, "summary"), "seconds"));
	long long last_max = 0;

	tt_check(w && *w == '[', "rate --json: no windows");
	for (p = json_ws(w + 1); *p == '{';) {
		double s = atof(json_get(p, "seconds"));

		last_max = atoll(json_get(p, "max_pages"));
		tt_check(s > last_s, "windows do not ascend");
		last_s = s;
		p = json_ws(json_value(p, 0));
		if (*p == ',')
			p = json_ws(p + 1);
	}
	tt_check(last_s == run, "the last window %.6f s is not the run %.6f s", last_s, run);
	tt_check(last_max >= x->distinct_summary, "the whole run's window has %lld pages, the "
		 "region alone %lld", last_max, x->distinct_summary);
}

static void once_each(const char *mode, const char *pages, const char *const *more)
{
	const char *targs[16] = { mode, "--pages", pages };
	int i;
	struct rate_result x;

	for (i = 0; more && more[i]; i++)
		targs[3 + i] = more[i];
	x = rate_run(50, NULL, targs);
	tt_check(x.truth_distinct == atoll(pages) && x.truth_writes == atoll(pages),
		 "%s: the target wrote %lld pages", mode, x.truth_writes);
	/*
	 * A store that faulted before an interval's get and completed after it
	 * is reported by both gets (the contract allows a page twice, never
	 * none): the single-threaded target has at most one such page at each
	 * interval boundary; and its canary (its last page, written once
	 * before the schedule to see that it is armed) may count once more.
	 */
	tt_check(x.sum_pages >= x.truth_writes &&
		 x.sum_pages <= x.truth_writes + (long long)x.intervals,
		 "%s: intervals sum to %lld pages in %zu intervals, %lld written", mode,
		 x.sum_pages, x.intervals, x.truth_writes);
	tt_check(x.sum_pages_summary == x.sum_pages, "%s: summary %lld, intervals %lld", mode,
		 x.sum_pages_summary, x.sum_pages);
	tt_check(x.distinct_summary == x.truth_distinct, "%s: distinct %lld, truth %lld", mode,
		 x.distinct_summary, x.truth_distinct);
	check_windows(&x);
	cli_free(&x.r);
}

static void hot(void)
{
	const char *targs[] = { "hot", "--pages", "1024", "--hot", "96", "--seconds", "0.6",
				"--rate", "4000", NULL };
	struct rate_result x = rate_run(50, NULL, targs);

	tt_check(x.truth_distinct == 96, "hot: truth %lld", x.truth_distinct);
	tt_check(x.distinct_summary == 96, "hot: distinct %lld, want the hot set 96",
		 x.distinct_summary);
	tt_check(x.max_interval <= 96, "hot: an interval with %lld pages, above the hot set",
		 x.max_interval);
	tt_check(x.sum_pages >= 96 && x.sum_pages <= x.truth_writes,
		 "hot: %lld pages in all, %lld writes", x.sum_pages, x.truth_writes);
	check_windows(&x);
	cli_free(&x.r);
}

int main(int argc, char **argv)
{
	const char *steady[] = { "--rate", "5000", NULL };
	const char *bursty[] = { "--burst", "200", NULL };

	cli_find_tool(argc, argv);
	once_each("steady", "1500", steady);
	once_each("bursty", "400", bursty);
	once_each("cold", "4096", NULL);
	hot();
	return 0;
}
