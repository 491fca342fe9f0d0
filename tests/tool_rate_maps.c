/* SPDX-License-Identifier: MIT */
/*
 * How `writewatch rate` accounts pages to mappings, on the tool's own code
 * (tools/rate*.c compiled in) and mappings that exist only in the list the
 * tracking session hands it, never in /proc: every page counts to the
 * watched mapping holding it (so a mapping gone from /proc by the time its
 * pages are accounted still gets them), a run spanning two mappings is
 * split between them, a page outside every watched mapping counts to none,
 * a heap that grows stays one accumulator, and past RATE_MAPS_MAX mappings
 * the pages of the rest count to "[other mappings]", which has no curve:
 * the accumulators stay bounded however many mappings come and go.
 */
#include "tt.h"
#include "../tools/series.c"
#include "../tools/svg.c"
#include "../tools/maps.c"
#include "../tools/track_sorted.c"
#include "../tools/rate_plot.c"
#include "../tools/sampler.c"
#include "../tools/rate_report.c"
#include "../tools/rate.c"

#define BASE 0x100000000000ull  /* far from anything this process maps */

static void open_state(struct rate_state *st)
{
	struct rate_opts o = { .interval_ms = 100, .json = true, .what = "test" };

	tt_ok(rate_init(st, &o, getpid()));
	st->out = tmpfile();
	tt_check(st->out, "tmpfile: %s", strerror(errno));
}

static struct rate_map *acc_at(struct rate_state *st, uint64_t start)
{
	for (size_t i = 0; i < st->nm; i++)
		if (st->m[i].start == start && st->m[i].end > st->m[i].start)
			return &st->m[i];
	return NULL;
}

/* Two neighbours, a run across both, a page outside; then the first grows. */
static void split_and_grow(size_t pg)
{
	uint64_t ranges[2][2] = { { BASE, BASE + 4 * pg }, { BASE + 4 * pg, BASE + 8 * pg } };
	uint64_t runs[2][2] = { { BASE + 2 * pg, BASE + 6 * pg }, { BASE + 20 * pg, BASE + 21 * pg } };
	const char *labels[2] = { "[heap]", "[anon]" };
	struct rate_state st;
	struct rate_map *a, *b;

	open_state(&st);
	tt_ok(rate_set_watched(&st, (const uint64_t (*)[2])ranges, labels, 2));
	tt_ok(rate_interval(&st, 0, 0.1, (const uint64_t (*)[2])runs, 2));
	a = acc_at(&st, BASE);
	b = acc_at(&st, BASE + 4 * pg);
	tt_check(a && b && st.nm == 2, "split: %zu accumulators", st.nm);
	tt_check(a->pages == 2 && b->pages == 2 && a->distinct == 2 && b->distinct == 2,
		 "split: %llu and %llu pages", (unsigned long long)a->pages,
		 (unsigned long long)b->pages);
	/* The heap grows over where the other was: the same accumulator, its end further. */
	ranges[0][1] = BASE + 16 * pg;
	runs[0][0] = BASE + 10 * pg;
	runs[0][1] = BASE + 11 * pg;
	tt_ok(rate_set_watched(&st, (const uint64_t (*)[2])ranges, labels, 1));
	tt_ok(rate_interval(&st, 0.1, 0.2, (const uint64_t (*)[2])runs, 1));
	a = acc_at(&st, BASE);
	tt_check(st.nm == 2 && a->end == BASE + 16 * pg && a->pages == 3 && a->last == 1,
		 "grow: %zu accumulators, end %#llx, %llu pages", st.nm,
		 (unsigned long long)a->end, (unsigned long long)a->pages);
	fclose(st.out);
	rate_free(&st);
}

/* More mappings than RATE_MAPS_MAX, a page written in each. */
static void many(size_t pg)
{
	size_t n = RATE_MAPS_MAX + 8, i, other = n - (RATE_MAPS_MAX - 1);
	uint64_t (*ranges)[2] = calloc(n, sizeof(*ranges));
	const char **labels = calloc(n, sizeof(*labels));
	struct rate_state st;
	struct rate_map *o;
	char *text, want[160];
	long len;

	tt_check(ranges && labels, "calloc");
	for (i = 0; i < n; i++) {
		ranges[i][0] = BASE + 2 * i * pg;
		ranges[i][1] = ranges[i][0] + pg;
		labels[i] = "[anon]";
	}
	open_state(&st);
	tt_ok(rate_set_watched(&st, (const uint64_t (*)[2])ranges, labels, n));
	tt_ok(rate_interval(&st, 0, 0.1, (const uint64_t (*)[2])ranges, n));
	tt_ok(rate_interval(&st, 0.1, 0.2, (const uint64_t (*)[2])ranges, n));
	tt_check(st.nm == RATE_MAPS_MAX, "%zu accumulators, at most %d", st.nm, RATE_MAPS_MAX);
	o = &st.m[RATE_MAPS_MAX - 1];
	tt_check(!strcmp(o->name, "[other mappings]") && o->start == 0 && o->end == 0 &&
		 o->pages == 2 * other && o->distinct == other,
		 "other: %s, %llu pages, %llu distinct; want %zu, %zu", o->name,
		 (unsigned long long)o->pages, (unsigned long long)o->distinct, 2 * other, other);
	for (i = 0; i + 1 < RATE_MAPS_MAX; i++)
		tt_check(st.m[i].pages == 2 && st.m[i].distinct == 1, "mapping %zu: %llu pages", i,
			 (unsigned long long)st.m[i].pages);
	/* The summary: the overflow accumulator is there, with an empty curve. */
	tt_ok(rate_finish(&st));
	len = ftell(st.out);
	rewind(st.out);
	text = calloc(1, (size_t)len + 1);
	tt_check(text && fread(text, 1, (size_t)len, st.out) == (size_t)len, "read back");
	snprintf(want, sizeof(want), "\"name\": \"[other mappings]\", \"written_pages\": %zu, "
		 "\"distinct_pages\": %zu, \"windows\": []", 2 * other, other);
	tt_check(strstr(text, want), "the summary has no %s", want);
	free(text);
	fclose(st.out);
	rate_free(&st);
	free(ranges);
	free(labels);
}

int main(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	split_and_grow(pg);
	many(pg);
	return 0;
}
