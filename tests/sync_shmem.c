/*
 * uffd-sync on shared memory: MAP_SHARED|MAP_ANONYMOUS and a memfd (shmem,
 * UFFD_FEATURE_WP_HUGETLBFS_SHMEM), with populated and never-touched pages.
 * A write through a second, unwatched mapping of the memfd is not a write
 * to the watched mapping (protection is per mapping).
 */
#include <sys/mman.h>

#include "sync_util.h"

#define NPAGES 32

static void exercise(struct ww_tracker *t, char *mem, const char *what)
{
	unsigned char truth[NPAGES] = { 0 };
	void *pages[NPAGES];
	size_t i;

	for (i = 0; i < NPAGES / 2; i++)        /* first half populated */
		mem[i * TT_PAGE] = 1;
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	tt_check(sync_wp_pages(mem, NPAGES) == NPAGES, "%s: %zu pages protected", what,
		 sync_wp_pages(mem, NPAGES));
	tt_expect_written(t, mem, NPAGES, truth, what);
	for (i = 1; i < NPAGES; i += 5) {       /* both halves */
		mem[i * TT_PAGE + 3] = 2;
		truth[i] = 1;
	}
	tt_expect_written(t, mem, NPAGES, truth, what);
	tt_ret(ww_get(t, mem, NPAGES * TT_PAGE, pages, NPAGES, WW_GET_RESET), 7);
	memset(truth, 0, sizeof(truth));
	tt_expect_written(t, mem, NPAGES, truth, what);
	mem[(NPAGES - 1) * TT_PAGE] = 3;
	truth[NPAGES - 1] = 1;
	tt_expect_written(t, mem, NPAGES, truth, what);
	tt_ok(ww_unwatch(t, mem, NPAGES * TT_PAGE));
	tt_check(sync_wp_pages(mem, NPAGES) == 0, "%s: protection left after unwatch", what);
	for (i = 0; i < NPAGES; i++)
		mem[i * TT_PAGE + 1] = 4;
}

int main(void)
{
	struct ww_tracker *t = sync_open();
	size_t len = NPAGES * TT_PAGE;
	unsigned char truth[NPAGES] = { 0 };
	char *shared, *mfd, *alias;
	int fd;

	sync_hang_guard(60);
	shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	tt_check(shared != MAP_FAILED, "mmap shared: %s", strerror(errno));
	exercise(t, shared, "shared anonymous");

	fd = memfd_create("sync_shmem", MFD_CLOEXEC);
	tt_check(fd >= 0, "memfd_create: %s", strerror(errno));
	tt_check(!ftruncate(fd, (off_t)len), "ftruncate: %s", strerror(errno));
	mfd = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	alias = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tt_check(mfd != MAP_FAILED && alias != MAP_FAILED, "mmap memfd: %s", strerror(errno));
	exercise(t, mfd, "memfd");

	/* Protection belongs to the watched mapping; the alias writes freely. */
	tt_ok(ww_watch(t, mfd, len));
	alias[2 * TT_PAGE] = 5;
	tt_expect_written(t, mfd, NPAGES, truth, "memfd, write through an alias");
	tt_check(mfd[2 * TT_PAGE] == 5, "alias write not visible");
	mfd[2 * TT_PAGE] = 6;
	truth[2] = 1;
	tt_expect_written(t, mfd, NPAGES, truth, "memfd, write through the watched mapping");
	ww_close(t);
	tt_check(sync_wp_pages(mfd, NPAGES) == 0, "memfd: protection left after close");
	mfd[0] = 1;
	return 0;
}
