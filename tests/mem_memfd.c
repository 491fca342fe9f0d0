/* memfd memory mapped shared is tracked, as are writes seen through a second mapping. */
#include <sys/mman.h>
#include "tt_mem.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t npages = 32, len = npages * TT_PAGE;
	int fd = memfd_create("ww-test", MFD_CLOEXEC);
	char *mem, *alias;
	void *pages[4];

	tt_check(fd >= 0 && ftruncate(fd, (off_t)len) == 0, "memfd");
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	alias = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tt_check(mem != MAP_FAILED && alias != MAP_FAILED, "mmap");
	tt_ok(ww_watch(t, mem, len));
	tt_mem_cycle(t, mem, npages, TT_PAGE, "memfd");
	/*
	 * Tracking is per mapping (page table), not per file page: a write
	 * through another mapping of the same file is not a write to this one.
	 */
	alias[5 * TT_PAGE] = 1;
	tt_ret(ww_get(t, mem, len, pages, 4, 0), 0);
	tt_ok(ww_unwatch(t, mem, len));
	ww_close(t);
	return 0;
}
