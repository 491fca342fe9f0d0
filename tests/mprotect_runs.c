/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: get-and-reset and reset re-protect in runs, at most one
 * mprotect() per contiguous run of reported pages (with many runs, one per
 * stretch walked), never page by page, so the VMA count (vm.max_map_count)
 * stays what the protection pattern needs.
 *
 * The test links the static library, so its own mprotect() below replaces
 * libc's for the library and counts the calls.  After each step the VMAs
 * inside the range must be exactly the runs of equal protection that the
 * written/reset pattern predicts.
 */
#include <sys/syscall.h>
#include "mprotect_tt.h"

#define N 10000

static long calls;

int mprotect(void *addr, size_t len, int prot)
{
	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

static struct ww_tracker *t;
static char *mem;
static unsigned char writable[N];       /* predicted: 1 if the page is writable now */

/* Runs of equal protection in the range = VMAs it must have. */
static size_t predicted_vmas(void)
{
	size_t runs = 1, i;

	for (i = 1; i < N; i++)
		runs += writable[i] != writable[i - 1];
	return runs;
}

static size_t written_runs(void)
{
	size_t runs = 0, i;

	for (i = 0; i < N; i++)
		runs += writable[i] && (!i || !writable[i - 1]);
	return runs;
}

static void write_page(size_t i)
{
	mem[i * TT_PAGE] = 1;
	writable[i] = 1;
}

static void expect_vmas(const char *what)
{
	size_t got = mt_vmas(mem, N * TT_PAGE), want = predicted_vmas();

	tt_check(got == want, "%s: %zu VMAs in the range, the runs predict %zu", what, got, want);
}

/* Full get+reset: at most one mprotect per run of written pages. */
static void get_reset_all(void **pages, const char *what)
{
	size_t want_pages = 0, runs = written_runs(), i;
	long before = calls;
	ssize_t n;

	for (i = 0; i < N; i++)
		want_pages += writable[i];
	n = ww_get(t, mem, N * TT_PAGE, pages, N, WW_GET_RESET);
	tt_check(n == (ssize_t)want_pages, "%s: %zd pages, want %zu", what, n, want_pages);
	tt_check(calls - before >= 1 && calls - before <= (long)runs,
		 "%s: %ld mprotect calls for %zu runs", what, calls - before, runs);
	memset(writable, 0, sizeof(writable));
	expect_vmas(what);
}

/* The handler's one call per fault also shows that the interposition works. */
static void check_fault_calls(void)
{
	long before = calls;

	write_page(0);
	if (calls == before)
		tt_skip("cannot count the library's mprotect() calls in this build");
	tt_check(calls - before == 1, "a fault made %ld mprotect calls", calls - before);
}

/* Alternating pages: N/2 single-page runs, N VMAs, back to one after the reset. */
static void check_alternating(void **pages)
{
	long before;
	size_t i;
	ssize_t n;

	for (i = 2; i < N; i += 2)
		write_page(i);
	expect_vmas("after writing every other page");
	before = calls;
	n = ww_get(t, mem, N * TT_PAGE, pages, N, 0);
	tt_check(n == N / 2, "get without reset: %zd", n);
	tt_check(calls == before, "a get without reset called mprotect %ld times", calls - before);
	get_reset_all(pages, "get+reset of alternating pages");
}

/* Dense, then runs of 3 written pages with 2 clean between them. */
static void check_dense_and_runs(void **pages)
{
	size_t i, k;

	/* Every page written, one run, one call (page by page would be N). */
	for (i = 0; i < N; i++)
		write_page(i);
	expect_vmas("after writing every page");
	get_reset_all(pages, "get+reset of all pages");

	for (i = 0; i < N; i += 5)
		for (k = i; k < i + 3 && k < N; k++)
			write_page(k);
	expect_vmas("after writing runs of three");
	get_reset_all(pages, "get+reset of runs of three");
}

/*
 * A limited get re-protects only what it returned (what lies between
 * is clean and protected already), in runs or in one call for the
 * stretch it walked; the VMA check below is what must hold.
 */
static void check_limited_get(void **pages)
{
	long before;
	size_t i;

	for (i = 0; i < N; i += 2)
		write_page(i);
	before = calls;
	tt_ret(ww_get(t, mem, N * TT_PAGE, pages, 1000, WW_GET_RESET), 1000);
	tt_check(calls - before >= 1 && calls - before <= 1000,
		 "limited get: %ld calls for 1000 single-page runs", calls - before);
	for (i = 0; i < 1000; i++) {
		tt_check(pages[i] == mem + 2 * i * TT_PAGE, "limited get: page %zu is %p", i, pages[i]);
		writable[2 * i] = 0;
	}
	expect_vmas("after a limited get+reset");
}

/* ww_reset: one call for the whole (uniformly writable at watch time) range. */
static void check_reset(void)
{
	long before = calls;

	tt_ok(ww_reset(t, mem, N * TT_PAGE));
	tt_check(calls - before == 1, "ww_reset made %ld calls", calls - before);
	memset(writable, 0, sizeof(writable));
	expect_vmas("after ww_reset");
}

/* Unwatch gives the range back in one call and one VMA, writable. */
static void check_unwatch(void)
{
	long before;
	size_t i;

	for (i = 0; i < N; i += 7)
		write_page(i);
	before = calls;
	tt_ok(ww_unwatch(t, mem, N * TT_PAGE));
	tt_check(calls - before == 1, "ww_unwatch made %ld calls", calls - before);
	memset(writable, 1, sizeof(writable));
	expect_vmas("after unwatch");
	mt_expect_perms(mem + 5 * TT_PAGE, "rw-", "after unwatch");
}

int main(void)
{
	void **pages;

	mt_require_mprotect();
	t = tt_open();
	pages = calloc(N, sizeof(void *));
	tt_check(pages, "out of memory");
	mem = mt_map_isolated(N * TT_PAGE);

	tt_ok(ww_watch(t, mem, N * TT_PAGE));
	expect_vmas("after watch");

	check_fault_calls();
	check_alternating(pages);
	check_dense_and_runs(pages);
	check_limited_get(pages);
	check_reset();
	check_unwatch();
	ww_close(t);
	free(pages);
	return 0;
}
