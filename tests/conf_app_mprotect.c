/*
 * The application's own mprotect() on watched memory.  Pages written before
 * stay reported on every backend.  On uffd-async and uffd-sync tracking goes
 * on through protection changes (a page made read-only and writable again
 * is reported only once written).  On mprotect, the application's call
 * replaces the backend's protection: a page it makes writable is not seen
 * again until reset.
 * A write to a page the application later made read-only reaches the
 * application's SIGSEGV handler on uffd-async and uffd-sync.  The mprotect
 * backend cannot tell the application's read-only protection from its own
 * on a page that was writable when watched: it takes the write as a tracked
 * write, makes the page writable and reports it (documented limit).
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
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	struct ww_tracker *t;
	char *mem = tt_map(8 * TT_PAGE);
	bool follows;
	void *pages[8];

	/* The application's handler comes first; the mprotect backend chains to it. */
	sigaction(SIGSEGV, &sa, NULL);
	t = tt_open();
	follows = strcmp(ww_backend_name(t), "mprotect") != 0;

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

	/* A page the application made read-only after the watch. */
	tt_ok(ww_reset(t, mem, 8 * TT_PAGE));
	tt_check(mprotect(mem + 4 * TT_PAGE, TT_PAGE, PROT_READ) == 0, "mprotect ro");
	if (!sigsetjmp(jb, 1)) {
		mem[4 * TT_PAGE] = 1;
		tt_check(!follows, "write to a read-only page did not fault");
		tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, 0), 1);   /* mprotect: a tracked write */
	} else {
		tt_check(follows, "mprotect backend passed its own kind of fault on");
		tt_check(fault_addr == mem + 4 * TT_PAGE, "fault address %p", fault_addr);
		tt_check(mprotect(mem + 4 * TT_PAGE, TT_PAGE, PROT_READ | PROT_WRITE) == 0, "rw");
	}
	/* A page the application made read-only before the watch is its own on every backend. */
	ww_unwatch(t, mem, 8 * TT_PAGE);
	tt_check(mprotect(mem + 6 * TT_PAGE, TT_PAGE, PROT_READ) == 0, "mprotect ro");
	tt_ok(ww_watch(t, mem, 8 * TT_PAGE));
	fault_addr = NULL;
	if (!sigsetjmp(jb, 1)) {
		mem[6 * TT_PAGE] = 1;
		tt_fail("write to the application's read-only page did not fault");
	}
	tt_check(fault_addr == mem + 6 * TT_PAGE, "fault address %p", fault_addr);
	tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, 0), 0);
	ww_close(t);
	return 0;
}
