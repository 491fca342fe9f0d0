/* SPDX-License-Identifier: MIT */
/*
 * writewatch demo --quick on the backend under test: interval lines, then
 * the side-by-side table with a row for the backend; --help works.
 */
#include "cli_util.h"

int main(int argc, char **argv)
{
	const char *b = cli_backend();
	const char *demo[] = { "demo", "--quick", "--backends", b, NULL };
	const char *help[] = { "demo", "--help", NULL };
	char want[64];
	struct cli_out r;
	const char *table, *line;
	bool row = false;

	cli_find_tool(argc, argv);

	r = cli_run(120, demo);
	if (r.status == 3)
		tt_skip("backend %s not available here: %s", b, r.err);
	tt_check(r.status == 0, "demo --quick: exit %d, stderr: %s", r.status, r.err);
	snprintf(want, sizeof(want), "  %-10s #1 ", b);
	tt_check(strstr(r.out, want), "demo --quick: no interval line for %s:\n%s", b, r.out);
	table = strstr(r.out, "== every backend side by side ==");
	tt_check(table, "demo --quick: no table:\n%s", r.out);
	tt_check(strstr(table, "first write") && strstr(table, "get+reset") && strstr(table, "overhead"),
		 "demo --quick: table lacks its columns:\n%s", table);
	for (line = table; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (!strncmp(line, b, strlen(b)) && line[strlen(b)] == ' ')
			row = true;
	}
	tt_check(row, "demo --quick: no table row for %s:\n%s", b, table);
	cli_free(&r);

	r = cli_run(60, help);
	tt_check(r.status == 0 && strstr(r.out, "Usage: writewatch demo"),
		 "demo --help: exit %d, output:\n%s", r.status, r.out);
	cli_free(&r);
	return 0;
}
