/*
 * hugetlb memory (2 MiB pages) is tracked per huge page.  Root reserves a
 * few pages for the test and restores the old count; otherwise it skips.
 */
#include <fcntl.h>
#include "tt_mem.h"
#include "tt_hugetlb.h"

#define NEED 4

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t hs, len;
	char *mem = tt_hugetlb_map(NEED, &hs);

	len = NEED * hs;
	mem[0] = 1;     /* one huge page populated, the others not */
	/* Huge page alignment is required. */
	tt_ret(ww_watch(t, mem + TT_PAGE, hs), -EINVAL);
	tt_ok(ww_watch(t, mem, len - 1));       /* length rounds up to the huge page */
	tt_mem_cycle(t, mem, NEED, hs, "hugetlb");
	tt_ok(ww_unwatch(t, mem, len));
	memset(mem, 2, len);
	ww_close(t);
	munmap(mem, len);
	return 0;
}
