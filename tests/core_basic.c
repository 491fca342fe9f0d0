/* Watch, write, get, get-with-reset, reset: the basic cycle on private anonymous memory. */
#include "tt.h"

/* Sub-range get and reset, from main()'s state: every 3rd page written, 3..12 re-armed. */
static void check_sub_range(struct ww_tracker *t, char *mem, size_t npages, unsigned char *truth)
{
	void *pages[64];

	tt_ret(ww_get(t, mem + 10 * TT_PAGE, 10 * TT_PAGE, pages, 64, 0), 2);  /* 15 18 (12 was reset) */
	tt_check(pages[0] == mem + 15 * TT_PAGE, "sub-range first page");
	tt_ok(ww_reset(t, mem + 10 * TT_PAGE, 10 * TT_PAGE));
	truth[15] = truth[18] = 0;
	tt_expect_written(t, mem, npages, truth, "after sub-range reset");
	/* An unaligned sub-range is rounded out to whole pages. */
	tt_ret(ww_get(t, mem + 21 * TT_PAGE + 100, 10, pages, 64, 0), 1);
	tt_check(pages[0] == mem + 21 * TT_PAGE, "unaligned get");
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	const size_t npages = 64;
	char *mem = tt_map(npages * TT_PAGE);
	unsigned char truth[64] = { 0 };
	void *pages[64];
	size_t i;

	/* Populate half the pages before watching: populated and untouched both start clean. */
	for (i = 0; i < npages / 2; i++)
		mem[i * TT_PAGE] = 1;
	tt_ok(ww_watch(t, mem, npages * TT_PAGE));
	tt_check(!strcmp(ww_backend_name(t), tt_backend()) || tt_backend_is("auto"),
		 "backend %s, wanted %s", ww_backend_name(t), tt_backend());
	tt_expect_written(t, mem, npages, truth, "fresh watch");

	/* Reads are not writes. */
	for (i = 0; i < npages; i++)
		(void)*(volatile char *)(mem + i * TT_PAGE);
	tt_expect_written(t, mem, npages, truth, "after reads");

	for (i = 0; i < npages; i += 3) {
		mem[i * TT_PAGE + 17] = 2;
		truth[i] = 1;
	}
	tt_expect_written(t, mem, npages, truth, "after writes");
	tt_expect_written(t, mem, npages, truth, "get without reset is repeatable");

	/* A limited get with reset re-arms only the pages it returned. */
	tt_ret(ww_get(t, mem, npages * TT_PAGE, pages, 5, WW_GET_RESET), 5);
	for (i = 0; i < 5; i++) {
		size_t idx = ((char *)pages[i] - mem) / TT_PAGE;

		tt_check(idx == i * 3, "limited get returned page %zu, want %zu", idx, i * 3);
		truth[idx] = 0;
	}
	tt_expect_written(t, mem, npages, truth, "after limited get+reset");

	/* Written again after reset: reported again. */
	mem[0] = 3;
	truth[0] = 1;
	tt_expect_written(t, mem, npages, truth, "rewrite after reset");

	check_sub_range(t, mem, npages, truth);

	tt_ok(ww_reset(t, mem, npages * TT_PAGE));
	memset(truth, 0, sizeof(truth));
	tt_expect_written(t, mem, npages, truth, "after full reset");
	tt_check(ww_granularity(t, mem + 5) == (ssize_t)TT_PAGE, "granularity");

	tt_ok(ww_unwatch(t, mem, npages * TT_PAGE));
	ww_close(t);
	return 0;
}
