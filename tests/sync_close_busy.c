/*
 * Clean shutdown: ww_close() while writer threads keep writing the watched
 * memory (so one is usually blocked in a fault at that moment).  No hang, no
 * crash; the fault thread is joined; the writers carry on; no protection is
 * left.  Repeated over many open/close cycles.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>

#include "sync_util.h"

#define NPAGES 64
#define WRITERS 2
#define CYCLES 30

static char *mem;
static atomic_int stop;
static atomic_ulong passes[WRITERS];

static void *writer(void *arg)
{
	size_t w = (uintptr_t)arg, p;

	while (!atomic_load(&stop)) {
		for (p = w; p < NPAGES; p += 1)
			((volatile char *)mem)[p * TT_PAGE + w]++;
		atomic_fetch_add(&passes[w], 1);
	}
	return NULL;
}

static int threads(void);

/*
 * pthread_join() returns once the thread has released its stack, a moment
 * before the kernel removes its task: wait for that, under a generous bound.
 */
static int threads_settled(int want)
{
	int n, tries;

	for (tries = 0; (n = threads()) != want && tries < 5000; tries++)
		usleep(1000);
	return n;
}

static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	tt_check(d != NULL, "opendir /proc/self/task: %s", strerror(errno));
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int main(void)
{
	pthread_t th[WRITERS];
	void *pages[NPAGES];
	int base, c, i, k;

	ww_close(sync_open());                  /* skip unless uffd-sync */
	sync_hang_guard(60);
	mem = tt_map(NPAGES * TT_PAGE);
	for (i = 0; i < WRITERS; i++)
		tt_check(!pthread_create(&th[i], NULL, writer, (void *)(uintptr_t)i), "pthread_create");
	base = threads();
	for (c = 0; c < CYCLES; c++) {
		struct ww_tracker *t = tt_open();
		unsigned long seen;

		tt_check(threads() == base + 1, "cycle %d: %d threads, want %d", c, threads(), base + 1);
		tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
		for (k = 0; k < 20; k++)
			tt_check(ww_get(t, mem, NPAGES * TT_PAGE, pages, NPAGES, WW_GET_RESET) >= 0,
				 "get+reset");
		ww_close(t);
		tt_check(threads_settled(base) == base, "cycle %d: fault thread not joined", c);
		tt_check(sync_wp_pages(mem, NPAGES) == 0, "cycle %d: protection left", c);
		/* The writers still make progress: nobody is left blocked in a fault. */
		for (i = 0; i < WRITERS; i++) {
			seen = atomic_load(&passes[i]);
			while (atomic_load(&passes[i]) < seen + 2)
				sched_yield();
		}
	}
	atomic_store(&stop, 1);
	for (i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
