/* SPDX-License-Identifier: MIT */
/*
 * The writewatch command's contract on bad input: exit status 2, exactly one
 * line on stderr, nothing on stdout; nan, inf and other strtod spellings are
 * bad numbers.  Also --version and --help (exit 0), and output that cannot
 * be written (exit 1).
 */
#include "cli_util.h"

static void usage_error(const char *const *args, const char *what)
{
	struct cli_out r = cli_run(30, args);

	tt_check(r.status == 2, "%s: exit %d, want 2 (stderr: %s)", what, r.status, r.err);
	tt_check(cli_count_lines(r.err) == 1 && r.err[strlen(r.err) - 1] == '\n',
		 "%s: stderr is not exactly one line:\n%s", what, r.err);
	tt_check(!r.out[0], "%s: printed on stdout:\n%s", what, r.out);
	cli_free(&r);
}

static const char *const cases[][6] = {
	{ "frobnicate", NULL },
	{ "--bogus", NULL },
	{ "help", "nosuch", NULL },
	{ "probe", "--bogus", NULL },
	{ "probe", "extra", NULL },
	{ "bench", "--size", "lots", NULL },
	{ "bench", "--pattern", "zigzag", NULL },
	{ "bench", "--backends", "nosuch", NULL },
	{ "bench", "--fraction", "2", NULL },
	{ "bench", "--reps", NULL },
	{ "bench", "--pages", "10", "--fraction", "1%", NULL },
	{ "demo", "--threads", "0", NULL },
	{ "demo", "--backends", "raw", NULL },
	{ "demo", "--heap", "-5", NULL },
	/* Numbers are plain decimals: no nan, inf, exponent or hex. */
	{ "bench", "--size", "nan", NULL },
	{ "bench", "--size", "inf", NULL },
	{ "bench", "--size", "1e3", NULL },
	{ "bench", "--size", "0x1000", NULL },
	{ "bench", "--fraction", "nan", NULL },
	{ "bench", "--fraction", "inf%", NULL },
	{ "bench", "--fraction", "1/nan", NULL },
	{ "demo", "--seconds", "inf", NULL },
	{ "demo", "--seconds", "nan", NULL },
	{ "demo", "--interval", "inf", NULL },
	{ "demo", "--interval", "nan", NULL },
	{ "demo", "--hot", "nan", NULL },
	{ "demo", "--heap", "inf", NULL },
	{ "demo", "--rounds", "1", NULL },
};

/* --version and --help: exit 0, on stdout. */
static void check_version_help(void)
{
	const char *version[] = { "--version", NULL };
	const char *help[] = { "--help", NULL };
	struct cli_out r = cli_run(30, version);

	tt_check(r.status == 0 && !strncmp(r.out, "writewatch ", 11),
		 "--version: exit %d, output '%s'", r.status, r.out);
	tt_check(strstr(r.out, ww_version()), "--version does not say %s: %s", ww_version(), r.out);
	cli_free(&r);

	r = cli_run(30, help);
	tt_check(r.status == 0 && strstr(r.out, "probe") && strstr(r.out, "demo") &&
		 strstr(r.out, "bench"), "--help: exit %d, output:\n%s", r.status, r.out);
	cli_free(&r);
}

/* Output that cannot be written is a failure (exit 1, said on stderr), never success. */
static void check_lost_output(void)
{
	static const char *const cmds[][3] = {
		{ "--version", NULL }, { "--help", NULL }, { "probe", NULL },
		{ "probe", "--json", NULL }, { "bench", "--help", NULL },
	};
	struct cli_how full = { .out_path = "/dev/full" };
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct cli_out r = cli_run_how(30, &full, cmds[i]);

		tt_check(r.status == 1 && strstr(r.err, "writing the output failed"),
			 "%s %s > /dev/full: exit %d, stderr: %s", cmds[i][0],
			 cmds[i][1] ? cmds[i][1] : "", r.status, r.err);
		cli_free(&r);
	}
}

int main(int argc, char **argv)
{
	static const char *const none[] = { NULL };
	struct cli_out r;
	size_t i;

	cli_find_tool(argc, argv);

	/* No command at all: the usage goes to stderr (several lines) and the exit is 2. */
	r = cli_run(30, none);
	tt_check(r.status == 2 && !r.out[0] && strstr(r.err, "Usage"),
		 "no arguments: exit %d, stdout '%s'", r.status, r.out);
	cli_free(&r);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[128];

		snprintf(what, sizeof(what), "writewatch %s %s %s", cases[i][0],
			 cases[i][1] ? cases[i][1] : "", cases[i][1] && cases[i][2] ? cases[i][2] : "");
		usage_error(cases[i], what);
	}
	check_version_help();
	check_lost_output();
	return 0;
}
