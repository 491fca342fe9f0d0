/* SPDX-License-Identifier: MIT */
/*
 * Every backend: after fork() the child uses watched memory normally, even
 * with SIGSEGV back at its default action (so not through any handler of
 * the library): it writes every watched page and exits 0.  Its copy of the
 * tracker answers -ECHILD; it can open its own tracker and watch the same
 * addresses.  The parent's tracking is unaffected: it sees its own writes,
 * not the child's.
 */
#include <signal.h>
#include <sys/wait.h>
#include "tt.h"

#define NP 16

static int child(struct ww_tracker *t, char *mem)
{
	struct ww_tracker *mine = NULL;
	void *pages[NP];
	size_t i;

	signal(SIGSEGV, SIG_DFL);
	for (i = 0; i < NP; i++)
		mem[i * TT_PAGE + 1] = 7;
	if (ww_get(t, mem, NP * TT_PAGE, pages, NP, 0) != -ECHILD)
		return 2;
	if (ww_watch(t, mem, TT_PAGE) != -ECHILD || ww_reset(t, mem, TT_PAGE) != -ECHILD)
		return 3;
	ww_close(t);                            /* the child's copy only */
	for (i = 0; i < NP; i++)
		mem[i * TT_PAGE + 2] = 8;
	/* A tracker of its own over the same addresses. */
	if (ww_open(&mine, WW_BACKEND_AUTO, 0))
		return 4;
	if (ww_watch(mine, mem, NP * TT_PAGE))
		return 5;
	mem[5 * TT_PAGE] = 1;
	if (ww_get(mine, mem, NP * TT_PAGE, pages, NP, 0) != 1 || pages[0] != mem + 5 * TT_PAGE)
		return 6;
	ww_close(mine);
	mem[5 * TT_PAGE] = 2;
	return 0;
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(NP * TT_PAGE);
	void *pages[NP];
	int status;
	pid_t pid;

	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	mem[1 * TT_PAGE] = 1;
	fflush(NULL);
	pid = fork();
	tt_check(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		_exit(child(t, mem));
	tt_check(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	tt_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "child: %s %d", WIFSIGNALED(status) ? "killed by signal" : "exit status",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));

	/* The parent sees only its own write, and keeps tracking. */
	tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, 0), 1);
	tt_check(pages[0] == mem + TT_PAGE, "parent: reported %p", pages[0]);
	tt_check(mem[3 * TT_PAGE + 1] == 0, "the child's write is visible in the parent");
	mem[3 * TT_PAGE] = 1;
	tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, WW_GET_RESET), 2);
	tt_check(pages[1] == mem + 3 * TT_PAGE, "parent: reported %p", pages[1]);
	tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, 0), 0);
	ww_close(t);
	return 0;
}
