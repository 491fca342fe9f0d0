/*
 * Exactness: random writes over thousands of pages, many rounds; every get
 * equals the truth, with a mix of full gets, limited gets with reset and
 * sub-range resets.
 */
#include "tt.h"

#define NPAGES 4096
#define ROUNDS 40

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
	for (round = 0; round < ROUNDS; round++) {
		size_t writes = tt_rand(&seed) % (NPAGES / 4), i;
		char what[64];

		for (i = 0; i < writes; i++) {
			size_t p = tt_rand(&seed) % NPAGES;

			mem[p * TT_PAGE + tt_rand(&seed) % TT_PAGE] = (char)round;
			truth[p] = 1;
		}
		snprintf(what, sizeof(what), "round %d", round);
		tt_expect_written(t, mem, NPAGES, truth, what);

		switch (round % 3) {
		case 0: {       /* limited gets with reset until empty */
			size_t max = 1 + tt_rand(&seed) % 97, seen = 0;
			ssize_t n;

			while ((n = ww_get(t, mem, NPAGES * TT_PAGE, pages, max, WW_GET_RESET)) > 0) {
				for (i = 0; i < (size_t)n; i++) {
					size_t idx = ((char *)pages[i] - mem) / TT_PAGE;

					tt_check(truth[idx], "%s: page %zu not written", what, idx);
					truth[idx] = 0;
				}
				seen += n;
			}
			tt_check(n == 0, "%s: ww_get: %zd", what, n);
			break;
		}
		case 1: {       /* reset a random sub-range */
			size_t a = tt_rand(&seed) % NPAGES;
			size_t len = 1 + tt_rand(&seed) % (NPAGES - a);

			tt_ok(ww_reset(t, mem + a * TT_PAGE, len * TT_PAGE));
			memset(truth + a, 0, len);
			break;
		}
		default:        /* leave the written pages for the next round */
			break;
		}
		tt_expect_written(t, mem, NPAGES, truth, what);
	}
	ww_close(t);
	free(truth);
	free(pages);
	return 0;
}
