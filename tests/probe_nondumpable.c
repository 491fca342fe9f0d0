/* SPDX-License-Identifier: MIT */
/*
 * ww_probe_backend() says what ww_open() will do, and WW_BACKEND_AUTO falls
 * through every backend that cannot open, not only those the kernel lacks.
 * A non-dumpable unprivileged process may not open its own
 * /proc/self/pagemap, so uffd-async cannot open there although the kernel
 * has everything it needs.  Root drops to nobody in a child to get there.
 * With WRITEWATCH_BACKEND naming a backend, ww_probe()'s env_error is the
 * error ww_open(WW_BACKEND_AUTO) returns (old code: -EOPNOTSUPP for any).
 */
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "tt.h"

/* With WRITEWATCH_BACKEND naming b, the probe's env_error is what ww_open(AUTO) returns. */
static void check_env_named(enum ww_backend b)
{
	struct ww_probe p = { .size = sizeof(p) };
	struct ww_tracker *t;
	int ret;

	setenv("WRITEWATCH_BACKEND", ww_backend_str(b), 1);
	ret = ww_open(&t, WW_BACKEND_AUTO, 0);
	if (!ret)
		ww_close(t);
	tt_ok(ww_probe(&p));
	tt_check(p.env_error == ret, "WRITEWATCH_BACKEND=%s: probe env_error %d, ww_open(AUTO) %d",
		 ww_backend_str(b), p.env_error, ret);
	unsetenv("WRITEWATCH_BACKEND");
}

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
		if (ret)
			fprintf(stderr, "%s refused: %s (%s)\n", ww_backend_str((enum ww_backend)b),
				strerror(-ret), bi.reason);
		refused += !!ret;
		check_env_named((enum ww_backend)b);
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
