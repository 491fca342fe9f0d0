/* SPDX-License-Identifier: MIT */
/* writewatch rate's output: per interval and the summary (see rate.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "rate.h"

#define MiB (1024.0 * 1024.0)
#define TOP 10
#define WINDOWS_MAX 48
#define TOP_CURVES 5            /* mappings with a curve line in the text summary */

static uint64_t distinct_so_far(const struct rate_state *st)
{
	uint64_t d = 0;
	size_t i;

	for (i = 0; i < st->nm; i++)
		d += st->m[i].distinct;
	return d;
}

static const char *label(const struct rate_map *m)
{
	return m->name[0] ? m->name : "[anon]";
}

static uint64_t key_of(const struct rate_map *m, int key)
{
	return key ? m->pages : m->last;
}

size_t rate_busiest(const struct rate_state *st, size_t *idx, size_t max, int key)
{
	size_t i, n = 0, pos;

	for (i = 0; i < st->nm; i++) {
		uint64_t v = key_of(&st->m[i], key);

		if (!v)
			continue;
		if (n < max)
			pos = n++;
		else if (v <= key_of(&st->m[idx[max - 1]], key))
			continue;
		else
			pos = max - 1;
		for (; pos > 0 && key_of(&st->m[idx[pos - 1]], key) < v; pos--)
			idx[pos] = idx[pos - 1];
		idx[pos] = i;
	}
	return n;
}

/* The fields of `writewatch track --json`, then the rates and the sampled estimate. */
static void json_interval(struct rate_state *st)
{
	const struct series_interval *iv = &st->s.newest;
	size_t i = st->s.added - 1;
	double rate = series_newest_rate(&st->s);
	size_t idx[64], n = rate_busiest(st, idx, 64, 0), k;

	fprintf(st->out, "{\"t\":%.9f,\"interval\":%zu,\"dt\":%.9f,\"written_pages\":%" PRIu64
		",\"written_mib\":%.3f,\"distinct_pages\":%" PRIu64 ",\"page_size\":%zu",
		iv->t1, i, iv->t1 - iv->t0, iv->pages, (double)iv->pages * (double)st->page / MiB,
		distinct_so_far(st), st->page);
	fprintf(st->out, ",\"written_pages_per_s\":%.1f,\"written_bytes_per_s\":%.1f", rate,
		rate * (double)st->page);
	if (st->o.sample_per_gib)
		fprintf(st->out, ",\"sampled_pages\":%.1f", st->sampled_pages);
	fprintf(st->out, ",\"mappings\":[");
	for (k = 0; k < n; k++) {
		const struct rate_map *m = &st->m[idx[k]];

		fprintf(st->out, "%s{\"name\":", k ? "," : "");
		wb_json_str(st->out, m->name);
		fprintf(st->out, ",\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
			"\",\"written_pages\":%" PRIu64 ",\"distinct_pages\":%" PRIu64 "}", m->start,
			m->end, m->last, m->distinct);
	}
	fprintf(st->out, "]}\n");
}

static void tty_view(struct rate_state *st)
{
	const struct series_interval *iv = &st->s.newest;
	double rate = series_newest_rate(&st->s) * (double)st->page / MiB;
	double peak = st->s.peak * (double)st->page / MiB;
	size_t idx[TOP], n = rate_busiest(st, idx, TOP, 0), k;
	uint64_t d = distinct_so_far(st);

	/* Home, clear: the view redraws in place. */
	fprintf(st->out, "\033[H\033[J");
	fprintf(st->out, "writewatch rate: %s   %.1f s, interval %d ms\n\n", st->o.what, iv->t1,
		st->o.interval_ms);
	fprintf(st->out, "  written now   %10.2f MiB/s   (%" PRIu64 " pages in %.3f s)\n", rate,
		iv->pages, iv->t1 - iv->t0);
	fprintf(st->out, "  peak          %10.2f MiB/s\n", peak);
	fprintf(st->out, "  distinct      %10.2f MiB     (%" PRIu64 " pages since the start)\n",
		(double)d * (double)st->page / MiB, d);
	if (st->o.sample_per_gib && st->sampled_pages >= 0)
		fprintf(st->out, "  sampled est.  %10.2f MiB/s   (%u pages/GiB, QEMU-style)\n",
			st->sampled_pages * (double)st->page / MiB / (iv->t1 - iv->t0),
			st->o.sample_per_gib);
	fprintf(st->out, "\n  %10s %12s %12s  %s\n", "pages now", "pages total", "distinct",
		"mapping");
	for (k = 0; k < n; k++) {
		const struct rate_map *m = &st->m[idx[k]];

		fprintf(st->out, "  %10" PRIu64 " %12" PRIu64 " %12" PRIu64 "  %s\n", m->last,
			m->pages, m->distinct, label(m));
	}
}

void rate_report_interval(struct rate_state *st)
{
	const struct series_interval *iv = &st->s.newest;
	size_t idx[1];

	if (st->o.json) {
		json_interval(st);
	} else if (st->tty) {
		tty_view(st);
	} else {
		fprintf(st->out, "%9.3f s %9" PRIu64 " pages %10.2f MiB/s  distinct %" PRIu64,
			iv->t1, iv->pages, series_newest_rate(&st->s) * (double)st->page / MiB,
			distinct_so_far(st));
		if (st->o.sample_per_gib && st->sampled_pages >= 0)
			fprintf(st->out, "  sampled %.0f", st->sampled_pages);
		if (rate_busiest(st, idx, 1, 0))
			fprintf(st->out, "  top %s", label(&st->m[idx[0]]));
		fputc('\n', st->out);
	}
	fflush(st->out);
}

struct summary {
	uint64_t pages;                 /* sum over the intervals */
	double seconds, mean, peak;     /* pages per second */
	struct series_window w[WINDOWS_MAX];
	int nw, rounds;
	double left;                    /* bytes, when a link was given */
};

static void summarize(const struct rate_state *st, struct summary *x)
{
	memset(x, 0, sizeof(*x));
	x->pages = st->s.pages;
	x->peak = st->s.peak;
	if (st->s.n)
		x->seconds = st->s.iv[st->s.n - 1].t1 - st->s.iv[0].t0;
	x->mean = x->seconds > 0 ? (double)x->pages / x->seconds : 0;
	x->nw = series_windows(&st->s, x->w, WINDOWS_MAX);
	if (x->nw < 0)
		x->nw = 0;
	if (st->o.link_mbps > 0)
		x->left = series_left_to_copy(x->w, (size_t)x->nw, st->page,
					      (double)st->resident_bytes, st->o.link_mbps * 1e6 / 8,
					      30, &x->rounds);
}

/* A window curve as JSON: the same fields for the whole process and for each mapping. */
static void json_windows(FILE *f, const struct series_window *w, int nw, size_t page)
{
	int i;

	fprintf(f, "[");
	for (i = 0; i < nw; i++)
		fprintf(f, "%s{\"seconds\": %.6f, \"intervals\": %zu, \"windows\": %zu"
			", \"max_pages\": %" PRIu64 ", \"mean_pages\": %.1f, \"max_bytes\": %" PRIu64 "}",
			i ? ", " : "", w[i].seconds, w[i].intervals, w[i].count, w[i].max_pages,
			w[i].mean_pages, w[i].max_pages * page);
	fprintf(f, "]");
}

/* The curve of mapping m (none for the overflow accumulator, which has no range). */
static int map_windows(const struct rate_state *st, const struct rate_map *m,
		       struct series_window *w)
{
	int n;

	if (m->end <= m->start)
		return 0;
	n = series_windows_in(&st->s, m->start / st->page, m->end / st->page, w, WINDOWS_MAX);
	return n < 0 ? 0 : n;
}

static void json_summary(struct rate_state *st, const struct summary *x)
{
	struct series_window w[WINDOWS_MAX];
	size_t idx[64], n = rate_busiest(st, idx, 64, 1), k;

	fprintf(st->out, "{\"summary\": {\"intervals\": %zu, \"seconds\": %.6f, \"page_size\": %zu"
		", \"written_pages\": %" PRIu64 ", \"written_pages_per_s\": %.1f, \"written_bytes_per_s\": %.1f"
		", \"peak_written_bytes_per_s\": %.1f, \"resident_bytes\": %" PRIu64 ", \"windows\": ",
		st->s.added, x->seconds, st->page, x->pages, x->mean, x->mean * (double)st->page,
		x->peak * (double)st->page, st->resident_bytes);
	json_windows(st->out, x->w, x->nw, st->page);
	if (st->o.link_mbps > 0)
		fprintf(st->out, ", \"link_mbps\": %.3f, \"precopy_rounds\": %d"
			", \"left_to_copy_bytes\": %.0f", st->o.link_mbps, x->rounds, x->left);
	fprintf(st->out, ", \"mappings\": [");
	for (k = 0; k < n; k++) {
		const struct rate_map *m = &st->m[idx[k]];

		fprintf(st->out, "%s{\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
			"\", \"name\": ", k ? ", " : "", m->start, m->end);
		wb_json_str(st->out, m->name);
		fprintf(st->out, ", \"written_pages\": %" PRIu64 ", \"distinct_pages\": %" PRIu64
			", \"windows\": ", m->pages, m->distinct);
		json_windows(st->out, w, map_windows(st, m, w), st->page);
		fprintf(st->out, "}");
	}
	fprintf(st->out, "]}}\n");
}

/* One compact line per busiest mapping: its busiest window's pages at each window length. */
static void text_map_curves(struct rate_state *st, const struct summary *x, const size_t *idx,
			    size_t n)
{
	struct series_window w[WINDOWS_MAX];
	size_t k;
	int i, nw;

	if (!n || x->nw <= 0)
		return;
	fprintf(st->out, "distinct pages in the busiest window, by mapping; windows of");
	for (i = 0; i < x->nw; i++)
		fprintf(st->out, " %.4g", x->w[i].seconds);
	fprintf(st->out, " s:\n");
	for (k = 0; k < n; k++) {
		const struct rate_map *m = &st->m[idx[k]];

		nw = map_windows(st, m, w);
		if (!nw)
			continue;
		fprintf(st->out, "  %-24.24s %#14" PRIx64 " ", label(m), m->start);
		for (i = 0; i < nw; i++)
			fprintf(st->out, " %" PRIu64, w[i].max_pages);
		fputc('\n', st->out);
	}
}

static void text_summary(struct rate_state *st, const struct summary *x)
{
	size_t idx[TOP], n = rate_busiest(st, idx, TOP, 1), k;
	double pg = (double)st->page;
	int i;

	fprintf(st->out, "\n%s: %zu intervals over %.2f s; written %.2f MiB/s on average, "
		"%.2f MiB/s at the peak\n", st->o.what, st->s.added, x->seconds, x->mean * pg / MiB,
		x->peak * pg / MiB);
	fprintf(st->out, "distinct pages written in a window (busiest / mean window):\n");
	for (i = 0; i < x->nw; i++)
		fprintf(st->out, "  %8.2f s  %10" PRIu64 " pages  %10.2f MiB  (mean %.2f MiB over %zu)\n",
			x->w[i].seconds, x->w[i].max_pages, (double)x->w[i].max_pages * pg / MiB,
			x->w[i].mean_pages * pg / MiB, x->w[i].count);
	if (st->o.link_mbps > 0)
		fprintf(st->out, "pre-copy over %.0f Mbit/s of %.2f MiB resident: %.2f MiB left after "
			"%d rounds\n", st->o.link_mbps, (double)st->resident_bytes / MiB,
			x->left / MiB, x->rounds);
	fprintf(st->out, "by mapping (pages written, distinct):\n");
	for (k = 0; k < n; k++)
		fprintf(st->out, "  %10" PRIu64 " %10" PRIu64 "  %s\n", st->m[idx[k]].pages,
			st->m[idx[k]].distinct, label(&st->m[idx[k]]));
	text_map_curves(st, x, idx, n < TOP_CURVES ? n : TOP_CURVES);
}

void rate_report_summary(struct rate_state *st)
{
	struct summary x;

	summarize(st, &x);
	if (st->o.json)
		json_summary(st, &x);
	else
		text_summary(st, &x);
	fflush(st->out);
}
