/* SPDX-License-Identifier: MIT */
/* Result tables: per-case blocks and side-by-side tables, as text or Markdown. */
#include <stdlib.h>
#include <string.h>

#include "measure.h"

static void fmt_value(char *buf, size_t len, enum wb_measure m, double v)
{
	if (m == WB_FIRST_WRITE)
		snprintf(buf, len, v >= 100 ? "%.0f ns" : "%.1f ns", v);
	else
		snprintf(buf, len, v >= 100 ? "%.0f ms" : v >= 1 ? "%.2f ms" : "%.3f ms", v);
}

static void fmt_ratio(char *buf, size_t len, double r)
{
	if (r <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, r >= 100 ? "%.0fx" : r >= 10 ? "%.1fx" : "%.2fx", r);
}

/* The first result of r[0..n) with the case of r[i] is r[i] itself. */
static bool first_of_case(const struct wb_result *r, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (wb_case_same(&r[j].c, &r[i].c))
			return false;
	return true;
}

/* ---- per-case blocks (text only) ---- */

static void block_row(FILE *f, const struct wb_result *x)
{
	char med[32], mn[32], mx[32], vr[16], va[16];

	if (x->status != WB_OK) {
		fprintf(f, "%-15s %s (%s)\n", wb_method_name(x->method),
			x->status == WB_NA ? "n/a" : "FAILED", x->reason);
		return;
	}
	fmt_value(med, sizeof(med), x->c.measure, x->median);
	fmt_value(mn, sizeof(mn), x->c.measure, x->min);
	fmt_value(mx, sizeof(mx), x->c.measure, x->max);
	fmt_ratio(vr, sizeof(vr), x->vs_raw);
	fmt_ratio(va, sizeof(va), x->vs_async);
	fprintf(f, "%-15s %12s %12s %12s %8s %14s %7.2f ms %10ld", wb_method_name(x->method),
		med, mn, mx, vr, va, x->arm_ms, x->pt_kib);
	if (x->mismatches)
		fprintf(f, "  ! %lu rep(s) reported %ld pages, not %zu", x->mismatches,
			x->last_mismatch, x->written);
	fputc('\n', f);
}

static void text_block(FILE *f, const struct wb_result *r, size_t n, size_t first)
{
	const struct wb_case *c = &r[first].c;
	char label[96];
	size_t i;

	wb_case_label(c, label, sizeof(label));
	fprintf(f, "== %s: %s (%zu pages written, %d thread%s, %s memory, median of %d) ==\n",
		c->measure == WB_FIRST_WRITE ? "first write after reset" : "get+reset",
		label, r[first].written, c->threads, c->threads == 1 ? "" : "s",
		r[first].populated_full ? "fully populated" :
		r[first].populated_none ? "untouched when armed" : "mostly untouched",
		r[first].nsamples ? r[first].nsamples : c->reps);
	fprintf(f, "%-15s %12s %12s %12s %8s %14s %10s %10s\n", "method",
		c->measure == WB_FIRST_WRITE ? "per page" : "per call", "min", "max",
		"vs raw", "vs uffd-async", "arm", "+PT KiB");
	for (i = first; i < n; i++)
		if (wb_case_same(&r[i].c, c))
			block_row(f, &r[i]);
	fputc('\n', f);
}

/* ---- side by side: a row per case, a column per method ---- */

/* Methods present in the results of measure m, in enum order. */
static int methods_present(const struct wb_result *r, size_t n, enum wb_measure m,
			   enum wb_method *out)
{
	int cnt = 0, k;
	size_t i;

	for (k = 0; k < WB_NMETHODS; k++) {
		for (i = 0; i < n; i++) {
			if (r[i].c.measure == m && r[i].method == (enum wb_method)k) {
				out[cnt++] = (enum wb_method)k;
				break;
			}
		}
	}
	return cnt;
}

static const struct wb_result *find(const struct wb_result *r, size_t n,
				    const struct wb_case *c, enum wb_method m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].method == m && wb_case_same(&r[i].c, c))
			return &r[i];
	return NULL;
}

/* "median (x raw)", "n/a", "failed", "-"; " !" marks a mismatch. */
static void cell(char *buf, size_t len, const struct wb_result *x)
{
	char v[32], q[16];

	if (!x) {
		snprintf(buf, len, "-");
		return;
	}
	if (x->status != WB_OK) {
		snprintf(buf, len, "%s", x->status == WB_NA ? "n/a" : "failed");
		return;
	}
	fmt_value(v, sizeof(v), x->c.measure, x->median);
	if (x->method == WB_RAW || x->vs_raw <= 0) {
		snprintf(buf, len, "%s%s", v, x->mismatches ? " !" : "");
		return;
	}
	fmt_ratio(q, sizeof(q), x->vs_raw);
	snprintf(buf, len, "%s (%s)%s", v, q, x->mismatches ? " !" : "");
}

static void pivot_header(FILE *f, enum wb_measure m, const enum wb_method *ms, int nm,
			 bool markdown)
{
	int k;

	if (!markdown) {
		fprintf(f, "== side by side: %s (median; in brackets: ratio to raw) ==\n",
			m == WB_FIRST_WRITE ? "first write per page" : "get+reset per call");
		fprintf(f, "%-28s %9s", "case", "written");
		for (k = 0; k < nm; k++)
			fprintf(f, " %18s", wb_method_name(ms[k]));
		fputc('\n', f);
		return;
	}
	fprintf(f, "%s (median; in brackets: ratio to raw)\n\n",
		m == WB_FIRST_WRITE ? "First write after reset, per page" :
		"Get+reset of the whole range, per call");
	fprintf(f, "| case | pages written |");
	for (k = 0; k < nm; k++)
		fprintf(f, " %s |", wb_method_name(ms[k]));
	fprintf(f, "\n|---|---:|");
	for (k = 0; k < nm; k++)
		fprintf(f, "---:|");
	fputc('\n', f);
}

/* One case's row; true if a method failed on it. */
static bool pivot_row(FILE *f, const struct wb_result *r, size_t n, size_t i,
		      const enum wb_method *ms, int nm, bool markdown)
{
	char label[96], c[64];
	bool failed = false;
	int k;

	wb_case_label(&r[i].c, label, sizeof(label));
	if (r[i].c.threads > 1) {
		size_t l = strlen(label);

		snprintf(label + l, sizeof(label) - l, ", %d threads", r[i].c.threads);
	}
	if (markdown)
		fprintf(f, "| %s | %zu |", label, r[i].written);
	else
		fprintf(f, "%-28s %9zu", label, r[i].written);
	for (k = 0; k < nm; k++) {
		const struct wb_result *x = find(r, n, &r[i].c, ms[k]);

		failed |= x && x->status == WB_FAILED;
		cell(c, sizeof(c), x);
		fprintf(f, markdown ? " %s |" : " %18s", c);
	}
	fputc('\n', f);
	return failed;
}

/* The mismatch of each flagged cell, one line each. */
static void pivot_mismatches(FILE *f, const struct wb_result *r, size_t n, enum wb_measure m,
			     bool markdown)
{
	char label[96];
	size_t i;

	for (i = 0; i < n; i++) {
		if (r[i].c.measure != m || r[i].status != WB_OK || !r[i].mismatches)
			continue;
		wb_case_label(&r[i].c, label, sizeof(label));
		fprintf(f, "%s%s (%s): ! %lu rep(s) reported %ld pages, not %zu\n",
			markdown ? "- " : "  ", wb_method_name(r[i].method), label, r[i].mismatches,
			r[i].last_mismatch, r[i].written);
	}
}

static bool same_reason(const struct wb_result *a, const struct wb_result *b)
{
	return a->c.measure == b->c.measure && a->method == b->method &&
	       a->status == b->status && !strcmp(a->reason, b->reason);
}

/* Why something failed or is missing (a cell has no room): once per reason, with its cases. */
static void pivot_reasons(FILE *f, const struct wb_result *r, size_t n, enum wb_measure m,
			  bool markdown)
{
	char label[96];
	size_t i, j;

	for (i = 0; i < n; i++) {
		bool first = true;

		if (r[i].c.measure != m || r[i].status == WB_OK)
			continue;
		for (j = 0; j < i && !same_reason(&r[j], &r[i]); j++)
			;
		if (j < i)
			continue;       /* said already, with every case it applies to */
		fprintf(f, "%s%s %s", markdown ? "- " : "  ", wb_method_name(r[i].method),
			r[i].status == WB_NA ? "n/a" : "failed");
		for (j = i; j < n && r[i].status != WB_NA; j++) {
			if (!same_reason(&r[j], &r[i]))
				continue;
			wb_case_label(&r[j].c, label, sizeof(label));
			fprintf(f, "%s%s", first ? " (" : ", ", label);
			first = false;
		}
		fprintf(f, "%s: %s\n", first ? "" : ")", r[i].reason);
	}
}

static void pivot(FILE *f, const struct wb_result *r, size_t n, enum wb_measure m, bool markdown)
{
	enum wb_method ms[WB_NMETHODS];
	int nm = methods_present(r, n, m, ms);
	bool notes = false;
	size_t i;

	if (!nm)
		return;
	pivot_header(f, m, ms, nm, markdown);
	for (i = 0; i < n; i++) {
		if (r[i].c.measure == m && first_of_case(r, i))
			notes |= pivot_row(f, r, n, i, ms, nm, markdown);
		notes |= r[i].c.measure == m && r[i].mismatches;
	}
	if (notes || markdown)
		fputc('\n', f);
	pivot_mismatches(f, r, n, m, markdown);
	pivot_reasons(f, r, n, m, markdown);
	fputc('\n', f);
}

/* ---- arming: what starting to track cost, per case and method ---- */

/* "3.70 s, +513 MiB": the time to arm, and the page tables (VmPTE) it added. */
static void cell_arm(char *buf, size_t len, const struct wb_result *x)
{
	char v[32], pt[32];

	if (!x || x->status != WB_OK) {
		snprintf(buf, len, "%s", !x ? "-" : x->status == WB_NA ? "n/a" : "failed");
		return;
	}
	if (x->arm_ms >= 1000)
		snprintf(v, sizeof(v), "%.2f s", x->arm_ms / 1e3);
	else
		fmt_value(v, sizeof(v), WB_GET_RESET, x->arm_ms);
	wb_fmt_size(pt, sizeof(pt), (size_t)x->pt_kib * 1024);
	snprintf(buf, len, "%s, +%s", v, x->pt_kib ? pt : "0");
}

static void pivot_arm(FILE *f, const struct wb_result *r, size_t n, bool markdown)
{
	enum wb_method ms[WB_NMETHODS];
	int nm = methods_present(r, n, WB_GET_RESET, ms), k;
	char label[96], c[80];

	if (!nm)
		return;
	if (markdown)
		fprintf(f, "Arming the range (`ww_watch` or its equivalent): time, and the page-table "
			"memory it added (VmPTE)\n\n| case |");
	else
		fprintf(f, "== arming: time, page tables added (VmPTE) ==\n%-28s", "case");
	for (k = 0; k < nm; k++)
		fprintf(f, markdown ? " %s |" : " %18s", wb_method_name(ms[k]));
	if (markdown) {
		fprintf(f, "\n|---|");
		for (k = 0; k < nm; k++)
			fprintf(f, "---:|");
	}
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		if (r[i].c.measure != WB_GET_RESET || !first_of_case(r, i))
			continue;
		wb_case_label(&r[i].c, label, sizeof(label));
		fprintf(f, markdown ? "| %s |" : "%-28s", label);
		for (k = 0; k < nm; k++) {
			cell_arm(c, sizeof(c), find(r, n, &r[i].c, ms[k]));
			fprintf(f, markdown ? " %s |" : " %18s", c);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
}

void wb_report_text(FILE *f, const struct wb_result *r, size_t n, bool markdown)
{
	size_t i;
	int m;

	for (i = 0; i < n && !markdown; i++)
		if (first_of_case(r, i))
			text_block(f, r, n, i);
	for (m = WB_FIRST_WRITE; m <= WB_GET_RESET; m++)
		pivot(f, r, n, (enum wb_measure)m, markdown);
	pivot_arm(f, r, n, markdown);
}
