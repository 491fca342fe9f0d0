/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: partial unwatch splits a range (its written state moves
 * with it); the unwatched part is writable and its writes are nobody's; the
 * global range table is shared by trackers: memory one tracker watches is
 * -EBUSY for another, and free again once unwatched; many ranges (hundreds,
 * and one range cut into 128 pieces) are all tracked.
 */
#include "mprotect_tt.h"

#define NP 64

static void expect_pages(struct ww_tracker *t, char *base, size_t npages, const size_t *want,
			 size_t n, const char *what)
{
	void *pages[NP];
	ssize_t got = ww_get(t, base, npages * TT_PAGE, pages, NP, 0);
	size_t i;

	tt_check(got == (ssize_t)n, "%s: %zd pages, want %zu", what, got, n);
	for (i = 0; i < n; i++)
		tt_check(pages[i] == base + want[i] * TT_PAGE, "%s: result %zu is page %ld, want %zu",
			 what, i, (long)(((char *)pages[i] - base) / (long)TT_PAGE), want[i]);
}

static void split_keeps_state(struct ww_tracker *t, struct ww_tracker *t2)
{
	char *mem = mt_map_isolated(NP * TT_PAGE);

	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	mem[10 * TT_PAGE] = 1;
	mem[30 * TT_PAGE] = 1;
	mem[50 * TT_PAGE] = 1;
	tt_ok(ww_unwatch(t, mem + 20 * TT_PAGE, 20 * TT_PAGE));
	expect_pages(t, mem, 20, (size_t[]){ 10 }, 1, "head after split");
	expect_pages(t, mem + 40 * TT_PAGE, 24, (size_t[]){ 10 }, 1, "tail after split");
	tt_ret(ww_get(t, mem, NP * TT_PAGE, (void *[NP]){ 0 }, NP, 0), -ENOENT);
	mt_expect_perms(mem + 25 * TT_PAGE, "rw-", "unwatched middle");
	mt_expect_perms(mem + 15 * TT_PAGE, "r--", "watched head");
	mt_expect_perms(mem + 45 * TT_PAGE, "r--", "watched tail");
	mem[25 * TT_PAGE] = 1;                  /* nobody's write: no fault, no report */
	mem[15 * TT_PAGE] = 1;
	mem[45 * TT_PAGE] = 1;
	expect_pages(t, mem, 20, (size_t[]){ 10, 15 }, 2, "head");
	expect_pages(t, mem + 40 * TT_PAGE, 24, (size_t[]){ 5, 10 }, 2, "tail");

	/* Another tracker: busy where t watches, free where it stopped. */
	tt_ret(ww_watch(t2, mem, NP * TT_PAGE), -EBUSY);
	tt_ret(ww_watch(t2, mem + 19 * TT_PAGE, 2 * TT_PAGE), -EBUSY);
	tt_ok(ww_watch(t2, mem + 20 * TT_PAGE, 20 * TT_PAGE));
	mt_expect_perms(mem + 25 * TT_PAGE, "r--", "watched by the other tracker");
	mem[22 * TT_PAGE] = 1;
	expect_pages(t2, mem + 20 * TT_PAGE, 20, (size_t[]){ 2 }, 1, "other tracker");
	expect_pages(t, mem, 20, (size_t[]){ 10, 15 }, 2, "head unaffected");
	tt_ok(ww_unwatch(t2, mem + 20 * TT_PAGE, 20 * TT_PAGE));

	/* Unwatch the rest by edges: first and last pages, then what remains. */
	tt_ok(ww_unwatch(t, mem, TT_PAGE));
	tt_ok(ww_unwatch(t, mem + (NP - 1) * TT_PAGE, TT_PAGE));
	mt_expect_perms(mem, "rw-", "first page unwatched");
	mem[0] = 1;
	mem[(NP - 1) * TT_PAGE] = 1;
	expect_pages(t, mem + TT_PAGE, 19, (size_t[]){ 9, 14 }, 2, "head after trimming");
	tt_ok(ww_unwatch(t, mem + TT_PAGE, 19 * TT_PAGE));
	tt_ok(ww_unwatch(t, mem + 40 * TT_PAGE, 23 * TT_PAGE));
	tt_check(mt_vmas(mem, NP * TT_PAGE) == 1, "range not back to one writable VMA");
	mt_expect_perms(mem + 30 * TT_PAGE, "rw-", "all unwatched");
	munmap(mem, NP * TT_PAGE);
}

/* One range cut into 128 single-page pieces, every other page unwatched. */
static void many_pieces(struct ww_tracker *t)
{
	const size_t n = 256;
	char *mem = mt_map_isolated(n * TT_PAGE);
	void **pages = calloc(n, sizeof(void *));
	size_t i;
	ssize_t got;

	tt_ok(ww_watch(t, mem, n * TT_PAGE));
	for (i = 1; i < n; i += 2)
		tt_ok(ww_unwatch(t, mem + i * TT_PAGE, TT_PAGE));
	for (i = 0; i < n; i++)
		mem[i * TT_PAGE] = 1;
	for (i = 0; i < n; i += 2) {
		got = ww_get(t, mem + i * TT_PAGE, TT_PAGE, pages, 1, WW_GET_RESET);
		tt_check(got == 1 && pages[0] == mem + i * TT_PAGE, "piece %zu: %zd", i, got);
	}
	for (i = 0; i < n; i += 2)
		tt_ok(ww_unwatch(t, mem + i * TT_PAGE, TT_PAGE));
	tt_check(mt_vmas(mem, n * TT_PAGE) == 1, "pieces not back to one VMA");
	free(pages);
	munmap(mem, n * TT_PAGE);
}

/* Hundreds of separate ranges, in two trackers. */
static void many_ranges(struct ww_tracker *t, struct ww_tracker *t2)
{
	const size_t n = 600;
	char *mem = mt_map_isolated(2 * n * TT_PAGE);
	void *pages[2];
	size_t i;

	for (i = 0; i < n; i++)
		tt_ok(ww_watch(i % 2 ? t2 : t, mem + 2 * i * TT_PAGE, TT_PAGE));
	for (i = 0; i < 2 * n; i++)
		mem[i * TT_PAGE] = 1;
	for (i = 0; i < n; i++) {
		ssize_t got = ww_get(i % 2 ? t2 : t, mem + 2 * i * TT_PAGE, TT_PAGE, pages, 2, 0);

		tt_check(got == 1, "range %zu: %zd", i, got);
	}
	for (i = 0; i < n; i += 2)
		tt_ok(ww_unwatch(t, mem + 2 * i * TT_PAGE, TT_PAGE));
	ww_close(t2);           /* unwatches the other half */
	tt_check(mt_vmas(mem, 2 * n * TT_PAGE) == 1, "ranges not back to one VMA");
	munmap(mem, 2 * n * TT_PAGE);
}

int main(void)
{
	struct ww_tracker *t, *t2;

	mt_require_mprotect();
	t = tt_open();
	t2 = tt_open();
	split_keeps_state(t, t2);
	many_pieces(t);
	many_ranges(t, t2);
	ww_close(t);
	return 0;
}
