/* A THP region: one written byte reports one 4 KiB page, not 512. */
#include "tt.h"

#define HUGE (2UL << 20)

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t len = 4 * HUGE;
	char *raw = tt_map(len + HUGE);
	char *mem = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	void *pages[1024];
	ssize_t n;

	if (madvise(mem, len, MADV_HUGEPAGE))
		tt_skip("MADV_HUGEPAGE: %s (kernel without THP)", strerror(errno));
	memset(mem, 1, len);    /* populate: THP backs it where the kernel can */
	tt_ok(ww_watch(t, mem, len));
	tt_ret(ww_granularity(t, mem), TT_PAGE);
	mem[HUGE + 5 * TT_PAGE + 9] = 2;
	n = ww_get(t, mem, len, pages, 1024, WW_GET_RESET);
	tt_ret(n, 1);
	tt_check(pages[0] == mem + HUGE + 5 * TT_PAGE, "wrong page %p", pages[0]);
	tt_ret(ww_get(t, mem, len, pages, 1024, 0), 0);
	mem[3 * HUGE] = 3;
	mem[3 * HUGE + HUGE - 1] = 3;
	tt_ret(ww_get(t, mem, len, pages, 1024, 0), 2);
	tt_ok(ww_unwatch(t, mem, len));
	ww_close(t);
	return 0;
}
