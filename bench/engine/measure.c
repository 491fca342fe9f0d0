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
 * through a pipe.  One untimed warm-up repetition precedes the timed ones;
 * the reported figure is the median.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "targets.h"

size_t wb_case_written(const struct wb_case *c)
{
	size_t npages = c->size / WB_PAGE, k;

	if (c->pages)
		k = c->pages;
	else
		k = (size_t)llround(c->fraction * (double)npages);
	if (k < 1)
		k = 1;
	return k > npages ? npages : k;
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

const char *wb_pattern_name(enum wb_pattern p)
{
	static const char *const n[] = { "dense", "strided", "random" };

	return (unsigned)p < 3 ? n[p] : "?";
}

int wb_pattern_parse(const char *s, enum wb_pattern *out)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (!strcmp(s, wb_pattern_name((enum wb_pattern)i))) {
			*out = (enum wb_pattern)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *wb_measure_name(enum wb_measure m)
{
	return m == WB_FIRST_WRITE ? "first_write" : "get_reset";
}

/* ---- the written set ---- */

/* Page indexes the case writes, in the order it writes them. */
static uint32_t *written_set(const struct wb_case *c, size_t *count)
{
	size_t npages = c->size / WB_PAGE, k = wb_case_written(c), i;
	uint32_t *idx = malloc(k * sizeof(*idx));
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ npages ^ ((uint64_t)k << 32);

	if (!idx)
		return NULL;
	switch (c->pattern) {
	case WB_DENSE:
		for (i = 0; i < k; i++)
			idx[i] = (uint32_t)i;
		break;
	case WB_STRIDED:
		/* Evenly spread: page i*npages/k, which is a plain stride when it divides. */
		for (i = 0; i < k; i++)
			idx[i] = (uint32_t)((unsigned __int128)i * npages / k);
		break;
	case WB_RANDOM: {
		unsigned char *taken = calloc(npages, 1);
		size_t n = 0;

		if (!taken) {
			free(idx);
			return NULL;
		}
		if (k > npages / 2) {
			/* Dense enough: shuffle all, keep the first k. */
			uint32_t *all = malloc(npages * sizeof(*all));

			if (!all) {
				free(idx);
				free(taken);
				return NULL;
			}
			for (i = 0; i < npages; i++)
				all[i] = (uint32_t)i;
			for (i = npages - 1; i > 0; i--) {
				size_t j = wb_rand(&seed) % (i + 1);
				uint32_t tmp = all[i];

				all[i] = all[j];
				all[j] = tmp;
			}
			memcpy(idx, all, k * sizeof(*idx));
			free(all);
		} else {
			while (n < k) {
				size_t p = wb_rand(&seed) % npages;

				if (!taken[p]) {
					taken[p] = 1;
					idx[n++] = (uint32_t)p;
				}
			}
		}
		free(taken);
		break;
	}
	}
	*count = k;
	return idx;
}

/* ---- writers ---- */

struct writers {
	char *base;
	const uint32_t *idx;
	size_t k;
	int nthreads;
	uint64_t value;
	volatile int quit;
	volatile int failed;            /* a hand-rolled handler could not unprotect */
	pthread_barrier_t start, done;
	pthread_t tids[64];
	struct writer_arg {
		struct writers *w;
		int id;
	} args[64];
};

/* Write one word into each page of slice [from, to) of the set. */
static __attribute__((noinline)) void write_loop(struct writers *w, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		*(volatile uint64_t *)(w->base + (size_t)w->idx[i] * WB_PAGE) = w->value;
}

/* write_loop, with a way out if the hand-rolled SIGSEGV handler cannot unprotect. */
static int write_slice(struct writers *w, size_t from, size_t to)
{
	sigjmp_buf esc;

	if (sigsetjmp(esc, 1)) {
		wb_plain_escape = NULL;
		return -1;
	}
	wb_plain_escape = &esc;
	write_loop(w, from, to);
	wb_plain_escape = NULL;
	return 0;
}

static void slice(const struct writers *w, int id, size_t *from, size_t *to)
{
	*from = w->k * (size_t)id / (size_t)w->nthreads;
	*to = w->k * (size_t)(id + 1) / (size_t)w->nthreads;
}

static void *writer_main(void *p)
{
	struct writer_arg *a = p;
	struct writers *w = a->w;
	size_t from, to;

	slice(w, a->id, &from, &to);
	for (;;) {
		pthread_barrier_wait(&w->start);
		if (w->quit)
			break;
		if (write_slice(w, from, to))
			w->failed = 1;
		pthread_barrier_wait(&w->done);
	}
	return NULL;
}

static int writers_start(struct writers *w)
{
	int i;

	if (w->nthreads <= 1)
		return 0;
	pthread_barrier_init(&w->start, NULL, (unsigned)w->nthreads + 1);
	pthread_barrier_init(&w->done, NULL, (unsigned)w->nthreads + 1);
	for (i = 0; i < w->nthreads; i++) {
		w->args[i] = (struct writer_arg){ .w = w, .id = i };
		if (pthread_create(&w->tids[i], NULL, writer_main, &w->args[i]))
			return -EAGAIN;
	}
	return 0;
}

/* Write the whole set once; returns the wall time in seconds, < 0 on failure. */
static double writers_run(struct writers *w)
{
	double t0, t1;

	w->value++;
	if (w->nthreads <= 1) {
		t0 = wb_now();
		if (write_slice(w, 0, w->k))
			return -1;
		t1 = wb_now();
		return t1 - t0;
	}
	t0 = wb_now();
	pthread_barrier_wait(&w->start);
	pthread_barrier_wait(&w->done);
	t1 = wb_now();
	return w->failed ? -1 : t1 - t0;
}

static void writers_stop(struct writers *w)
{
	int i;

	if (w->nthreads <= 1)
		return;
	w->quit = 1;
	pthread_barrier_wait(&w->start);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->tids[i], NULL);
	pthread_barrier_destroy(&w->start);
	pthread_barrier_destroy(&w->done);
}

/* ---- measuring (in the child) ---- */

static bool populate_full(const struct wb_case *c)
{
	if (c->populate == WB_POP_FULL)
		return true;
	if (c->populate == WB_POP_WRITTEN)
		return false;
	return c->size <= (2UL << 30);
}

static void fail(struct wb_result *r, int err, const char *what)
{
	r->status = WB_FAILED;
	snprintf(r->reason, sizeof(r->reason), "%s: %s", what, strerror(err < 0 ? -err : err));
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
	struct writers w;
	bool writers_up;
	double *samples;
	int ns;
};

/* Page-table memory of this process, KiB (VmPTE in /proc/self/status); -1 if unknown. */
static long vmpte_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int slot_setup(struct slot *s, const struct wb_case *c, const uint32_t *idx, size_t k)
{
	struct wb_result *r = s->r;
	double t0;
	long pt, after;
	size_t i;
	int ret;

	s->samples = calloc((size_t)c->reps + 1, sizeof(double));
	if (!s->samples) {
		fail(r, ENOMEM, "setup");
		return -1;
	}
	s->base = mmap(NULL, c->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		fail(r, errno, "mmap");
		return -1;
	}
	/* The same small pages whatever the THP mode of the machine. */
	madvise(s->base, c->size, MADV_NOHUGEPAGE);
	if (r->populated_full) {
		for (i = 0; i < c->size / WB_PAGE; i++)
			s->base[i * WB_PAGE] = 1;
	} else {
		for (i = 0; i < k; i++)
			s->base[(size_t)idx[i] * WB_PAGE] = 1;
	}
	/* What arming costs: time, and the page tables WP_UNPOPULATED markers need. */
	pt = vmpte_kib();
	t0 = wb_now();
	ret = wb_target_open(&s->t, s->m, s->base, c->size, r->reason, sizeof(r->reason));
	r->arm_ms = (wb_now() - t0) * 1e3;
	after = vmpte_kib();
	r->pt_kib = pt >= 0 && after >= pt ? after - pt : 0;
	if (ret) {
		s->t = NULL;
		r->status = ret == -EOPNOTSUPP ? WB_NA : WB_FAILED;
		return -1;
	}
	s->w = (struct writers){ .base = s->base, .idx = idx, .k = k,
				 .nthreads = c->measure == WB_FIRST_WRITE && c->threads > 1 ?
					     c->threads : 1 };
	if (writers_start(&s->w)) {
		/*
		 * The threads that did start wait on a barrier sized for all of
		 * them: leave them there; the measuring child's _exit ends them.
		 */
		fail(r, EAGAIN, "pthread_create");
		return -1;
	}
	s->writers_up = true;
	return 0;
}

/* One repetition of one method; rep 0 is the untimed warm-up.  < 0: the slot failed. */
static int slot_rep(struct slot *s, const struct wb_case *c, size_t k, int rep)
{
	struct wb_result *r = s->r;
	double secs;
	long got;

	if (c->measure == WB_FIRST_WRITE) {
		/* Armed by the open; afterwards each rep's check re-arms. */
		secs = writers_run(&s->w);
		if (secs < 0) {
			fail_plain(r);
			return -1;
		}
		if (rep)
			s->samples[s->ns++] = secs * 1e9 * s->w.nthreads / (double)k;
		/* Check what was recorded (untimed); the untracked floor has nothing to check. */
		if (s->m == WB_UNTRACKED)
			return 0;
		got = wb_target_get_reset(s->t, NULL, NULL);
		if (got < 0) {
			fail(r, (int)got, "get+reset");
			return -1;
		}
	} else {
		if (writers_run(&s->w) < 0) {
			fail_plain(r);
			return -1;
		}
		secs = wb_now();
		got = wb_target_get_reset(s->t, NULL, NULL);
		secs = wb_now() - secs;
		if (got < 0) {
			fail(r, (int)got, "get+reset");
			return -1;
		}
		if (rep)
			s->samples[s->ns++] = secs * 1e3;
	}
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
		writers_stop(&s->w);
	if (r->status == WB_OK && s->ns) {
		r->nsamples = s->ns < WB_MAX_SAMPLES ? s->ns : WB_MAX_SAMPLES;
		memcpy(r->samples, s->samples, (size_t)r->nsamples * sizeof(double));
		r->median = wb_median(s->samples, (size_t)s->ns);
		r->min = s->samples[0];
		r->max = s->samples[s->ns - 1];
	}
	wb_target_close(s->t);
	if (s->base)
		munmap(s->base, c->size);
	free(s->samples);
}

/*
 * Measure methods ms[0..n) on case c in this process, each on its own
 * memory, repetitions interleaved (rotating which goes first) so that
 * whatever else the machine does hits them alike.
 */
static void measure_group(const struct wb_case *c, const enum wb_method *ms, int n,
			  struct wb_result *rs, struct wb_progress *prog)
{
	struct slot slots[WB_NMETHODS];
	size_t k = 0;
	uint32_t *idx = written_set(c, &k);
	char label[96];
	int rep, j, live = 0;

	wb_case_label(c, label, sizeof(label));
	memset(slots, 0, sizeof(slots));
	for (j = 0; j < n; j++) {
		slots[j].m = ms[j];
		slots[j].r = &rs[j];
		rs[j].populated_full = populate_full(c);
		if (!idx)
			fail(&rs[j], ENOMEM, "setup");
		else if (!slot_setup(&slots[j], c, idx, k))
			live++;
	}
	for (rep = 0; rep <= c->reps && live; rep++) {
		if (prog && prog->tty)
			wb_progress_step(prog, "%s %s: %s%s rep %d/%d",
					 c->measure == WB_FIRST_WRITE ? "first write" : "get+reset",
					 label, wb_method_name(ms[0]), n > 1 ? " (paired)" : "",
					 rep, c->reps);
		for (j = 0; j < n; j++) {
			struct slot *s = &slots[(rep + j) % n];

			if (s->r->status == WB_OK && slot_rep(s, c, k, rep))
				live--;
		}
	}
	for (j = 0; j < n; j++)
		slot_finish(&slots[j], c);
	free(idx);
}

/* ---- fork, collect ---- */

static void set_reason_signal(struct wb_result *r, int sig, int timeout_s)
{
	r->status = WB_FAILED;
	if (sig == SIGALRM || sig == SIGKILL)
		snprintf(r->reason, sizeof(r->reason), "timed out after %d s", timeout_s);
	else
		snprintf(r->reason, sizeof(r->reason), "killed by signal %d (%s)", sig, strsignal(sig));
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t at = 0;

	while (at < len) {
		ssize_t n = read(fd, (char *)buf + at, len - at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		at += (size_t)n;
	}
	return (ssize_t)at;
}

static ssize_t write_full(int fd, const void *buf, size_t len)
{
	size_t at = 0;

	while (at < len) {
		ssize_t n = write(fd, (const char *)buf + at, len - at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		at += (size_t)n;
	}
	return (ssize_t)at;
}

static void result_init(struct wb_result *r, const struct wb_case *c, enum wb_method m)
{
	memset(r, 0, sizeof(*r));
	r->c = *c;
	r->method = m;
	r->written = wb_case_written(c);
}

void wb_measure_run(const struct wb_case *c, const enum wb_method *ms, int n,
		    struct wb_result *rs, struct wb_progress *prog, int timeout_s)
{
	enum wb_method run[WB_NMETHODS];
	struct wb_result *out[WB_NMETHODS], *buf;
	char label[96], names[128] = "";
	int fds[2], status, j, nrun = 0;
	size_t len;
	pid_t pid;

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
	if (!nrun)
		return;
	len = (size_t)nrun * sizeof(*buf);
	buf = calloc((size_t)nrun, sizeof(*buf));
	if (!buf) {
		for (j = 0; j < nrun; j++)
			fail(out[j], ENOMEM, "setup");
		return;
	}
	for (j = 0; j < nrun; j++)
		buf[j] = *out[j];
	if (getenv("WB_NOFORK")) {
		measure_group(c, run, nrun, buf, prog);
		goto copy;
	}
	if (pipe(fds)) {
		for (j = 0; j < nrun; j++)
			fail(out[j], errno, "pipe");
		free(buf);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		for (j = 0; j < nrun; j++)
			fail(out[j], errno, "fork");
		close(fds[0]);
		close(fds[1]);
		free(buf);
		return;
	}
	if (!pid) {
		close(fds[0]);
		if (timeout_s > 0)
			alarm((unsigned)timeout_s);
		measure_group(c, run, nrun, buf, prog);
		_exit(write_full(fds[1], buf, len) == (ssize_t)len ? 0 : 1);
	}
	close(fds[1]);
	if (read_full(fds[0], buf, len) != (ssize_t)len) {
		/* The child died: every method it measured fails with the reason. */
		for (j = 0; j < nrun; j++) {
			result_init(&buf[j], c, run[j]);
			buf[j].status = WB_FAILED;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		for (j = 0; j < nrun; j++) {
			if (WIFSIGNALED(status))
				set_reason_signal(&buf[j], WTERMSIG(status), timeout_s);
			else
				fail(&buf[j], EIO, "measuring child exited without a result");
		}
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(fds[0]);
copy:
	for (j = 0; j < nrun; j++)
		*out[j] = buf[j];
	free(buf);
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

static bool same_case(const struct wb_case *a, const struct wb_case *b)
{
	return a->measure == b->measure && a->pattern == b->pattern && a->size == b->size &&
	       a->fraction == b->fraction && a->pages == b->pages && a->threads == b->threads &&
	       a->reps == b->reps && a->populate == b->populate;
}

void wb_results_ratios(struct wb_result *r, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		r[i].vs_raw = r[i].vs_async = 0;
		if (r[i].status != WB_OK)
			continue;
		for (j = 0; j < n; j++) {
			if (r[j].status != WB_OK || !same_case(&r[j].c, &r[i].c) ||
			    r[j].median <= 0)
				continue;
			if (r[j].method == WB_RAW)
				r[i].vs_raw = r[i].median / r[j].median;
			if (r[j].method == WB_UFFD_ASYNC)
				r[i].vs_async = r[i].median / r[j].median;
		}
	}
}
