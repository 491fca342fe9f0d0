/* SPDX-License-Identifier: MIT */
/*
 * A small SVG writer for the tool's pictures: a document, primitives, and
 * a chart frame with axes, ticks and labels.  Output is plain SVG 1.1 with
 * every text escaped, so any XML parser reads it.
 */
#ifndef WW_TOOL_SVG_H
#define WW_TOOL_SVG_H

#include <stdbool.h>
#include <stdio.h>

struct svg {
	FILE *f;
	double w, h;
};

/* A chart area: data [x0, x1] x [y0, y1] drawn into the pixel box at (px, py, pw, ph). */
struct svg_chart {
	struct svg *s;
	double px, py, pw, ph;
	double x0, x1, y0, y1;
	bool logx;                      /* x drawn on a log2 scale (x0 > 0) */
	bool legend_outside;            /* legend rows right of the chart, not inside its top right */
	bool logy;                      /* y on a log scale (y0 > 0; below it: at the bottom) */
};

int svg_open(struct svg *s, const char *path, double w, double h, const char *title);
/* Close the document; 0, or -errno if anything failed to be written. */
int svg_close(struct svg *s);

void svg_text(struct svg *s, double x, double y, const char *anchor, double size,
	      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void svg_rect(struct svg *s, double x, double y, double w, double h, const char *fill);
void svg_line(struct svg *s, double x0, double y0, double x1, double y1, const char *stroke,
	      double width, bool dashed);
/* A polyline through n points (data coordinates of chart c). */
void svg_polyline(struct svg_chart *c, const double *x, const double *y, size_t n,
		  const char *stroke, double width, bool dashed);

double svg_cx(const struct svg_chart *c, double x);
double svg_cy(const struct svg_chart *c, double y);
/* Axes with about 5 ticks each, labels and a title above the chart. */
void svg_axes(struct svg_chart *c, const char *title, const char *xlabel, const char *ylabel);
/* A legend entry (a colour swatch and its text) at row i of the chart's top right (or beside it). */
void svg_legend(struct svg_chart *c, int i, const char *color, bool dashed, const char *text);
/* A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least v. */
double svg_nice(double v);

#endif /* WW_TOOL_SVG_H */
