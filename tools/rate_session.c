/* SPDX-License-Identifier: MIT */
/*
 * writewatch rate's tracking: the session of `writewatch track`
 * (track_session.c) attaches, watches every writable mapping as it comes
 * and takes a get-and-reset per interval; each interval's written pages go
 * to rate_interval() as runs, with the mappings the session watched (rate
 * keeps no list of its own: the session is the one owner of it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "writewatch.h"
#include "cli.h"
#include "measure.h"
#include "rate.h"
#include "rate_session.h"
#include "track_session.h"

struct drive {
	struct rate_state *st;
	uint64_t (*runs)[2];
	size_t cap;
	double last_t;
	int err;
};

/* The interval's page addresses (ascending) as runs of consecutive pages. */
static size_t to_runs(struct drive *d, const struct track_interval *iv)
{
	size_t i, n = 0;

	if (iv->npages > d->cap) {
		uint64_t (*r)[2] = realloc(d->runs, iv->npages * sizeof(*r));

		if (!r)
			return SIZE_MAX;
		d->runs = r;
		d->cap = iv->npages;
	}
	for (i = 0; i < iv->npages; i++) {
		if (n && d->runs[n - 1][1] == iv->pages[i]) {
			d->runs[n - 1][1] += iv->page_size;
			continue;
		}
		d->runs[n][0] = iv->pages[i];
		d->runs[n++][1] = iv->pages[i] + iv->page_size;
	}
	return n;
}

/* Hand rate the mappings the session watched: the one list of them (see rate.h). */
static int pass_watched(struct rate_state *st, const struct track_map *maps, size_t nmaps)
{
	uint64_t (*ranges)[2] = malloc((nmaps + 1) * sizeof(*ranges));
	const char **labels = malloc((nmaps + 1) * sizeof(*labels));
	int ret = -ENOMEM;

	if (ranges && labels) {
		for (size_t i = 0; i < nmaps; i++) {
			ranges[i][0] = maps[i].start;
			ranges[i][1] = maps[i].end;
			labels[i] = maps[i].label;
		}
		ret = rate_set_watched(st, (const uint64_t (*)[2])ranges, labels, nmaps);
	}
	free(ranges);
	free(labels);
	return ret;
}

static int on_interval(const struct track_interval *iv, void *arg)
{
	struct drive *d = arg;
	size_t n = to_runs(d, iv);
	double t0 = iv->t - iv->dt;

	if (n == SIZE_MAX || pass_watched(d->st, iv->maps, iv->nmaps)) {
		d->err = -ENOMEM;
		return 1;
	}
	/* Intervals follow each other: rounding must not make one start before the last ended. */
	if (t0 < d->last_t)
		t0 = d->last_t;
	d->err = rate_interval(d->st, t0, iv->t, (const uint64_t (*)[2])d->runs, n);
	d->last_t = iv->t;
	return d->err != 0;
}

int rate_session_run(const struct rate_opts *o, pid_t pid, char **cmd)
{
	struct track_opts to = { .pid = pid, .cmd = cmd, .interval_ms = (unsigned)o->interval_ms,
				 .duration_s = o->duration_s };
	struct drive d = { 0 };
	struct track_session *s;
	struct rate_state st;
	char why[256] = "";
	int ret = track_open(&s, &to, why, sizeof(why));

	if (ret)
		return cli_report(ret == -EOPNOTSUPP ? CLI_NOTAVAIL : CLI_FAILURE, "rate", "%s", why);
	ret = rate_init(&st, o, track_pid(s));
	d.st = &st;
	if (!ret) {
		size_t nmaps;
		const struct track_map *maps = track_mappings(s, &nmaps);

		ret = pass_watched(&st, maps, nmaps);
	}
	if (!ret) {
		rate_sample_start(&st);
		ret = track_run(s, on_interval, &d, why, sizeof(why));
	}
	track_close(s);
	if (!ret && d.err) {
		ret = d.err;
		snprintf(why, sizeof(why), "%s", wb_errname(ret));
	}
	if (!ret)
		ret = rate_finish(&st);
	rate_free(&st);
	free(d.runs);
	if (ret)
		return cli_error("rate", "%s", why[0] ? why : wb_errname(ret));
	return cli_finish_output("rate", CLI_OK);
}
