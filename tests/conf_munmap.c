/*
 * munmap of watched memory: the next call over the range says -EFAULT and
 * drops the range from the registry; later calls say -ENOENT (as for memory
 * never watched).  Other ranges are unaffected, the address can be watched
 * again once mapped again, and close works.
 */
#include "tt.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *a = tt_map(8 * TT_PAGE), *b = tt_map(8 * TT_PAGE), *c;
	void *pages[8];

	tt_ok(ww_watch(t, a, 8 * TT_PAGE));
	tt_ok(ww_watch(t, b, 8 * TT_PAGE));
	a[0] = b[0] = 1;
	tt_check(munmap(a, 8 * TT_PAGE) == 0, "munmap");
	tt_ret(ww_get(t, a, 8 * TT_PAGE, pages, 8, 0), -EFAULT);
	tt_ret(ww_get(t, a, 8 * TT_PAGE, pages, 8, 0), -ENOENT);
	tt_ret(ww_reset(t, a, TT_PAGE), -ENOENT);
	tt_ret(ww_unwatch(t, a, TT_PAGE), -ENOENT);
	tt_ret(ww_get(t, b, 8 * TT_PAGE, pages, 8, 0), 1);

	/* Detected by ww_reset too; a partial munmap drops the whole range. */
	tt_check(munmap(b + 3 * TT_PAGE, TT_PAGE) == 0, "munmap part");
	tt_ret(ww_reset(t, b, 8 * TT_PAGE), -EFAULT);
	tt_ret(ww_get(t, b, TT_PAGE, pages, 8, 0), -ENOENT);

	/* Mapped again at the same place: a fresh watch works and starts clean. */
	c = mmap(a, 8 * TT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	tt_check(c == a, "remap");
	tt_ok(ww_watch(t, c, 8 * TT_PAGE));
	tt_ret(ww_get(t, c, 8 * TT_PAGE, pages, 8, 0), 0);
	c[TT_PAGE] = 1;
	tt_ret(ww_get(t, c, 8 * TT_PAGE, pages, 8, 0), 1);
	/* Unmapped and replaced before any call noticed: the new mapping is not ours. */
	tt_check(mmap(c, 8 * TT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == c, "replace");
	c[2 * TT_PAGE] = 1;     /* the replacement is writable (nothing of ours carried over) */
	ww_close(t);
	return 0;
}
