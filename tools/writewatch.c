/* SPDX-License-Identifier: MIT */
/*
 * writewatch: probe what this machine offers for page write tracking, watch
 * a demo workload, and benchmark every method side by side.
 *   writewatch probe [--json]
 *   writewatch demo [--quick] ...
 *   writewatch bench [options]
 * Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 nothing requested
 * is available here.  Errors are one line on stderr.
 */
#include <stdarg.h>
#include <string.h>

#include "writewatch.h"
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "probe", cmd_probe, "what this kernel offers: backends, uffd features, PAGEMAP_SCAN, THP, hugetlb" },
	{ "demo", cmd_demo, "a mutator workload tracked by every backend in turn, then a comparison" },
	{ "bench", cmd_bench, "the benchmark matrix: first-write and get+reset cost, ratios to the kernel" },
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

static int vreport(const char *cmd, const char *fmt, va_list ap, bool hint)
{
	fprintf(stderr, "writewatch%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	vfprintf(stderr, fmt, ap);
	if (hint)
		fprintf(stderr, " (see 'writewatch%s%s --help')", cmd ? " " : "", cmd ? cmd : "");
	fputc('\n', stderr);
	return hint ? CLI_USAGE : CLI_FAILURE;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreport(cmd, fmt, ap, true);
	va_end(ap);
	return ret;
}

int cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreport(cmd, fmt, ap, false);
	va_end(ap);
	return ret;
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
		return CLI_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("writewatch %d.%d.%d (libwritewatch %s)\n", WW_VERSION_MAJOR,
		       WW_VERSION_MINOR, WW_VERSION_PATCH, ww_version());
		return CLI_OK;
	}
	if (!strcmp(cmd, "help")) {
		char help[] = "--help";
		char *args[] = { NULL, help, NULL };

		if (argc == 2) {
			usage(stdout);
			return CLI_OK;
		}
		if (argc > 3)
			return cli_usage_error(NULL, "help takes one command name");
		cmd = argv[2];
		for (i = 0; i < NCOMMANDS; i++) {
			if (!strcmp(cmd, commands[i].name)) {
				args[0] = argv[2];
				return commands[i].fn(2, args);
			}
		}
		return cli_usage_error(NULL, "unknown command '%s'", cmd);
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return cli_usage_error(NULL, "unknown option '%s'", cmd);
	return cli_usage_error(NULL, "unknown command '%s'", cmd);
}
