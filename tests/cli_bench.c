/* SPDX-License-Identifier: MIT */
/*
 * writewatch bench --quick on the backend under test: --csv has exactly the
 * columns writewatch(1) promises, a row per (case, method) with the raw
 * kernel reference and the backend, consistent fields; --json is valid.
 * Figures are not judged: no timed assertions.
 */
#include "cli_util.h"

static const char *const columns[] = {
	"measure", "method", "pattern", "size_bytes", "fraction", "written_pages", "threads",
	"reps", "populate", "median", "min", "max", "unit", "vs_raw", "vs_uffd_async",
	"mismatches", "arm_ms", "pt_kib", "status", "reason",
};
#define NCOL (int)(sizeof(columns) / sizeof(columns[0]))

static char fields[32][256];

static void check_csv(const char *csv, const char *backend)
{
	const char *line = csv;
	int n, i, rows = 0, mine = 0, raw = 0;

	n = csv_split(line, fields, 32);
	tt_check(n == NCOL, "bench --csv: header has %d columns, want %d:\n%.200s", n, NCOL, csv);
	for (i = 0; i < NCOL; i++)
		tt_check(!strcmp(fields[i], columns[i]), "bench --csv: column %d is '%s', want '%s'",
			 i + 1, fields[i], columns[i]);
	while ((line = strchr(line, '\n')) && *++line) {
		rows++;
		n = csv_split(line, fields, 32);
		tt_check(n == NCOL, "bench --csv: row %d has %d fields, want %d", rows, n, NCOL);
		tt_check(!strcmp(fields[0], "first_write") || !strcmp(fields[0], "get_reset"),
			 "bench --csv: row %d: measure '%s'", rows, fields[0]);
		tt_check(!strcmp(fields[12], !strcmp(fields[0], "first_write") ? "ns_per_page" : "ms"),
			 "bench --csv: row %d: unit '%s' for %s", rows, fields[12], fields[0]);
		tt_check(!strcmp(fields[18], "ok") || !strcmp(fields[18], "n/a") ||
			 !strcmp(fields[18], "failed"), "bench --csv: row %d: status '%s'", rows, fields[18]);
		if (!strcmp(fields[18], "ok"))
			tt_check(fields[9][0] && atof(fields[9]) > 0,
				 "bench --csv: row %d (%s): ok without a median", rows, fields[1]);
		else
			tt_check(fields[19][0], "bench --csv: row %d (%s): %s without a reason", rows,
				 fields[1], fields[18]);
		tt_check(strcmp(fields[18], "failed"), "bench --csv: %s failed: %s", fields[1], fields[19]);
		raw += !strcmp(fields[1], "raw");
		mine += !strcmp(fields[1], backend);
	}
	tt_check(raw >= 2, "bench --csv: %d raw reference rows", raw);
	tt_check(mine >= 2, "bench --csv: %d rows for %s", mine, backend);
}

int main(int argc, char **argv)
{
	const char *b = cli_backend();
	const char *csv[] = { "bench", "--quick", "--reps", "2", "--backends", b, "--csv", NULL };
	const char *json[] = { "bench", "--quick", "--reps", "1", "--backends", b, "--measure",
			       "get-reset", "--json", NULL };
	const char *help[] = { "bench", "--help", NULL };
	struct cli_out r;
	const char *res;

	cli_find_tool(argc, argv);

	r = cli_run(120, csv);
	if (r.status == 3)
		tt_skip("backend %s not available here: %s", b, r.err);
	tt_check(r.status == 0, "bench --csv: exit %d, stderr: %s", r.status, r.err);
	check_csv(r.out, b);
	cli_free(&r);

	r = cli_run(120, json);
	tt_check(r.status == 0, "bench --json: exit %d, stderr: %s", r.status, r.err);
	tt_check(json_valid(r.out), "bench --json: not valid JSON:\n%s", r.out);
	res = json_get(r.out, "results");
	tt_check(res && *res == '[' && strstr(res, "\"method\": \"raw\"") &&
		 strstr(res, "\"get_reset\""), "bench --json: no results array with the raw row");
	cli_free(&r);

	r = cli_run(60, help);
	tt_check(r.status == 0 && strstr(r.out, "--csv") && strstr(r.out, "--backends"),
		 "bench --help: exit %d, output:\n%s", r.status, r.out);
	cli_free(&r);
	return 0;
}
