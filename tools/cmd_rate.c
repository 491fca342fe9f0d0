/* SPDX-License-Identifier: MIT */
/*
 * writewatch rate (PID | -- CMD [ARG...]) [options]: how fast a process
 * writes memory, exactly: pages and MiB written per interval, distinct
 * pages over growing windows, what pre-copy would leave at a link speed,
 * per mapping; a live view on a terminal, lines otherwise, JSON lines with
 * --json; pictures with --plot DIR or --svg FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
		"pages over windows of 1, 2, 4, ... s, per mapping.  Tracks with uffd-async\n"
		"from outside (needs the right to ptrace PID).\n"
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

/*
 * Start the command, and return once it runs its own program: a
 * close-on-exec pipe reads EOF at a successful exec, or the errno of a
 * failed one.  A tracker attached before the exec would track the address
 * space the exec throws away.
 */
static pid_t start_command(char **cmd, int *err)
{
	int fds[2], e = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		*err = -errno;
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		*err = -errno;
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		execvp(cmd[0], cmd);
		e = errno;
		if (write(fds[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	*err = read(fds[0], &e, sizeof(e)) == sizeof(e) ? -e : 0;
	close(fds[0]);
	if (*err)
		waitpid(pid, NULL, 0);
	return *err ? -1 : pid;
}

static int session_error(int ret, const char *why, pid_t pid)
{
	if (ret == -EOPNOTSUPP)
		return cli_report(CLI_NOTAVAIL, "rate", "%s: tracking another process needs "
				  "uffd-async (UFFD_FEATURE_WP_ASYNC and PAGEMAP_SCAN, Linux >= 6.7); "
				  "see 'writewatch probe'", why);
	if (ret == -EPERM)
		return cli_error("rate", "%s %d: EPERM (it takes the right to ptrace it: the same "
				 "user and a dumpable process, or CAP_SYS_PTRACE)", why, (int)pid);
	if (ret == -ESRCH)
		return cli_error("rate", "no process %d", (int)pid);
	return cli_error("rate", "%s %d: %s", why, (int)pid, wb_errname(ret));
}

int cmd_rate(int argc, char **argv)
{
	struct rate_cli c = { { 0 } };
	struct rate_state st;
	char what[128], **cmd;
	const char *why = "";
	pid_t pid, child = 0;
	int ret = parse(argc, argv, &c, &pid, &cmd), err;

	if (ret >= 0)
		return ret;
	if (c.o.plot_dir && c.o.svg_file)
		return cli_usage_error("rate", "give --plot DIR or --svg FILE, not both");
	if (cmd) {
		child = start_command(cmd, &err);
		if (child < 0)
			return cli_error("rate", "cannot run '%s': %s", cmd[0], strerror(-err));
		pid = child;
		snprintf(what, sizeof(what), "%s", cmd[0]);
	} else {
		snprintf(what, sizeof(what), "pid %d", (int)pid);
	}
	c.o.what = what;
	ret = rate_init(&st, &c.o, pid);
	if (!ret)
		ret = rate_session_run(&st, child, &why);
	if (ret) {
		rate_free(&st);
		return session_error(ret, why, pid);
	}
	ret = rate_finish(&st);
	rate_free(&st);
	if (ret)
		return cli_error("rate", "writing the pictures: %s", wb_errname(ret));
	return cli_finish_output("rate", CLI_OK);
}
