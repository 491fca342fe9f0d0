/*
 * Resuming: a 1 GiB sparse range read through tiny output buffers loses
 * nothing, in the page form (limited gets with reset) and in the region
 * form (resuming from *next).
 */
#include "tt.h"

#define SPAN (1UL << 30)
#define NPAGES (SPAN / TT_PAGE)
#define NWRITTEN 3000
#define SEED 42         /* write_random_pages() and count_written() replay the same pages */

static int cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Random pages, some of them adjacent so runs longer than a page occur. */
static void write_random_pages(char *mem)
{
	unsigned long long seed = SEED;
	size_t i;

	for (i = 0; i < NWRITTEN; i++) {
		size_t p = tt_rand(&seed) % (NPAGES - 1);

		mem[p * TT_PAGE] = 1;
		if (i % 10 == 0)
			mem[(p + 1) * TT_PAGE] = 1;
	}
}

/*
 * Replay write_random_pages() into mark[] (one byte per page) and return how
 * many distinct pages it wrote: scanning all of 1 GiB would populate it.
 */
static size_t count_written(unsigned char *mark)
{
	unsigned long long seed = SEED;
	size_t nwant = 0, i;

	for (i = 0; i < NWRITTEN; i++) {
		size_t p = tt_rand(&seed) % (NPAGES - 1);

		if (!mark[p]++)
			nwant++;
		if (i % 10 == 0 && !mark[p + 1]++)
			nwant++;
	}
	return nwant;
}

/* Region form without reset, 2 regions at a time, resuming from *next; returns pages in runs. */
static size_t walk_regions(struct ww_tracker *t, char *mem)
{
	struct ww_region regs[2];
	void *at = mem, *next;
	size_t run_pages = 0, i;
	uint64_t last_end = 0;
	ssize_t n;

	while ((char *)at < mem + SPAN) {
		n = ww_get_regions(t, at, mem + SPAN - (char *)at, regs, 2, 0, &next);
		tt_check(n >= 0, "ww_get_regions: %s", strerror((int)-n));
		tt_check((char *)next > (char *)at || n > 0, "no progress");
		for (i = 0; i < (size_t)n; i++) {
			tt_check(regs[i].start >= last_end && regs[i].end > regs[i].start,
				 "regions out of order");
			last_end = regs[i].end;
			run_pages += (regs[i].end - regs[i].start) / TT_PAGE;
		}
		at = next;
	}
	tt_check(at == mem + SPAN, "walk ended at %p, want %p", at, mem + SPAN);
	return run_pages;
}

/*
 * Page form with reset through a 3-entry buffer: the same run_pages pages,
 * each once.  Returns their page indexes, sorted, in a calloc'd array.
 */
static size_t *collect_pages(struct ww_tracker *t, char *mem, size_t run_pages)
{
	size_t *seen = calloc(run_pages + 1, sizeof(size_t));
	size_t got = 0, i;
	void *pages[3];
	ssize_t n;

	tt_check(seen != NULL, "oom");
	while ((n = ww_get(t, mem, SPAN, pages, 3, WW_GET_RESET)) > 0) {
		for (i = 0; i < (size_t)n; i++) {
			tt_check(got < run_pages, "more pages than the region walk found");
			seen[got++] = ((char *)pages[i] - mem) / TT_PAGE;
		}
	}
	tt_check(n == 0, "ww_get: %s", strerror((int)-n));
	tt_check(got == run_pages, "page form found %zu pages, region form %zu", got, run_pages);
	qsort(seen, got, sizeof(size_t), cmp);
	for (i = 1; i < got; i++)
		tt_check(seen[i] != seen[i - 1], "page %zu reported twice", seen[i]);
	return seen;
}

/* The got pages reported are exactly the pages written. */
static void check_against_writes(const char *mem, const size_t *seen, size_t got)
{
	unsigned char *mark;
	size_t nwant, i;

	/* Every page reported holds a write: check by re-reading memory. */
	for (i = 0; i < got; i++)
		tt_check(mem[seen[i] * TT_PAGE] == 1, "page %zu reported but holds no write", seen[i]);
	/* And the totals match the pages written, counted from the written set only. */
	mark = calloc(NPAGES, 1);
	tt_check(mark != NULL, "oom");
	nwant = count_written(mark);
	for (i = 0; i < got; i++)
		tt_check(mark[seen[i]], "page %zu was never written", seen[i]);
	free(mark);
	tt_check(got == nwant, "%zu pages reported, %zu written", got, nwant);
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = mmap(NULL, SPAN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	size_t run_pages, *seen;
	void *pages[3];

	tt_check(mem != MAP_FAILED, "setup");
	tt_ok(ww_watch(t, mem, SPAN));
	write_random_pages(mem);
	run_pages = walk_regions(t, mem);
	seen = collect_pages(t, mem, run_pages);
	check_against_writes(mem, seen, run_pages);
	tt_ret(ww_get(t, mem, SPAN, pages, 3, 0), 0);
	ww_close(t);
	munmap(mem, SPAN);
	free(seen);
	return 0;
}
