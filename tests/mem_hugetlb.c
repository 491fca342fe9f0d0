/*
 * hugetlb memory (2 MiB pages) is tracked per huge page.  Root reserves a
 * few pages for the test and restores the old count; otherwise it skips.
 */
#include <fcntl.h>
#include "tt_mem.h"

#define HUGE (2UL << 20)
#define NEED 4

static const char *nr_path = "/proc/sys/vm/nr_hugepages";
static long old_nr = -1;

static long read_nr(void)
{
	FILE *f = fopen(nr_path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_nr(long v)
{
	FILE *f = fopen(nr_path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void restore(void)
{
	if (old_nr >= 0)
		write_nr(old_nr);
}

int main(void)
{
	struct ww_tracker *t;
	size_t len = NEED * HUGE;
	char *mem;

	t = tt_open();
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED) {
		if (geteuid() != 0)
			tt_skip("no hugetlb pages reserved and not root to reserve them");
		old_nr = read_nr();
		atexit(restore);
		if (old_nr < 0 || write_nr(old_nr + NEED))
			tt_skip("cannot reserve hugetlb pages through %s", nr_path);
		mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (mem == MAP_FAILED)
			tt_skip("no 2 MiB hugetlb pages available: %s", strerror(errno));
	}
	mem[0] = 1;     /* one huge page populated, the others not */
	/* Huge page alignment is required. */
	tt_ret(ww_watch(t, mem + TT_PAGE, HUGE), -EINVAL);
	tt_ok(ww_watch(t, mem, len - 1));       /* length rounds up to the huge page */
	tt_mem_cycle(t, mem, NEED, HUGE, "hugetlb");
	tt_ok(ww_unwatch(t, mem, len));
	memset(mem, 2, len);
	ww_close(t);
	munmap(mem, len);
	return 0;
}
