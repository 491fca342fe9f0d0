/*
 * A sparse range: 4 GiB of private anonymous memory with 200 pages
 * populated.  Take saves what is populated (resident memory grows by about
 * that, not by the range), pages first touched after take are dropped back
 * to holes by restore, and populated pages get their content back.
 */
#include "tt_snap.h"

#define NPOP 200
#define ROUNDS 200

static long resident_pages(void)
{
	long size = 0, res = -1;
	FILE *f = fopen("/proc/self/statm", "re");

	tt_check(f && fscanf(f, "%ld %ld", &size, &res) == 2, "statm");
	fclose(f);
	return res;
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t len = 4UL << 30, npages = len / TT_PAGE, pop[NPOP], i;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	unsigned long long seed = 11;
	char *ref = malloc(NPOP * TT_PAGE);
	struct ww_snapshot *s;
	long before, grew;

	if (mem == MAP_FAILED)
		tt_skip("cannot map a 4 GiB sparse range: %s", strerror(errno));
	tt_check(ref != NULL, "oom");
	tt_ok(madvise(mem, len, MADV_NOHUGEPAGE));
	for (i = 0; i < NPOP; i++) {
		pop[i] = (i * (npages / NPOP)) + tt_rand(&seed) % 16;
		for (size_t j = 0; j < TT_PAGE; j++)
			mem[pop[i] * TT_PAGE + j] = (char)tt_rand(&seed);
		memcpy(ref + i * TT_PAGE, mem + pop[i] * TT_PAGE, TT_PAGE);
	}
	before = resident_pages();
	tt_ok(ww_snapshot_take(t, mem, len, &s));
	grew = resident_pages() - before;
	/* A copy of the range would add a million pages; the populated ones are 200. */
	tt_check(grew < 4 * NPOP + 2048, "take grew resident memory by %ld pages", grew);
	for (unsigned r = 0; r < ROUNDS; r++) {
		size_t fresh = tt_rand(&seed) % npages, k = tt_rand(&seed) % NPOP;
		unsigned char vec;
		ssize_t n;

		mem[pop[k] * TT_PAGE + tt_rand(&seed) % TT_PAGE] ^= 0x5a;
		mem[fresh * TT_PAGE + 1] = 9;
		n = ww_snapshot_restore(s);
		tt_check(n >= 1 && n <= 2, "round %u: %zd pages restored, want 1 or 2", r, n);
		tt_check(memcmp(mem + pop[k] * TT_PAGE, ref + k * TT_PAGE, TT_PAGE) == 0,
			 "round %u: populated page %zu differs", r, pop[k]);
		for (i = 0; i < NPOP && pop[i] != fresh; i++)
			;
		if (i < NPOP)
			continue;       /* the "fresh" page was a populated one */
		tt_resident(mem + fresh * TT_PAGE, TT_PAGE, &vec);
		tt_check(!(vec & 1), "round %u: page %zu first touched after take is resident",
			 r, fresh);
		tt_check(mem[fresh * TT_PAGE + 1] == 0, "round %u: page %zu not zero", r, fresh);
	}
	for (i = 0; i < NPOP; i++)
		tt_check(memcmp(mem + pop[i] * TT_PAGE, ref + i * TT_PAGE, TT_PAGE) == 0,
			 "populated page %zu differs at the end", pop[i]);
	ww_snapshot_free(s);
	ww_close(t);
	free(ref);
	return 0;
}
