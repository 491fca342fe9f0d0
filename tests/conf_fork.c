/*
 * fork(): the child is not tracked.  It uses its memory normally (writes to
 * watched pages work), its copy of the tracker answers -ECHILD, and closing
 * it in the child does not disturb the parent, whose tracking goes on.
 */
#include <sys/wait.h>
#include "tt.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(16 * TT_PAGE);
	void *pages[16];
	int status;
	pid_t pid;

	mem[0] = 1;
	tt_ok(ww_watch(t, mem, 16 * TT_PAGE));
	mem[2 * TT_PAGE] = 1;
	pid = fork();
	tt_check(pid >= 0, "fork");
	if (!pid) {
		size_t i;

		for (i = 0; i < 16; i++)
			mem[i * TT_PAGE + 1] = 9;       /* must not crash or hang */
		if (ww_get(t, mem, 16 * TT_PAGE, pages, 16, 0) != -ECHILD ||
		    ww_reset(t, mem, TT_PAGE) != -ECHILD || ww_watch(t, mem, TT_PAGE) != -ECHILD ||
		    ww_unwatch(t, mem, TT_PAGE) != -ECHILD || ww_granularity(t, mem) != -ECHILD)
			_exit(2);
		ww_close(t);
		for (i = 0; i < 16; i++)
			mem[i * TT_PAGE + 2] = 9;
		_exit(mem[TT_PAGE + 1] == 9 ? 0 : 3);
	}
	tt_check(waitpid(pid, &status, 0) == pid, "waitpid");
	tt_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	/* The child's writes are its own; the parent sees only its write from before the fork. */
	tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, 16, WW_GET_RESET), 1);
	tt_check(pages[0] == mem + 2 * TT_PAGE, "parent page");
	mem[5 * TT_PAGE] = 1;   /* copy-on-write after the fork is still a tracked write */
	tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, 16, 0), 1);
	tt_check(pages[0] == mem + 5 * TT_PAGE, "parent write after fork");
	ww_close(t);
	return 0;
}
