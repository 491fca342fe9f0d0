/*
 * Automatic backend choice.  Here (Linux >= 6.7, root) WW_BACKEND_AUTO picks
 * uffd-async and WRITEWATCH_BACKEND overrides it.  In a child whose seccomp
 * filter makes userfaultfd unavailable (the syscall and /dev/userfaultfd's
 * ioctl fail with ENOSYS, as on a kernel without CONFIG_USERFAULTFD), AUTO
 * falls back to mprotect, an explicit uffd backend (by value or by the
 * environment variable) gives -EOPNOTSUPP, and ww_probe() says why.
 * ww_probe() reports the environment variable's effect, valid or not.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "tt.h"

#define USERFAULTFD_IOC_NEW_NR 0xAA00   /* _IO(0xAA, 0x00) */

static void deny_userfaultfd(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_userfaultfd, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, USERFAULTFD_IOC_NEW_NR, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(TT_SKIP_CODE);
}

/* Runs in a fresh child: probe results are cached per process. */
static int without_userfaultfd(void)
{
	struct ww_tracker *t = NULL;
	struct ww_probe p = { .size = sizeof(p) };
	struct ww_backend_info ba = { .size = sizeof(ba) }, bs = { .size = sizeof(bs) };

	deny_userfaultfd();
	unsetenv("WRITEWATCH_BACKEND");
	tt_ok(ww_probe(&p));
	tt_ok(ww_probe_backend(WW_BACKEND_UFFD_ASYNC, &ba));
	tt_ok(ww_probe_backend(WW_BACKEND_UFFD_SYNC, &bs));
	tt_check(!ba.available && !bs.available, "uffd backends still available");
	tt_ret(ba.error, -EOPNOTSUPP);
	tt_check(strstr(ba.reason, "userfaultfd") != NULL, "reason: '%s'", ba.reason);
	tt_check(p.best == WW_BACKEND_MPROTECT && p.chosen == WW_BACKEND_MPROTECT,
		 "best %d chosen %d", p.best, p.chosen);
	tt_check(p.uffd_error < 0, "uffd_error %d", p.uffd_error);
	tt_ret(ww_open(&t, WW_BACKEND_UFFD_ASYNC, 0), -EOPNOTSUPP);
	tt_ret(ww_open(&t, WW_BACKEND_UFFD_SYNC, 0), -EOPNOTSUPP);
	setenv("WRITEWATCH_BACKEND", "uffd-async", 1);
	tt_ret(ww_open(&t, WW_BACKEND_AUTO, 0), -EOPNOTSUPP);
	tt_ok(ww_probe(&p));
	tt_ret(p.env_error, -EOPNOTSUPP);
	tt_check(p.chosen == WW_BACKEND_AUTO && !strcmp(p.env_backend, "uffd-async"),
		 "chosen %d env '%s'", p.chosen, p.env_backend);
	unsetenv("WRITEWATCH_BACKEND");
	tt_ok(ww_open(&t, WW_BACKEND_AUTO, 0));
	tt_check(!strcmp(ww_backend_name(t), "mprotect"), "AUTO picked %s", ww_backend_name(t));
	ww_close(t);
	return 0;
}

int main(void)
{
	struct ww_tracker *t = NULL;
	struct ww_probe p = { .size = sizeof(p) };
	int status;
	pid_t pid;

	pid = fork();
	tt_check(pid >= 0, "fork");
	if (!pid)
		_exit(without_userfaultfd());
	tt_check(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child 0x%x", status);
	if (WEXITSTATUS(status) == TT_SKIP_CODE)
		tt_skip("cannot install a seccomp filter here");
	tt_check(WEXITSTATUS(status) == 0, "without userfaultfd: exit %d", WEXITSTATUS(status));

	/* With userfaultfd: the best backend, and the environment variable wins. */
	tt_ok(ww_probe(&p));
	unsetenv("WRITEWATCH_BACKEND");
	tt_ok(ww_open(&t, WW_BACKEND_AUTO, 0));
	tt_check(ww_backend_id(t) == p.best, "AUTO picked %s", ww_backend_name(t));
	tt_check(p.chosen == p.best && !p.env_error && !p.env_backend[0], "chosen %d env %d",
		 p.chosen, p.env_error);
	{
		struct ww_backend_info bi = { .size = sizeof(bi) };

		tt_ok(ww_probe_backend(WW_BACKEND_UFFD_ASYNC, &bi));
		tt_check(p.best == WW_BACKEND_UFFD_ASYNC || !bi.available,
			 "best is not uffd-async although it is available");
		tt_ret(ww_probe_backend(WW_BACKEND_AUTO, &bi), -EINVAL);
		tt_ret(ww_probe_backend((enum ww_backend)99, &bi), -EINVAL);
	}
	ww_close(t);
	setenv("WRITEWATCH_BACKEND", "mprotect", 1);
	tt_ok(ww_open(&t, WW_BACKEND_AUTO, 0));
	tt_check(!strcmp(ww_backend_name(t), "mprotect"), "env var ignored: %s", ww_backend_name(t));
	ww_close(t);
	tt_ok(ww_probe(&p));
	tt_check(p.chosen == WW_BACKEND_MPROTECT && !p.env_error, "chosen %d", p.chosen);
	setenv("WRITEWATCH_BACKEND", "nonsense", 1);
	tt_ret(ww_open(&t, WW_BACKEND_AUTO, 0), -EINVAL);
	tt_ok(ww_probe(&p));
	tt_ret(p.env_error, -EINVAL);
	tt_check(p.chosen == WW_BACKEND_AUTO && !strcmp(p.env_backend, "nonsense"),
		 "chosen %d env '%s'", p.chosen, p.env_backend);
	/* An explicit backend wins over the environment variable. */
	tt_ok(ww_open(&t, WW_BACKEND_MPROTECT, 0));
	ww_close(t);
	setenv("WRITEWATCH_BACKEND", "auto", 1);
	tt_ok(ww_open(&t, WW_BACKEND_AUTO, 0));
	tt_check(ww_backend_id(t) == p.best, "WRITEWATCH_BACKEND=auto picked %s", ww_backend_name(t));
	ww_close(t);
	return 0;
}
