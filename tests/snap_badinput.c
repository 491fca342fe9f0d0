/*
 * Snapshot calls with bad input return a documented -errno and change
 * nothing; a watch that take made is removed by free, an existing one is
 * reused (reset) and kept.
 */
#include "tt_snap.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t len = 16 * TT_PAGE;
	char *mem = tt_map(len);
	struct ww_snapshot *s = NULL;
	void *pages[16];
	long phys = sysconf(_SC_PHYS_PAGES);
	size_t huge_len;
	char *big;
	unsigned char vec;

	tt_ret(ww_snapshot_take(NULL, mem, len, &s), -EINVAL);
	tt_ret(ww_snapshot_take(t, mem, 0, &s), -EINVAL);
	tt_ret(ww_snapshot_take(t, mem, len, NULL), -EFAULT);
	tt_ret(ww_snapshot_take(t, mem + 1, len, &s), -EINVAL);
	tt_ret(ww_snapshot_take(t, (void *)(UINTPTR_MAX - TT_PAGE + 1), 2 * TT_PAGE, &s), -EINVAL);
	tt_ret(ww_snapshot_restore(NULL), -EINVAL);
	ww_snapshot_free(NULL);
	/* Unmapped, and not readable. */
	tt_ok(munmap(mem + 8 * TT_PAGE, TT_PAGE));
	tt_ret(ww_snapshot_take(t, mem, len, &s), -ENOMEM);
	tt_ret(ww_granularity(t, mem), -ENOENT);        /* nothing left watched */
	tt_check(mmap(mem + 8 * TT_PAGE, TT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == mem + 8 * TT_PAGE, "remap");
	tt_ok(mprotect(mem, TT_PAGE, PROT_NONE));
	tt_ret(ww_snapshot_take(t, mem, 4 * TT_PAGE, &s), -EACCES);
	tt_ok(mprotect(mem, TT_PAGE, PROT_READ | PROT_WRITE));

	/* take watches, free unwatches. */
	tt_ok(ww_snapshot_take(t, mem, 4 * TT_PAGE, &s));
	tt_ret(ww_granularity(t, mem), TT_PAGE);
	ww_snapshot_free(s);
	tt_ret(ww_granularity(t, mem), -ENOENT);

	/* An existing watch over the range is reset and kept. */
	tt_ok(ww_watch(t, mem, 8 * TT_PAGE));
	mem[TT_PAGE] = 1;
	tt_ok(ww_snapshot_take(t, mem + TT_PAGE, 2 * TT_PAGE, &s));
	tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 16, 0), 0);
	mem[2 * TT_PAGE] = 2;
	tt_ret(ww_snapshot_restore(s), 1);
	/* Page 2 was a hole (under uffd-async, a marker reading as swapped): a hole again. */
	tt_resident(mem + 2 * TT_PAGE, TT_PAGE, &vec);
	tt_check(!(vec & 1), "a hole at take is resident after restore");
	tt_check(mem[2 * TT_PAGE] == 0 && mem[TT_PAGE] == 1, "restored content");
	ww_snapshot_free(s);
	tt_ret(ww_granularity(t, mem), TT_PAGE);
	/* A range that is watched in part only. */
	tt_ret(ww_snapshot_take(t, mem + 4 * TT_PAGE, 8 * TT_PAGE, &s), -ENOENT);
	tt_ok(ww_unwatch(t, mem, 8 * TT_PAGE));
	tt_ok(ww_watch(t, mem + 4 * TT_PAGE, 4 * TT_PAGE));
	tt_ret(ww_snapshot_take(t, mem, 8 * TT_PAGE, &s), -EEXIST);
	tt_ret(ww_granularity(t, mem), -ENOENT);
	tt_ok(ww_unwatch(t, mem + 4 * TT_PAGE, 4 * TT_PAGE));

	/* Page tables for the range (8 bytes a page) beyond an eighth of memory. */
	tt_check(phys > 0, "_SC_PHYS_PAGES");
	huge_len = ((size_t)phys * TT_PAGE / 64 + 1024) * TT_PAGE;
	big = mmap(NULL, huge_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED) {
		fprintf(stderr, "note: no room for %zu bytes of address space: E2BIG not checked\n",
			huge_len);
	} else {
		tt_ret(ww_snapshot_take(t, big, huge_len, &s), -E2BIG);
		tt_ret(ww_granularity(t, big), -ENOENT);
		munmap(big, huge_len);
	}
	ww_close(t);
	return 0;
}
