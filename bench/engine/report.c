/* SPDX-License-Identifier: MIT */
/* Result output: text (per-case blocks + side-by-side), markdown, CSV, JSON. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine.h"

static const char *unit_name(enum wb_measure m)
{
	return m == WB_FIRST_WRITE ? "ns_per_page" : "ms";
}

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

static bool same_case(const struct wb_case *a, const struct wb_case *b)
{
	return a->measure == b->measure && a->pattern == b->pattern && a->size == b->size &&
	       a->fraction == b->fraction && a->pages == b->pages && a->threads == b->threads &&
	       a->reps == b->reps && a->populate == b->populate;
}

static double real_fraction(const struct wb_result *r)
{
	return (double)r->written / (double)(r->c.size / WB_PAGE);
}

/* ---- text ---- */

static void text_block(FILE *f, const struct wb_result *r, size_t n, size_t first)
{
	const struct wb_case *c = &r[first].c;
	char label[96], med[32], mn[32], mx[32], vr[16], va[16];
	size_t i;

	wb_case_label(c, label, sizeof(label));
	fprintf(f, "== %s: %s (%zu pages written, %d thread%s, %s memory, median of %d) ==\n",
		c->measure == WB_FIRST_WRITE ? "first write after reset" : "get+reset",
		label, r[first].written, c->threads, c->threads == 1 ? "" : "s",
		r[first].populated_full ? "fully populated" : "mostly untouched",
		r[first].nsamples ? r[first].nsamples : c->reps);
	fprintf(f, "%-15s %12s %12s %12s %8s %14s %10s %10s\n", "method",
		c->measure == WB_FIRST_WRITE ? "per page" : "per call", "min", "max",
		"vs raw", "vs uffd-async", "arm", "+PT KiB");
	for (i = first; i < n; i++) {
		if (!same_case(&r[i].c, c))
			continue;
		if (r[i].status != WB_OK) {
			fprintf(f, "%-15s %s (%s)\n", wb_method_name(r[i].method),
				r[i].status == WB_NA ? "n/a" : "FAILED", r[i].reason);
			continue;
		}
		fmt_value(med, sizeof(med), c->measure, r[i].median);
		fmt_value(mn, sizeof(mn), c->measure, r[i].min);
		fmt_value(mx, sizeof(mx), c->measure, r[i].max);
		fmt_ratio(vr, sizeof(vr), r[i].vs_raw);
		fmt_ratio(va, sizeof(va), r[i].vs_async);
		fprintf(f, "%-15s %12s %12s %12s %8s %14s %7.2f ms %10ld", wb_method_name(r[i].method),
			med, mn, mx, vr, va, r[i].arm_ms, r[i].pt_kib);
		if (r[i].mismatches)
			fprintf(f, "  ! %lu rep(s) reported %ld pages, not %zu", r[i].mismatches,
				r[i].last_mismatch, r[i].written);
		fputc('\n', f);
	}
	fputc('\n', f);
}

/* Methods present in the results, in enum order. */
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
		if (r[i].method == m && same_case(&r[i].c, c))
			return &r[i];
	return NULL;
}

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

/* One table per measure: a row per case, a column per method, cells "median (x raw)". */
static void pivot(FILE *f, const struct wb_result *r, size_t n, enum wb_measure m, bool markdown)
{
	enum wb_method ms[WB_NMETHODS];
	int nm = methods_present(r, n, m, ms), k;
	char label[96], c[64];
	size_t i, j;
	bool any_fail = false;

	if (!nm)
		return;
	if (markdown) {
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
	} else {
		fprintf(f, "== side by side: %s (median; in brackets: ratio to raw) ==\n",
			m == WB_FIRST_WRITE ? "first write per page" : "get+reset per call");
		fprintf(f, "%-28s %9s", "case", "written");
		for (k = 0; k < nm; k++)
			fprintf(f, " %18s", wb_method_name(ms[k]));
		fputc('\n', f);
	}
	for (i = 0; i < n; i++) {
		if (r[i].c.measure != m)
			continue;
		for (j = 0; j < i; j++)
			if (same_case(&r[j].c, &r[i].c))
				break;
		if (j < i)
			continue;       /* case already printed */
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

			if (x && x->status == WB_FAILED)
				any_fail = true;
			cell(c, sizeof(c), x);
			if (markdown)
				fprintf(f, " %s |", c);
			else
				fprintf(f, " %18s", c);
		}
		fputc('\n', f);
	}
	if (any_fail || markdown)
		fputc('\n', f);
	for (i = 0; i < n; i++) {
		if (r[i].c.measure != m || r[i].status != WB_OK || !r[i].mismatches)
			continue;
		wb_case_label(&r[i].c, label, sizeof(label));
		fprintf(f, "%s%s (%s): ! %lu rep(s) reported %ld pages, not %zu\n",
			markdown ? "- " : "  ", wb_method_name(r[i].method), label, r[i].mismatches,
			r[i].last_mismatch, r[i].written);
		any_fail = true;
	}
	/* Say why something failed or is missing: a table cell has no room for it. */
	for (i = 0; i < n; i++) {
		bool first = true;

		if (r[i].c.measure != m || r[i].status == WB_OK)
			continue;
		for (j = 0; j < i; j++)
			if (r[j].c.measure == m && r[j].method == r[i].method &&
			    r[j].status == r[i].status && !strcmp(r[j].reason, r[i].reason))
				break;
		if (j < i)
			continue;       /* said already, with every case it applies to */
		fprintf(f, "%s%s %s", markdown ? "- " : "  ", wb_method_name(r[i].method),
			r[i].status == WB_NA ? "n/a" : "failed");
		if (r[i].status != WB_NA) {
			for (j = i; j < n; j++) {
				if (r[j].c.measure != m || r[j].method != r[i].method ||
				    r[j].status != r[i].status || strcmp(r[j].reason, r[i].reason))
					continue;
				wb_case_label(&r[j].c, label, sizeof(label));
				fprintf(f, "%s%s", first ? " (" : ", ", label);
				first = false;
			}
			fputc(')', f);
		}
		fprintf(f, ": %s\n", r[i].reason);
	}
	fputc('\n', f);
}

void wb_report_text(FILE *f, const struct wb_result *r, size_t n, bool markdown)
{
	size_t i, j;
	int m;

	if (!markdown) {
		for (i = 0; i < n; i++) {
			for (j = 0; j < i; j++)
				if (same_case(&r[j].c, &r[i].c))
					break;
			if (j == i)
				text_block(f, r, n, i);
		}
	}
	for (m = WB_FIRST_WRITE; m <= WB_GET_RESET; m++)
		pivot(f, r, n, (enum wb_measure)m, markdown);
}

void wb_report_reference(FILE *f)
{
	fputs("Reference figures from design.md (measured earlier on this machine, NOT by this run):\n"
	      "  first write, dense:         raw ~0.9 us   mprotect+SIGSEGV ~4.7 us\n"
	      "  first write, 1 in 64:       raw ~0.9 us   mprotect+SIGSEGV ~7.6 us\n"
	      "  first write, 1 in 4096:     raw ~1.2 us   mprotect+SIGSEGV ~17 us\n"
	      "  get+reset 1 GiB, 1%:        raw ~0.6 ms   mprotect+SIGSEGV ~11 ms   old pagemap ~11 ms\n"
	      "  Wine's published figures: 178-245 ns/page with kernel watches, 1,800-70,000 ns with\n"
	      "  its mprotect fallback, 210-290 ns on Windows.\n\n", f);
}

/* ---- CSV ---- */

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double v, bool ok)
{
	if (ok)
		fprintf(f, "%.6g", v);
}

void wb_report_csv(FILE *f, const struct wb_result *r, size_t n)
{
	size_t i;

	fputs(WB_CSV_HEADER "\n", f);
	for (i = 0; i < n; i++) {
		const struct wb_result *x = &r[i];
		bool ok = x->status == WB_OK;

		fprintf(f, "%s,%s,%s,%zu,%.6g,%zu,%d,%d,%s,", wb_measure_name(x->c.measure),
			wb_method_name(x->method), wb_pattern_name(x->c.pattern), x->c.size,
			real_fraction(x), x->written, x->c.threads, x->nsamples ? x->nsamples : x->c.reps,
			x->populated_full ? "full" : "written");
		csv_num(f, x->median, ok);
		fputc(',', f);
		csv_num(f, x->min, ok);
		fputc(',', f);
		csv_num(f, x->max, ok);
		fprintf(f, ",%s,", unit_name(x->c.measure));
		csv_num(f, x->vs_raw, ok && x->vs_raw > 0);
		fputc(',', f);
		csv_num(f, x->vs_async, ok && x->vs_async > 0);
		fprintf(f, ",%lu,", x->mismatches);
		csv_num(f, x->arm_ms, ok);
		fputc(',', f);
		if (ok)
			fprintf(f, "%ld", x->pt_kib);
		fprintf(f, ",%s,", x->status == WB_OK ? "ok" : x->status == WB_NA ? "n/a" : "failed");
		csv_str(f, x->reason);
		fputc('\n', f);
	}
}

/* ---- JSON ---- */

static void json_num(FILE *f, const char *key, double v, bool ok, bool comma)
{
	fprintf(f, "\"%s\": ", key);
	if (ok)
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
	if (comma)
		fputs(", ", f);
}

void wb_env_get(struct wb_env *e, int nice)
{
	struct utsname u;
	double load[3] = { 0 };

	memset(e, 0, sizeof(*e));
	if (!uname(&u))
		snprintf(e->kernel, sizeof(e->kernel), "%s", u.release);
	e->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	e->load = getloadavg(load, 1) == 1 ? load[0] : -1;
	e->nice = nice;
}

void wb_report_json(FILE *f, const struct wb_result *r, size_t n, const char *command,
		    const struct wb_env *env)
{
	size_t i;

	fputs("{\n  \"command\": ", f);
	wb_json_str(f, command ? command : "");
	fputs(",\n  \"kernel\": ", f);
	wb_json_str(f, env->kernel);
	fprintf(f, ",\n  \"cpus\": %ld,\n  \"load_average\": %.2f,\n  \"nice\": %d,\n  \"results\": [",
		env->cpus, env->load, env->nice);
	for (i = 0; i < n; i++) {
		const struct wb_result *x = &r[i];
		bool ok = x->status == WB_OK;

		fprintf(f, "%s\n    {\"measure\": \"%s\", \"method\": \"%s\", \"pattern\": \"%s\", "
			"\"size_bytes\": %zu, \"fraction\": %.6g, \"written_pages\": %zu, "
			"\"threads\": %d, \"reps\": %d, \"populate\": \"%s\", ",
			i ? "," : "", wb_measure_name(x->c.measure), wb_method_name(x->method),
			wb_pattern_name(x->c.pattern), x->c.size, real_fraction(x), x->written,
			x->c.threads, x->nsamples ? x->nsamples : x->c.reps,
			x->populated_full ? "full" : "written");
		json_num(f, "median", x->median, ok, true);
		json_num(f, "min", x->min, ok, true);
		json_num(f, "max", x->max, ok, true);
		fprintf(f, "\"unit\": \"%s\", ", unit_name(x->c.measure));
		json_num(f, "vs_raw", x->vs_raw, ok && x->vs_raw > 0, true);
		json_num(f, "vs_uffd_async", x->vs_async, ok && x->vs_async > 0, true);
		fprintf(f, "\"mismatches\": %lu, ", x->mismatches);
		json_num(f, "arm_ms", x->arm_ms, ok, true);
		json_num(f, "pt_kib", (double)x->pt_kib, ok, true);
		fprintf(f, "\"status\": \"%s\", \"reason\": ",
			x->status == WB_OK ? "ok" : x->status == WB_NA ? "n/a" : "failed");
		wb_json_str(f, x->reason);
		fputc('}', f);
	}
	fputs("\n  ]\n}\n", f);
}
