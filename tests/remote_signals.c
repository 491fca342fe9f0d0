/* SPDX-License-Identifier: MIT */
/*
 * Signals delivered while ww_open_pid() injects: another process queues
 * real-time signals (each with its own value, so none can merge) at the
 * target while the controller opens and closes trackers of it over and
 * over.  Every signal reaches the target's handler exactly once, with its
 * value, and the target's own loop goes on undisturbed.
 */
#include <sched.h>
#include <signal.h>

#include "remote_tt.h"

#define NSIG_SENT 400
#define OPENS 40

static unsigned char *got;      /* shared: got[v] counts deliveries of value v */

static void handler(int sig, siginfo_t *si, void *uc)
{
	int v = si->si_value.sival_int;

	if (v >= 0 && v < NSIG_SENT)
		got[v]++;
}

static int install(char *mem, size_t npages)
{
	struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO | SA_RESTART };

	return sigaction(SIGRTMIN, &sa, NULL) ? 14 : 0;
}

int main(void)
{
	struct rt_child c;
	pid_t sender;
	int st;

	got = mmap(NULL, NSIG_SENT, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (got == MAP_FAILED)
		tt_fail("mmap: %s", strerror(errno));
	rt_spawn_setup(&c, 8, install);
	sender = fork();
	if (!sender) {
		for (int v = 0; v < NSIG_SENT; v++) {
			union sigval val = { .sival_int = v };

			while (sigqueue(c.pid, SIGRTMIN, val))
				if (errno != EAGAIN)
					_exit(1);
			if (v % 8 == 0)
				sched_yield();
		}
		_exit(0);
	}
	for (int i = 0; i < OPENS; i++) {
		struct ww_tracker *t = rt_open(c.pid);

		tt_ok(ww_watch(t, c.base, 8 * TT_PAGE));
		rt_cmd(&c, RT_WRITE, i % 8);
		tt_check(ww_get(t, c.base, 8 * TT_PAGE, (void *[8]){ 0 }, 8, 0) == 1,
			 "open %d: the write was not seen", i);
		ww_close(t);
	}
	tt_ret(waitpid(sender, &st, 0), sender);
	tt_check(WIFEXITED(st) && !WEXITSTATUS(st), "sender status %#x", st);
	/*
	 * All are queued now, and the target runs the handlers of what is
	 * pending on its way back from the read(2) that takes this command.
	 */
	tt_ret(rt_cmd(&c, RT_CHECK, 0), 0);
	for (int v = 0; v < NSIG_SENT; v++)
		tt_check(got[v] == 1, "signal value %d delivered %d times", v, got[v]);
	rt_expect_clean_exit(&c);
	return 0;
}
