/* SPDX-License-Identifier: MIT */
/*
 * Every backend: an application's SA_SIGINFO SIGSEGV handler, installed
 * before the tracker, still gets exactly its own faults while tracking is
 * active: faults on memory nobody watches, on a read-only page inside a
 * watched range, and SIGSEGV sent with raise().  Writes to watched pages
 * never reach it, and it may itself write watched memory (the mprotect
 * backend chains to it from its own handler).  After ww_close it still works.
 */
#include <signal.h>
#include "tt.h"

#define NP 32
#define RO_PAGE 8               /* read-only inside the watched range */
#define HANDLER_PAGE 20         /* the application's handler writes it */

static char *mem, *guard;
static volatile sig_atomic_t faults, raised, bad;
static void *volatile last_addr;

static void app_handler(int sig, siginfo_t *si, void *ctx)
{
	char *a = si->si_addr;

	(void)ctx;
	if (sig != SIGSEGV) {
		bad = 1;
		return;
	}
	if (si->si_code <= 0) {         /* raise() */
		raised++;
		return;
	}
	last_addr = a;
	faults++;
	mem[HANDLER_PAGE * TT_PAGE] = 1;        /* a watched write inside the handler */
	if (a >= guard && a < guard + TT_PAGE) {
		mprotect(guard, TT_PAGE, PROT_READ | PROT_WRITE);
		return;
	}
	if (a >= mem + RO_PAGE * TT_PAGE && a < mem + (RO_PAGE + 1) * TT_PAGE) {
		mprotect(mem + RO_PAGE * TT_PAGE, TT_PAGE, PROT_READ | PROT_WRITE);
		return;
	}
	bad = 2;                        /* a fault that is not the application's */
	_exit(3);
}

static void expect_fault(volatile char *p, const char *what)
{
	int before = faults;

	*p = 5;
	tt_check(faults == before + 1, "%s: the application handler ran %d times", what,
		 faults - before);
	tt_check(last_addr == (void *)p, "%s: fault address %p, want %p", what, last_addr,
		 (void *)p);
	tt_check(*p == 5, "%s: the write did not land", what);
}

static void expect_pages(struct ww_tracker *t, const size_t *want, size_t n, const char *what)
{
	void *pages[NP];
	ssize_t got = ww_get(t, mem, NP * TT_PAGE, pages, NP, WW_GET_RESET);
	size_t i;

	tt_check(got == (ssize_t)n, "%s: %zd pages reported, want %zu", what, got, n);
	for (i = 0; i < n; i++)
		tt_check(pages[i] == mem + want[i] * TT_PAGE, "%s: page %zu is %p, want page %zu",
			 what, i, pages[i], want[i]);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = app_handler, .sa_flags = SA_SIGINFO };
	struct ww_tracker *t;

	sigemptyset(&sa.sa_mask);
	tt_check(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction: %s", strerror(errno));
	t = tt_open();
	mem = tt_map(NP * TT_PAGE);
	guard = tt_map(TT_PAGE);
	tt_ok(mprotect(guard, TT_PAGE, PROT_NONE));
	tt_ok(mprotect(mem + RO_PAGE * TT_PAGE, TT_PAGE, PROT_READ));
	tt_ok(ww_watch(t, mem, NP * TT_PAGE));

	/* Tracked writes are not the application's business. */
	mem[0] = 1;
	mem[3 * TT_PAGE] = 1;
	tt_check(faults == 0, "a tracked write reached the application handler");
	expect_pages(t, (size_t[]){ 0, 3 }, 2, "tracked writes");

	/* Its own faults reach it, and its own watched write is tracked. */
	expect_fault(guard, "PROT_NONE page outside the range");
	expect_pages(t, (size_t[]){ HANDLER_PAGE }, 1, "write from the handler");
	expect_fault(mem + RO_PAGE * TT_PAGE + 100, "read-only page inside the range");
	tt_check(mem[HANDLER_PAGE * TT_PAGE] == 1, "handler write lost");

	tt_check(raise(SIGSEGV) == 0, "raise");
	tt_check(raised == 1, "raise(SIGSEGV): the application handler ran %d times", raised);
	tt_check(!bad, "application handler saw something else (%d)", bad);

	/* Tracking still works after all that. */
	ww_get(t, mem, NP * TT_PAGE, (void *[NP]){ 0 }, NP, WW_GET_RESET);
	mem[1 * TT_PAGE] = 1;
	expect_pages(t, (size_t[]){ 1 }, 1, "after the application's faults");

	/* And the handler still gets its faults once the tracker is gone. */
	ww_close(t);
	tt_ok(mprotect(guard, TT_PAGE, PROT_NONE));
	expect_fault(guard, "after ww_close");
	return 0;
}
