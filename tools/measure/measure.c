/* SPDX-License-Identifier: MIT */
/*
 * The two measures:
 *
 *  first write   after a reset, the time to write one word into each page of
 *                the written set (the pages are populated beforehand, so the
 *                figure is the tracking fault, not zero-filling), in ns per
 *                page as each writing thread sees it: wall time x threads /
 *                pages.
 *  get+reset     with the written set dirtied (untimed), the time of one
 *                complete get-and-reset over the whole tracked range, in ms;
 *                the pages it reports are checked against the set.
 *
 * Each case runs in a forked child per method (or per group of methods
 * measured together, repetitions interleaved) and sends the results back
 * (child.c).  One untimed warm-up repetition precedes the timed ones; the
 * reported figure is the median.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "target.h"

static const char *const pattern_names[WB_NPATTERNS] = { "dense", "strided", "random" };

const char *wb_pattern_name(enum wb_pattern p)
{
	return (unsigned)p < WB_NPATTERNS ? pattern_names[p] : "?";
}

int wb_pattern_parse(const char *s, enum wb_pattern *out)
{
	int i = wb_name_index(pattern_names, WB_NPATTERNS, s);

	if (i < 0)
		return i;
	*out = (enum wb_pattern)i;
	return 0;
}

const char *wb_measure_name(enum wb_measure m)
{
	return m == WB_FIRST_WRITE ? "first_write" : "get_reset";
}

void wb_case_label(const struct wb_case *c, char *buf, size_t len)
{
	char sz[32], fr[32];

	wb_fmt_size(sz, sizeof(sz), c->size);
	if (c->pages)
		snprintf(fr, sizeof(fr), "%zu pages", wb_case_written(c));
	else
		wb_fmt_fraction(fr, sizeof(fr), c->fraction);
	snprintf(buf, len, "%s %s of %s", wb_pattern_name(c->pattern), fr, sz);
}

bool wb_case_same(const struct wb_case *a, const struct wb_case *b)
{
	return a->measure == b->measure && a->pattern == b->pattern && a->size == b->size &&
	       a->fraction == b->fraction && a->pages == b->pages && a->threads == b->threads &&
	       a->reps == b->reps && a->populate == b->populate;
}

int wb_size_check(size_t size, int areas, char *why, size_t whylen)
{
	char sz[32];
	void *p[WB_NMETHODS];
	int i, ret = 0;

	wb_fmt_size(sz, sizeof(sz), size);
	for (i = 0; i < areas && i < WB_NMETHODS; i++) {
		p[i] = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p[i] == MAP_FAILED) {
			ret = -errno;
			snprintf(why, whylen, "%s cannot be mapped here%s (mmap: %s)", sz,
				 i ? " twice (two methods measure side by side)" : "",
				 wb_errname(ret));
			break;
		}
	}
	while (i-- > 0)
		munmap(p[i], size);
	/* The written set stores page indexes in 32 bits: 2^32 pages at most. */
	if (!ret && size / wb_page() > (size_t)UINT32_MAX + 1) {
		char lim[32];

		wb_fmt_size(lim, sizeof(lim), ((size_t)UINT32_MAX + 1) * wb_page());
		snprintf(why, whylen, "%s is more than the measuring code indexes (%s: 2^32 pages)",
			 sz, lim);
		ret = -E2BIG;
	}
	return ret;
}

const char *wb_populated_name(const struct wb_result *r)
{
	return r->populated_full ? "full" : r->populated_none ? "none" : "written";
}

/* ---- measuring (in the child) ---- */

static bool populate_full(const struct wb_case *c)
{
	if (c->populate == WB_POP_FULL)
		return true;
	if (c->populate == WB_POP_WRITTEN || c->populate == WB_POP_NONE)
		return false;
	return c->size <= (2UL << 30);
}

static void fail(struct wb_result *r, int err, const char *what)
{
	r->status = WB_FAILED;
	snprintf(r->reason, sizeof(r->reason), "%s: %s", what, wb_errname(err));
}

/* The hand-rolled handler could not make a page writable. */
static void fail_plain(struct wb_result *r)
{
	fail(r, wb_plain_error, "mprotect in the SIGSEGV handler");
	if (wb_plain_error == ENOMEM) {
		size_t l = strlen(r->reason);

		snprintf(r->reason + l, sizeof(r->reason) - l,
			 " (one VMA per written run: vm.max_map_count reached)");
	}
}

/* One method of a group: its own memory, tracker and writer threads. */
struct slot {
	enum wb_method m;
	struct wb_result *r;
	char *base;
	struct wb_target *t;
	struct wb_writers w;
	bool writers_up;
	double *samples;
	int ns;
};

/*
 * Fresh memory with small pages, populated as the case says.  A one-page
 * PROT_NONE mapping sits right above it: ww_watch may read /proc/self/smaps,
 * and the kernel then walks the page tables of the mapping just above the
 * range too (it formats one entry ahead); without the guard that would be
 * the other method of the pair, whose markers would bill this one's arming.
 */
static int slot_map(struct slot *s, const struct wb_case *c, const uint32_t *idx, size_t k)
{
	size_t i, pg = wb_page();

	s->base = mmap(NULL, c->size + pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		fail(s->r, errno, "mmap");
		return -1;
	}
	if (mprotect(s->base + c->size, pg, PROT_NONE)) {
		fail(s->r, errno, "mprotect (guard page)");
		return -1;
	}
	/* The same small pages whatever the THP mode of the machine. */
	madvise(s->base, c->size, MADV_NOHUGEPAGE);
	if (s->r->populated_full) {
		for (i = 0; i < c->size / pg; i++)
			s->base[i * pg] = 1;
	} else if (!s->r->populated_none) {
		for (i = 0; i < k; i++)
			s->base[(size_t)idx[i] * pg] = 1;
	}
	return 0;
}

/* Start tracking, measuring what arming costs: time, and page tables (WP_UNPOPULATED markers). */
static int slot_arm(struct slot *s, const struct wb_case *c)
{
	struct wb_result *r = s->r;
	long pt = wb_vmpte_kib(), after;
	double t0 = wb_now();
	int ret;

	ret = wb_target_open(&s->t, s->m, s->base, c->size, r->reason, sizeof(r->reason));
	r->arm_ms = (wb_now() - t0) * 1e3;
	after = wb_vmpte_kib();
	r->pt_kib = pt >= 0 && after >= pt ? after - pt : 0;
	if (ret) {
		s->t = NULL;
		r->status = ret == -EOPNOTSUPP ? WB_NA : WB_FAILED;
		return -1;
	}
	return 0;
}

static int slot_setup(struct slot *s, const struct wb_case *c, const uint32_t *idx, size_t k)
{
	s->samples = calloc((size_t)c->reps + 1, sizeof(double));
	if (!s->samples) {
		fail(s->r, ENOMEM, "setup");
		return -1;
	}
	if (slot_map(s, c, idx, k) || slot_arm(s, c))
		return -1;
	s->w = (struct wb_writers){ .base = s->base, .idx = idx, .k = k,
				    .nthreads = c->measure == WB_FIRST_WRITE && c->threads > 1 ?
						c->threads : 1 };
	if (wb_writers_start(&s->w)) {
		/*
		 * The threads that did start wait on a barrier sized for all of
		 * them: leave them there; the measuring child's _exit ends them.
		 */
		fail(s->r, EAGAIN, "pthread_create");
		return -1;
	}
	s->writers_up = true;
	return 0;
}

/* Write the set; for first write, time it (ns per page per thread).  < 0: failed. */
static int slot_write(struct slot *s, const struct wb_case *c, size_t k, int rep)
{
	double secs = wb_writers_run(&s->w);

	if (secs < 0) {
		fail_plain(s->r);
		return -1;
	}
	if (rep && c->measure == WB_FIRST_WRITE)
		s->samples[s->ns++] = secs * 1e9 * s->w.nthreads / (double)k;
	return 0;
}

/* One repetition of one method; rep 0 is the untimed warm-up.  < 0: the slot failed. */
static int slot_rep(struct slot *s, const struct wb_case *c, size_t k, int rep)
{
	struct wb_result *r = s->r;
	double t0;
	long got;

	/* Armed by the open; afterwards each rep's get re-arms. */
	if (slot_write(s, c, k, rep))
		return -1;
	/* The untracked floor has nothing to get. */
	if (s->m == WB_UNTRACKED)
		return 0;
	t0 = wb_now();
	got = wb_target_get_reset(s->t, NULL, NULL);
	t0 = wb_now() - t0;
	if (got < 0) {
		fail(r, (int)got, "get+reset");
		return -1;
	}
	if (rep && c->measure == WB_GET_RESET)
		s->samples[s->ns++] = t0 * 1e3;
	if ((size_t)got != k) {
		r->mismatches++;
		r->last_mismatch = got;
	}
	return 0;
}

static void slot_finish(struct slot *s, const struct wb_case *c)
{
	struct wb_result *r = s->r;

	if (s->writers_up)
		wb_writers_stop(&s->w);
	if (r->status == WB_OK && s->ns) {
		r->nsamples = s->ns < WB_MAX_SAMPLES ? s->ns : WB_MAX_SAMPLES;
		memcpy(r->samples, s->samples, (size_t)r->nsamples * sizeof(double));
		r->median = wb_median(s->samples, (size_t)s->ns);
		r->min = s->samples[0];
		r->max = s->samples[s->ns - 1];
	}
	wb_target_close(s->t);
	if (s->base)
		munmap(s->base, c->size + wb_page());
	free(s->samples);
}

struct group {
	const struct wb_case *c;
	const enum wb_method *ms;
	int n;
	struct wb_progress *prog;
};

static void group_progress(const struct group *g, int rep)
{
	char label[96];

	if (!g->prog || !g->prog->tty)
		return;
	wb_case_label(g->c, label, sizeof(label));
	wb_progress_step(g->prog, "%s %s: %s%s rep %d/%d",
			 g->c->measure == WB_FIRST_WRITE ? "first write" : "get+reset", label,
			 wb_method_name(g->ms[0]), g->n > 1 ? " (paired)" : "", rep, g->c->reps);
}

/*
 * Measure the group's methods on its case in this process, each on its own
 * memory, repetitions interleaved (rotating which goes first) so that
 * whatever else the machine does hits them alike.  out: n results.
 */
static void measure_group(void *arg, void *out)
{
	const struct group *g = arg;
	const struct wb_case *c = g->c;
	struct wb_result *rs = out;
	struct slot slots[WB_NMETHODS];
	size_t k = 0;
	uint32_t *idx = wb_written_set(c, &k);
	int rep, j, live = 0;

	memset(slots, 0, sizeof(slots));
	for (j = 0; j < g->n; j++) {
		slots[j].m = g->ms[j];
		slots[j].r = &rs[j];
		rs[j].populated_full = populate_full(c);
		rs[j].populated_none = c->populate == WB_POP_NONE;
		if (!idx)
			fail(&rs[j], ENOMEM, "setup");
		else if (!slot_setup(&slots[j], c, idx, k))
			live++;
	}
	for (rep = 0; rep <= c->reps && live; rep++) {
		group_progress(g, rep);
		for (j = 0; j < g->n; j++) {
			struct slot *s = &slots[(rep + j) % g->n];

			if (s->r->status == WB_OK && slot_rep(s, c, k, rep))
				live--;
		}
	}
	for (j = 0; j < g->n; j++)
		slot_finish(&slots[j], c);
	free(idx);
}

/* ---- running, merging ---- */

static void result_init(struct wb_result *r, const struct wb_case *c, enum wb_method m)
{
	memset(r, 0, sizeof(*r));
	r->c = *c;
	r->method = m;
	r->written = wb_case_written(c);
}

/* Measure the available methods run[0..n) in one child; results into out[]. */
static void run_group(const struct wb_case *c, const enum wb_method *run, int n,
		      struct wb_result **out, struct wb_progress *prog, int timeout_s)
{
	struct group g = { .c = c, .ms = run, .n = n, .prog = prog };
	struct wb_result *buf = calloc((size_t)n, sizeof(*buf));
	char why[200];
	int j;

	if (!buf) {
		for (j = 0; j < n; j++)
			fail(out[j], ENOMEM, "setup");
		return;
	}
	for (j = 0; j < n; j++)
		buf[j] = *out[j];
	if (wb_child_run(measure_group, &g, buf, (size_t)n * sizeof(*buf), timeout_s, why,
			 sizeof(why))) {
		/* The child died: every method it measured fails with the reason. */
		for (j = 0; j < n; j++) {
			result_init(&buf[j], c, run[j]);
			buf[j].status = WB_FAILED;
			snprintf(buf[j].reason, sizeof(buf[j].reason), "%s", why);
		}
	}
	for (j = 0; j < n; j++)
		*out[j] = buf[j];
	free(buf);
}

void wb_measure_run(const struct wb_case *c, const enum wb_method *ms, int n,
		    struct wb_result *rs, struct wb_progress *prog, int timeout_s)
{
	enum wb_method run[WB_NMETHODS];
	struct wb_result *out[WB_NMETHODS];
	char label[96], names[128] = "";
	int j, nrun = 0;

	wb_case_label(c, label, sizeof(label));
	for (j = 0; j < n; j++) {
		result_init(&rs[j], c, ms[j]);
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 j ? " + " : "", wb_method_name(ms[j]));
		if (wb_method_available(ms[j], rs[j].reason, sizeof(rs[j].reason))) {
			rs[j].status = WB_NA;
			continue;
		}
		run[nrun] = ms[j];
		out[nrun++] = &rs[j];
	}
	if (prog) {
		prog->done += n;
		wb_progress_step(prog, "%s %s: %s%s",
				 c->measure == WB_FIRST_WRITE ? "first write" : "get+reset",
				 label, names, n > 1 ? " (interleaved)" : "");
	}
	if (nrun)
		run_group(c, run, nrun, out, prog, timeout_s);
}

void wb_measure_merge(struct wb_result *acc, const struct wb_result *more)
{
	double tmp[WB_MAX_SAMPLES];
	int i;

	if (acc->status != WB_OK)
		return;         /* n/a or failed stays so */
	if (more->status != WB_OK) {
		*acc = *more;   /* a failure in any round fails the row */
		return;
	}
	acc->mismatches += more->mismatches;
	if (more->mismatches)
		acc->last_mismatch = more->last_mismatch;
	for (i = 0; i < more->nsamples && acc->nsamples < WB_MAX_SAMPLES; i++)
		acc->samples[acc->nsamples++] = more->samples[i];
	memcpy(tmp, acc->samples, (size_t)acc->nsamples * sizeof(double));
	acc->median = wb_median(tmp, (size_t)acc->nsamples);
	acc->min = tmp[0];
	acc->max = tmp[acc->nsamples - 1];
}

void wb_results_ratios(struct wb_result *r, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		r[i].vs_raw = r[i].vs_async = 0;
		if (r[i].status != WB_OK)
			continue;
		for (j = 0; j < n; j++) {
			if (r[j].status != WB_OK || !wb_case_same(&r[j].c, &r[i].c) ||
			    r[j].median <= 0)
				continue;
			if (r[j].method == WB_RAW)
				r[i].vs_raw = r[i].median / r[j].median;
			if (r[j].method == WB_UFFD_ASYNC)
				r[i].vs_async = r[i].median / r[j].median;
		}
	}
}
