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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "targets.h"

struct wl {
	const struct wb_workload *w;
	char *heap;
	size_t npages, nhot;
	uint32_t cold_threshold;        /* out of 1 << 20 */
	volatile int running;           /* mutators still working */
	pthread_t tids[64];
	int ids[64];
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
	obj = (uint64_t *)(l->heap + page * WB_PAGE + ((r >> 52) & 63) * 64);
	for (i = 0; i < 8; i++)
		obj[i] = acc + (uint64_t)i;
	/* The mutator's own computation between stores. */
	for (i = 0; i < 4; i++)
		acc = acc * 6364136223846793005ULL + r;
	return acc;
}

struct mut_arg {
	struct wl *l;
	int id;
};

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
	size_t i;

	memset(l, 0, sizeof(*l));
	l->w = w;
	l->npages = w->heap / WB_PAGE;
	l->nhot = (size_t)((double)l->npages * w->hot_fraction);
	if (l->nhot < 1)
		l->nhot = 1;
	if (l->nhot >= l->npages)
		l->nhot = l->npages - 1;
	l->cold_threshold = (uint32_t)(w->cold_share * (1 << 20));
	l->heap = mmap(NULL, w->heap, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (l->heap == MAP_FAILED)
		return -errno;
	madvise(l->heap, w->heap, MADV_NOHUGEPAGE);
	/* A live heap: every page exists before tracking starts. */
	for (i = 0; i < l->npages; i++)
		l->heap[i * WB_PAGE] = 1;
	return 0;
}

static int start_mutators(struct wl *l, struct mut_arg *args)
{
	int i, n = l->w->threads < 1 ? 1 : l->w->threads;

	l->running = n;
	for (i = 0; i < n; i++) {
		args[i] = (struct mut_arg){ .l = l, .id = i };
		if (pthread_create(&l->tids[i], NULL, mutator, &args[i]))
			return -EAGAIN;
	}
	return 0;
}

static void join_mutators(struct wl *l)
{
	int i, n = l->w->threads < 1 ? 1 : l->w->threads;

	for (i = 0; i < n; i++)
		pthread_join(l->tids[i], NULL);
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

/* Sort the runs a get reports into hot and cold pages. */
struct tally {
	uintptr_t heap, hot_end;
	size_t pages, runs, hot, cold;
};

static void tally_run(void *arg, uintptr_t start, uintptr_t end)
{
	struct tally *t = arg;
	size_t n = (end - start) / WB_PAGE, hot = 0;

	t->runs++;
	t->pages += n;
	if (start < t->hot_end)
		hot = ((end < t->hot_end ? end : t->hot_end) - start) / WB_PAGE;
	t->hot += hot;
	t->cold += n - hot;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void workload_child(const struct wb_workload *w, enum wb_method m,
			   struct wb_workload_result *res, wb_interval_fn fn, void *arg)
{
	struct mut_arg args[64];
	struct wb_target *t = NULL;
	double *gets = NULL, t0, next;
	struct rusage ru0, ru1;
	struct wl l;
	int ret, cap = 0;

	ret = wl_setup(&l, w);
	if (ret) {
		res->status = WB_FAILED;
		snprintf(res->reason, sizeof(res->reason), "mmap: %s", strerror(-ret));
		return;
	}
	if (m != WB_UNTRACKED) {
		ret = wb_target_open(&t, m, l.heap, w->heap, res->reason, sizeof(res->reason));
		if (ret) {
			res->status = ret == -EOPNOTSUPP ? WB_NA : WB_FAILED;
			return;
		}
	}
	getrusage(RUSAGE_SELF, &ru0);
	t0 = wb_now();
	if (start_mutators(&l, args)) {
		res->status = WB_FAILED;
		snprintf(res->reason, sizeof(res->reason), "pthread_create failed");
		return;
	}
	next = t0 + w->interval_s;
	while (__atomic_load_n(&l.running, __ATOMIC_ACQUIRE)) {
		struct tally ta = { .heap = (uintptr_t)l.heap,
				    .hot_end = (uintptr_t)l.heap + l.nhot * WB_PAGE };
		struct wb_interval iv;
		double now = wb_now(), g0;
		long got;

		/* Short naps so that the end of the work is noticed quickly. */
		if (now < next) {
			sleep_s(next - now < 0.005 ? next - now : 0.005);
			continue;
		}
		next += w->interval_s;
		if (!t)
			continue;
		g0 = wb_now();
		got = wb_target_get_reset(t, tally_run, &ta);
		iv.get_ms = (wb_now() - g0) * 1e3;
		if (got < 0) {
			res->status = WB_FAILED;
			snprintf(res->reason, sizeof(res->reason), "get+reset: %s", strerror((int)-got));
			break;
		}
		if (res->intervals == cap) {
			cap = cap ? cap * 2 : 64;
			gets = realloc(gets, (size_t)cap * sizeof(*gets));
		}
		if (gets)
			gets[res->intervals] = iv.get_ms;
		iv.index = ++res->intervals;
		iv.t = g0 - t0;
		iv.pages = ta.pages;
		iv.runs = ta.runs;
		iv.hot = ta.hot;
		iv.cold = ta.cold;
		res->pages_total += ta.pages;
		if (fn)
			fn(&iv, arg);
	}
	join_mutators(&l);
	res->seconds = wb_now() - t0;
	/* CPU time counts what tracking costs even when other work steals the CPUs. */
	getrusage(RUSAGE_SELF, &ru1);
	res->cpu_seconds = tv_s(&ru1.ru_utime) - tv_s(&ru0.ru_utime) +
			   tv_s(&ru1.ru_stime) - tv_s(&ru0.ru_stime);
	if (gets && res->intervals)
		res->get_ms_median = wb_median(gets, (size_t)res->intervals);
	free(gets);
	wb_target_close(t);
	munmap(l.heap, w->heap);
}

void wb_workload_run(const struct wb_workload *w, enum wb_method m,
		     struct wb_workload_result *res, wb_interval_fn fn, void *arg, int timeout_s)
{
	int fds[2], status;
	ssize_t got;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (m != WB_UNTRACKED && wb_method_available(m, res->reason, sizeof(res->reason))) {
		res->status = WB_NA;
		return;
	}
	if (pipe(fds)) {
		res->status = WB_FAILED;
		snprintf(res->reason, sizeof(res->reason), "pipe: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		res->status = WB_FAILED;
		snprintf(res->reason, sizeof(res->reason), "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (!pid) {
		close(fds[0]);
		if (timeout_s > 0)
			alarm((unsigned)timeout_s);
		workload_child(w, m, res, fn, arg);
		fflush(NULL);
		_exit(write(fds[1], res, sizeof(*res)) == (ssize_t)sizeof(*res) ? 0 : 1);
	}
	close(fds[1]);
	do
		got = read(fds[0], res, sizeof(*res));
	while (got < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof(*res)) {
		memset(res, 0, sizeof(*res));
		res->status = WB_FAILED;
		if (WIFSIGNALED(status))
			snprintf(res->reason, sizeof(res->reason), "killed by signal %d (%s)",
				 WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			snprintf(res->reason, sizeof(res->reason), "workload child exited without a result");
	}
}
