/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: a write fault whose page stopped being watched before
 * the handler ran.  Thread A writes a protected page and faults; before the
 * signal is delivered, thread B unwatches the range (the page is made
 * writable again, then the range is unpublished).  The handler then finds no
 * owner; it must retry the write (the page is writable now) rather than pass
 * the fault on to the application as its own.
 *
 * That window is a few microseconds and cannot be hit on demand, so the
 * test delivers the fault the handler would see with rt_tgsigqueueinfo():
 * SIGSEGV, SEGV_ACCERR, at an address that is no longer watched.  (The
 * x86 write bit of the signal frame comes from the thread's last signalled
 * fault, so a tracked write precedes each one.)  Pages that are not
 * writable, and other codes, still go to the application's handler.
 */
#include <signal.h>
#include <sys/syscall.h>
#include "mprotect_tt.h"

static volatile sig_atomic_t app_calls;
static void *volatile app_addr;

static void app_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	app_calls++;
	app_addr = si->si_addr;
}

static void fake_fault(void *addr, int code, char *tracked)
{
	siginfo_t si;

	tracked[0]++;           /* a real write fault first: the frame's error code says write */
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGSEGV;
	si.si_code = code;
	si.si_addr = addr;
	tt_check(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGSEGV, &si) == 0,
		 "rt_tgsigqueueinfo: %s", strerror(errno));
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = app_handler, .sa_flags = SA_SIGINFO };
	struct ww_tracker *t;
	char *gone, *ro, *tracked;

	mt_require_mprotect();
#if !defined(__x86_64__) && !defined(__i386__)
	tt_skip("needs the x86 page-fault error code in the signal frame");
#endif
	sigemptyset(&sa.sa_mask);
	tt_check(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");
	t = tt_open();
	gone = tt_map(4 * TT_PAGE);
	ro = tt_map(TT_PAGE);
	tracked = tt_map(16 * TT_PAGE);
	tt_ok(mprotect(ro, TT_PAGE, PROT_READ));
	tt_ok(ww_watch(t, tracked, 16 * TT_PAGE));

	/* A range that was watched and has just been unwatched. */
	tt_ok(ww_watch(t, gone, 4 * TT_PAGE));
	tt_ok(ww_unwatch(t, gone, 4 * TT_PAGE));

	fake_fault(gone + TT_PAGE + 8, SEGV_ACCERR, tracked);
	tt_check(app_calls == 0, "a late fault on a just-unwatched page reached the application");

	fake_fault(tracked + 3 * TT_PAGE, SEGV_ACCERR, tracked + TT_PAGE);
	tt_check(app_calls == 0, "a fault on a watched page reached the application");

	/* Not ours: a page the application made read-only, a MAPERR. */
	fake_fault(ro + 8, SEGV_ACCERR, tracked + 2 * TT_PAGE);
	tt_check(app_calls == 1 && app_addr == ro + 8, "read-only page: application handler ran %d "
		 "times", (int)app_calls);
	fake_fault(gone, SEGV_MAPERR, tracked + 4 * TT_PAGE);
	tt_check(app_calls == 2 && app_addr == gone, "MAPERR: application handler ran %d times",
		 (int)app_calls);
	ww_close(t);
	return 0;
}
