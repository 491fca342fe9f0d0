/* SPDX-License-Identifier: MIT */
/*
 * The figures and pictures of `writewatch rate` from known schedules, on
 * the tool's own code (tools/series.c, svg.c, rate_plot.c, maps.c compiled
 * in): per-interval rates, distinct pages over 1, 2, 4 s windows and the
 * whole run for a steady writer, a hot set rewritten, bursts and a sweep
 * with runs that touch; iterative pre-copy's leftover at a link twice as
 * fast as the writes (halves each round) and slower than them (no
 * progress); bad input refused; the three SVG pictures and the combined
 * one are well-formed XML, the heatmap has a band per written mapping and
 * none for the address space between them, the windows picture a curve per
 * mapping given.  A mapping's curve (the series clipped to its pages) on
 * three mappings written on known schedules at once: a sweep, a hot set and
 * bursts, one run crossing from one mapping into the next.  A long run
 * stays bounded: past its interval cap or run budget the series merges
 * neighbours, and its curve stays exact for the windows it still shows.
 */
#include <sys/stat.h>

#include "tt.h"
#include "xml_check.h"
#include "../tools/series.c"
#include "../tools/svg.c"
#include "../tools/maps.c"
#include "../tools/track_sorted.c"
#include "../tools/rate_plot.c"

#define PG 4096

/* Interval i of 0.5 s writing pages [a, b) (page numbers) and, if c < d, [c, d). */
static void add(struct series *s, int i, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t runs[2][2] = { { a * PG, b * PG }, { c * PG, d * PG } };

	tt_ok(series_add(s, i * 0.5, (i + 1) * 0.5, runs, c < d ? 2 : (a < b ? 1 : 0)));
}

static void check_window(const struct series_window *w, double secs, size_t k, size_t count,
			 uint64_t max, double mean)
{
	tt_check(w->seconds == secs && w->intervals == k && w->count == count &&
		 w->max_pages == max && w->mean_pages == mean,
		 "window %.1f s: got %.2f s, %zu intervals, %zu windows, max %llu, mean %.2f; want "
		 "%.1f s, %zu, %zu, %llu, %.2f", secs, w->seconds, w->intervals, w->count,
		 (unsigned long long)w->max_pages, w->mean_pages, secs, k, count,
		 (unsigned long long)max, mean);
}

/* 10 intervals of 0.5 s, 100 new pages each: 200 pages/s, distinct grows linearly. */
static void steady(struct series *s)
{
	struct series_window w[16];
	int i, rounds;

	series_init(s, PG);
	for (i = 0; i < 10; i++)
		add(s, i, 100 * i, 100 * (i + 1), 0, 0);
	for (i = 0; i < 10; i++)
		tt_check(series_rate(s, i) == 200, "steady: rate %d = %f", i, series_rate(s, i));
	tt_ret(series_windows(s, w, 16), 4);
	check_window(&w[0], 1, 2, 5, 200, 200);
	check_window(&w[1], 2, 4, 2, 400, 400);
	check_window(&w[2], 4, 8, 1, 800, 800);
	check_window(&w[3], 5, 10, 1, 1000, 1000);
	/* A link twice the write rate: each round leaves half the last. */
	tt_check(series_left_to_copy(w, 4, PG, 1000.0 * PG, 400.0 * PG, 5, &rounds) ==
		 1000.0 * PG / 32 && rounds == 5, "steady: pre-copy at 2x does not halve");
	/* A link slower than the writes: the second round would copy more, so it stops. */
	tt_check(series_left_to_copy(w, 4, PG, 100.0 * PG, 100.0 * PG, 30, &rounds) ==
		 100.0 * PG && rounds == 1, "steady: pre-copy at 1/2x made progress");
}

/* The same 50 pages every interval: every window sees 50. */
static void hot(struct series *s)
{
	struct series_window w[16];
	int i, n;

	series_init(s, PG);
	for (i = 0; i < 8; i++)
		add(s, i, 1000, 1050, 0, 0);
	n = series_windows(s, w, 16);
	tt_ret(n, 3);
	check_window(&w[0], 1, 2, 4, 50, 50);
	check_window(&w[1], 2, 4, 2, 50, 50);
	check_window(&w[2], 4, 8, 1, 50, 50);
	tt_ret(series_distinct(s, 0, 8), 50);
}

/* Bursts of 300 new pages every other interval, two runs that touch merged into one. */
static void bursty(struct series *s)
{
	struct series_window w[16];
	int i;

	series_init(s, PG);
	for (i = 0; i < 8; i++)
		if (i % 2)
			add(s, i, 0, 0, 0, 0);
		else
			add(s, i, 300 * i, 300 * i + 100, 300 * i + 100, 300 * i + 300);
	tt_ret(s->iv[0].nruns, 1);
	tt_check(series_rate(s, 0) == 600 && series_rate(s, 1) == 0, "bursty: rates");
	tt_ret(series_windows(s, w, 16), 3);
	check_window(&w[0], 1, 2, 4, 300, 300);
	check_window(&w[1], 2, 4, 2, 600, 600);
	check_window(&w[2], 4, 8, 1, 1200, 1200);
	/* Overlap across intervals counts once: a page in [0, 10) twice is still 10. */
	series_free(s);
	series_init(s, PG);
	add(s, 0, 0, 10, 20, 30);
	add(s, 1, 5, 25, 0, 0);
	tt_ret(series_distinct(s, 0, 2), 30);
}

/*
 * Three mappings at once, 8 intervals of 0.5 s: A = pages [0, 800) swept
 * 100 an interval, B = [800, 900) with a hot set of 40 rewritten in every
 * interval, C = [2000, 3000) a burst of 200 new pages every other
 * interval.  In the last interval A's pages and B's are one run.
 */
static void per_mapping(struct series *s)
{
	struct series_window w[16];
	int i;

	series_init(s, PG);
	for (i = 0; i < 8; i++) {
		uint64_t r[3][2] = { { 100 * i * PG, (100 * i + 100) * PG }, { 800 * PG, 840 * PG },
				     { (2000 + 100 * i) * PG, (2200 + 100 * i) * PG } };

		tt_ok(series_add(s, i * 0.5, (i + 1) * 0.5, r, i % 2 ? 2 : 3));
	}
	tt_ret(s->iv[7].nruns, 1);
	/* The busiest windows of 1, 2 and 4 s (2, 4, 8 intervals; 4, 2, 1 windows) of A, B, C. */
	for (i = 0; i < 3; i++) {
		static const uint64_t lo[3] = { 0, 800, 2000 }, hi[3] = { 800, 900, 3000 };
		static const uint64_t want[3][3] = { { 200, 400, 800 }, { 40, 40, 40 },
						     { 200, 400, 800 } };

		tt_ret(series_windows_in(s, lo[i], hi[i], w, 16), 3);
		for (size_t j = 0; j < 3; j++)
			check_window(&w[j], 1 << j, 2 << j, 4 >> j, want[i][j], (double)want[i][j]);
	}
	/* Nothing between them; the whole process is their sum (disjoint mappings). */
	tt_ret(series_windows_in(s, 900, 2000, w, 16), 3);
	check_window(&w[2], 4, 8, 1, 0, 0);
	tt_ret(series_windows(s, w, 16), 3);
	check_window(&w[1], 2, 4, 2, 840, 840);
	/* Clipped inside a run: half of B's hot set. */
	tt_ret(series_distinct_in(s, 0, 8, 820, 900), 20);
}

/* A run with more intervals than the cap: pairs merge, the curve stays exact. */
static void bounded(struct series *s)
{
	struct series_window w[16];
	int i;

	series_init(s, PG);
	s->max_intervals = 4;
	for (i = 0; i < 10; i++)
		add(s, i, 100 * i, 100 * (i + 1), 0, 0);
	/* 10 intervals of 0.5 s in at most 4: halved twice, 4 added in each stored but the last. */
	tt_check(s->n <= 4 && s->added == 10 && s->pages == 1000 && s->peak == 200,
		 "bounded: %zu stored, %zu added, %llu pages, peak %.1f", s->n, s->added,
		 (unsigned long long)s->pages, s->peak);
	tt_check(s->per == 4 && s->n == 3 && s->iv[2].t0 == 4 && s->iv[2].t1 == 5,
		 "bounded: per %zu, n %zu", s->per, s->n);
	tt_ret(series_distinct(s, 0, s->n), 1000);
	/* Stored 2, 2 and 1 s long: windows of one (2 s), two (4 s) and the run. */
	tt_ret(series_windows(s, w, 16), 3);
	check_window(&w[0], 2, 4, 3, 400, 1000.0 / 3);
	check_window(&w[1], 4, 8, 1, 800, 800);
	check_window(&w[2], 5, 10, 1, 1000, 1000);
	series_free(s);
	/* A budget of 8 runs: disjoint pages (a run each) merge until they fit. */
	series_init(s, PG);
	s->budget_runs = 8;
	for (i = 0; i < 8; i++) {
		uint64_t r[3][2] = { { (10 * i) * PG, (10 * i + 1) * PG },
				     { (10 * i + 3) * PG, (10 * i + 4) * PG },
				     { (10 * i + 6) * PG, (10 * i + 7) * PG } };

		tt_ok(series_add(s, i, i + 1, r, 3));
		tt_check(s->nruns <= 8 || s->n == 1, "bounded: %zu runs stored", s->nruns);
	}
	tt_ret(series_distinct(s, 0, s->n), 24);
	tt_check(s->pages == 24 && s->added == 8, "bounded: %llu pages",
		 (unsigned long long)s->pages);
}

static void bad_input(void)
{
	struct series s;
	uint64_t down[2][2] = { { 8 * PG, 9 * PG }, { 2 * PG, 3 * PG } };

	series_init(&s, PG);
	tt_ret(series_add(&s, 1, 0.5, NULL, 0), -EINVAL);
	tt_ret(series_add(&s, 0, 1, down, 2), -EINVAL);
	tt_ok(series_add(&s, 0, 1, NULL, 0));
	tt_ret(series_add(&s, 0.5, 2, NULL, 0), -EINVAL);
	series_free(&s);
}

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

/* Two mappings 1 TiB apart written over 12 intervals; a third never written. */
static void pictures(void)
{
	struct tool_map v[3] = {
		{ 0x10000000, 0x10000000 + 512 * PG, "rw-p", (char *)"[heap]" },
		{ 0x20000000, 0x20000000 + 64 * PG, "rw-p", (char *)"/never <written> & co" },
		{ 0x10010000000, 0x10010000000 + 4096 * PG, "rw-p", (char *)"" },
	};
	struct tool_maps m = { v, 3 };
	const uint64_t a = 0x10000000 / PG, b = 0x10010000000 / PG;
	struct rate_plot_info pi = { .what = "test \"target\" <1>", .link_bytes_per_s = 2e6,
				     .curves = { { "[heap] at 0x10000000", a, a + 512 },
						 { "[anon] at 0x10010000000", b, b + 4096 } },
				     .ncurves = 2 };
	char dir[] = "/tmp/tool_series.XXXXXX", path[64];
	const char *names[] = { "rate.svg", "heatmap.svg", "windows.svg", "all.svg" };
	struct series s;
	char *text;
	int i;

	series_init(&s, PG);
	for (i = 0; i < 12; i++)
		add(&s, i, a + 10 * i, a + 10 * i + 10, b + 100 * i, b + 100 * i + 50);
	tt_check(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	tt_ok(plot_all(dir, &s, &m, &pi));
	snprintf(path, sizeof(path), "%s/all.svg", dir);
	tt_ok(plot_one_file(path, &s, &m, &pi));
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		text = tt_slurp(path);
		tt_check(xml_well_formed(text, "svg"), "%s is not well-formed XML", names[i]);
		tt_check(strstr(text, "test &quot;target&quot; &lt;1&gt;"),
			 "%s: the title is not escaped", names[i]);
		if (i == 1) {
			/* A band for each written mapping, none for the one never written. */
			tt_check(strstr(text, ">[heap]<") && strstr(text, ">[anon]<") &&
				 !strstr(text, "never"), "heatmap bands:\n%s", text);
			tt_ret(occurrences(text, "KiB</text>"), 2);
		}
		if (i == 2) {   /* busiest, mean, a curve per mapping and the link line */
			tt_ret(occurrences(text, "<polyline"), 5);
			tt_check(strstr(text, ">[heap] at 0x10000000<"), "windows: no [heap] curve");
		}
		free(text);
		unlink(path);
	}
	rmdir(dir);
	series_free(&s);
	/* A file that cannot be created is an error, not a crash. */
	tt_check(plot_rate("/nonexistent/dir/rate.svg", &s, &pi) < 0, "plot into nowhere");
}

int main(void)
{
	struct series s;

	steady(&s);
	series_free(&s);
	hot(&s);
	series_free(&s);
	bursty(&s);
	series_free(&s);
	per_mapping(&s);
	series_free(&s);
	bounded(&s);
	series_free(&s);
	bad_input();
	pictures();
	return 0;
}
