/* SPDX-License-Identifier: MIT */
/*
 * writewatch track [--interval MS] [--duration S] [--top N] [--json] (PID | -- CMD [ARGS...])
 *
 * Attach to a process (or start a command), watch every writable mapping,
 * and print per interval the pages and MiB written, the distinct pages
 * written so far and the mappings written most.  The session itself
 * (attach, follow mappings, collect) is tools/track_session.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "writewatch.h"
#include "measure.h"
#include "cli.h"
#include "track_session.h"

struct track_ctx {
	int interval_ms;
	double duration;
	int top;
	bool json;
	uint64_t counted;               /* page writes counted, one per page and interval */
	uint64_t distinct;
	size_t page_size;
	double t_end;
	unsigned intervals;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: writewatch track [--interval MS] [--duration S] [--top N] [--json] PID\n"
		"       writewatch track [options] -- CMD [ARGS...]\n\n"
		"Watch every writable mapping of process PID (or of CMD, started here) and print,\n"
		"per interval, the pages written in it, the distinct pages written since the start\n"
		"and the mappings written most.  New mappings are watched as they appear.\n\n"
		"  --interval MS   length of an interval (default 1000)\n"
		"  --duration S    stop after S seconds (default: when the process ends, or ^C)\n"
		"  --top N         mappings listed per interval (default 3)\n"
		"  --json          one JSON object per interval, one per line\n\n"
		"With -- CMD, exits with the command's status.  Needs the right to ptrace PID.\n");
}

static int opt(void *ctx, int c, const char *arg)
{
	struct track_ctx *x = ctx;
	char *end;

	switch (c) {
	case 'i':
		if (cli_parse_int(arg, 1, 3600 * 1000, &x->interval_ms))
			return cli_usage_error("track", "--interval: '%s' is not 1..3600000 ms", arg);
		return -1;
	case 'd':
		x->duration = strtod(arg, &end);
		if (*end || end == arg || !(x->duration > 0) || x->duration > 1e7)
			return cli_usage_error("track", "--duration: '%s' is not a positive number of "
					       "seconds", arg);
		return -1;
	case 't':
		if (cli_parse_int(arg, 0, 1000, &x->top))
			return cli_usage_error("track", "--top: '%s' is not 0..1000", arg);
		return -1;
	case 'j':
		x->json = true;
		return -1;
	}
	return cli_usage_error("track", "unknown option");
}

static double mib(uint64_t pages, size_t ps)
{
	return (double)pages * (double)ps / (1024.0 * 1024.0);
}

/* The last path component, for people: "/usr/lib/libc.so.6" -> "libc.so.6". */
static const char *short_label(const char *label)
{
	const char *slash = label[0] == '/' ? strrchr(label, '/') : NULL;

	return slash && slash[1] ? slash + 1 : label;
}

static void print_json(const struct track_interval *iv)
{
	bool first = true;

	printf("{\"t\":%.3f,\"interval\":%u,\"dt\":%.3f,\"written_pages\":%" PRIu64
	       ",\"written_mib\":%.3f,\"distinct_pages\":%" PRIu64 ",\"page_size\":%zu,\"mappings\":[",
	       iv->t, iv->index, iv->dt, iv->written_pages, mib(iv->written_pages, iv->page_size),
	       iv->distinct_pages, iv->page_size);
	for (size_t i = 0; i < iv->nmaps; i++) {
		const struct track_map *m = &iv->maps[i];

		if (!m->written)
			continue;
		printf("%s{\"name\":", first ? "" : ",");
		wb_json_str(stdout, m->label);
		printf(",\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"written_pages\":%" PRIu64
		       ",\"distinct_pages\":%" PRIu64 "}", m->start, m->end, m->written, m->distinct);
		first = false;
	}
	printf("]}\n");
}

static void print_text(const struct track_ctx *x, const struct track_interval *iv)
{
	size_t shown[16], n = 0, want = (size_t)x->top < 16 ? (size_t)x->top : 16;

	printf("%8.2f s  written %8" PRIu64 " pages %9.2f MiB  distinct %9" PRIu64, iv->t,
	       iv->written_pages, mib(iv->written_pages, iv->page_size), iv->distinct_pages);
	/* The top mappings of this interval, most written first (a few: a selection pass). */
	while (n < want) {
		size_t best = SIZE_MAX;

		for (size_t i = 0; i < iv->nmaps; i++) {
			bool taken = false;

			for (size_t k = 0; k < n; k++)
				taken |= shown[k] == i;
			if (!taken && iv->maps[i].written &&
			    (best == SIZE_MAX || iv->maps[i].written > iv->maps[best].written))
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		printf("%s %s %" PRIu64, n ? "," : "  |", short_label(iv->maps[best].label),
		       iv->maps[best].written);
		shown[n++] = best;
	}
	putchar('\n');
}

static int on_interval(const struct track_interval *iv, void *arg)
{
	struct track_ctx *x = arg;

	x->counted += iv->written_pages;
	x->distinct = iv->distinct_pages;
	x->page_size = iv->page_size;
	x->t_end = iv->t;
	x->intervals++;
	if (x->json)
		print_json(iv);
	else
		print_text(x, iv);
	fflush(stdout);
	return 0;
}

static void print_start(const struct track_ctx *x, struct track_session *s)
{
	size_t maps, watched;

	if (x->json)
		return;
	track_counts(s, &maps, &watched);
	printf("tracking process %d every %d ms: %zu writable mappings, %zu watched\n",
	       (int)track_pid(s), x->interval_ms, maps, watched);
}

/* -- CMD: argv after the first "--" (NULL if none); *argc_opts is what comes before it. */
static char **split_cmd(int argc, char **argv, int *argc_opts)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			*argc_opts = i;
			return argv + i + 1;
		}
	}
	*argc_opts = argc;
	return NULL;
}

static int exit_code(int status)
{
	if (status < 0)
		return CLI_FAILURE;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cmd_track(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "top", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct track_ctx x = { .interval_ms = 1000, .top = 3 };
	struct track_opts o = { 0 };
	struct track_session *s;
	char why[256] = "", **cmd;
	int nopt, first, ret, status;

	cmd = split_cmd(argc, argv, &nopt);
	ret = cli_parse_operands("track", nopt, argv, ":hj", opts, usage, opt, &x, &first);
	if (ret >= 0)
		return ret;
	if (cmd && (!cmd[0] || first < nopt))
		return cli_usage_error("track", cmd[0] ? "give a PID or -- CMD, not both" :
				       "-- needs a command");
	if (!cmd && nopt - first != 1)
		return cli_usage_error("track", "give one PID, or -- CMD [ARGS...]");
	if (!cmd) {
		int pid;

		if (cli_parse_int(argv[first], 1, INT32_MAX, &pid))
			return cli_usage_error("track", "'%s' is not a PID", argv[first]);
		o.pid = pid;
	}
	o.cmd = cmd;
	o.interval_ms = (unsigned)x.interval_ms;
	o.duration_s = x.duration;
	ret = track_open(&s, &o, why, sizeof(why));
	if (ret)
		return cli_report(ret == -EOPNOTSUPP ? CLI_NOTAVAIL : CLI_FAILURE, "track", "%s", why);
	print_start(&x, s);
	ret = track_run(s, on_interval, &x, why, sizeof(why));
	if (!x.json)
		printf("total: %" PRIu64 " distinct pages (%.2f MiB) written in %.2f s, %u intervals; "
		       "%" PRIu64 " page writes counted (a page once per interval)\n",
		       x.distinct, mib(x.distinct, x.page_size), x.t_end, x.intervals, x.counted);
	status = track_close(s);
	if (ret)
		return cli_error("track", "%s", why);
	ret = cli_finish_output("track", CLI_OK);
	if (cmd)
		return ret == CLI_OK ? exit_code(status) : ret;
	return ret;
}
