/* SPDX-License-Identifier: MIT */
/*
 * The controller is killed while it tracks a target (SIGKILL, no ww_close):
 * the kernel closes its userfaultfd, which unregisters the target's ranges
 * and removes their protection.  The target goes on unharmed: nothing
 * registered, no uffd-wp bit left, its memory intact and writable.
 */
#include "remote_tt.h"

#define NPAGES 64

int main(void)
{
	struct rt_child c;
	int ready[2], st;
	pid_t ctl;
	char ok;

	rt_spawn(&c, NPAGES);
	for (long i = 0; i < NPAGES; i += 3)
		rt_cmd(&c, RT_WRITE, i);
	if (pipe(ready))
		tt_fail("pipe: %s", strerror(errno));
	ctl = fork();
	if (ctl < 0)
		tt_fail("fork: %s", strerror(errno));
	if (!ctl) {
		struct ww_tracker *t = NULL;
		int ret = ww_open_pid(&t, c.pid, WW_BACKEND_AUTO, 0);
		char r = 'y';

		if (ret == -EOPNOTSUPP || ret == -EPERM)
			r = 's';
		else if (ret || ww_watch(t, c.base, NPAGES * TT_PAGE))
			r = 'n';
		rt_write_all(ready[1], &r, 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &ok, 1) != 1)
		tt_fail("controller died before it was ready");
	if (ok == 's') {
		kill(ctl, SIGKILL);
		waitpid(ctl, &st, 0);
		rt_finish(&c);
		tt_skip("this machine cannot track another process (uffd-async or ptrace missing)");
	}
	tt_check(ok == 'y', "controller could not open or watch");
	/* Tracked now: registered and protected (so the checks below can fail). */
	tt_check(rt_vma_uffd_wp(c.pid, c.base), "region not registered while tracked");
	tt_ret(rt_wp_pages(c.pid, c.base, NPAGES), NPAGES);

	tt_ok(kill(ctl, SIGKILL));
	tt_ret(waitpid(ctl, &st, 0), ctl);
	tt_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "controller status %#x", st);

	tt_check(!rt_vma_uffd_wp(c.pid, c.base), "region still registered after the controller died");
	tt_ret(rt_wp_pages(c.pid, c.base, NPAGES), 0);
	tt_ret(rt_uffd_fds(c.pid), 0);
	for (long i = 0; i < NPAGES; i++)
		rt_cmd(&c, RT_WRITE, i);
	tt_ret(rt_cmd(&c, RT_CHECK, 0), 0);
	rt_expect_clean_exit(&c);
	return 0;
}
