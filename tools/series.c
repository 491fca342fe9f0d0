/* SPDX-License-Identifier: MIT */
/* writewatch rate's figures (see series.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"

void series_init(struct series *s, size_t page)
{
	memset(s, 0, sizeof(*s));
	s->page = page;
}

void series_free(struct series *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->iv[i].runs);
	free(s->iv);
	memset(s, 0, sizeof(*s));
}

int series_add(struct series *s, double t0, double t1, const uint64_t (*runs)[2], size_t n)
{
	struct series_interval *iv;
	size_t i, k = 0;

	if (t1 < t0 || (s->n && t0 < s->iv[s->n - 1].t1))
		return -EINVAL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		iv = realloc(s->iv, cap * sizeof(*iv));
		if (!iv)
			return -ENOMEM;
		s->iv = iv;
		s->cap = cap;
	}
	iv = &s->iv[s->n];
	memset(iv, 0, sizeof(*iv));
	iv->t0 = t0;
	iv->t1 = t1;
	iv->runs = n ? malloc(n * sizeof(*iv->runs)) : NULL;
	if (n && !iv->runs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t a = runs[i][0] / s->page, b = (runs[i][1] + s->page - 1) / s->page;

		if (b <= a)
			continue;
		if (k && a < iv->runs[k - 1].end) {
			free(iv->runs);
			return -EINVAL;         /* not ascending */
		}
		if (k && a == iv->runs[k - 1].end)
			iv->runs[k - 1].end = b;
		else
			iv->runs[k++] = (struct series_run){ a, b };
		iv->pages += b - a;
	}
	iv->nruns = k;
	s->n++;
	return 0;
}

double series_rate(const struct series *s, size_t i)
{
	double dt = s->iv[i].t1 - s->iv[i].t0;

	return dt > 0 ? (double)s->iv[i].pages / dt : 0;
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

uint64_t series_distinct(const struct series *s, size_t i, size_t j)
{
	struct series_run *acc = NULL, *tmp;
	size_t n = 0, x;
	uint64_t pages = 0;

	for (x = i; x < j && x < s->n; x++) {
		const struct series_interval *iv = &s->iv[x];

		tmp = malloc((n + iv->nruns + 1) * sizeof(*tmp));
		if (!tmp) {
			free(acc);
			return 0;
		}
		n = series_union(acc, n, iv->runs, iv->nruns, tmp, &pages);
		free(acc);
		acc = tmp;
	}
	free(acc);
	return pages;
}

/* One window length of k intervals: distinct pages of each aligned window. */
static void window_of(const struct series *s, size_t k, struct series_window *w)
{
	double sum = 0;
	size_t i;

	w->intervals = k;
	w->count = s->n / k;
	w->max_pages = 0;
	for (i = 0; i + k <= s->n; i += k) {
		uint64_t d = series_distinct(s, i, i + k);

		sum += (double)d;
		if (d > w->max_pages)
			w->max_pages = d;
	}
	w->mean_pages = w->count ? sum / (double)w->count : 0;
	w->seconds = w->count ? (s->iv[k - 1].t1 - s->iv[0].t0) : 0;
}

int series_windows(const struct series *s, struct series_window *w, size_t max)
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
		window_of(s, k, &w[nw++]);
		last = k;
	}
	window_of(s, s->n, &w[nw++]);
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
