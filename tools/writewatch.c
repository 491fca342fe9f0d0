/* SPDX-License-Identifier: MIT */
/*
 * writewatch: probe what this machine offers for page write tracking, watch
 * a demo workload, and benchmark every method side by side.
 *   writewatch probe [--json]
 *   writewatch demo [--quick] ...
 *   writewatch bench [options]
 *   writewatch pages (PID | self) [--json]
 *   writewatch rate (PID | -- CMD) [options]
 *   writewatch track [options] (PID | -- CMD [ARGS...])
 * Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 nothing requested
 * is available here.  Errors are one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "writewatch.h"
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "probe", cmd_probe, "what this machine offers: the backend AUTO picks and why, each backend, uffd, PAGEMAP_SCAN, limits" },
	{ "demo", cmd_demo, "a mutator workload tracked by every backend, interleaved; a table of costs and overheads" },
	{ "bench", cmd_bench, "the benchmark matrix: first-write and get+reset cost, ratios to the raw kernel sequence" },
	{ "rate", cmd_rate, "how fast a process writes memory, exactly: per interval, per window, per mapping; pictures" },
	{ "track", cmd_track, "pages a process (or a command) writes per interval, per mapping, exactly" },
	{ "pages", cmd_pages, "the page map of a process per mapping: present, swapped, zero, huge, file, written, guard" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: writewatch COMMAND [options]\n"
		"       writewatch --version | --help | help COMMAND\n\nCommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nEvery command takes --help.  Exit status: 0 ok, 1 runtime failure, 2 usage\n"
		"error, 3 nothing requested is available on this machine.  See writewatch(1).\n");
}

int cli_report(int code, const char *cmd, const char *fmt, ...)
{
	const char *sep = cmd ? " " : "";
	va_list ap;

	fprintf(stderr, "writewatch%s%s: ", sep, cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (code == CLI_USAGE)
		fprintf(stderr, " (see 'writewatch%s%s --help')", sep, cmd ? cmd : "");
	fputc('\n', stderr);
	return code;
}

int cli_parse(const char *cmd, int argc, char **argv, const char *shortopts,
	      const struct option *longopts, void (*usage_fn)(FILE *f),
	      int (*handle)(void *ctx, int c, const char *arg), void *ctx)
{
	return cli_parse_operands(cmd, argc, argv, shortopts, longopts, usage_fn, handle, ctx,
				  NULL);
}

int cli_parse_operands(const char *cmd, int argc, char **argv, const char *shortopts,
		       const struct option *longopts, void (*usage_fn)(FILE *f),
		       int (*handle)(void *ctx, int c, const char *arg), void *ctx,
		       int *first)
{
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h') {
			usage_fn(stdout);
			return cli_finish_output(cmd, CLI_OK);
		}
		if (c == ':')
			return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		if (c == '?')
			return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		ret = handle(ctx, c, optarg);
		if (ret >= 0)
			return ret;
	}
	if (first) {
		*first = optind;
		return -1;
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

int cli_parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int cli_finish_output(const char *cmd, int ret)
{
	errno = 0;
	if (fflush(stdout) || ferror(stdout))
		return cli_error(cmd, "writing the output failed: %s",
				 errno ? strerror(errno) : "write error");
	return ret;
}

/* "writewatch help CMD": CMD's --help. */
static int help(int argc, char **argv)
{
	char opt[] = "--help";
	char *args[] = { NULL, opt, NULL };
	size_t i;

	if (argc == 2) {
		usage(stdout);
		return cli_finish_output(NULL, CLI_OK);
	}
	if (argc > 3)
		return cli_usage_error(NULL, "help takes one command name");
	for (i = 0; i < NCOMMANDS; i++) {
		if (!strcmp(argv[2], commands[i].name)) {
			args[0] = argv[2];
			return commands[i].fn(2, args);
		}
	}
	return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	size_t i;

	if (!cmd) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return cli_finish_output(NULL, CLI_OK);
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("writewatch %d.%d.%d (libwritewatch %s)\n", WW_VERSION_MAJOR,
		       WW_VERSION_MINOR, WW_VERSION_PATCH, ww_version());
		return cli_finish_output(NULL, CLI_OK);
	}
	if (!strcmp(cmd, "help"))
		return help(argc, argv);
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return cli_usage_error(NULL, "unknown option '%s'", cmd);
	return cli_usage_error(NULL, "unknown command '%s'", cmd);
}
