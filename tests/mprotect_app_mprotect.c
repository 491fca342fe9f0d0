/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: the documented outcomes of the application calling
 * mprotect() on memory it watches.  The backend knows each page's
 * protection as it was at ww_watch time and no other:
 *  1. a watched page the application makes writable is no longer seen:
 *     its writes are not reported, a get+reset does not re-arm it (it
 *     reported nothing), the next ww_reset() over it does;
 *  2. a watched page the application makes read-only (or PROT_NONE) and
 *     then writes: the write is taken as a tracked write (the page gets its
 *     watch-time protection back and is reported);
 *  3. reads of a page the application made PROT_NONE fault to the
 *     application's handler (x86, where the fault says read or write);
 *  4. ww_reset, unwatch and close put the watch-time protection (minus
 *     write while watched) back on pages that were writable at watch time;
 *  5. a page that was not writable at watch time is never tracked nor
 *     touched, even if the application makes it writable later.
 */
#include <setjmp.h>
#include <signal.h>
#include "mprotect_tt.h"

#define NP 8

static char *mem;
static sigjmp_buf jump;
static volatile sig_atomic_t app_faults;
static void *volatile app_addr;

static void app_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	app_faults++;
	app_addr = si->si_addr;
	siglongjmp(jump, 1);
}

static char *pg(size_t i)
{
	return mem + i * TT_PAGE;
}

static ssize_t get(struct ww_tracker *t, void **pages, unsigned flags)
{
	return ww_get(t, mem, NP * TT_PAGE, pages, NP, flags);
}

/* 1. Made writable by the application: unseen until ww_reset. */
static void case_made_writable(struct ww_tracker *t)
{
	void *pages[NP];

	tt_ok(mprotect(pg(1), TT_PAGE, PROT_READ | PROT_WRITE));
	pg(1)[0] = 1;
	tt_ret(get(t, pages, WW_GET_RESET), 0);
	pg(1)[1] = 1;
	tt_ret(get(t, pages, WW_GET_RESET), 0);
	mt_expect_perms(pg(1), "rw-", "get+reset does not re-arm an unreported page");
	tt_ok(ww_reset(t, mem, NP * TT_PAGE));
	mt_expect_perms(pg(1), "r--", "ww_reset re-arms it");
	pg(1)[2] = 1;
	tt_ret(get(t, pages, WW_GET_RESET), 1);
	tt_check(pages[0] == pg(1), "case 1: reported %p", pages[0]);
}

/* 2. Made read-only by the application, then written: a tracked write. */
static void case_made_readonly(struct ww_tracker *t)
{
	void *pages[NP];

	pg(2)[0] = 1;                                   /* writable now, reported */
	tt_ok(mprotect(pg(2), TT_PAGE, PROT_READ));
	pg(2)[1] = 1;                                   /* not the application's fault */
	tt_check(app_faults == 0, "case 2: the application handler ran");
	mt_expect_perms(pg(2), "rw-", "case 2");
	tt_ret(get(t, pages, WW_GET_RESET), 1);
	tt_ok(mprotect(pg(2), TT_PAGE, PROT_NONE));
	pg(2)[2] = 1;
	mt_expect_perms(pg(2), "rw-", "case 2, PROT_NONE");
	tt_ret(get(t, pages, WW_GET_RESET), 1);
}

/* 3. Reads of a page made PROT_NONE are the application's (x86). */
static void case_prot_none_read(void)
{
	tt_ok(mprotect(pg(3), TT_PAGE, PROT_NONE));
#if defined(__x86_64__) || defined(__i386__)
	if (!sigsetjmp(jump, 1))
		(void)*(volatile char *)pg(3);
	tt_check(app_faults == 1 && app_addr == pg(3), "case 3: application handler ran %d times",
		 (int)app_faults);
	mt_expect_perms(pg(3), "---", "case 3");
#endif
}

/* 5. Not writable at watch time: never tracked, never touched. */
static void case_not_writable_at_watch(struct ww_tracker *t)
{
	void *pages[NP];

	tt_ok(mprotect(pg(6), TT_PAGE, PROT_READ | PROT_WRITE));
	pg(6)[0] = 1;
	tt_ret(get(t, pages, 0), 0);
	tt_ok(ww_reset(t, mem, NP * TT_PAGE));
	mt_expect_perms(pg(6), "rw-", "case 5 after ww_reset");
	tt_ok(mprotect(pg(6), TT_PAGE, PROT_READ));
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = app_handler, .sa_flags = SA_SIGINFO };
	struct ww_tracker *t;

	mt_require_mprotect();
	sigemptyset(&sa.sa_mask);
	tt_check(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");
	t = tt_open();
	mem = mt_map_isolated(NP * TT_PAGE);
	tt_ok(mprotect(pg(6), TT_PAGE, PROT_READ));     /* not writable at watch time */
	tt_ok(ww_watch(t, mem, NP * TT_PAGE));

	case_made_writable(t);
	case_made_readonly(t);
	case_prot_none_read();

	/* 4. ww_reset puts the watch-time protection back, minus write. */
	tt_ok(ww_reset(t, mem, NP * TT_PAGE));
	mt_expect_perms(pg(3), "r--", "case 4 after ww_reset");

	case_not_writable_at_watch(t);

	/* 4. Unwatch: watch-time protections. */
	tt_ok(mprotect(pg(3), TT_PAGE, PROT_NONE));
	tt_ok(ww_unwatch(t, mem, NP * TT_PAGE));
	mt_expect_perms(pg(3), "rw-", "case 4 after unwatch");
	mt_expect_perms(pg(6), "r--", "case 5 after unwatch");
	ww_close(t);
	return 0;
}
