/* SPDX-License-Identifier: MIT */
/*
 * The demo workload: a heap shaped like a real mutator's.  A hot set (the
 * first hot_fraction of the heap, like a nursery plus hot objects) takes
 * most writes; a cold tail is written rarely, at random.  Several mutator
 * threads each do a fixed number of work units (write a 64-byte object,
 * then a little arithmetic), while the main thread gets-and-resets the
 * heap every interval, as a concurrent GC or a checkpointer would.  The
 * mutators' wall time, tracked vs untracked, is the overhead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "target.h"

struct wl {
	const struct wb_workload *w;
	char *heap;
	size_t npages, nhot;
	uint32_t cold_threshold;        /* out of 1 << 20 */
	volatile int running;           /* mutators still working */
	int nthreads;
	pthread_t tids[WB_MAX_THREADS];
	struct mut_arg {
		struct wl *l;
		int id;
	} args[WB_MAX_THREADS];
};

/* One unit of mutator work: pick a page, write an object into it, compute a bit. */
static inline uint64_t work_unit(struct wl *l, uint64_t *seed, uint64_t acc)
{
	uint64_t r = wb_rand(seed);
	size_t page;
	uint64_t *obj;
	int i;

	if ((r & 0xfffff) < l->cold_threshold)
		page = l->nhot + (r >> 20) % (l->npages - l->nhot);
	else
		page = (r >> 20) % l->nhot;
	obj = (uint64_t *)(l->heap + page * wb_page() + ((r >> 52) & 63) * 64);
	for (i = 0; i < 8; i++)
		obj[i] = acc + (uint64_t)i;
	/* The mutator's own computation between stores. */
	for (i = 0; i < 4; i++)
		acc = acc * 6364136223846793005ULL + r;
	return acc;
}

static void *mutator(void *p)
{
	struct mut_arg *a = p;
	struct wl *l = a->l;
	uint64_t seed = 0x2545f4914f6cdd1dULL * (uint64_t)(a->id + 1), acc = 0, i;

	for (i = 0; i < l->w->ops_per_thread; i++)
		acc = work_unit(l, &seed, acc);
	__atomic_sub_fetch(&l->running, 1, __ATOMIC_RELEASE);
	return (void *)(uintptr_t)(acc & 1);
}

static int wl_setup(struct wl *l, const struct wb_workload *w)
{
	size_t i, pg = wb_page();

	memset(l, 0, sizeof(*l));
	l->w = w;
	l->npages = w->heap / pg;
	l->nhot = (size_t)((double)l->npages * w->hot_fraction);
	if (l->nhot < 1)
		l->nhot = 1;
	if (l->nhot >= l->npages)
		l->nhot = l->npages - 1;
	l->cold_threshold = (uint32_t)(w->cold_share * (1 << 20));
	l->nthreads = w->threads < 1 ? 1 : w->threads > WB_MAX_THREADS ? WB_MAX_THREADS : w->threads;
	l->heap = mmap(NULL, w->heap, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (l->heap == MAP_FAILED)
		return -errno;
	madvise(l->heap, w->heap, MADV_NOHUGEPAGE);
	/* A live heap: every page exists before tracking starts. */
	for (i = 0; i < l->npages; i++)
		l->heap[i * pg] = 1;
	return 0;
}

static int start_mutators(struct wl *l)
{
	int i;

	l->running = l->nthreads;
	for (i = 0; i < l->nthreads; i++) {
		l->args[i] = (struct mut_arg){ .l = l, .id = i };
		if (pthread_create(&l->tids[i], NULL, mutator, &l->args[i]))
			return -EAGAIN;
	}
	return 0;
}

static void join_mutators(struct wl *l)
{
	int i;

	for (i = 0; i < l->nthreads; i++)
		pthread_join(l->tids[i], NULL);
}

/* Sort the runs a get reports into hot and cold pages. */
struct tally {
	uintptr_t hot_end;
	size_t pages, runs, hot, cold;
};

static void tally_run(void *arg, uintptr_t start, uintptr_t end)
{
	struct tally *t = arg;
	size_t n = (end - start) / wb_page(), hot = 0;

	t->runs++;
	t->pages += n;
	if (start < t->hot_end)
		hot = ((end < t->hot_end ? end : t->hot_end) - start) / wb_page();
	t->hot += hot;
	t->cold += n - hot;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return tv_s(&ru.ru_utime) + tv_s(&ru.ru_stime);
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct job {
	const struct wb_workload *w;
	enum wb_method m;
	wb_interval_fn fn;
	void *arg;
	struct wl l;
	struct wb_target *t;
	double t0;
	double *gets;                   /* get+reset cost of every interval, ms */
	int cap;
};

/* One get+reset of the heap, passed to the caller's interval function. */
static int job_interval(struct job *j, struct wb_workload_result *res)
{
	struct tally ta = { .hot_end = (uintptr_t)j->l.heap + j->l.nhot * wb_page() };
	struct wb_interval iv;
	double g0 = wb_now();
	long got = wb_target_get_reset(j->t, tally_run, &ta);

	iv.get_ms = (wb_now() - g0) * 1e3;
	if (got < 0) {
		res->status = WB_FAILED;
		snprintf(res->reason, sizeof(res->reason), "get+reset: %s", wb_errname((int)got));
		return -1;
	}
	if (res->intervals == j->cap) {
		double *more = realloc(j->gets, (size_t)(j->cap ? j->cap * 2 : 64) * sizeof(double));

		if (!more) {
			res->status = WB_FAILED;
			snprintf(res->reason, sizeof(res->reason), "out of memory");
			return -1;
		}
		j->gets = more;
		j->cap = j->cap ? j->cap * 2 : 64;
	}
	j->gets[res->intervals] = iv.get_ms;
	iv.index = ++res->intervals;
	iv.t = g0 - j->t0;
	iv.pages = ta.pages;
	iv.runs = ta.runs;
	iv.hot = ta.hot;
	iv.cold = ta.cold;
	res->pages_total += ta.pages;
	if (j->fn)
		j->fn(&iv, j->arg);
	return 0;
}

/* While the mutators work: a get+reset every interval (none untracked). */
static void job_loop(struct job *j, struct wb_workload_result *res)
{
	double next = j->t0 + j->w->interval_s;

	while (__atomic_load_n(&j->l.running, __ATOMIC_ACQUIRE)) {
		double now = wb_now();

		/* Short naps so that the end of the work is noticed quickly. */
		if (now < next) {
			sleep_s(next - now < 0.005 ? next - now : 0.005);
			continue;
		}
		next += j->w->interval_s;
		if (j->t && job_interval(j, res))
			break;
	}
}

/* In the measuring child: the whole run, result into out. */
static void workload_child(void *arg, void *out)
{
	struct job *j = arg;
	struct wb_workload_result *res = out;
	double cpu0;
	int ret = wl_setup(&j->l, j->w);

	if (ret) {
		res->status = WB_FAILED;
		snprintf(res->reason, sizeof(res->reason), "mmap: %s", wb_errname(ret));
		return;
	}
	if (j->m != WB_UNTRACKED) {
		ret = wb_target_open(&j->t, j->m, j->l.heap, j->w->heap, res->reason,
				     sizeof(res->reason));
		if (ret) {
			res->status = ret == -EOPNOTSUPP ? WB_NA : WB_FAILED;
			return;
		}
	}
	cpu0 = cpu_now();
	j->t0 = wb_now();
	if (start_mutators(&j->l)) {
		res->status = WB_FAILED;
		snprintf(res->reason, sizeof(res->reason), "pthread_create failed");
		return;
	}
	job_loop(j, res);
	join_mutators(&j->l);
	res->seconds = wb_now() - j->t0;
	/* CPU time counts what tracking costs even when other work steals the CPUs. */
	res->cpu_seconds = cpu_now() - cpu0;
	/* A last get+reset, untimed, collects what the last interval wrote. */
	if (j->t && res->status == WB_OK)
		job_interval(j, res);
	if (res->intervals)
		res->get_ms_median = wb_median(j->gets, (size_t)res->intervals);
	free(j->gets);
	wb_target_close(j->t);
	munmap(j->l.heap, j->w->heap);
}

void wb_workload_run(const struct wb_workload *w, enum wb_method m,
		     struct wb_workload_result *res, wb_interval_fn fn, void *arg, int timeout_s)
{
	struct job j = { .w = w, .m = m, .fn = fn, .arg = arg };
	char why[200];

	memset(res, 0, sizeof(*res));
	if (m != WB_UNTRACKED && wb_method_available(m, res->reason, sizeof(res->reason))) {
		res->status = WB_NA;
		return;
	}
	if (wb_child_run(workload_child, &j, res, sizeof(*res), timeout_s, why, sizeof(why))) {
		memset(res, 0, sizeof(*res));
		res->status = WB_FAILED;
		snprintf(res->reason, sizeof(res->reason), "%s", why);
	}
}

uint64_t wb_workload_calibrate(const struct wb_workload *w, double seconds)
{
	struct wb_workload probe = *w;
	struct wb_workload_result res;

	/* Grow the probe until it runs long enough to time (thread start-up, warm-up). */
	for (probe.ops_per_thread = 1000000;; probe.ops_per_thread *= 4) {
		wb_workload_run(&probe, WB_UNTRACKED, &res, NULL, NULL, 60);
		if (res.status != WB_OK || res.seconds <= 0)
			return w->ops_per_thread ? w->ops_per_thread : 10000000;
		if (res.seconds >= 0.2 || probe.ops_per_thread > (1ULL << 40))
			break;
	}
	return (uint64_t)((double)probe.ops_per_thread * seconds / res.seconds);
}
