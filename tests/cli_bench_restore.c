/* SPDX-License-Identifier: MIT */
/*
 * writewatch bench --measure restore, small: --csv has the columns
 * writewatch(1) lists, one row per (case, method), the snapshot of the
 * backend under test restores every written page (no mismatch, the count it
 * reports is the pages written), the baselines run beside it; the tables
 * print; bad options are usage errors.  Figures are not judged.
 */
#include "cli_util.h"

static const char *const columns[] = {
	"size_bytes", "sparse", "pages", "method", "status", "iter_us", "restore_us", "setup_ms",
	"vs_snapshot", "restored", "mismatches", "reps", "reason",
};
#define NCOL (int)(sizeof(columns) / sizeof(columns[0]))

static char fields[32][256];

static void check_csv(const char *csv, const char *snap)
{
	const char *line = csv;
	int n, i, rows = 0, mine = 0, copy = 0;

	n = csv_split(line, fields, 32);
	tt_check(n == NCOL, "--csv: header has %d columns, want %d:\n%.200s", n, NCOL, csv);
	for (i = 0; i < NCOL; i++)
		tt_check(!strcmp(fields[i], columns[i]), "--csv: column %d is '%s', want '%s'",
			 i + 1, fields[i], columns[i]);
	while ((line = strchr(line, '\n')) && *++line) {
		rows++;
		n = csv_split(line, fields, 32);
		tt_check(n == NCOL, "--csv: row %d has %d fields, want %d", rows, n, NCOL);
		tt_check(strcmp(fields[4], "failed"), "--csv: %s failed: %s", fields[3], fields[12]);
		if (strcmp(fields[4], "ok")) {
			tt_check(fields[12][0], "--csv: row %d: %s without a reason", rows, fields[4]);
			continue;
		}
		tt_check(atof(fields[5]) > 0 && !strcmp(fields[10], "0"),
			 "--csv: %s: iteration %s us, %s mismatches", fields[3], fields[5], fields[10]);
		copy += !strcmp(fields[3], "copy");
		if (!strcmp(fields[3], snap)) {
			tt_check(!strcmp(fields[9], fields[2]), "--csv: %s restored %s pages, %s written",
				 snap, fields[9], fields[2]);
			mine++;
		}
	}
	tt_check(mine == 2 && copy == 2, "--csv: %d rows of %s, %d of copy, want 2 each", mine,
		 snap, copy);
}

int main(int argc, char **argv)
{
	char snap[64], methods[128];
	const char *csv[] = { "bench", "--measure", "restore", "--size", "4M", "--pages", "1,64",
			      "--reps", "3", "--methods", methods, "--csv", "-q", NULL };
	const char *md[] = { "bench", "--measure=restore", "--quick", "--reps", "1", "--methods",
			     "copy,fork", "--markdown", "-q", NULL };
	const char *bad[] = { "bench", "--measure", "restore", "--size", "3M", NULL };
	struct ww_backend_info info = { .size = sizeof(info) };
	enum ww_backend id;
	struct cli_out r;

	cli_find_tool(argc, argv);
	tt_ok(ww_backend_parse(cli_backend(), &id));
	tt_ok(ww_probe_backend(id, &info));
	if (!info.available)
		tt_skip("backend %s not available here: %s", cli_backend(), info.reason);
	snprintf(snap, sizeof(snap), "snap-%s", cli_backend());
	snprintf(methods, sizeof(methods), "%s,copy,memfd-dontneed,pagemap-scan,fork", snap);

	r = cli_run(120, csv);
	tt_check(r.status == 0, "--csv: exit %d, stderr: %s", r.status, r.err);
	check_csv(r.out, snap);
	cli_free(&r);

	r = cli_run(120, md);
	tt_check(r.status == 0 && strstr(r.out, "| case | copy | fork |") &&
		 strstr(r.out, "| 64 pages of 16 MiB |"), "--markdown: exit %d, output:\n%s",
		 r.status, r.out);
	cli_free(&r);

	r = cli_run(60, bad);
	tt_check(r.status == 2 && strstr(r.err, "--size"), "--size 3M: exit %d, stderr: %s",
		 r.status, r.err);
	cli_free(&r);
	return 0;
}
