/*
 * Exactness: random writes over thousands of pages, many rounds; every get
 * equals the truth, with a mix of full gets, limited gets with reset and
 * sub-range resets.
 */
#include "tt.h"

#define NPAGES 4096
#define ROUNDS 40

/* Limited gets with reset, max pages at a time, until empty: each page returned was written. */
static void get_reset_limited(struct ww_tracker *t, char *mem, unsigned char *truth,
			      void **pages, size_t max, const char *what)
{
	ssize_t n;
	size_t i;

	while ((n = ww_get(t, mem, NPAGES * TT_PAGE, pages, max, WW_GET_RESET)) > 0) {
		for (i = 0; i < (size_t)n; i++) {
			size_t idx = ((char *)pages[i] - mem) / TT_PAGE;

			tt_check(truth[idx], "%s: page %zu not written", what, idx);
			truth[idx] = 0;
		}
	}
	tt_check(n == 0, "%s: ww_get: %zd", what, n);
}

/*
 * One round: random writes, check, then (by round) limited gets with reset,
 * a random sub-range reset, or nothing, and check again.  The order of the
 * tt_rand() calls fixes the sequence, so keep it.
 */
static void run_round(struct ww_tracker *t, char *mem, unsigned char *truth, void **pages,
		      unsigned long long *seed, int round)
{
	size_t writes = tt_rand(seed) % (NPAGES / 4), i;
	char what[64];

	for (i = 0; i < writes; i++) {
		size_t p = tt_rand(seed) % NPAGES;

		mem[p * TT_PAGE + tt_rand(seed) % TT_PAGE] = (char)round;
		truth[p] = 1;
	}
	snprintf(what, sizeof(what), "round %d", round);
	tt_expect_written(t, mem, NPAGES, truth, what);

	switch (round % 3) {
	case 0:
		get_reset_limited(t, mem, truth, pages, 1 + tt_rand(seed) % 97, what);
		break;
	case 1: {       /* reset a random sub-range */
		size_t a = tt_rand(seed) % NPAGES;
		size_t len = 1 + tt_rand(seed) % (NPAGES - a);

		tt_ok(ww_reset(t, mem + a * TT_PAGE, len * TT_PAGE));
		memset(truth + a, 0, len);
		break;
	}
	default:        /* leave the written pages for the next round */
		break;
	}
	tt_expect_written(t, mem, NPAGES, truth, what);
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(NPAGES * TT_PAGE);
	unsigned char *truth = calloc(NPAGES, 1);
	void **pages = calloc(NPAGES, sizeof(void *));
	unsigned long long seed = 0x5eed1234abcdULL;
	int round;

	tt_check(truth && pages, "out of memory");
	/* Populate a random third so populated and never-touched pages mix. */
	for (size_t i = 0; i < NPAGES; i++)
		if (tt_rand(&seed) % 3 == 0)
			mem[i * TT_PAGE] = 1;
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	for (round = 0; round < ROUNDS; round++)
		run_round(t, mem, truth, pages, &seed, round);
	ww_close(t);
	free(truth);
	free(pages);
	return 0;
}
