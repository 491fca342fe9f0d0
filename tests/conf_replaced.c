/* SPDX-License-Identifier: MIT */
/*
 * Memory replaced in the middle of a range (mmap MAP_FIXED of a shared
 * mapping over pages 3-4 of 8 watched private pages) is still mapped, so
 * only the backend can notice it.  Whatever call meets it, the answer is
 * the contract's: success, or -EFAULT with the whole range dropped (later
 * calls say -ENOENT); never -ENOENT for a range that is still registered,
 * and ww_unwatch succeeds.  Afterwards every page is writable: ours with
 * their contents, the replacement too.
 *
 * Old code: uffd-async's reset and both userfaultfd backends' unwatch
 * returned the kernel's ENOENT and kept the range; uffd-sync's reset and
 * prepare_write returned -EFAULT but kept the range.
 */
#include "mprotect_tt.h"

#define NP 8
#define R0 3            /* replaced: pages [R0, R1) */
#define R1 5

enum meet { BY_RESET, BY_PREPARE, BY_GET_RESET, BY_UNWATCH };

static const char *const meet_name[] = { "ww_reset", "ww_prepare_write", "ww_get+reset",
					 "ww_unwatch" };

static char fill(size_t page)
{
	return (char)('a' + page);
}

static bool ours(size_t i)
{
	return i < R0 || i >= R1;
}

static char *setup(struct ww_tracker *t)
{
	char *mem = mt_map_isolated(NP * TT_PAGE), *p;

	for (size_t i = 0; i < NP; i++)
		memset(mem + i * TT_PAGE, fill(i), TT_PAGE);
	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	mem[0] = 'Z';
	p = mmap(mem + R0 * TT_PAGE, (R1 - R0) * TT_PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	tt_check(p == mem + R0 * TT_PAGE, "mmap over pages %d-%d: %s", R0, R1 - 1,
		 strerror(errno));
	return mem;
}

/* The call meets the replacement; 0 or -EFAULT (then the range is gone). */
static long meet(struct ww_tracker *t, char *mem, enum meet how)
{
	void *pages[NP];

	switch (how) {
	case BY_RESET:
		return ww_reset(t, mem, NP * TT_PAGE);
	case BY_PREPARE:
		return ww_prepare_write(t, mem, NP * TT_PAGE);
	case BY_GET_RESET: {
		ssize_t n = ww_get(t, mem, NP * TT_PAGE, pages, NP, WW_GET_RESET);

		return n > 0 ? 0 : n;
	}
	case BY_UNWATCH:
		return ww_unwatch(t, mem, NP * TT_PAGE);
	}
	return -EINVAL;
}

static void expect_usable(char *mem, const char *what)
{
	for (size_t i = 0; i < NP; i++) {
		char *p = mem + i * TT_PAGE;

		tt_check(mt_perms(p)[1] == 'w', "%s: page %zu is %s, want writable", what, i,
			 mt_perms(p));
		if (ours(i))
			tt_check(p[1] == fill(i), "%s: page %zu lost its contents", what, i);
		p[TT_PAGE - 1] = 'w';
		tt_check(p[TT_PAGE - 1] == 'w', "%s: write to page %zu lost", what, i);
	}
}

static void round_by(struct ww_tracker *t, enum meet how)
{
	char *mem = setup(t);
	const char *what = meet_name[how];
	void *pages[NP];
	long ret = meet(t, mem, how);

	if (how == BY_UNWATCH)
		tt_check(ret == 0, "%s over a replaced range = %ld (%s), want 0", what, ret,
			 strerror((int)-ret));
	tt_check(ret == 0 || ret == -EFAULT, "%s over a replaced range = %ld (%s), want 0 or "
		 "-EFAULT", what, ret, strerror((int)-ret));
	if (ret == -EFAULT)     /* the contract: the whole range was dropped */
		tt_ret(ww_get(t, mem, TT_PAGE, pages, NP, 0), -ENOENT);
	else if (how != BY_UNWATCH)
		tt_ok(ww_unwatch(t, mem, NP * TT_PAGE));
	tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, 0), -ENOENT);
	expect_usable(mem, what);
	munmap(mem, NP * TT_PAGE);
}

int main(void)
{
	struct ww_tracker *t = tt_open();

	for (int how = BY_RESET; how <= BY_UNWATCH; how++)
		round_by(t, (enum meet)how);
	ww_close(t);
	return 0;
}
