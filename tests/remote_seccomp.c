/* SPDX-License-Identifier: MIT */
/*
 * A target whose seccomp filter forbids userfaultfd(): ww_open_pid() says
 * -EACCES without running anything in it (a filter that kills on the call
 * would otherwise kill the target), and the target goes on unharmed.  A
 * filter that allows the calls is evaluated and the target tracked when the
 * caller may read filters (CAP_SYS_ADMIN); otherwise it is refused too.
 */
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "remote_tt.h"

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

#define NPAGES 8

static unsigned filter_nr, filter_ret;

/* Allow everything except filter_nr, which gets filter_ret. */
static int install(char *mem, size_t npages)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, filter_nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, filter_ret),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 12;
	return 0;
}

static int can_read_filters(void)
{
	return geteuid() == 0;
}

static void refused(unsigned nr, unsigned ret, const char *what)
{
	struct rt_child c;
	struct ww_tracker *t = NULL;
	int r;

	filter_nr = nr;
	filter_ret = ret;
	rt_spawn_setup(&c, NPAGES, install);
	r = ww_open_pid(&t, c.pid, WW_BACKEND_AUTO, 0);
	if (r == -EOPNOTSUPP)
		tt_skip("uffd-async (needed to track another process) is not available here");
	tt_check(r == -EACCES, "%s: ww_open_pid = %d (%s), want -EACCES", what, r, strerror(-r));
	tt_ret(rt_uffd_fds(c.pid), 0);
	rt_cmd(&c, RT_WRITE, 1);
	tt_ret(rt_cmd(&c, RT_CHECK, 0), 0);
	rt_expect_clean_exit(&c);
}

int main(void)
{
	struct rt_child c;
	struct ww_tracker *t = NULL;
	size_t idx[NPAGES];
	int r;

	refused(SYS_userfaultfd, SECCOMP_RET_KILL_PROCESS, "kill on userfaultfd");
	refused(SYS_userfaultfd, SECCOMP_RET_ERRNO | EPERM, "EPERM on userfaultfd");
	refused(SYS_userfaultfd, SECCOMP_RET_TRAP, "trap on userfaultfd");
	refused(SYS_close, SECCOMP_RET_KILL_PROCESS, "kill on close");

	/* A filter that lets both calls through (it forbids an unrelated one). */
	filter_nr = SYS_kexec_load;
	filter_ret = SECCOMP_RET_KILL_PROCESS;
	rt_spawn_setup(&c, NPAGES, install);
	r = ww_open_pid(&t, c.pid, WW_BACKEND_AUTO, 0);
	if (!can_read_filters()) {
		/* Unreadable filters: the safe answer is no. */
		tt_check(r == -EACCES, "unreadable filter: %d, want -EACCES", r);
	} else {
		tt_check(r == 0, "allowing filter: ww_open_pid = %d (%s)", r, strerror(-r));
		tt_ok(ww_watch(t, c.base, NPAGES * TT_PAGE));
		rt_cmd(&c, RT_WRITE, 4);
		tt_ret(rt_written(t, &c, idx, 0), 1);
		tt_check(idx[0] == 4, "page %zu reported, 4 written", idx[0]);
		ww_close(t);
	}
	tt_ret(rt_cmd(&c, RT_CHECK, 0), 0);
	rt_expect_clean_exit(&c);
	return 0;
}
