/* SPDX-License-Identifier: MIT */
/*
 * ww_close() of a tracker of another process leaves the target exactly as
 * it was: no userfaultfd among its descriptors (not even while tracked: the
 * library closed it there), no VMA registered for write-protect, no uffd-wp
 * bit in any page, its memory intact and writable; and the caller is left
 * with no descriptor of its own.
 */
#include "remote_tt.h"

#define NPAGES 64

int main(void)
{
	struct rt_child c;
	struct ww_tracker *t;
	size_t idx[NPAGES];
	int fds_before;

	rt_spawn(&c, NPAGES);
	for (long i = 0; i < NPAGES; i += 2)
		rt_cmd(&c, RT_WRITE, i);        /* half present, half never touched */
	fds_before = rt_own_fds();
	t = rt_open(c.pid);
	tt_ret(rt_uffd_fds(c.pid), 0);
	tt_ok(ww_watch(t, c.base, NPAGES * TT_PAGE));
	/* While tracked: registered, and every page (touched or not) protected. */
	tt_check(rt_vma_uffd_wp(c.pid, c.base), "region not registered while tracked");
	tt_ret(rt_wp_pages(c.pid, c.base, NPAGES), NPAGES);
	rt_cmd(&c, RT_WRITE, 5);
	tt_ret(rt_wp_pages(c.pid, c.base, NPAGES), NPAGES - 1);
	tt_ret(rt_written(t, &c, idx, 0), 1);

	ww_close(t);
	tt_ret(rt_uffd_fds(c.pid), 0);
	tt_check(!rt_vma_uffd_wp(c.pid, c.base), "region still registered after ww_close");
	tt_ret(rt_wp_pages(c.pid, c.base, NPAGES), 0);
	tt_ret(rt_own_fds(), fds_before);
	for (long i = 0; i < NPAGES; i++)
		rt_cmd(&c, RT_WRITE, i);
	tt_ret(rt_wp_pages(c.pid, c.base, NPAGES), 0);
	tt_ret(rt_cmd(&c, RT_CHECK, 0), 0);
	rt_expect_clean_exit(&c);
	return 0;
}
