/* SPDX-License-Identifier: MIT */
/*
 * A size the machine cannot map is refused before anything runs, with one
 * line: exit 2, one line on stderr naming the size, nothing on stdout (no
 * table of FAILED rows).  1000 TiB exceeds every user address space Linux
 * hands out without a hint (47 bits on x86_64, 48 on arm64); 100 TiB, the
 * size once reported as running, exceeds what x86_64 has free in one piece.
 */
#include "cli_util.h"

static void refused(const char *cmd, const char *opt, const char *size, const char *shown)
{
	const char *b = cli_backend();
	const char *args[] = { cmd, opt, size, "--backends", b, "--quick", NULL };
	struct cli_out r = cli_run(60, args);

	tt_check(r.status == 2, "%s %s %s: exit %d, want 2 (stderr: %s)", cmd, opt, size, r.status,
		 r.err);
	tt_check(cli_count_lines(r.err) == 1, "%s %s %s: stderr is not one line:\n%s", cmd, opt,
		 size, r.err);
	tt_check(strstr(r.err, shown), "%s %s %s: the line does not name %s: %s", cmd, opt, size,
		 shown, r.err);
	tt_check(!r.out[0], "%s %s %s: printed on stdout:\n%s", cmd, opt, size, r.out);
	cli_free(&r);
}

int main(int argc, char **argv)
{
	cli_find_tool(argc, argv);
	refused("bench", "--size", "1000T", "1000 TiB");
	refused("demo", "--heap", "1000T", "1000 TiB");
#ifdef __x86_64__
	refused("bench", "--size", "100T", "100 TiB");
	refused("demo", "--heap", "100T", "100 TiB");
#endif
	return 0;
}
