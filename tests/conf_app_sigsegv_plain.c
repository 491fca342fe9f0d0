/* SPDX-License-Identifier: MIT */
/*
 * Every backend: an application's plain (non-SA_SIGINFO) SIGSEGV handler
 * installed before the tracker gets its own faults as the kernel would give
 * them: with its sa_mask blocked while it runs, and, with SA_RESETHAND, only
 * once (the next fault of the application's then kills with SIGSEGV).
 * Tracked writes never reach it.
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "tt.h"

static char *guard;
static volatile sig_atomic_t calls, usr1_blocked;

static void plain_handler(int sig)
{
	sigset_t now;

	calls++;
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	usr1_blocked = sigismember(&now, SIGUSR1) == 1;
	if (sig == SIGSEGV)
		mprotect(guard, TT_PAGE, PROT_READ | PROT_WRITE);
}

static void install(int flags)
{
	struct sigaction sa = { .sa_handler = plain_handler, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	tt_check(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction: %s", strerror(errno));
}

static void setup(struct ww_tracker **t, char **mem)
{
	*t = tt_open();
	*mem = tt_map(8 * TT_PAGE);
	guard = tt_map(TT_PAGE);
	tt_ok(mprotect(guard, TT_PAGE, PROT_NONE));
	tt_ok(ww_watch(*t, *mem, 8 * TT_PAGE));
}

/* SA_RESETHAND in a child: the first fault is handled, the second kills. */
static void resethand_child(void)
{
	struct ww_tracker *t;
	char *mem;

	/* No core file; stay dumpable (a non-dumpable unprivileged process may not open its pagemap). */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	install(SA_RESETHAND);
	setup(&t, &mem);
	mem[0] = 1;                             /* tracked: does not use up the handler */
	if (calls)
		_exit(20);
	*(volatile char *)guard = 1;            /* handled once */
	if (calls != 1)
		_exit(21);
	mem[TT_PAGE] = 1;                       /* tracking goes on */
	if (ww_get(t, mem, 8 * TT_PAGE, (void *[8]){ 0 }, 8, 0) != 2)
		_exit(22);
	tt_ok(mprotect(guard, TT_PAGE, PROT_NONE));
	*(volatile char *)guard = 2;            /* now the default action */
	_exit(23);
}

int main(void)
{
	struct ww_tracker *t;
	char *mem;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	tt_check(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		resethand_child();
	tt_check(waitpid(pid, &status, 0) == pid, "waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == TT_SKIP_CODE)
		tt_skip("backend %s not available here", tt_backend());
	tt_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
		 "SA_RESETHAND child: status %#x, want killed by SIGSEGV", status);

	install(0);
	setup(&t, &mem);
	mem[3 * TT_PAGE] = 1;
	tt_check(calls == 0, "a tracked write reached the application handler");
	*(volatile char *)guard = 1;
	tt_check(calls == 1, "the application handler ran %d times", calls);
	tt_check(usr1_blocked, "sa_mask (SIGUSR1) was not blocked in the application handler");
	tt_check(*(volatile char *)guard == 1, "the write did not land");
	tt_ret(ww_get(t, mem, 8 * TT_PAGE, (void *[8]){ 0 }, 8, 0), 1);
	ww_close(t);
	return 0;
}
