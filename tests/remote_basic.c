/* SPDX-License-Identifier: MIT */
/*
 * ww_open_pid() on a child process: watch its region from outside, have it
 * write a known set of pages, and the tracker reports exactly that set,
 * ascending; get+reset re-arms them; ww_reset re-arms everything; the
 * child's memory holds what it wrote and it exits normally.
 */
#include "remote_tt.h"

#define NPAGES 256

int main(void)
{
	static const size_t set[] = { 0, 1, 7, 64, 65, 128, 200, 255 };
	size_t n_set = sizeof(set) / sizeof(set[0]), idx[NPAGES], i;
	struct rt_child c;
	struct ww_tracker *t;

	rt_spawn(&c, NPAGES);
	t = rt_open(c.pid);
	tt_check(!strcmp(ww_backend_name(t), "uffd-async"), "backend %s", ww_backend_name(t));
	tt_ok(ww_watch(t, c.base, NPAGES * TT_PAGE));
	tt_ret(ww_granularity(t, c.base), TT_PAGE);
	tt_ret(rt_written(t, &c, idx, 0), 0);

	for (i = 0; i < n_set; i++)
		rt_cmd(&c, RT_WRITE, (long)set[i]);
	tt_ret(rt_written(t, &c, idx, WW_GET_RESET), n_set);
	for (i = 0; i < n_set; i++)
		tt_check(idx[i] == set[i], "page %zu reported as %zu", set[i], idx[i]);
	tt_ret(rt_written(t, &c, idx, 0), 0);

	/* A page written twice after the reset counts once; then ww_reset clears it. */
	rt_cmd(&c, RT_WRITE, 3);
	rt_cmd(&c, RT_WRITE, 3);
	tt_ret(rt_written(t, &c, idx, 0), 1);
	tt_check(idx[0] == 3, "page 3 reported as %zu", idx[0]);
	tt_ok(ww_reset(t, c.base, NPAGES * TT_PAGE));
	tt_ret(rt_written(t, &c, idx, 0), 0);

	/* The region form, and an unwatch of part of the range. */
	rt_cmd(&c, RT_WRITE, 10);
	rt_cmd(&c, RT_WRITE, 11);
	{
		struct ww_region reg[4];
		void *next = NULL;

		tt_ret(ww_get_regions(t, c.base, NPAGES * TT_PAGE, reg, 4, 0, &next), 1);
		tt_check(reg[0].start == (uintptr_t)c.base + 10 * TT_PAGE &&
			 reg[0].end == (uintptr_t)c.base + 12 * TT_PAGE, "region of pages 10-11");
		tt_check(next == c.base + NPAGES * TT_PAGE, "walk complete");
	}
	tt_ok(ww_unwatch(t, c.base, 16 * TT_PAGE));
	tt_ret(ww_get(t, c.base, TT_PAGE, (void *[1]){ 0 }, 1, 0), -ENOENT);

	/* Bad input keeps its documented answers. */
	tt_ret(ww_open_pid(NULL, c.pid, WW_BACKEND_AUTO, 0), -EINVAL);
	tt_ret(ww_open_pid(&t, c.pid, WW_BACKEND_AUTO, 1), -EINVAL);
	tt_ret(ww_open_pid(&t, -1, WW_BACKEND_AUTO, 0), -EINVAL);
	{
		struct ww_tracker *u = NULL;

		tt_ret(ww_open_pid(&u, c.pid, WW_BACKEND_MPROTECT, 0), -EOPNOTSUPP);
		tt_ret(ww_open_pid(&u, c.pid, WW_BACKEND_UFFD_SYNC, 0), -EOPNOTSUPP);
		tt_ret(ww_prepare_write(t, c.base + 16 * TT_PAGE, TT_PAGE), -EOPNOTSUPP);
		/* pid 0: this process, as ww_open(). */
		tt_ok(ww_open_pid(&u, 0, WW_BACKEND_AUTO, 0));
		ww_close(u);
	}

	ww_close(t);
	tt_ret(rt_cmd(&c, RT_CHECK, 0), 0);
	rt_expect_clean_exit(&c);
	return 0;
}
