/*
 * No lost writes under concurrency: writer threads write random pages while
 * a collector runs limited get-and-reset continuously.  Every single write
 * is checked: before a writer writes a page again, the previous write to it
 * must have been reported by a get that had not finished when the write began.
 * Meanwhile another thread watches, gets and unwatches its own ranges, so
 * registry changes race with the scans.
 */
#include <pthread.h>
#include "tt.h"

#define NPAGES 2048
#define NWRITERS 3
#define SECONDS 2.0

static char *mem;
static struct ww_tracker *t;
static unsigned long completed;                 /* gets finished */
static unsigned long last_report[NPAGES];       /* index+1 of the last get reporting the page */
static unsigned long pend_c[NPAGES];            /* gets finished before the pending write began */
static unsigned char pending[NPAGES];
static volatile int stop;
static unsigned long writes_checked[NWRITERS];

static int verified(size_t p)
{
	return __atomic_load_n(&last_report[p], __ATOMIC_ACQUIRE) > pend_c[p];
}

static void *writer(void *arg)
{
	long id = (long)arg;
	unsigned long long seed = 0x1234 + id;

	while (!stop) {
		size_t p = (tt_rand(&seed) % (NPAGES / NWRITERS)) * NWRITERS + id;

		if (p >= NPAGES)
			continue;
		if (pending[p]) {
			if (!verified(p))
				continue;
			pending[p] = 0;
			writes_checked[id]++;
		}
		pend_c[p] = __atomic_load_n(&completed, __ATOMIC_ACQUIRE);
		pending[p] = 1;
		__atomic_store_n(&mem[p * TT_PAGE + (seed % TT_PAGE)], (char)seed, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void *registry_churn(void *arg)
{
	char *own = tt_map(64 * TT_PAGE);
	void *pages[64];

	while (!stop) {
		tt_ok(ww_watch(t, own, 64 * TT_PAGE));
		own[5 * TT_PAGE] = 1;
		tt_ret(ww_get(t, own, 64 * TT_PAGE, pages, 64, WW_GET_RESET), 1);
		tt_ok(ww_unwatch(t, own + 32 * TT_PAGE, 32 * TT_PAGE));
		tt_ok(ww_unwatch(t, own, 32 * TT_PAGE));
	}
	munmap(own, 64 * TT_PAGE);
	return NULL;
}

static void collect(void **pages, size_t max)
{
	unsigned long idx = __atomic_load_n(&completed, __ATOMIC_RELAXED);
	size_t rounds = 0;
	ssize_t n, i;

	/*
	 * Drain in chunks: a limited get resets only what it returned.  Writers
	 * keep dirtying pages, so stop after one pass's worth of chunks.
	 */
	do {
		n = ww_get(t, mem, NPAGES * TT_PAGE, pages, max, WW_GET_RESET);
		tt_check(n >= 0, "ww_get: %s", strerror((int)-n));
		for (i = 0; i < n; i++)
			__atomic_store_n(&last_report[((char *)pages[i] - mem) / TT_PAGE], idx + 1,
					 __ATOMIC_RELEASE);
	} while ((size_t)n == max && ++rounds <= NPAGES / max);
	__atomic_store_n(&completed, idx + 1, __ATOMIC_RELEASE);
}

int main(void)
{
	pthread_t w[NWRITERS], churn;
	void **pages = calloc(NPAGES, sizeof(void *));
	unsigned long total = 0;
	double end;
	long i;

	t = tt_open();
	mem = tt_map(NPAGES * TT_PAGE);
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	for (i = 0; i < NWRITERS; i++)
		pthread_create(&w[i], NULL, writer, (void *)i);
	pthread_create(&churn, NULL, registry_churn, NULL);
	end = tt_now() + SECONDS;
	for (i = 0; tt_now() < end; i++)
		collect(pages, 1 + (size_t)(i % 200));
	stop = 1;
	for (i = 0; i < NWRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(churn, NULL);
	collect(pages, NPAGES);
	for (i = 0; i < NPAGES; i++) {
		tt_check(!pending[i] || verified(i),
			 "write to page %ld lost: written after %lu gets, last reported by get %lu",
			 i, pend_c[i], last_report[i]);
	}
	for (i = 0; i < NWRITERS; i++)
		total += writes_checked[i];
	fprintf(stderr, "%lu writes checked over %lu gets\n", total, completed);
	tt_check(total > 100, "too few writes checked (%lu) to mean anything", total);
	ww_close(t);
	free(pages);
	return 0;
}
