/*
 * uffd-sync on private anonymous memory: populated and never-touched pages,
 * probe, several ranges at once, prepare_write, EBUSY for a second tracker,
 * and no uffd-wp bit left behind by unwatch and close.
 */
#include "sync_util.h"

#define NPAGES 64
#define NSMALL 8

static void check_probe(struct ww_tracker *t)
{
	struct ww_probe p = { .size = sizeof(p) };
	struct ww_backend_info bi = { .size = sizeof(bi) };

	tt_ok(ww_probe(&p));
	tt_ok(ww_probe_backend(WW_BACKEND_UFFD_SYNC, &bi));
	tt_check(bi.available, "probe says uffd-sync unavailable: %s", bi.reason);
	tt_check(!strcmp(ww_backend_name(t), "uffd-sync"), "backend %s", ww_backend_name(t));
}

/* Watches mem: even pages populated, odd pages never touched. */
static void check_populated_and_untouched(struct ww_tracker *t, char *mem, unsigned char *truth)
{
	size_t i;

	for (i = 0; i < NPAGES; i += 2)
		mem[i * TT_PAGE] = 1;
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	tt_check(sync_wp_pages(mem, NPAGES) == NPAGES, "%zu of %d pages write-protected",
		 sync_wp_pages(mem, NPAGES), NPAGES);
	tt_expect_written(t, mem, NPAGES, truth, "fresh watch");
	for (i = 0; i < NPAGES; i++)
		(void)*(volatile char *)(mem + i * TT_PAGE);
	tt_expect_written(t, mem, NPAGES, truth, "after reads");

	/* Populated and untouched pages alike: every 3rd page, the old values survive. */
	for (i = 0; i < NPAGES; i += 3) {
		mem[i * TT_PAGE + 5] = 7;
		truth[i] = 1;
	}
	tt_expect_written(t, mem, NPAGES, truth, "after writes");
	for (i = 0; i < NPAGES; i += 2)
		tt_check(mem[i * TT_PAGE] == 1, "page %zu lost its content", i);
}

/* get+reset re-arms: reported once, then not until written again. */
static void check_reset_rearms(struct ww_tracker *t, char *mem, unsigned char *truth)
{
	void *pages[NPAGES];

	tt_ret(ww_get(t, mem, NPAGES * TT_PAGE, pages, NPAGES, WW_GET_RESET), 22);
	memset(truth, 0, NPAGES);
	tt_expect_written(t, mem, NPAGES, truth, "after get+reset");
	tt_check(sync_wp_pages(mem, NPAGES) == NPAGES, "reset left pages unprotected");
	mem[63 * TT_PAGE] = 1;
	truth[63] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "rewrite after reset");
}

/* A write is visible to the very next get of the writing thread (no lag behind the fault thread). */
static void check_no_lag(struct ww_tracker *t, char *mem)
{
	void *pages[1];
	size_t i;

	for (i = 0; i < 2000; i++) {
		char *pg = mem + (20 + i % 8) * TT_PAGE;

		tt_ok(ww_reset(t, pg, TT_PAGE));
		pg[i % TT_PAGE] = (char)i;
		tt_ret(ww_get(t, pg, TT_PAGE, pages, 1, WW_GET_RESET), 1);
		pg[1] = 1;
		tt_ret(ww_get(t, pg, TT_PAGE, pages, 1, 0), 1);
	}
	tt_ok(ww_reset(t, mem + 20 * TT_PAGE, 8 * TT_PAGE));
}

/* prepare_write: reported, and writable without a fault. */
static void check_prepare_write(struct ww_tracker *t, char *mem, unsigned char *truth)
{
	tt_ok(ww_prepare_write(t, mem + 10 * TT_PAGE, 3 * TT_PAGE));
	truth[10] = truth[11] = truth[12] = 1;
	tt_check(sync_wp_pages(mem + 10 * TT_PAGE, 3) == 0, "prepare_write left protection");
	tt_expect_written(t, mem, NPAGES, truth, "after prepare_write");
}

/*
 * MADV_DONTNEED (documented): uffd-sync does not see the drop, so the
 * page is not reported, and the kernel drops its protection with it;
 * ww_reset() re-arms it, and its writes are reported again.
 */
static void check_dontneed(struct ww_tracker *t, char *mem, unsigned char *truth)
{
	tt_ok(ww_reset(t, mem, NPAGES * TT_PAGE));
	memset(truth, 0, NPAGES);
	tt_check(!madvise(mem + 40 * TT_PAGE, 2 * TT_PAGE, MADV_DONTNEED), "madvise");
	tt_check(mem[40 * TT_PAGE] == 0, "dropped page reads as zero");
	tt_expect_written(t, mem, NPAGES, truth, "after MADV_DONTNEED");
	tt_ok(ww_reset(t, mem + 40 * TT_PAGE, 2 * TT_PAGE));
	tt_check(sync_wp_pages(mem + 40 * TT_PAGE, 2) == 2, "reset did not re-arm dropped pages");
	mem[41 * TT_PAGE] = 1;
	truth[41] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "write after MADV_DONTNEED + reset");
}

/* Many small ranges, alternately on t and t2: the fault thread finds each. */
static void check_small_ranges(struct ww_tracker *t, struct ww_tracker *t2, char **small)
{
	void *pages[4];
	size_t i;

	for (i = 0; i < NSMALL; i++) {
		small[i] = tt_map(2 * TT_PAGE);
		tt_ok(ww_watch(i % 2 ? t : t2, small[i], 2 * TT_PAGE));
	}
	for (i = NSMALL; i-- > 0;)
		small[i][TT_PAGE + i] = 1;
	for (i = 0; i < NSMALL; i++) {
		tt_ret(ww_get(i % 2 ? t : t2, small[i], 2 * TT_PAGE, pages, 4, 0), 1);
		tt_check(pages[0] == small[i] + TT_PAGE, "small range %zu", i);
	}
}

/* Unwatch and close leave no protection behind, populated or not. */
static void check_nothing_left(struct ww_tracker *t, struct ww_tracker *t2, char *mem, char **small)
{
	size_t i;

	tt_ok(ww_unwatch(t, mem, NPAGES * TT_PAGE));
	tt_check(sync_wp_pages(mem, NPAGES) == 0, "%zu pages still write-protected after unwatch",
		 sync_wp_pages(mem, NPAGES));
	ww_close(t);
	ww_close(t2);
	for (i = 0; i < NSMALL; i++) {
		tt_check(sync_wp_pages(small[i], 2) == 0, "small range %zu protected after close", i);
		small[i][0] = 1;
	}
	memset(mem, 9, NPAGES * TT_PAGE);
}

int main(void)
{
	struct ww_tracker *t = sync_open(), *t2 = NULL;
	unsigned char truth[NPAGES] = { 0 };
	char *mem = tt_map(NPAGES * TT_PAGE);
	char *small[NSMALL];

	sync_hang_guard(60);
	check_probe(t);
	check_populated_and_untouched(t, mem, truth);
	check_reset_rearms(t, mem, truth);
	check_no_lag(t, mem);
	check_prepare_write(t, mem, truth);
	check_dontneed(t, mem, truth);

	/* A second tracker cannot take memory the first one tracks. */
	tt_ok(ww_open(&t2, WW_BACKEND_UFFD_SYNC, 0));
	tt_ret(ww_watch(t2, mem, TT_PAGE), -EBUSY);

	check_small_ranges(t, t2, small);
	check_nothing_left(t, t2, mem, small);
	return 0;
}
