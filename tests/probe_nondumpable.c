/*
 * ww_probe_backend() says what ww_open() will do, and WW_BACKEND_AUTO falls
 * through every backend that cannot open, not only those the kernel lacks.
 * A non-dumpable unprivileged process may not open its own
 * /proc/self/pagemap, so uffd-async cannot open there although the kernel
 * has everything it needs.  Root drops to nobody in a child to get there.
 */
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "tt.h"

static int check_backends(void)
{
	struct ww_tracker *t;
	int b, refused = 0;

	for (b = WW_BACKEND_UFFD_ASYNC; b < WW_BACKEND_COUNT; b++) {
		struct ww_backend_info bi = { .size = sizeof(bi) };
		int ret;

		tt_ok(ww_probe_backend((enum ww_backend)b, &bi));
		ret = ww_open(&t, (enum ww_backend)b, 0);
		if (!ret)
			ww_close(t);
		tt_check(bi.available == !ret && bi.error == (ret ? ret : 0),
			 "%s: probe says available=%d error=%d, open returns %d (%s)",
			 ww_backend_str((enum ww_backend)b), bi.available, bi.error, ret, bi.reason);
		refused += !!ret;
	}
	unsetenv("WRITEWATCH_BACKEND");
	tt_ok(ww_open(&t, WW_BACKEND_AUTO, 0));
	{
		struct ww_probe p = { .size = sizeof(p) };

		tt_ok(ww_probe(&p));
		tt_check(ww_backend_id(t) == p.chosen, "AUTO opened %s, probe says %s",
			 ww_backend_name(t), ww_backend_str(p.chosen));
	}
	fprintf(stderr, "AUTO opened %s; %d backend(s) refused\n", ww_backend_name(t), refused);
	ww_close(t);
	return 0;
}

static int child(void)
{
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		if (!pw || setgid(pw->pw_gid) || setuid(pw->pw_uid))
			return TT_SKIP_CODE;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return TT_SKIP_CODE;
	return check_backends();
}

int main(void)
{
	int status;
	pid_t pid = fork();

	tt_check(pid >= 0, "fork");
	if (!pid)
		_exit(child());
	tt_check(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child 0x%x", status);
	if (WEXITSTATUS(status) == TT_SKIP_CODE)
		tt_skip("cannot become an unprivileged, non-dumpable process here (no user nobody)");
	return WEXITSTATUS(status);
}
