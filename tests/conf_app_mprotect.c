/*
 * The application's own mprotect() on watched memory.  Pages written before
 * stay reported on every backend.  On uffd-async and uffd-sync tracking goes
 * on through protection changes (a page made read-only and writable again
 * is reported only once written).  On mprotect, the application's call
 * replaces the backend's protection: a page it makes writable is not seen
 * again until reset.  A write to a page the application made read-only is
 * the application's own SIGSEGV on every backend.
 */
#include <setjmp.h>
#include <signal.h>
#include "tt.h"

static sigjmp_buf jb;
static void *fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	fault_addr = si->si_addr;
	siglongjmp(jb, 1);
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(8 * TT_PAGE);
	bool follows = strcmp(ww_backend_name(t), "mprotect") != 0;
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	void *pages[8];

	tt_ok(ww_watch(t, mem, 8 * TT_PAGE));
	mem[0] = 1;
	tt_check(mprotect(mem, 2 * TT_PAGE, PROT_READ) == 0, "mprotect ro");
	tt_check(mprotect(mem, 2 * TT_PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect rw");
	tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, 0), 1);     /* page 0 stays reported */
	mem[TT_PAGE] = 1;
	tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, 0), follows ? 2 : 1);
	tt_ok(ww_reset(t, mem, 8 * TT_PAGE));
	mem[TT_PAGE] = 2;       /* after a reset every backend sees it again */
	tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, 0), 1);

	/* The application's read-only page faults to the application. */
	sigaction(SIGSEGV, &sa, NULL);
	tt_check(mprotect(mem + 4 * TT_PAGE, TT_PAGE, PROT_READ) == 0, "mprotect ro");
	if (!sigsetjmp(jb, 1)) {
		mem[4 * TT_PAGE] = 1;
		tt_fail("write to a read-only page did not fault");
	}
	tt_check(fault_addr == mem + 4 * TT_PAGE, "fault address %p", fault_addr);
	tt_check(mprotect(mem + 4 * TT_PAGE, TT_PAGE, PROT_READ | PROT_WRITE) == 0, "rw");
	ww_close(t);
	return 0;
}
