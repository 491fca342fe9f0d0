/*
 * uffd-sync: a fault the kernel will not let the thread resolve (issue 8
 * item 2).  The debug hook WW_UFFD_SYNC_DEBUG_UNPROTECT_FAILS makes every
 * unprotect of the fault thread fail (ENOMEM), as no real program can make
 * it fail on demand.  The old thread woke the writer anyway, which faulted
 * again, forever.  Now the writer goes on (its page is unregistered), and
 * the loss is never silent: every later call over the range fails with
 * -EIO until it is unwatched, and unwatch leaves the memory usable.
 */
#include "sync_util.h"
#include "../src/uffd_sync_debug.h"

#define NPAGES 4

int main(void)
{
	struct ww_tracker *t = sync_open();
	unsigned char truth[NPAGES] = { 0 };
	char *mem = tt_map(NPAGES * TT_PAGE);
	void *pages[NPAGES];

	sync_hang_guard(60);
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	ww_uffd_sync_debug = WW_UFFD_SYNC_DEBUG_UNPROTECT_FAILS;
	mem[TT_PAGE + 1] = 1;                   /* returns: no endless refault */
	mem[2 * TT_PAGE] = 2;
	tt_check(mem[TT_PAGE + 1] == 1 && mem[2 * TT_PAGE] == 2, "the writes did not land");
	tt_ret(ww_get(t, mem, NPAGES * TT_PAGE, pages, NPAGES, 0), -EIO);
	tt_ret(ww_get(t, mem, NPAGES * TT_PAGE, pages, NPAGES, WW_GET_RESET), -EIO);
	tt_ret(ww_reset(t, mem, NPAGES * TT_PAGE), -EIO);
	tt_ret(ww_prepare_write(t, mem, TT_PAGE), -EIO);

	/* Unwatch lifts what protection is left; the memory is as usable as before. */
	tt_ok(ww_unwatch(t, mem, NPAGES * TT_PAGE));
	mem[0] = 3;
	mem[3 * TT_PAGE] = 4;

	/* Watched again with the kernel cooperating, the range tracks as usual. */
	ww_uffd_sync_debug = 0;
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	tt_expect_written(t, mem, NPAGES, truth, "rewatched");
	mem[2 * TT_PAGE + 7] = 5;
	truth[2] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "write after rewatch");
	ww_close(t);
	tt_check(mem[0] == 3 && mem[TT_PAGE + 1] == 1 && mem[2 * TT_PAGE + 7] == 5, "contents");
	munmap(mem, NPAGES * TT_PAGE);
	return 0;
}
