/* SPDX-License-Identifier: MIT */
/*
 * writewatch rate (PID | -- CMD [ARG...]) [options]: how fast a process
 * writes memory, exactly: pages and MiB written per interval, distinct
 * pages over growing windows, what pre-copy would leave at a link speed,
 * per mapping; a live view on a terminal, lines otherwise, JSON lines with
 * --json; pictures with --plot DIR or --svg FILE.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writewatch.h"
#include "measure.h"
#include "cli.h"
#include "rate.h"
#include "rate_session.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: writewatch rate PID [options]\n"
		"       writewatch rate [options] -- COMMAND [ARG...]\n"
		"Exact write rate of a process: pages and MiB written per interval, distinct\n"
		"pages over windows of 1, 2, 4, ... s, per mapping, in the session of\n"
		"writewatch track (uffd-async from outside: needs the right to ptrace PID).\n"
		"  --interval MS      length of an interval (default 1000, 1..60000)\n"
		"  --duration S       stop after S seconds (default: when the target ends)\n"
		"  --json             one JSON object per interval, then a summary object\n"
		"  --link-mbps N      pre-copy over a link of N Mbit/s: what would be left\n"
		"  --plot DIR         rate.svg, heatmap.svg and windows.svg into DIR\n"
		"  --svg FILE         the three pictures in one SVG file\n"
		"  --sample N         also estimate each interval QEMU-style: hash N random\n"
		"                     pages per GiB at its start and end (default off)\n");
}

struct rate_cli {
	struct rate_opts o;
};

static int opt_rate(void *ctx, int c, const char *arg)
{
	struct rate_opts *o = &((struct rate_cli *)ctx)->o;
	double v;
	int n;

	switch (c) {
	case 'i':
		if (cli_parse_int(arg, 1, 60000, &o->interval_ms))
			return cli_usage_error("rate", "--interval takes 1..60000 ms, not '%s'", arg);
		return -1;
	case 'd':
		if (wb_parse_decimal(arg, &v) || v <= 0 || v > 1e6)
			return cli_usage_error("rate", "--duration takes seconds > 0, not '%s'", arg);
		o->duration_s = v;
		return -1;
	case 'j':
		o->json = true;
		return -1;
	case 'l':
		if (wb_parse_decimal(arg, &v) || v <= 0 || v > 1e9)
			return cli_usage_error("rate", "--link-mbps takes a speed > 0, not '%s'", arg);
		o->link_mbps = v;
		return -1;
	case 'p':
		o->plot_dir = arg;
		return -1;
	case 's':
		o->svg_file = arg;
		return -1;
	case 'S':
		if (cli_parse_int(arg, 1, 1 << 20, &n))
			return cli_usage_error("rate", "--sample takes 1..1048576 pages/GiB, not '%s'",
					       arg);
		o->sample_per_gib = (unsigned)n;
		return -1;
	}
	return CLI_USAGE;
}

/* Options, then the target: a PID, or the command after "--". */
static int parse(int argc, char **argv, struct rate_cli *c, pid_t *pid, char ***cmd)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "link-mbps", required_argument, NULL, 'l' },
		{ "plot", required_argument, NULL, 'p' },
		{ "svg", required_argument, NULL, 's' },
		{ "sample", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int first, v, ret;

	c->o.interval_ms = 1000;
	ret = cli_parse_operands("rate", argc, argv, ":h", opts, usage, opt_rate, c, &first);
	if (ret >= 0)
		return ret;
	*cmd = NULL;
	*pid = 0;
	if (first > 1 && !strcmp(argv[first - 1], "--")) {
		if (first == argc)
			return cli_usage_error("rate", "no command after '--'");
		*cmd = &argv[first];
		return -1;
	}
	if (argc - first != 1)
		return cli_usage_error("rate", "give one PID, or -- COMMAND");
	if (cli_parse_int(argv[first], 1, 1 << 30, &v))
		return cli_usage_error("rate", "'%s' is not a PID", argv[first]);
	*pid = v;
	return -1;
}

int cmd_rate(int argc, char **argv)
{
	struct rate_cli c = { { 0 } };
	char what[128], **cmd;
	pid_t pid;
	int ret = parse(argc, argv, &c, &pid, &cmd);

	if (ret >= 0)
		return ret;
	if (c.o.plot_dir && c.o.svg_file)
		return cli_usage_error("rate", "give --plot DIR or --svg FILE, not both");
	if (cmd)
		snprintf(what, sizeof(what), "%s", cmd[0]);
	else
		snprintf(what, sizeof(what), "pid %d", (int)pid);
	c.o.what = what;
	return rate_session_run(&c.o, pid, cmd);
}
