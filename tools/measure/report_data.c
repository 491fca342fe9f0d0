/* SPDX-License-Identifier: MIT */
/* Results for programs: CSV and JSON, and where they were measured. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "measure.h"

static const char *unit_name(enum wb_measure m)
{
	return m == WB_FIRST_WRITE ? "ns_per_page" : "ms";
}

static const char *status_name(enum wb_status s)
{
	return s == WB_OK ? "ok" : s == WB_NA ? "n/a" : "failed";
}

static double real_fraction(const struct wb_result *r)
{
	return (double)r->written / (double)(r->c.size / wb_page());
}

static int reps(const struct wb_result *x)
{
	return x->nsamples ? x->nsamples : x->c.reps;
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

/* ",value" (or "," alone when not ok). */
static void csv_num(FILE *f, double v, bool ok)
{
	fputc(',', f);
	if (ok)
		fprintf(f, "%.6g", v);
}

static void csv_row(FILE *f, const struct wb_result *x)
{
	bool ok = x->status == WB_OK;

	fprintf(f, "%s,%s,%s,%zu,%.6g,%zu,%d,%d,%s", wb_measure_name(x->c.measure),
		wb_method_name(x->method), wb_pattern_name(x->c.pattern), x->c.size,
		real_fraction(x), x->written, x->c.threads, reps(x),
		wb_populated_name(x));
	csv_num(f, x->median, ok);
	csv_num(f, x->min, ok);
	csv_num(f, x->max, ok);
	fprintf(f, ",%s", unit_name(x->c.measure));
	csv_num(f, x->vs_raw, ok && x->vs_raw > 0);
	csv_num(f, x->vs_async, ok && x->vs_async > 0);
	fprintf(f, ",%lu", x->mismatches);
	csv_num(f, x->arm_ms, ok);
	fputc(',', f);
	if (ok)
		fprintf(f, "%ld", x->pt_kib);
	fprintf(f, ",%s,", status_name(x->status));
	csv_str(f, x->reason);
	fputc('\n', f);
}

void wb_report_csv(FILE *f, const struct wb_result *r, size_t n)
{
	size_t i;

	fputs(WB_CSV_HEADER "\n", f);
	for (i = 0; i < n; i++)
		csv_row(f, &r[i]);
}

/* ---- JSON ---- */

static void json_num(FILE *f, const char *key, double v, bool ok)
{
	fprintf(f, "\"%s\": ", key);
	if (ok)
		fprintf(f, "%.6g, ", v);
	else
		fputs("null, ", f);
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

static void json_row(FILE *f, const struct wb_result *x)
{
	bool ok = x->status == WB_OK;

	fprintf(f, "{\"measure\": \"%s\", \"method\": \"%s\", \"pattern\": \"%s\", "
		"\"size_bytes\": %zu, \"fraction\": %.6g, \"written_pages\": %zu, "
		"\"threads\": %d, \"reps\": %d, \"populate\": \"%s\", ",
		wb_measure_name(x->c.measure), wb_method_name(x->method),
		wb_pattern_name(x->c.pattern), x->c.size, real_fraction(x), x->written,
		x->c.threads, reps(x), wb_populated_name(x));
	json_num(f, "median", x->median, ok);
	json_num(f, "min", x->min, ok);
	json_num(f, "max", x->max, ok);
	fprintf(f, "\"unit\": \"%s\", ", unit_name(x->c.measure));
	json_num(f, "vs_raw", x->vs_raw, ok && x->vs_raw > 0);
	json_num(f, "vs_uffd_async", x->vs_async, ok && x->vs_async > 0);
	fprintf(f, "\"mismatches\": %lu, ", x->mismatches);
	json_num(f, "arm_ms", x->arm_ms, ok);
	json_num(f, "pt_kib", (double)x->pt_kib, ok);
	fprintf(f, "\"status\": \"%s\", \"reason\": ", status_name(x->status));
	wb_json_str(f, x->reason);
	fputc('}', f);
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
		fputs(i ? ",\n    " : "\n    ", f);
		json_row(f, &r[i]);
	}
	fputs("\n  ]\n}\n", f);
}
