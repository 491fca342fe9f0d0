/* SPDX-License-Identifier: MIT */
/*
 * The pictures of `writewatch rate`, written as SVG: the write rate over
 * time, a heatmap of writes (address, grouped by mapping, against time),
 * and the distinct-pages-vs-window curve with the link-speed line.
 */
#ifndef WW_TOOL_RATE_PLOT_H
#define WW_TOOL_RATE_PLOT_H

#include "maps.h"
#include "series.h"

/* A mapping with a curve of its own on the windows picture: its pages [lo, hi). */
struct rate_plot_curve {
	char label[64];                 /* the mapping's name and start */
	uint64_t lo, hi;                /* page numbers */
};

#define RATE_PLOT_CURVES 4              /* more would not stay legible */

struct rate_plot_info {
	const char *what;               /* the target, for titles ("pid 123", "make -j2") */
	double link_bytes_per_s;        /* 0: no link line */
	struct rate_plot_curve curves[RATE_PLOT_CURVES];
	size_t ncurves;
};

int plot_rate(const char *path, const struct series *s, const struct rate_plot_info *pi);
int plot_heatmap(const char *path, const struct series *s, const struct tool_maps *m,
		 const struct rate_plot_info *pi);
int plot_windows(const char *path, const struct series *s, const struct rate_plot_info *pi);
/* All three into dir (rate.svg, heatmap.svg, windows.svg): 0 or -errno. */
int plot_all(const char *dir, const struct series *s, const struct tool_maps *m,
	     const struct rate_plot_info *pi);
/* The three stacked in one file. */
int plot_one_file(const char *path, const struct series *s, const struct tool_maps *m,
		  const struct rate_plot_info *pi);

#endif /* WW_TOOL_RATE_PLOT_H */
