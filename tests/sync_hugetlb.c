/*
 * uffd-sync on hugetlb memory: the unit is the huge page.  Reserves a few
 * default-size huge pages through /proc/sys/vm/nr_hugepages when root (the
 * old value is restored at exit) and skips otherwise.
 */
#include <sys/mman.h>

#include "sync_util.h"
#include "tt_hugetlb.h"

#define NHUGE 4
int main(void)
{
	struct ww_tracker *t = sync_open();
	long hsize;
	size_t hs;
	void *pages[NHUGE];
	char *mem;
	size_t i;

	sync_hang_guard(60);
	mem = tt_hugetlb_map(NHUGE, &hs);
	hsize = (long)hs;
	mem[0] = 1;                             /* huge page 0 populated, the others not */

	/* Alignment is to the huge page. */
	tt_ret(ww_watch(t, mem + TT_PAGE, TT_PAGE), -EINVAL);
	tt_ok(ww_watch(t, mem, NHUGE * hsize));
	tt_check(ww_granularity(t, mem) == hsize, "granularity %zd, want %ld",
		 ww_granularity(t, mem), hsize);
	tt_ret(ww_get(t, mem, NHUGE * hsize, pages, NHUGE, 0), 0);

	mem[2 * hsize + 12345] = 2;             /* never-touched huge page */
	mem[hsize - 1] = 2;                     /* populated huge page */
	tt_ret(ww_get(t, mem, NHUGE * hsize, pages, NHUGE, 0), 2);
	tt_check(pages[0] == mem && pages[1] == mem + 2 * hsize, "wrong huge pages reported");
	tt_ret(ww_get(t, mem, NHUGE * hsize, pages, 1, WW_GET_RESET), 1);
	tt_check(pages[0] == mem, "limited get");
	tt_ret(ww_get(t, mem, NHUGE * hsize, pages, NHUGE, 0), 1);
	tt_check(pages[0] == mem + 2 * hsize, "limited get reset more than it returned");
	mem[3 * hsize] = 3;
	tt_ret(ww_get(t, mem, NHUGE * hsize, pages, NHUGE, WW_GET_RESET), 2);
	tt_check(pages[0] == mem + 2 * hsize && pages[1] == mem + 3 * hsize, "rewrite");
	tt_ret(ww_get(t, mem, NHUGE * hsize, pages, NHUGE, 0), 0);

	/* prepare_write and splitting work in huge pages. */
	tt_ok(ww_prepare_write(t, mem + hsize, hsize));
	tt_ok(ww_unwatch(t, mem, hsize));
	tt_ret(ww_get(t, mem, hsize, pages, NHUGE, 0), -ENOENT);
	tt_ret(ww_get(t, mem + hsize, 3 * hsize, pages, NHUGE, 0), 1);
	tt_check(pages[0] == mem + hsize, "prepare_write on a huge page");
	for (i = 0; i < NHUGE; i++)
		mem[i * hsize + 1] = 4;
	tt_ret(ww_get(t, mem + hsize, 3 * hsize, pages, NHUGE, 0), 3);
	tt_ok(ww_unwatch(t, mem + 3 * hsize, hsize));  /* tail */
	tt_ret(ww_get(t, mem + hsize, 2 * hsize, pages, NHUGE, WW_GET_RESET), 2);
	mem[3 * hsize] = 6;
	mem[2 * hsize] = 6;
	tt_ret(ww_get(t, mem + hsize, 2 * hsize, pages, NHUGE, 0), 1);
	tt_check(pages[0] == mem + 2 * hsize, "write after a tail split");
	ww_close(t);
	for (i = 0; i < NHUGE; i++)
		mem[i * hsize + 2] = 5;
	tt_check(mem[2 * hsize + 12345] == 2, "contents changed");
	munmap(mem, NHUGE * hsize);
	return 0;
}
