/* SPDX-License-Identifier: MIT */
/* The restore measure's output: one table row per case, a column per method, and CSV. */
#include <string.h>

#include "measure.h"
#include "restore.h"

static bool same_case(const struct wr_case *x, const struct wr_case *y)
{
	return x->size == y->size && x->sparse == y->sparse && x->pages == y->pages;
}

static void case_label(char *buf, size_t len, const struct wr_case *c)
{
	char sz[32];

	wb_fmt_size(sz, sizeof(sz), c->size);
	snprintf(buf, len, "%zu pages of %s%s", c->pages, sz,
		 c->sparse ? " sparse" : "");
}

static void fmt_us(char *buf, size_t len, double us)
{
	if (us >= 1e5)
		snprintf(buf, len, "%.0f ms", us / 1e3);
	else if (us >= 1e3)
		snprintf(buf, len, "%.2f ms", us / 1e3);
	else
		snprintf(buf, len, "%.1f µs", us);
}

/* The result of method m for the case of r[i] (searching the rows of that case), or NULL. */
static const struct wr_result *find(const struct wr_result *r, size_t n, size_t i,
				    enum wr_method m)
{
	for (size_t j = 0; j < n; j++)
		if (same_case(&r[j].c, &r[i].c) && r[j].method == m)
			return &r[j];
	return NULL;
}

static bool methods_seen(const struct wr_result *r, size_t n, enum wr_method m)
{
	for (size_t j = 0; j < n; j++)
		if (r[j].method == m)
			return true;
	return false;
}

static void cell(FILE *f, const struct wr_result *x, bool restore, bool md)
{
	char v[32];

	if (!x)
		snprintf(v, sizeof(v), "-");
	else if (x->status == WR_NA)
		snprintf(v, sizeof(v), "n/a");
	else if (x->status == WR_FAILED)
		snprintf(v, sizeof(v), "failed");
	else if (restore && x->method == WR_FORK)
		snprintf(v, sizeof(v), "-");
	else
		fmt_us(v, sizeof(v), restore ? x->restore_us : x->iter_us);
	if (x && x->status == WR_OK && x->mismatches)
		strncat(v, " (!)", sizeof(v) - strlen(v) - 1);
	fprintf(f, md ? " %s |" : " %16s", v);
}

static void table(FILE *f, const struct wr_result *r, size_t n, bool restore, bool md)
{
	char lab[64];
	int m;

	fprintf(f, md ? "| case |" : "%-28s", md ? "" : "case");
	for (m = 0; m < WR_NMETHODS; m++)
		if (methods_seen(r, n, (enum wr_method)m))
			fprintf(f, md ? " %s |" : " %16s", wr_method_name((enum wr_method)m));
	fputc('\n', f);
	if (md) {
		fprintf(f, "|---|");
		for (m = 0; m < WR_NMETHODS; m++)
			if (methods_seen(r, n, (enum wr_method)m))
				fprintf(f, "---:|");
		fputc('\n', f);
	}
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < i && !same_case(&r[j].c, &r[i].c); j++)
			;
		if (j < i)
			continue;
		case_label(lab, sizeof(lab), &r[i].c);
		fprintf(f, md ? "| %s |" : "%-28s", lab);
		for (m = 0; m < WR_NMETHODS; m++)
			if (methods_seen(r, n, (enum wr_method)m))
				cell(f, find(r, n, i, (enum wr_method)m), restore, md);
		fputc('\n', f);
	}
}

void wr_report_text(FILE *f, const struct wr_result *r, size_t n, bool markdown)
{
	const char *b = markdown ? "**" : "";

	fprintf(f, "%sTime per run: write the pages, then put the range back (median)%s\n\n", b, b);
	table(f, r, n, false, markdown);
	fprintf(f, "\n%sPutting the range back alone (median; fork has no separate step)%s\n\n",
		b, b);
	table(f, r, n, true, markdown);
	for (size_t i = 0; i < n; i++)
		if (r[i].status != WR_OK || r[i].mismatches)
			fprintf(f, "\nnote: %s, %zu pages of %zu MiB%s: %s\n",
				wr_method_name(r[i].method), r[i].c.pages, r[i].c.size >> 20,
				r[i].c.sparse ? " sparse" : "",
				r[i].status == WR_OK ? "written bytes not restored after some runs"
						     : r[i].reason);
}

void wr_report_csv(FILE *f, const struct wr_result *r, size_t n)
{
	static const char *const st[] = { "ok", "n/a", "failed" };

	fprintf(f, "%s\n", WR_CSV_HEADER);
	for (size_t i = 0; i < n; i++) {
		const struct wr_result *s = find(r, n, i, WR_SNAP_ASYNC);
		double vs = s && s->status == WR_OK && r[i].status == WR_OK && s->iter_us > 0 ?
			    r[i].iter_us / s->iter_us : 0;

		fprintf(f, "%zu,%d,%zu,%s,%s,%.3f,%.3f,%.3f,%.3f,%ld,%lu,%d,", r[i].c.size,
			r[i].c.sparse, r[i].c.pages, wr_method_name(r[i].method), st[r[i].status],
			r[i].iter_us, r[i].restore_us, r[i].setup_ms, vs, r[i].restored,
			r[i].mismatches, r[i].reps);
		wb_json_str(f, r[i].reason);
		fputc('\n', f);
	}
}
