/* SPDX-License-Identifier: MIT */
/*
 * The target exits, or execs, while tracked: every call on the tracker then
 * answers -ESRCH (documented in ww_open_pid(3)), ww_close() frees
 * everything (the caller's descriptors are back to what they were), and
 * the library never collects the target's exit status (its parent can).
 */
#include <sched.h>

#include "remote_tt.h"

#define NPAGES 32

static void expect_gone(struct ww_tracker *t, struct rt_child *c, const char *what)
{
	size_t len = NPAGES * TT_PAGE;
	void *pages[NPAGES];
	struct ww_region reg[4];

	tt_check(ww_get(t, c->base, len, pages, NPAGES, WW_GET_RESET) == -ESRCH,
		 "%s: ww_get not -ESRCH", what);
	tt_check(ww_get_regions(t, c->base, len, reg, 4, 0, NULL) == -ESRCH,
		 "%s: ww_get_regions not -ESRCH", what);
	tt_check(ww_reset(t, c->base, len) == -ESRCH, "%s: ww_reset not -ESRCH", what);
	tt_check(ww_watch(t, c->base + len, TT_PAGE) == -ESRCH, "%s: ww_watch not -ESRCH", what);
	tt_check(ww_unwatch(t, c->base, len) == -ESRCH, "%s: ww_unwatch not -ESRCH", what);
}

/* Exit: first as a zombie not yet collected, then collected by us, its parent. */
static void exit_case(void)
{
	struct rt_child c;
	struct ww_tracker *t;
	struct rt_msg m = { .op = RT_EXIT, .arg = 7 };
	size_t idx[NPAGES];
	int fds, st;
	siginfo_t si = { 0 };

	rt_spawn(&c, NPAGES);
	fds = rt_own_fds();
	t = rt_open(c.pid);
	tt_ok(ww_watch(t, c.base, NPAGES * TT_PAGE));
	rt_cmd(&c, RT_WRITE, 1);
	tt_ret(rt_written(t, &c, idx, 0), 1);
	rt_write_all(c.to, &m, sizeof(m));
	/* Exited, left for us to collect. */
	tt_ok(waitid(P_PID, (id_t)c.pid, &si, WEXITED | WNOWAIT));
	expect_gone(t, &c, "zombie");
	tt_ret(waitpid(c.pid, &st, 0), c.pid);
	tt_check(WIFEXITED(st) && WEXITSTATUS(st) == 7, "exit status %#x, want 7", st);
	expect_gone(t, &c, "collected");
	ww_close(t);
	tt_ret(rt_own_fds(), fds);
	close(c.to);
	close(c.from);
}

static void exec_case(void)
{
	struct rt_child c;
	struct ww_tracker *t;
	char comm[64];
	int fds, st;

	rt_spawn(&c, NPAGES);
	fds = rt_own_fds();
	t = rt_open(c.pid);
	tt_ok(ww_watch(t, c.base, NPAGES * TT_PAGE));
	rt_cmd(&c, RT_EXEC, 0);
	/* The name changes after the old address space is released. */
	for (;;) {
		rt_comm(c.pid, comm, sizeof(comm));
		if (!strcmp(comm, "sleep"))
			break;
		sched_yield();
	}
	expect_gone(t, &c, "exec");
	ww_close(t);
	tt_ret(rt_own_fds(), fds);
	kill(c.pid, SIGKILL);
	tt_ret(waitpid(c.pid, &st, 0), c.pid);
	tt_check(WIFSIGNALED(st), "sleep ended with %#x", st);
	close(c.to);
	close(c.from);
}

int main(void)
{
	struct ww_tracker *t;

	exit_case();
	exec_case();
	/* No such process at all. */
	{
		struct rt_child c;
		int st;

		rt_spawn(&c, 1);
		st = rt_finish(&c);
		tt_check(WIFEXITED(st), "child status %#x", st);
		tt_ret(ww_open_pid(&t, c.pid, WW_BACKEND_AUTO, 0), -ESRCH);
	}
	return 0;
}
