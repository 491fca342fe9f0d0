/* SPDX-License-Identifier: MIT */
/* A small SVG writer (see svg.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

/* XML text: the five characters with a meaning escaped, control characters dropped. */
static void xml_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

int svg_open(struct svg *s, const char *path, double w, double h, const char *title)
{
	s->f = fopen(path, "we");
	if (!s->f)
		return -errno;
	s->w = w;
	s->h = h;
	fprintf(s->f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n<title>",
		w, h, w, h);
	xml_escaped(s->f, title);
	fprintf(s->f, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	return 0;
}

int svg_close(struct svg *s)
{
	int bad;

	fprintf(s->f, "</svg>\n");
	bad = ferror(s->f);
	if (fclose(s->f) || bad)
		return -EIO;
	return 0;
}

void svg_text(struct svg *s, double x, double y, const char *anchor, double size,
	      const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%.0f\">", x, y,
		anchor, size);
	xml_escaped(s->f, buf);
	fprintf(s->f, "</text>\n");
}

void svg_rect(struct svg *s, double x, double y, double w, double h, const char *fill)
{
	fprintf(s->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
		x, y, w, h, fill);
}

void svg_line(struct svg *s, double x0, double y0, double x1, double y1, const char *stroke,
	      double width, bool dashed)
{
	fprintf(s->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		"stroke-width=\"%.1f\"%s/>\n", x0, y0, x1, y1, stroke, width,
		dashed ? " stroke-dasharray=\"6,4\"" : "");
}

static double lg2(double v)
{
	double r = 0;

	/* log2 without libm: whole powers, then a linear part between them. */
	while (v >= 2) {
		v /= 2;
		r++;
	}
	while (v < 1) {
		v *= 2;
		r--;
	}
	return r + (v - 1);
}

double svg_cx(const struct svg_chart *c, double x)
{
	double f;

	if (c->logx)
		f = x > 0 ? (lg2(x) - lg2(c->x0)) / (lg2(c->x1) - lg2(c->x0)) : 0;
	else
		f = c->x1 > c->x0 ? (x - c->x0) / (c->x1 - c->x0) : 0;
	return c->px + f * c->pw;
}

double svg_cy(const struct svg_chart *c, double y)
{
	double f;

	if (c->logy)
		f = c->y1 > c->y0 && y > c->y0 ? (lg2(y) - lg2(c->y0)) / (lg2(c->y1) - lg2(c->y0)) : 0;
	else
		f = c->y1 > c->y0 ? (y - c->y0) / (c->y1 - c->y0) : 0;
	return c->py + c->ph - (f > 1 ? 1 : f) * c->ph;
}

void svg_polyline(struct svg_chart *c, const double *x, const double *y, size_t n,
		  const char *stroke, double width, bool dashed)
{
	size_t i;

	fprintf(c->s->f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s points=\"",
		stroke, width, dashed ? " stroke-dasharray=\"6,4\"" : "");
	for (i = 0; i < n; i++)
		fprintf(c->s->f, "%s%.1f,%.1f", i ? " " : "", svg_cx(c, x[i]), svg_cy(c, y[i]));
	fprintf(c->s->f, "\"/>\n");
}

double svg_nice(double v)
{
	double p = 1;

	if (v <= 0)
		return 1;
	while (p * 10 <= v)
		p *= 10;
	while (p > v)
		p /= 10;
	if (p >= v)
		return p;
	if (2 * p >= v)
		return 2 * p;
	if (5 * p >= v)
		return 5 * p;
	return 10 * p;
}

/* A tick label: short, with k/M/G for large values. */
static void tick_label(char *buf, size_t len, double v)
{
	const char *unit = "";

	if (v >= 1e9) {
		v /= 1e9;
		unit = "G";
	} else if (v >= 1e6) {
		v /= 1e6;
		unit = "M";
	} else if (v >= 1e4) {
		v /= 1e3;
		unit = "k";
	}
	snprintf(buf, len, v == (long)v ? "%.0f%s" : "%.3g%s", v, unit);
}

/* A tick line and its label at y = v. */
static void y_tick(struct svg_chart *c, double v)
{
	char buf[32];

	svg_line(c->s, c->px - 4, svg_cy(c, v), c->px + c->pw, svg_cy(c, v), "#ddd", 1, false);
	tick_label(buf, sizeof(buf), v);
	svg_text(c->s, c->px - 6, svg_cy(c, v) + 4, "end", 11, "%s", buf);
}

static void axis_ticks(struct svg_chart *c)
{
	double step = svg_nice((c->y1 - c->y0) / 5), v, x;
	char buf[32];

	if (c->logy) {
		for (v = c->y0; v > 0 && v <= c->y1 * (1 + 1e-9); v *= 10)
			y_tick(c, v);   /* decades */
		step = 0;
	}
	for (v = c->y0; step > 0 && v <= c->y1 * (1 + 1e-9); v += step)
		y_tick(c, v);
	if (c->logx) {
		for (x = c->x0; x <= c->x1 * (1 + 1e-9); x *= 2) {
			tick_label(buf, sizeof(buf), x);
			svg_text(c->s, svg_cx(c, x), c->py + c->ph + 16, "middle", 11, "%s", buf);
		}
		return;
	}
	step = svg_nice((c->x1 - c->x0) / 6);
	for (x = c->x0; step > 0 && x <= c->x1 * (1 + 1e-9); x += step) {
		tick_label(buf, sizeof(buf), x);
		svg_text(c->s, svg_cx(c, x), c->py + c->ph + 16, "middle", 11, "%s", buf);
	}
}

void svg_axes(struct svg_chart *c, const char *title, const char *xlabel, const char *ylabel)
{
	axis_ticks(c);
	svg_line(c->s, c->px, c->py + c->ph, c->px + c->pw, c->py + c->ph, "black", 1, false);
	svg_line(c->s, c->px, c->py, c->px, c->py + c->ph, "black", 1, false);
	svg_text(c->s, c->px + c->pw / 2, c->py - 12, "middle", 15, "%s", title);
	svg_text(c->s, c->px + c->pw / 2, c->py + c->ph + 36, "middle", 12, "%s", xlabel);
	fprintf(c->s->f, "<g transform=\"translate(%.1f %.1f) rotate(-90)\">\n",
		c->px - 58, c->py + c->ph / 2);
	svg_text(c->s, 0, 0, "middle", 12, "%s", ylabel);
	fprintf(c->s->f, "</g>\n");
}

void svg_legend(struct svg_chart *c, int i, const char *color, bool dashed, const char *text)
{
	double x = c->legend_outside ? c->px + c->pw + 14 : c->px + c->pw - 230;
	double y = c->py + 14 + 18 * i;

	svg_line(c->s, x, y - 4, x + 24, y - 4, color, 2.5, dashed);
	svg_text(c->s, x + 30, y, "start", 12, "%s", text);
}
