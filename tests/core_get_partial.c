/*
 * A get+reset that meets an error after it has re-armed pages does not lose
 * them: it returns the pages it has (a short count) and the error comes
 * from the next get, the way read(2) reports an error after a partial read.
 * Here the error is the second of two watched ranges replaced behind the
 * tracker's back with mmap(MAP_FIXED); the first range's written pages must
 * be reported by some call, exactly once across the calls, never dropped.
 */
#include "tt.h"

#define NP 4    /* pages per range */

/* Record reported pages of range A into seen[]; fail on an out-of-range report. */
static void account(void **pages, ssize_t n, char *a, int *seen)
{
	for (ssize_t i = 0; i < n; i++) {
		size_t idx = ((char *)pages[i] - a) / TT_PAGE;

		if (idx < NP)
			seen[idx]++;
		else
			tt_check(idx < 2 * NP, "page %zu reported outside both ranges", idx);
	}
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(2 * NP * TT_PAGE), *b = mem + NP * TT_PAGE;
	void *pages[2 * NP];
	int seen[NP] = { 0 }, calls = 0;
	ssize_t n;

	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	tt_ok(ww_watch(t, b, NP * TT_PAGE));
	mem[0] = 1;
	mem[2 * TT_PAGE] = 1;
	/* B becomes someone else's memory: still mapped, no longer tracked. */
	tt_check(mmap(b, NP * TT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == b, "mmap fixed");
	b[TT_PAGE] = 1;

	/* Keep asking over both ranges until the error has been delivered. */
	for (;;) {
		n = ww_get(t, mem, 2 * NP * TT_PAGE, pages, 2 * NP, WW_GET_RESET);
		calls++;
		tt_check(calls < 5, "no error and no end after %d calls", calls);
		if (n < 0)
			break;
		account(pages, n, mem, seen);
		if (n == 0)
			break;
	}
	fprintf(stderr, "%s: %d calls, last %zd\n", ww_backend_name(t), calls, n);
	tt_check(n == 0 || n == -EFAULT || n == -ENOENT, "last get: %zd", n);
	/* Whatever happened to B, A is still watched and its pages were not lost. */
	n = ww_get(t, mem, NP * TT_PAGE, pages, NP, WW_GET_RESET);
	tt_check(n >= 0, "get over A: %zd", n);
	account(pages, n, mem, seen);
	tt_check(seen[0] == 1 && seen[2] == 1, "page 0 seen %d times, page 2 %d times",
		 seen[0], seen[2]);
	tt_check(!seen[1] && !seen[3], "unwritten pages reported");
	ww_close(t);
	return 0;
}
