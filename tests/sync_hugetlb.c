/*
 * uffd-sync on hugetlb memory: the unit is the huge page.  Reserves a few
 * default-size huge pages through /proc/sys/vm/nr_hugepages when root (the
 * old value is restored at exit) and skips otherwise.
 */
#include <sys/mman.h>

#include "sync_util.h"

#define NHUGE 4
#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static long old_nr = -1;

static long read_nr(void)
{
	FILE *f = fopen(NR_HUGEPAGES, "re");
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
	FILE *f = fopen(NR_HUGEPAGES, "we");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void restore_nr(void)
{
	if (old_nr >= 0)
		write_nr(old_nr);
}

static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

int main(void)
{
	struct ww_tracker *t = sync_open();
	long hsize = meminfo("Hugepagesize:") * 1024, nr;
	void *pages[NHUGE];
	char *mem;
	size_t i;

	sync_hang_guard(60);
	if (hsize <= 0)
		tt_skip("no hugetlb support in this kernel");
	if (meminfo("HugePages_Free:") < NHUGE) {
		if (geteuid())
			tt_skip("needs %d free huge pages, or root to reserve them", NHUGE);
		nr = read_nr();
		if (nr < 0)
			tt_skip("cannot read %s", NR_HUGEPAGES);
		old_nr = nr;
		atexit(restore_nr);
		if (write_nr(nr + NHUGE) || meminfo("HugePages_Free:") < NHUGE)
			tt_skip("could not reserve %d huge pages", NHUGE);
	}
	mem = mmap(NULL, NHUGE * hsize, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED)
		tt_skip("mmap MAP_HUGETLB: %s", strerror(errno));
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
