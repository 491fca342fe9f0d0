/*
 * uffd-sync under load: writer threads write random pages (several often
 * the same page at once) while the main thread runs get+reset in a loop for
 * about two seconds, mixing full gets, limited gets and limited region gets.
 * Nothing may be lost: a write made after get number e completed must be
 * reported by a get numbered above e.  Checked per page against the latest
 * write, once the writers have stopped and the remaining bits are drained.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "sync_util.h"

#define NPAGES 512
#define WRITERS 4
#define SECONDS 2.0

static char *mem;
static atomic_ulong gets_done;                  /* completed get+reset calls */
static atomic_ulong need[NPAGES];               /* 1 + gets_done before the latest write */
static unsigned long last_report[NPAGES];       /* number of the latest get reporting it */
static atomic_int stop;
static atomic_ulong nwrites;

static void *writer(void *arg)
{
	unsigned long long seed = 0x9e3779b97f4a7c15ULL * (uintptr_t)(1 + (uintptr_t)arg);

	while (!atomic_load(&stop)) {
		unsigned long long r = tt_rand(&seed);
		size_t p = (r % 8 == 0) ? (r >> 8) % 4 : (r >> 8) % NPAGES;    /* pages 0-3 are hot */
		unsigned long e = atomic_load(&gets_done), old;

		((volatile char *)mem)[p * TT_PAGE + (r >> 20) % TT_PAGE] = (char)r;
		old = atomic_load(&need[p]);
		while (old < e + 1 && !atomic_compare_exchange_weak(&need[p], &old, e + 1))
			;
		atomic_fetch_add(&nwrites, 1);
	}
	return NULL;
}

/* One get+reset of the whole range; returns how many pages it reported. */
static size_t get_reset(struct ww_tracker *t, int kind)
{
	static void *pages[NPAGES];
	static struct ww_region regions[3];
	unsigned long k = atomic_load(&gets_done) + 1;
	size_t count = 0, i;
	ssize_t n;

	if (kind == 2) {
		n = ww_get_regions(t, mem, NPAGES * TT_PAGE, regions, 3, WW_GET_RESET, NULL);
		tt_check(n >= 0, "ww_get_regions: %s", strerror((int)-n));
		for (i = 0; i < (size_t)n; i++) {
			uintptr_t a;

			for (a = regions[i].start; a < regions[i].end; a += TT_PAGE, count++)
				last_report[(a - (uintptr_t)mem) / TT_PAGE] = k;
		}
	} else {
		n = ww_get(t, mem, NPAGES * TT_PAGE, pages, kind ? 7 : NPAGES, WW_GET_RESET);
		tt_check(n >= 0, "ww_get: %s", strerror((int)-n));
		for (i = 0; i < (size_t)n; i++) {
			tt_check(!i || pages[i] > pages[i - 1], "results not ascending");
			last_report[((char *)pages[i] - mem) / TT_PAGE] = k;
		}
		count = (size_t)n;
	}
	atomic_store(&gets_done, k);
	return count;
}

int main(void)
{
	struct ww_tracker *t = sync_open();
	pthread_t th[WRITERS];
	unsigned long reports = 0, lost = 0;
	double until;
	size_t p;
	int i;

	sync_hang_guard(60);
	mem = tt_map(NPAGES * TT_PAGE);
	memset(mem, 1, NPAGES * TT_PAGE / 2);   /* half populated */
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	for (i = 0; i < WRITERS; i++)
		tt_check(!pthread_create(&th[i], NULL, writer, (void *)(uintptr_t)i), "pthread_create");
	until = tt_now() + SECONDS;
	for (i = 0; tt_now() < until; i++)
		reports += get_reset(t, i % 3);
	atomic_store(&stop, 1);
	for (i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	while (get_reset(t, 0))                 /* drain what the writers left */
		;
	for (p = 0; p < NPAGES; p++) {
		unsigned long want = atomic_load(&need[p]);

		if (last_report[p] < want) {
			if (!lost++)
				fprintf(stderr, "page %zu: written after get %lu, last reported by get %lu\n",
					p, want - 1, last_report[p]);
		}
		tt_check(want || !last_report[p], "page %zu reported but never written", p);
	}
	tt_check(!lost, "%lu of %d pages lost a write (%lu writes, %lu gets)", lost, NPAGES,
		 atomic_load(&nwrites), atomic_load(&gets_done));
	tt_check(atomic_load(&nwrites) > 1000 && reports > 100, "too little happened: %lu writes, "
		 "%lu reports", atomic_load(&nwrites), reports);
	fprintf(stderr, "%lu writes, %lu gets, %lu pages reported\n", atomic_load(&nwrites),
		atomic_load(&gets_done), reports);
	ww_close(t);
	tt_check(sync_wp_pages(mem, NPAGES) == 0, "protection left after close");
	return 0;
}
