/* SPDX-License-Identifier: MIT */
/* writewatch rate's pictures (see rate_plot.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rate_plot.h"
#include "svg.h"

#define W 900.0
#define PANEL 330.0
#define MiB (1024.0 * 1024.0)
#define WINDOWS_MAX 48
#define LEGEND_W 250.0

/* MiB/s written per interval, over time. */
static void draw_rate(struct svg *s, double top, const struct series *se,
		      const struct rate_plot_info *pi)
{
	struct svg_chart c = { s, 80, top + 40, W - 110, PANEL - 100, 0, 1, 0, 1, false, false,
			       false };
	double *x = calloc(se->n * 2 + 1, sizeof(double)), *y = calloc(se->n * 2 + 1, sizeof(double));
	double ymax = 0;
	size_t i, k = 0;
	char title[256];

	if (!x || !y || !se->n)
		goto out;
	for (i = 0; i < se->n; i++) {
		double v = series_rate(se, i) * (double)se->page / MiB;

		/* A step per interval: the figure holds for the whole interval. */
		x[k] = se->iv[i].t0;
		y[k++] = v;
		x[k] = se->iv[i].t1;
		y[k++] = v;
		if (v > ymax)
			ymax = v;
	}
	c.x0 = se->iv[0].t0;
	c.x1 = se->iv[se->n - 1].t1;
	c.y1 = svg_nice(ymax * 1.05);
	snprintf(title, sizeof(title), "Write rate of %s (exact, per %.0f ms interval)", pi->what,
		 (c.x1 - c.x0) / (double)se->n * 1000);
	svg_axes(&c, title, "time (s)", "MiB written per second");
	svg_polyline(&c, x, y, k, "#c0392b", 1.8, false);
out:
	free(x);
	free(y);
}

/* A mapping's share of the heatmap: the span of its pages that were ever written. */
struct band {
	uint64_t lo, hi;                /* page numbers, [lo, hi) */
	const char *label;
	double y, h;                    /* pixels */
};

/* The written span of every mapping with writes (pages outside every mapping: one more band). */
static size_t bands_of(const struct series *se, const struct tool_maps *m, struct band *b,
		       size_t max)
{
	size_t i, r, n = 0;

	for (i = 0; i < se->n; i++) {
		for (r = 0; r < se->iv[i].nruns; r++) {
			const struct series_run *run = &se->iv[i].runs[r];
			long k = tool_maps_find(m, run->start * se->page);
			uint64_t lo = run->start, hi = run->end;
			size_t j;

			if (k >= 0) {   /* clamp to the mapping: one band per mapping */
				lo = m->v[k].start / se->page;
				hi = m->v[k].end / se->page;
			}
			for (j = 0; j < n; j++)
				if (b[j].lo < run->end && run->start < b[j].hi + (k < 0))
					break;
			if (j == n && n < max)
				b[n++] = (struct band){ lo, hi, k >= 0 ? tool_map_label(&m->v[k]) :
							"[unmapped now]", 0, 0 };
		}
	}
	return n;
}

static int band_cmp(const void *a, const void *b)
{
	const struct band *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Shrink each band to the pages of it that were written at some time. */
static void bands_tighten(const struct series *se, struct band *b, size_t n)
{
	size_t j, i, r;

	for (j = 0; j < n; j++) {
		uint64_t lo = UINT64_MAX, hi = 0;

		for (i = 0; i < se->n; i++) {
			for (r = 0; r < se->iv[i].nruns; r++) {
				const struct series_run *run = &se->iv[i].runs[r];
				uint64_t a = run->start > b[j].lo ? run->start : b[j].lo;
				uint64_t z = run->end < b[j].hi ? run->end : b[j].hi;

				if (a >= z)
					continue;
				if (a < lo)
					lo = a;
				if (z > hi)
					hi = z;
			}
		}
		if (hi > lo) {
			b[j].lo = lo;
			b[j].hi = hi;
		}
	}
}

static double root(double v)
{
	double r = v > 1 ? v / 2 : 1;
	int i;

	/* Newton's square root: the tool does not link libm. */
	for (i = 0; i < 60 && v > 0; i++)
		r = (r + v / r) / 2;
	return v > 0 ? r : 0;
}

/* Pixel heights: a floor for every band, the rest by the square root of its span. */
static void bands_layout(struct band *b, size_t n, double top, double avail)
{
	double floor_h = 16, sum = 0, y = top;
	size_t j;

	for (j = 0; j < n; j++)
		sum += root((double)(b[j].hi - b[j].lo));
	for (j = 0; j < n; j++) {
		double share = sum > 0 ? root((double)(b[j].hi - b[j].lo)) / sum : 1.0 / n;

		b[j].h = floor_h + (avail - floor_h * n - 4 * (n - 1)) * share;
		b[j].y = y;
		y += b[j].h + 4;
	}
}

#define CELL_H 3.0
#define MAX_COLS 300

struct heat {
	struct band *b;
	size_t nb, cols, per_col;       /* intervals per column */
	double *cell;                   /* [band][row][col], pages */
	size_t *row0;                   /* first row of each band in cell[] */
	size_t rows;
};

static size_t band_rows(const struct band *b)
{
	size_t r = (size_t)(b->h / CELL_H);
	uint64_t span = b->hi - b->lo;

	if (r < 1)
		r = 1;
	return span < r ? (size_t)span : r;
}

/* Add the pages of run (interval column col) to the rows of band j it covers. */
static void heat_add(struct heat *h, size_t j, const struct series_run *run, size_t col)
{
	const struct band *b = &h->b[j];
	uint64_t span = b->hi - b->lo, a = run->start > b->lo ? run->start : b->lo;
	uint64_t z = run->end < b->hi ? run->end : b->hi;
	size_t rows = band_rows(b);

	while (a < z) {
		size_t r = (size_t)((a - b->lo) * rows / span);
		uint64_t row_end = b->lo + ((uint64_t)(r + 1) * span + rows - 1) / rows;
		uint64_t e = row_end < z ? row_end : z;

		if (e <= a)
			e = a + 1;
		h->cell[(h->row0[j] + r) * h->cols + col] += (double)(e - a);
		a = e;
	}
}

static int heat_fill(struct heat *h, const struct series *se)
{
	size_t i, r, j;

	h->row0 = calloc(h->nb + 1, sizeof(size_t));
	if (!h->row0)
		return -ENOMEM;
	for (j = 0; j < h->nb; j++)
		h->row0[j + 1] = h->row0[j] + band_rows(&h->b[j]);
	h->rows = h->row0[h->nb];
	h->cell = calloc(h->rows * h->cols + 1, sizeof(double));
	if (!h->cell)
		return -ENOMEM;
	for (i = 0; i < se->n; i++)
		for (r = 0; r < se->iv[i].nruns; r++)
			for (j = 0; j < h->nb; j++)
				heat_add(h, j, &se->iv[i].runs[r], i / h->per_col);
	return 0;
}

/* White to dark red by the share of a cell's pages written, square-rooted to show the rare. */
static void heat_color(char *buf, size_t len, double frac)
{
	double v = root(frac > 1 ? 1 : frac);
	int g = (int)(230 - 200 * v), bl = (int)(120 - 110 * v);

	snprintf(buf, len, "rgb(%d,%d,%d)", 255 - (int)(80 * v), g < 0 ? 0 : g, bl < 0 ? 0 : bl);
}

static void heat_draw(struct svg *s, const struct heat *h, const struct series *se,
		      double px, double pw)
{
	double cw = pw / (double)h->cols;
	char color[64];
	size_t j, r, c;

	for (j = 0; j < h->nb; j++) {
		const struct band *b = &h->b[j];
		size_t rows = band_rows(b);
		double rh = b->h / (double)rows, per_row = (double)(b->hi - b->lo) / (double)rows;

		svg_rect(s, px, b->y, pw, b->h, "#f4f4f4");
		for (r = 0; r < rows; r++) {
			for (c = 0; c < h->cols; c++) {
				double v = h->cell[(h->row0[j] + r) * h->cols + c];

				if (v <= 0)
					continue;
				heat_color(color, sizeof(color), v / (per_row * (double)h->per_col));
				/* Low addresses at the bottom of each band, as on an axis. */
				svg_rect(s, px + c * cw, b->y + b->h - (r + 1) * rh, cw + 0.3, rh + 0.3,
					 color);
			}
		}
		svg_text(s, px - 6, b->y + b->h / 2 + 4, "end", 11, "%.28s", b->label);
		svg_text(s, px - 6, b->y + b->h / 2 + 16, "end", 9, "%#llx +%llu KiB",
			 (unsigned long long)(b->lo * se->page),
			 (unsigned long long)((b->hi - b->lo) * se->page / 1024));
	}
}

#define MAX_BANDS 24

static void draw_heatmap(struct svg *s, double top, double height, const struct series *se,
			 const struct tool_maps *m, const struct rate_plot_info *pi)
{
	struct band b[MAX_BANDS];
	struct heat h = { .b = b };
	double px = 200, pw = W - px - 30, t0, t1;
	char title[256];

	snprintf(title, sizeof(title), "Where %s writes: pages written per interval, by mapping",
		 pi->what);
	svg_text(s, W / 2, top + 28, "middle", 15, "%s", title);
	h.nb = bands_of(se, m, b, MAX_BANDS);
	if (!h.nb || !se->n) {
		svg_text(s, W / 2, top + height / 2, "middle", 13, "no page was written");
		return;
	}
	qsort(b, h.nb, sizeof(*b), band_cmp);
	bands_tighten(se, b, h.nb);
	bands_layout(b, h.nb, top + 40, height - 90);
	h.per_col = (se->n + MAX_COLS - 1) / MAX_COLS;
	h.cols = (se->n + h.per_col - 1) / h.per_col;
	if (!heat_fill(&h, se))
		heat_draw(s, &h, se, px, pw);
	free(h.cell);
	free(h.row0);
	t0 = se->iv[0].t0;
	t1 = se->iv[se->n - 1].t1;
	svg_text(s, px, top + height - 30, "start", 11, "%.1f s", t0);
	svg_text(s, px + pw, top + height - 30, "end", 11, "%.1f s", t1);
	svg_text(s, px + pw / 2, top + height - 30, "middle", 12,
		 "time (s); bands: mappings written, each its written span (address up), "
		 "empty address space left out");
}

/* The link line: what it copies in a window's time, clipped at the top of the chart. */
static void draw_link(struct svg_chart *c, double bytes_per_s)
{
	double lx[2] = { c->x0, c->x1 }, ly[2];

	ly[0] = bytes_per_s * c->x0 / MiB;
	ly[1] = bytes_per_s * c->x1 / MiB;
	if (ly[1] > c->y1) {
		lx[1] = c->y1 * MiB / bytes_per_s;
		ly[1] = c->y1;
	}
	if (lx[1] > lx[0])
		svg_polyline(c, lx, ly, 2, "#2471a3", 1.8, true);
	svg_legend(c, 2, "#2471a3", true, "what the link copies in that time");
}

/* The busiest window's MiB of the pages [lo, hi) only (a mapping), at the curve's x. */
static int curve_of(const struct series *se, uint64_t lo, uint64_t hi, double *y)
{
	struct series_window w[WINDOWS_MAX];
	int n = series_windows_in(se, lo, hi, w, WINDOWS_MAX), i;

	for (i = 0; i < n; i++)
		y[i] = (double)w[i].max_pages * (double)se->page / MiB;
	return n;
}

/* The windows picture's curves: the whole process's, then one per busiest mapping. */
struct curves {
	double x[WINDOWS_MAX], ymax[WINDOWS_MAX], ymean[WINDOWS_MAX];
	double ymap[RATE_PLOT_CURVES][WINDOWS_MAX];
	bool has[RATE_PLOT_CURVES];
	int n;
	double lo, hi;                  /* the smallest value above 0, the largest */
};

static void extent(struct curves *c, const double *y)
{
	for (int i = 0; i < c->n; i++) {
		if (y[i] > 0 && (c->lo == 0 || y[i] < c->lo))
			c->lo = y[i];
		if (y[i] > c->hi)
			c->hi = y[i];
	}
}

static int curves_of(const struct series *se, const struct rate_plot_info *pi, struct curves *c)
{
	struct series_window w[WINDOWS_MAX];
	size_t k;
	int i;

	memset(c, 0, sizeof(*c));
	c->n = series_windows(se, w, WINDOWS_MAX);
	for (i = 0; i < c->n; i++) {
		c->x[i] = w[i].seconds;
		c->ymax[i] = (double)w[i].max_pages * (double)se->page / MiB;
		c->ymean[i] = w[i].mean_pages * (double)se->page / MiB;
	}
	extent(c, c->ymax);
	extent(c, c->ymean);
	for (k = 0; k < pi->ncurves && k < RATE_PLOT_CURVES; k++) {
		c->has[k] = curve_of(se, pi->curves[k].lo, pi->curves[k].hi, c->ymap[k]) == c->n;
		if (c->has[k])
			extent(c, c->ymap[k]);
	}
	return c->n;
}

/* y from a decade below the smallest value (at most 6 decades down) to a decade above all. */
static void log_range(struct svg_chart *ch, double lo, double hi)
{
	double top = 1e-6, bottom;

	while (top < hi)
		top *= 10;
	while (top > 1e-6 && top / 10 >= hi)
		top /= 10;
	bottom = top;
	while (bottom > lo && bottom > top / 1e6)
		bottom /= 10;
	ch->y0 = bottom;
	ch->y1 = top > bottom ? top : bottom * 10;
}

/*
 * Distinct MiB written in windows of growing length (log-log: a mapping of
 * a few KiB shows beside one of gigabytes), one curve per busiest mapping,
 * and what the link copies in the same time.
 */
static void draw_windows(struct svg *s, double top, const struct series *se,
			 const struct rate_plot_info *pi)
{
	static const char *colors[RATE_PLOT_CURVES] = { "#7d3c98", "#138d75", "#b9770e", "#566573" };
	/* The legend beside the chart: inside it would hide the lines under it. */
	struct svg_chart c = { s, 80, top + 40, W - 110 - LEGEND_W, PANEL - 100, 0, 1, 0, 1, true,
			       true, true };
	struct curves *cv = malloc(sizeof(*cv));
	double hi;
	char title[256];
	size_t k;

	if (!cv || curves_of(se, pi, cv) <= 0) {
		svg_text(s, W / 2, top + PANEL / 2, "middle", 13, "no interval was measured");
		free(cv);
		return;
	}
	c.x0 = cv->x[0] > 0 ? cv->x[0] : 1;
	c.x1 = cv->x[cv->n - 1] > c.x0 ? cv->x[cv->n - 1] : c.x0 * 2;
	/* Room for where the link line starts, so that it shows even above the curve. */
	hi = cv->hi > pi->link_bytes_per_s * c.x0 / MiB * 1.2 ? cv->hi :
	     pi->link_bytes_per_s * c.x0 / MiB * 1.2;
	log_range(&c, cv->lo > 0 ? cv->lo : hi / 10, hi > 0 ? hi : 1);
	snprintf(title, sizeof(title), "Distinct memory %s writes in a window of growing length",
		 pi->what);
	svg_axes(&c, title, "window (s, log scale)", "distinct MiB written (log scale)");
	svg_polyline(&c, cv->x, cv->ymax, (size_t)cv->n, "#c0392b", 2.2, false);
	svg_polyline(&c, cv->x, cv->ymean, (size_t)cv->n, "#e59866", 1.5, false);
	svg_legend(&c, 0, "#c0392b", false, "busiest window, all mappings");
	svg_legend(&c, 1, "#e59866", false, "mean over windows");
	if (pi->link_bytes_per_s > 0)
		draw_link(&c, pi->link_bytes_per_s);
	/* On top, thinner: a mapping that is most of the writes still shows over the total. */
	for (k = 0; k < RATE_PLOT_CURVES; k++) {
		if (!cv->has[k])
			continue;
		svg_polyline(&c, cv->x, cv->ymap[k], (size_t)cv->n, colors[k], 1.4, false);
		svg_legend(&c, 4 + (int)k, colors[k], false, pi->curves[k].label);
	}
	if (pi->ncurves)
		svg_text(s, c.px + c.pw + 14, c.py + 14 + 18 * 3, "start", 11,
			 "busiest window of the mappings written most:");
	free(cv);
}

typedef int (*draw_fn)(struct svg *s, const struct series *se, const struct tool_maps *m,
		       const struct rate_plot_info *pi);

static int one(const char *path, double h, const char *title, draw_fn fn,
	       const struct series *se, const struct tool_maps *m, const struct rate_plot_info *pi)
{
	struct svg s;
	int ret = svg_open(&s, path, W, h, title);

	if (ret)
		return ret;
	fn(&s, se, m, pi);
	return svg_close(&s);
}

static int d_rate(struct svg *s, const struct series *se, const struct tool_maps *m,
		  const struct rate_plot_info *pi)
{
	draw_rate(s, 0, se, pi);
	return 0;
}

static int d_heat(struct svg *s, const struct series *se, const struct tool_maps *m,
		  const struct rate_plot_info *pi)
{
	draw_heatmap(s, 0, 2 * PANEL - 60, se, m, pi);
	return 0;
}

static int d_win(struct svg *s, const struct series *se, const struct tool_maps *m,
		 const struct rate_plot_info *pi)
{
	draw_windows(s, 0, se, pi);
	return 0;
}

static int d_all(struct svg *s, const struct series *se, const struct tool_maps *m,
		 const struct rate_plot_info *pi)
{
	draw_rate(s, 0, se, pi);
	draw_heatmap(s, PANEL, 2 * PANEL - 60, se, m, pi);
	draw_windows(s, 3 * PANEL - 60, se, pi);
	return 0;
}

int plot_rate(const char *path, const struct series *s, const struct rate_plot_info *pi)
{
	return one(path, PANEL + 10, "write rate", d_rate, s, NULL, pi);
}

int plot_heatmap(const char *path, const struct series *s, const struct tool_maps *m,
		 const struct rate_plot_info *pi)
{
	return one(path, 2 * PANEL - 60, "write heatmap", d_heat, s, m, pi);
}

int plot_windows(const char *path, const struct series *s, const struct rate_plot_info *pi)
{
	return one(path, PANEL + 10, "distinct pages vs window", d_win, s, NULL, pi);
}

int plot_one_file(const char *path, const struct series *s, const struct tool_maps *m,
		  const struct rate_plot_info *pi)
{
	return one(path, 4 * PANEL - 40, "writewatch rate", d_all, s, m, pi);
}

int plot_all(const char *dir, const struct series *s, const struct tool_maps *m,
	     const struct rate_plot_info *pi)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/rate.svg", dir);
	ret = plot_rate(path, s, pi);
	snprintf(path, sizeof(path), "%s/heatmap.svg", dir);
	if (!ret)
		ret = plot_heatmap(path, s, m, pi);
	snprintf(path, sizeof(path), "%s/windows.svg", dir);
	if (!ret)
		ret = plot_windows(path, s, pi);
	return ret;
}
