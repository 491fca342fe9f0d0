/* Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS, i.e. shmem) is tracked. */
#include "tt_mem.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t npages = 32;
	char *mem = mmap(NULL, npages * TT_PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	tt_check(mem != MAP_FAILED, "mmap");
	mem[0] = 1;     /* one page populated before watching */
	tt_ok(ww_watch(t, mem, npages * TT_PAGE));
	tt_mem_cycle(t, mem, npages, TT_PAGE, "shared anon");
	tt_ok(ww_unwatch(t, mem, npages * TT_PAGE));
	mem[TT_PAGE * 3] = 1;   /* writable after unwatch */
	ww_close(t);
	return 0;
}
