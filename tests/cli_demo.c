/* SPDX-License-Identifier: MIT */
/*
 * writewatch demo --quick on the backend under test: the output fits a
 * screen and ends with the table (a row for the backend, first write in µs,
 * overheads with their range or n/a) and a verdict line; --verbose adds
 * every interleaved run and interval; demo > /dev/full fails like the other
 * commands; --help works.
 */
#include "cli_util.h"

static void check_table(const char *out, const char *b)
{
	const char *table = strstr(out, "\nbackend "), *line;
	char want[64];
	bool row = false;

	tt_check(table, "demo: no table:\n%s", out);
	tt_check(strstr(table, "first write") && strstr(table, "get+reset") &&
		 strstr(table, "overhead"), "demo: table lacks its columns:\n%s", table);
	for (line = table; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (strncmp(line, b, strlen(b)) || line[strlen(b)] != ' ')
			continue;
		row = true;
		tt_check(strstr(line, " µs") || strstr(line, "n/a") || strstr(line, "failed"),
			 "demo: the %s row gives no first write in µs: %s", b, line);
		tt_check(strstr(line, "% (") || strstr(line, "n/a") || strstr(line, "failed"),
			 "demo: the %s row gives no overhead with its range: %s", b, line);
		break;
	}
	tt_check(row, "demo: no table row for %s:\n%s", b, table);
	snprintf(want, sizeof(want), "\n%s: ", b);
	tt_check(strstr(table, want), "demo: no verdict line for %s:\n%s", b, table);
}

int main(int argc, char **argv)
{
	const char *b = cli_backend();
	const char *demo[] = { "demo", "--quick", "--backends", b, "-q", NULL };
	const char *verbose[] = { "demo", "--quick", "--rounds", "2", "--seconds", "0.05",
				  "--backends", b, "--verbose", "-q", NULL };
	const char *help[] = { "demo", "--help", NULL };
	struct cli_how full = { .out_path = "/dev/full" };
	char want[64];
	struct cli_out r;

	cli_find_tool(argc, argv);

	r = cli_run(120, demo);
	if (r.status == 3)
		tt_skip("backend %s not available here: %s", b, r.err);
	tt_check(r.status == 0, "demo --quick: exit %d, stderr: %s", r.status, r.err);
	tt_check(cli_count_lines(r.out) <= 24, "demo --quick: %zu lines, more than a screen:\n%s",
		 cli_count_lines(r.out), r.out);
	tt_check(!strstr(r.out, " #1 "), "demo --quick: interval lines without --verbose:\n%s", r.out);
	check_table(r.out, b);
	cli_free(&r);

	r = cli_run(120, verbose);
	tt_check(r.status == 0, "demo --verbose: exit %d, stderr: %s", r.status, r.err);
	snprintf(want, sizeof(want), "  %-10s #1 ", b);
	tt_check(strstr(r.out, want), "demo --verbose: no interval line for %s:\n%s", b, r.out);
	tt_check(strstr(r.out, "round 1: untracked") && strstr(r.out, "round 2: untracked"),
		 "demo --verbose: no untracked run in each round:\n%s", r.out);
	check_table(r.out, b);
	cli_free(&r);

	r = cli_run_how(120, &full, verbose);
	tt_check(r.status == 1, "demo > /dev/full: exit %d, want 1 (stderr: %s)", r.status, r.err);
	tt_check(strstr(r.err, "writing the output failed"),
		 "demo > /dev/full: stderr does not say the output was lost: %s", r.err);
	cli_free(&r);

	r = cli_run(60, help);
	tt_check(r.status == 0 && strstr(r.out, "Usage: writewatch demo"),
		 "demo --help: exit %d, output:\n%s", r.status, r.out);
	cli_free(&r);
	return 0;
}
