/* SPDX-License-Identifier: MIT */
/*
 * writewatch demo's report: one table of the backends side by side, one
 * verdict line per backend, and how to read the overheads.  An overhead is
 * printed with its range over the rounds and, when it lies within the
 * untracked runs' own spread or its range crosses zero, marked as noise:
 * then it is no fact about the backend.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void demo_spread(struct spread *s, const double *v, int n)
{
	double tmp[DEMO_MAX_ROUNDS];

	memset(s, 0, sizeof(*s));
	if (n <= 0)
		return;
	memcpy(tmp, v, (size_t)n * sizeof(*tmp));
	qsort(tmp, (size_t)n, sizeof(*tmp), cmp_double);
	s->n = n;
	s->min = tmp[0];
	s->max = tmp[n - 1];
	s->median = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* s right-aligned in width columns; µs counts as two characters. */
static void put_right(const char *s, int width)
{
	int chars = 0;
	const char *p;

	for (p = s; *p; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	printf("%*s%s", width > chars ? width - chars : 0, "", s);
}

static const char *status_word(enum wb_status s)
{
	return s == WB_NA ? "n/a" : "failed";
}

/* First write per page, in µs as the README gives it. */
static void fmt_us(char *buf, size_t len, const struct wb_result *r)
{
	if (r->status != WB_OK)
		snprintf(buf, len, "%s", status_word(r->status));
	else
		snprintf(buf, len, r->median >= 10000 ? "%.1f µs" : "%.2f µs", r->median / 1000);
}

static void fmt_ms(char *buf, size_t len, const struct wb_result *r)
{
	if (r->status != WB_OK)
		snprintf(buf, len, "%s", status_word(r->status));
	else
		snprintf(buf, len, r->median >= 1 ? "%.2f ms" : "%.3f ms", r->median);
}

/* "+66.6% (+60.0 to +70.1)", "+1.2% (-2.0 to +4.1) noise" */
static void fmt_overhead(char *buf, size_t len, const struct demo_row *r, bool cpu)
{
	const struct spread *s = cpu ? &r->oc : &r->ow;

	if (r->wl.status != WB_OK) {
		snprintf(buf, len, "%s", status_word(r->wl.status));
		return;
	}
	snprintf(buf, len, "%+.1f%% (%+.1f to %+.1f)%s", s->median, s->min, s->max,
		 (cpu ? r->oc_noise : r->ow_noise) ? " noise" : "");
}

static void table(const struct demo_row *rows, int n)
{
	char a[32], b[32], c[48], d[48];
	int i;

	printf("\n%-11s", "backend");
	put_right("first write", 12);
	put_right("get+reset", 11);
	printf("   %-31s %s\n", "workload overhead, wall", "overhead, CPU");
	for (i = 0; i < n; i++) {
		fmt_us(a, sizeof(a), &rows[i].fw);
		fmt_ms(b, sizeof(b), &rows[i].gr);
		fmt_overhead(c, sizeof(c), &rows[i], false);
		fmt_overhead(d, sizeof(d), &rows[i], true);
		printf("%-11s", wb_method_name(rows[i].m));
		put_right(a, 12);
		put_right(b, 11);
		printf("   %-31s %s\n", c, d);
	}
	putchar('\n');
}

/* "5.1x faster", "1.3x slower", "as fast" */
static void fmt_vs(char *buf, size_t len, double mine, double theirs)
{
	double q = theirs / mine;

	if (q >= 1.05)
		snprintf(buf, len, "%.1fx faster", q);
	else if (q <= 1 / 1.05)
		snprintf(buf, len, "%.1fx slower", 1 / q);
	else
		snprintf(buf, len, "as fast");
}

/* What went wrong with r, in one line; false if nothing did. */
static bool row_problem(const struct demo_row *r)
{
	const char *name = wb_method_name(r->m);

	if (r->fw.status != WB_OK)
		printf("%s: first write %s: %s\n", name, status_word(r->fw.status), r->fw.reason);
	else if (r->gr.status != WB_OK)
		printf("%s: get+reset %s: %s\n", name, status_word(r->gr.status), r->gr.reason);
	else if (r->wl.status != WB_OK)
		printf("%s: workload %s: %s\n", name, status_word(r->wl.status), r->wl.reason);
	else
		return false;
	return true;
}

static void verdict(const struct demo_row *r, const struct demo_row *mp)
{
	char c[32], d[32];

	if (row_problem(r))
		return;
	printf("%s: ", wb_method_name(r->m));
	if (mp && r != mp && mp->fw.status == WB_OK && mp->gr.status == WB_OK) {
		fmt_vs(c, sizeof(c), r->fw.median, mp->fw.median);
		fmt_vs(d, sizeof(d), r->gr.median, mp->gr.median);
		printf("first write %s than mprotect, get+reset %s; ", c, d);
	}
	if (r->ow_noise && r->oc_noise)
		printf("workload overhead within the noise\n");
	else
		printf("workload overhead %+.0f%% wall%s, %+.0f%% CPU%s\n", r->ow.median,
		       r->ow_noise ? " (noise)" : "", r->oc.median, r->oc_noise ? " (noise)" : "");
}

void demo_report(const struct demo_row *rows, int n, const struct demo_base *base,
		 const struct wb_case *fw, const struct wb_case *gr, const struct demo_opts *o)
{
	const struct demo_row *mp = NULL;
	char lf[64], lg[64];
	int i;

	for (i = 0; i < n; i++)
		if (rows[i].m == WB_MPROTECT)
			mp = &rows[i];
	table(rows, n);
	for (i = 0; i < n; i++)
		verdict(&rows[i], mp);
	wb_case_label(fw, lf, sizeof(lf));
	wb_case_label(gr, lg, sizeof(lg));
	printf("\nfirst write: per page, %s; get+reset: per call, %s.\n", lf, lg);
	printf("Overhead: median of %d rounds against the same round's untracked run (range in\n"
	       "brackets); \"noise\" marks one no larger than the untracked runs' own spread\n"
	       "(%.1f%% wall, %.1f%% CPU; %.2f to %.2f s) or of either sign.  Measured just now\n"
	       "on this machine; `writewatch bench` gives the full matrix.\n",
	       o->rounds, base->wall_noise, base->cpu_noise, base->w.min, base->w.max);
}
