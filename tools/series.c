/* SPDX-License-Identifier: MIT */
/* writewatch rate's figures (see series.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"
#include "track_sorted.h"

void series_init(struct series *s, size_t page)
{
	memset(s, 0, sizeof(*s));
	s->page = page;
	s->per = 1;
	s->max_intervals = SERIES_MAX_INTERVALS;
	s->budget_runs = SERIES_BUDGET_RUNS;
}

void series_free(struct series *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->iv[i].runs);
	free(s->iv);
	free(s->newest.runs);
	memset(s, 0, sizeof(*s));
}

/* The byte runs as ascending, merged page-number runs into s->newest. */
static int newest_of(struct series *s, double t0, double t1, const uint64_t (*runs)[2], size_t n)
{
	struct series_interval *iv = &s->newest;
	size_t i, k = 0;

	if (n > s->newest_cap) {
		struct series_run *r = realloc(iv->runs, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		iv->runs = r;
		s->newest_cap = n;
	}
	iv->pages = 0;
	for (i = 0; i < n; i++) {
		uint64_t a = runs[i][0] / s->page, b = (runs[i][1] + s->page - 1) / s->page;

		if (b <= a)
			continue;
		if (k && a < iv->runs[k - 1].end)
			return -EINVAL;         /* not ascending */
		if (k && a == iv->runs[k - 1].end)
			iv->runs[k - 1].end = b;
		else
			iv->runs[k++] = (struct series_run){ a, b };
		iv->pages += b - a;
	}
	iv->nruns = k;
	iv->t0 = t0;            /* last: a refused interval leaves the times as they were */
	iv->t1 = t1;
	return 0;
}

/* into = into + from (from is after it in time): union of the runs, the pages summed. */
static int merge_into(struct series *s, struct series_interval *into,
		      const struct series_interval *from)
{
	struct series_run *u = malloc((into->nruns + from->nruns + 1) * sizeof(*u));
	uint64_t distinct;
	size_t k;

	if (!u)
		return -ENOMEM;
	k = series_union(into->runs, into->nruns, from->runs, from->nruns, u, &distinct);
	s->nruns += k;
	s->nruns -= into->nruns;
	free(into->runs);
	into->runs = u;
	into->nruns = k;
	into->t1 = from->t1;
	into->pages += from->pages;     /* the pages as reported: the rate keeps its meaning */
	return 0;
}

/* Merge neighbours pairwise: half the stored intervals, each twice as long. */
static int halve(struct series *s)
{
	size_t i, n = 0;
	int ret;

	for (i = 0; i < s->n; i += 2) {
		if (i + 1 < s->n) {
			ret = merge_into(s, &s->iv[i], &s->iv[i + 1]);
			if (ret)
				return ret;
			s->nruns -= s->iv[i + 1].nruns;
			free(s->iv[i + 1].runs);
		}
		s->iv[n++] = s->iv[i];
	}
	/* The last one: a full pair, or alone (then as filled as it was). */
	if (s->n % 2 == 0)
		s->fill += s->per;
	s->n = n;
	s->per *= 2;
	return 0;
}

/* A new stored interval holding a copy of s->newest. */
static int append_newest(struct series *s)
{
	struct series_interval *iv;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		iv = realloc(s->iv, cap * sizeof(*iv));
		if (!iv)
			return -ENOMEM;
		s->iv = iv;
		s->cap = cap;
	}
	iv = &s->iv[s->n];
	*iv = s->newest;
	iv->runs = malloc((iv->nruns + 1) * sizeof(*iv->runs));
	if (!iv->runs)
		return -ENOMEM;
	memcpy(iv->runs, s->newest.runs, iv->nruns * sizeof(*iv->runs));
	s->nruns += iv->nruns;
	s->n++;
	s->fill = 1;
	return 0;
}

int series_add(struct series *s, double t0, double t1, const uint64_t (*runs)[2], size_t n)
{
	int ret;

	if (t1 < t0 || (s->added && t0 < s->newest.t1))
		return -EINVAL;
	ret = newest_of(s, t0, t1, runs, n);
	if (ret)
		return ret;
	if (s->n && s->fill == s->per && s->n >= s->max_intervals && (ret = halve(s)))
		return ret;
	if (s->n && s->fill < s->per) {
		ret = merge_into(s, &s->iv[s->n - 1], &s->newest);
		s->fill++;
	} else {
		ret = append_newest(s);
	}
	while (!ret && s->n > 1 && s->nruns > s->budget_runs)
		ret = halve(s);
	if (ret)
		return ret;
	s->added++;
	s->pages += s->newest.pages;
	if (series_newest_rate(s) > s->peak)
		s->peak = series_newest_rate(s);
	return 0;
}

static double rate_of(const struct series_interval *iv)
{
	double dt = iv->t1 - iv->t0;

	return dt > 0 ? (double)iv->pages / dt : 0;
}

double series_rate(const struct series *s, size_t i)
{
	return rate_of(&s->iv[i]);
}

double series_newest_rate(const struct series *s)
{
	return rate_of(&s->newest);
}

size_t series_union(const struct series_run *a, size_t na, const struct series_run *b,
		    size_t nb, struct series_run *out, uint64_t *pages)
{
	size_t i = 0, j = 0, k = 0;

	*pages = 0;
	while (i < na || j < nb) {
		struct series_run r = (j >= nb || (i < na && a[i].start <= b[j].start)) ?
				      a[i++] : b[j++];

		if (k && r.start <= out[k - 1].end) {
			if (r.end > out[k - 1].end) {
				*pages += r.end - out[k - 1].end;
				out[k - 1].end = r.end;
			}
		} else {
			out[k++] = r;
			*pages += r.end - r.start;
		}
	}
	return k;
}

/* Index of the first run of iv ending after x. */
static size_t first_after(const struct series_interval *iv, uint64_t x)
{
	return track_first_ending_after(iv->runs, iv->nruns, sizeof(*iv->runs),
					offsetof(struct series_run, end), x);
}

uint64_t series_distinct_in(const struct series *s, size_t i, size_t j, uint64_t lo,
			    uint64_t hi)
{
	struct series_run *acc = NULL, *tmp, *part;
	size_t n = 0, x, a, b, k;
	uint64_t pages = 0;

	for (x = i; x < j && x < s->n; x++) {
		const struct series_interval *iv = &s->iv[x];

		/* Only the runs that overlap [lo, hi): a small mapping costs its own runs. */
		a = first_after(iv, lo);
		b = hi ? first_after(iv, hi - 1) : 0;
		b = b < iv->nruns && iv->runs[b].start < hi ? b + 1 : b;
		if (b <= a)
			continue;
		tmp = malloc((n + 2 * (b - a)) * sizeof(*tmp));
		if (!tmp) {
			free(acc);
			return 0;
		}
		part = tmp + n + (b - a);
		for (k = 0; a < b; a++, k++) {
			struct series_run r = iv->runs[a];

			part[k] = (struct series_run){ r.start > lo ? r.start : lo,
						       r.end < hi ? r.end : hi };
		}
		n = series_union(acc, n, part, k, tmp, &pages);
		free(acc);
		acc = tmp;
	}
	free(acc);
	return pages;
}

uint64_t series_distinct(const struct series *s, size_t i, size_t j)
{
	return series_distinct_in(s, i, j, 0, UINT64_MAX);
}

/* One window length of k intervals: distinct pages of each aligned window. */
static void window_of(const struct series *s, size_t k, uint64_t lo, uint64_t hi,
		      struct series_window *w)
{
	double sum = 0;
	size_t i;

	/* In intervals as added (each stored one holds per of them; the run: all). */
	w->intervals = k == s->n ? s->added : k * s->per;
	w->count = s->n / k;
	w->max_pages = 0;
	for (i = 0; i + k <= s->n; i += k) {
		uint64_t d = series_distinct_in(s, i, i + k, lo, hi);

		sum += (double)d;
		if (d > w->max_pages)
			w->max_pages = d;
	}
	w->mean_pages = w->count ? sum / (double)w->count : 0;
	w->seconds = w->count ? (s->iv[k - 1].t1 - s->iv[0].t0) : 0;
}

int series_windows(const struct series *s, struct series_window *w, size_t max)
{
	return series_windows_in(s, 0, UINT64_MAX, w, max);
}

int series_windows_in(const struct series *s, uint64_t lo, uint64_t hi,
		      struct series_window *w, size_t max)
{
	double run, per;
	size_t nw = 0, k, last = 0;
	double secs;

	if (!s->n || !max)
		return 0;
	run = s->iv[s->n - 1].t1 - s->iv[0].t0;
	per = run / (double)s->n;               /* the mean interval */
	for (secs = 1; nw + 1 < max; secs *= 2) {
		/* Whole intervals, rounded up unless within 5% (intervals run a little short or long). */
		k = per > 0 ? (size_t)(secs / per + 0.95) : 1;
		if (k < 1)
			k = 1;
		if (k >= s->n)
			break;
		if (k == last)
			continue;       /* a window shorter than one interval */
		window_of(s, k, lo, hi, &w[nw++]);
		last = k;
	}
	window_of(s, s->n, lo, hi, &w[nw++]);
	w[nw - 1].seconds = run;
	return (int)nw;
}

/* Distinct bytes written in t seconds, read off the curve (see series.h). */
static double curve_at(const struct series_window *w, size_t nw, size_t page, double t)
{
	size_t i;

	if (!nw)
		return 0;
	if (t <= w[0].seconds)
		return w[0].seconds > 0 ? (double)w[0].max_pages * page * t / w[0].seconds : 0;
	for (i = 1; i < nw; i++) {
		if (t <= w[i].seconds) {
			double f = (t - w[i - 1].seconds) / (w[i].seconds - w[i - 1].seconds);

			return page * ((double)w[i - 1].max_pages +
				       f * ((double)w[i].max_pages - (double)w[i - 1].max_pages));
		}
	}
	return (double)w[nw - 1].max_pages * page;
}

double series_left_to_copy(const struct series_window *w, size_t nw, size_t page,
			   double total, double bytes_per_s, int max_rounds, int *rounds)
{
	double left = total;
	int r = 0;

	while (r < max_rounds && bytes_per_s > 0) {
		double next = curve_at(w, nw, page, left / bytes_per_s);

		r++;
		if (next >= left)
			break;          /* the writes outrun the link: no more progress */
		left = next;
		if (left < (double)page)
			break;          /* converged: less than a page left */
	}
	if (rounds)
		*rounds = r;
	return left;
}
