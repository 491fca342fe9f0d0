/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: when unwatch cannot give the protection back, it says so
 * and the range stays watched (issue 8 item 3).  Two adjacent ranges share
 * one read-only VMA; unwatching the first needs a VMA split.  With the
 * process at vm.max_map_count (its own VMAs only: no sysctl is changed, no
 * root needed) the split fails: ww_unwatch must return -ENOMEM, the range
 * must stay registered with nothing reported as written, and once VMAs are
 * available again the range tracks writes exactly and unwatches cleanly.
 *
 * While the process is at its limit nothing here writes a watched page: the
 * fault path's own mprotect would need a split too.
 */
#include "mprotect_tt.h"

#define NP 8

static long max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	long v = -1;

	if (!f)
		tt_skip("/proc/sys/vm/max_map_count: %s", strerror(errno));
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * Split a PROT_NONE reservation page by page until no VMA can be added:
 * afterwards every mprotect() that must split a VMA fails with ENOMEM.
 * Returns the reservation (len in *len) to munmap when done.
 */
static char *exhaust_vmas(size_t *len)
{
	long limit = max_map_count();
	size_t npages, i;
	char *res;

	if (limit <= 0 || limit > (1L << 22))
		tt_skip("vm.max_map_count is %ld: too high to reach in a test", limit);
	npages = (size_t)limit * 2 + 64;
	*len = npages * TT_PAGE;
	res = mmap(NULL, *len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		tt_skip("cannot reserve %zu bytes of address space: %s", *len, strerror(errno));
	/* Every other page readable: each call cuts one more page out of the tail VMA. */
	for (i = 1; i + 1 < npages; i += 2) {
		if (!mprotect(res + i * TT_PAGE, TT_PAGE, PROT_READ))
			continue;
		tt_check(errno == ENOMEM, "filling the VMA table: %s", strerror(errno));
		/* Confirm: a split in the untouched tail fails as well. */
		tt_check(mprotect(res + (npages - 2) * TT_PAGE, TT_PAGE, PROT_READ) &&
			 errno == ENOMEM, "the VMA table did not stay full");
		return res;
	}
	tt_fail("%zu pages split without reaching vm.max_map_count %ld", npages, limit);
	return NULL;
}

int main(void)
{
	struct ww_tracker *t;
	char *mem, *r1, *r2, *res;
	void *pages[NP];
	size_t reslen;
	int ret;

#ifdef __SANITIZE_ADDRESS__
	/* ASan's allocator maps and unmaps memory behind the test's back. */
	tt_skip("the VMA count cannot be held at vm.max_map_count under AddressSanitizer");
#endif
	mt_require_mprotect();
	t = tt_open();
	mem = mt_map_isolated(NP * TT_PAGE);
	r1 = mem;
	r2 = mem + NP / 2 * TT_PAGE;
	tt_ok(ww_watch(t, r1, NP / 2 * TT_PAGE));
	tt_ok(ww_watch(t, r2, NP / 2 * TT_PAGE));
	if (mt_vmas(mem, NP * TT_PAGE) != 1)
		tt_skip("the kernel did not merge two adjacent read-only VMAs of one mapping");

	res = exhaust_vmas(&reslen);
	ret = ww_unwatch(t, r1, NP / 2 * TT_PAGE);
	munmap(res, reslen);
	tt_ret(ret, -ENOMEM);
	/* Still registered, nothing written, nothing unprotected. */
	tt_ret(ww_get(t, r1, NP / 2 * TT_PAGE, pages, NP, 0), 0);

	mt_expect_perms(r1, "r--", "range whose unwatch failed");
	mt_expect_perms(r1 + TT_PAGE, "r--", "range whose unwatch failed");
	r1[TT_PAGE] = 1;
	tt_ret(ww_get(t, r1, NP / 2 * TT_PAGE, pages, NP, WW_GET_RESET), 1);
	tt_check(pages[0] == r1 + TT_PAGE, "reported %p, want %p", pages[0], (void *)(r1 + TT_PAGE));
	tt_ok(ww_unwatch(t, r1, NP / 2 * TT_PAGE));
	mt_expect_perms(r1 + TT_PAGE, "rw-", "unwatched after the failure");
	mt_expect_perms(r2, "r--", "the neighbour range");
	r2[TT_PAGE] = 1;
	tt_ret(ww_get(t, r2, NP / 2 * TT_PAGE, pages, NP, 0), 1);
	ww_close(t);
	mt_expect_perms(r2, "rw-", "after ww_close");
	return 0;
}
