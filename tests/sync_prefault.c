/*
 * uffd-sync on kernels without UFFD_FEATURE_WP_UNPOPULATED (Linux < 6.4),
 * simulated through the backend's test hook: never-touched anonymous pages
 * are pre-faulted (zero page, contents unchanged) at watch time so that they
 * can be protected, with MADV_POPULATE_READ, or on Linux < 5.14 by reading
 * them through process_vm_readv().  A page dropped with MADV_DONTNEED loses
 * its protection until the next reset.  Memory the process cannot read
 * (PROT_NONE) cannot be pre-faulted: -EOPNOTSUPP.
 */
#include <sys/mman.h>

#include "../src/uffd_sync_debug.h"
#include "sync_util.h"

#define NPAGES 64

static void run(unsigned int mode, const char *what)
{
	struct ww_tracker *t;
	unsigned char truth[NPAGES] = { 0 };
	char *mem = tt_map(NPAGES * TT_PAGE), *none;
	size_t i;

	ww_uffd_sync_debug = mode;
	t = sync_open();
	for (i = 0; i < NPAGES; i += 4)
		mem[i * TT_PAGE] = 1;
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	tt_check(sync_wp_pages(mem, NPAGES) == NPAGES, "%s: %zu of %d pages protected", what,
		 sync_wp_pages(mem, NPAGES), NPAGES);
	tt_expect_written(t, mem, NPAGES, truth, what);
	for (i = 0; i < NPAGES; i++)
		tt_check(mem[i * TT_PAGE] == (i % 4 == 0), "%s: page %zu content changed", what, i);
	for (i = 1; i < NPAGES; i += 6) {       /* mostly never-touched pages */
		mem[i * TT_PAGE + 1] = 5;
		truth[i] = 1;
	}
	tt_expect_written(t, mem, NPAGES, truth, what);

	/* MADV_DONTNEED drops page 2's protection; a reset restores it. */
	tt_ok(ww_reset(t, mem, NPAGES * TT_PAGE));
	memset(truth, 0, sizeof(truth));
	tt_check(!madvise(mem + 2 * TT_PAGE, TT_PAGE, MADV_DONTNEED), "madvise");
	tt_ok(ww_reset(t, mem, NPAGES * TT_PAGE));
	tt_check(sync_wp_pages(mem, NPAGES) == NPAGES, "%s: reset did not re-protect", what);
	mem[2 * TT_PAGE] = 1;
	truth[2] = 1;
	tt_expect_written(t, mem, NPAGES, truth, what);

	none = mmap(NULL, TT_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tt_check(none != MAP_FAILED, "mmap PROT_NONE");
	tt_ret(ww_watch(t, none, TT_PAGE), -EOPNOTSUPP);
	ww_close(t);
	tt_check(sync_wp_pages(mem, NPAGES) == 0, "%s: protection left after close", what);
	munmap(mem, NPAGES * TT_PAGE);
	munmap(none, TT_PAGE);
}

int main(void)
{
	sync_hang_guard(60);
	run(WW_UFFD_SYNC_DEBUG_NO_UNPOPULATED, "MADV_POPULATE_READ");
	run(WW_UFFD_SYNC_DEBUG_NO_UNPOPULATED | WW_UFFD_SYNC_DEBUG_NO_POPULATE, "process_vm_readv");
	return 0;
}
