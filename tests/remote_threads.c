/* SPDX-License-Identifier: MIT */
/*
 * A multi-threaded target writing throughout: four threads store into
 * their own slices of the region without pause, the tracker is opened (its
 * injection stops one thread while the others run), watches the region and
 * takes get+reset rounds while they write.  When the threads have stopped,
 * every page any thread wrote after the watch was reported by some round,
 * and no page was reported that no thread wrote.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "remote_tt.h"

#define NTHREADS 4
#define SLICE 256
#define NPAGES (NTHREADS * SLICE)
#define ROUNDS 50

/* Shared with the target (MAP_SHARED before fork): phase and what it wrote. */
struct ctl {
	_Atomic int phase;              /* 0 spin outside, 1 write the region, 2 stop */
	_Atomic int running;
	_Atomic long writes[NTHREADS];  /* stores made in phase 1, per thread */
	unsigned char written[NPAGES];  /* pages written in phase 1 */
};

static struct ctl *ctl;
static char *region;
static char spare[4096];

static void *writer(void *arg)
{
	size_t id = (size_t)arg, i = 0;
	unsigned long long s = 0x9e3779b97f4a7c15ULL * (id + 1);

	atomic_fetch_add(&ctl->running, 1);
	for (;;) {
		int ph = atomic_load(&ctl->phase);

		if (ph == 2)
			break;
		if (ph == 0) {
			spare[id * 64] = (char)i++;     /* keep the thread busy, not sleeping */
			continue;
		}
		/* A random page of the slice; some pages stay unwritten. */
		size_t p = id * SLICE + tt_rand(&s) % (SLICE - 16);

		ctl->written[p] = 1;
		atomic_thread_fence(memory_order_seq_cst);
		region[p * TT_PAGE + (i++ % 64)] = 1;
		atomic_fetch_add(&ctl->writes[id], 1);
	}
	return NULL;
}

static int start_threads(char *mem, size_t npages)
{
	pthread_t th;

	region = mem;
	for (size_t i = 0; i < NTHREADS; i++)
		if (pthread_create(&th, NULL, writer, (void *)i))
			return 13;
	while (atomic_load(&ctl->running) < NTHREADS)
		;
	return 0;
}

static bool all_busy(void)
{
	for (int i = 0; i < NTHREADS; i++)
		if (atomic_load(&ctl->writes[i]) < 5000)
			return false;
	return true;
}

int main(void)
{
	static unsigned char seen[NPAGES];
	static void *pages[NPAGES];
	struct rt_child c;
	struct ww_tracker *t;
	size_t len = NPAGES * TT_PAGE, nseen = 0, nwritten = 0;

	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		tt_fail("mmap: %s", strerror(errno));
	rt_spawn_setup(&c, NPAGES, start_threads);
	t = rt_open(c.pid);
	tt_ok(ww_watch(t, c.base, len));
	atomic_store(&ctl->phase, 1);
	/* Rounds until every thread has stored plenty (progress, not time). */
	for (int r = 0; r < ROUNDS || !all_busy(); r++) {
		ssize_t n = ww_get(t, c.base, len, pages, NPAGES, WW_GET_RESET);

		tt_check(n >= 0, "round %d: %s", r, strerror((int)-n));
		for (ssize_t i = 0; i < n; i++)
			seen[((char *)pages[i] - c.base) / TT_PAGE] = 1;
	}
	atomic_store(&ctl->phase, 2);
	/* The threads are done once the loop answers (it runs after they see phase 2). */
	rt_cmd(&c, RT_CHECK, 0);
	{
		ssize_t n = ww_get(t, c.base, len, pages, NPAGES, WW_GET_RESET);

		tt_check(n >= 0, "last get: %s", strerror((int)-n));
		for (ssize_t i = 0; i < n; i++)
			seen[((char *)pages[i] - c.base) / TT_PAGE] = 1;
	}
	for (size_t p = 0; p < NPAGES; p++) {
		tt_check(seen[p] == ctl->written[p], "page %zu: reported %d, written %d", p, seen[p],
			 ctl->written[p]);
		nseen += seen[p];
		nwritten += ctl->written[p];
	}
	tt_check(nwritten > NTHREADS, "the threads wrote only %zu pages", nwritten);
	ww_close(t);
	rt_expect_clean_exit(&c);
	fprintf(stderr, "%zu pages written by %d threads, all reported\n", nseen, NTHREADS);
	return 0;
}
