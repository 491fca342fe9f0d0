/* SPDX-License-Identifier: MIT */
/*
 * No right to ptrace the target: ww_open_pid() answers -EPERM and the
 * target goes on unharmed.  Two cases: a process of another user (root's,
 * from an unprivileged controller), and a non-dumpable process of the
 * controller's own user.  Run as root, the controller drops to nobody.
 */
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "remote_tt.h"

#define NOBODY 65534

static void drop(void)
{
	if (geteuid() != 0)
		return;
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		_exit(20);
}

static int nondumpable(char *mem, size_t npages)
{
	drop();
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ? 15 : 0;
}

/* ww_open_pid(pid) from an unprivileged process: its result. */
static int open_unprivileged(pid_t pid)
{
	int p[2], res = 0, st;
	pid_t ctl;

	if (pipe(p))
		tt_fail("pipe: %s", strerror(errno));
	ctl = fork();
	if (!ctl) {
		struct ww_tracker *t = NULL;

		drop();
		res = ww_open_pid(&t, pid, WW_BACKEND_AUTO, 0);
		rt_write_all(p[1], &res, sizeof(res));
		_exit(0);
	}
	close(p[1]);
	if (rt_read_all(p[0], &res, sizeof(res)))
		tt_fail("controller died");
	close(p[0]);
	waitpid(ctl, &st, 0);
	return res;
}

static void check(struct rt_child *c, const char *what)
{
	int r = open_unprivileged(c->pid);

	if (r == -EOPNOTSUPP)
		tt_skip("uffd-async (needed to track another process) is not available here");
	tt_check(r == -EPERM, "%s: ww_open_pid = %d (%s), want -EPERM", what, r, strerror(-r));
	tt_ret(rt_uffd_fds(c->pid), 0);
	rt_cmd(c, RT_WRITE, 0);
	tt_ret(rt_cmd(c, RT_CHECK, 0), 0);
	rt_expect_clean_exit(c);
}

int main(void)
{
	struct rt_child c;
	struct stat st;

	if (geteuid() == 0) {
		rt_spawn(&c, 4);                /* root's */
		check(&c, "another user's process");
	} else if (!stat("/proc/1", &st) && st.st_uid != geteuid()) {
		/* init is another user's: refused before anything is done to it. */
		struct ww_tracker *t = NULL;

		tt_ret(ww_open_pid(&t, 1, WW_BACKEND_AUTO, 0), -EPERM);
	}
	rt_spawn_setup(&c, 4, nondumpable);
	check(&c, "non-dumpable process");
	return 0;
}
