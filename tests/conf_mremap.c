/*
 * mremap of watched memory to a new address: the old range reads as
 * unmapped (-EFAULT once, then -ENOENT) and the new location is not tracked
 * until watched.  On uffd-async and uffd-sync the moved memory is plain
 * writable memory; on mprotect, pages not written since the last reset
 * keep their read-only protection, so writing them kills the process with
 * SIGSEGV: unwatch before mremap on that backend (which this test also checks),
 * or make the moved memory writable again with mprotect().
 */
#include <signal.h>
#include <sys/wait.h>
#include "tt.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t len = 8 * TT_PAGE;
	char *a = tt_map(len), *dst = tt_map(len), *n;
	void *pages[8];
	int status;
	pid_t pid;

	tt_ok(ww_watch(t, a, len));
	a[0] = 1;
	n = mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	tt_check(n == dst, "mremap");
	tt_ret(ww_get(t, a, len, pages, 8, 0), -EFAULT);
	tt_ret(ww_get(t, a, len, pages, 8, 0), -ENOENT);
	tt_ret(ww_get(t, n, len, pages, 8, 0), -ENOENT);
	tt_check(n[0] == 1, "contents moved");

	pid = fork();
	tt_check(pid >= 0, "fork");
	if (!pid) {
		signal(SIGSEGV, SIG_DFL);       /* a sanitizer's handler would turn the death into exit 1 */
		n[3 * TT_PAGE] = 1;     /* a page not written since the watch */
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!strcmp(ww_backend_name(t), "mprotect"))
		tt_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
			 "mprotect: moved read-only page should fault (status 0x%x)", status);
	else
		tt_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			 "moved memory not writable (status 0x%x)", status);

	/*
	 * Watching the new location works and starts clean.  On mprotect the
	 * moved pages are still read-only, which a new watch would take for the
	 * application's own protection: make them writable first.
	 */
	if (!strcmp(ww_backend_name(t), "mprotect"))
		tt_check(mprotect(n, len, PROT_READ | PROT_WRITE) == 0, "mprotect");
	tt_ok(ww_watch(t, n, len));
	tt_ret(ww_get(t, n, len, pages, 8, 0), 0);
	n[TT_PAGE] = 2;
	tt_ret(ww_get(t, n, len, pages, 8, 0), 1);

	/* The documented way on every backend: unwatch, mremap, watch again. */
	tt_ok(ww_unwatch(t, n, len));
	a = mremap(n, len, 2 * len, MREMAP_MAYMOVE);
	tt_check(a != MAP_FAILED, "mremap grow");
	memset(a, 3, 2 * len);
	tt_ok(ww_watch(t, a, 2 * len));
	a[9 * TT_PAGE] = 1;
	tt_ret(ww_get(t, a, 2 * len, pages, 8, 0), 1);
	ww_close(t);
	return 0;
}
