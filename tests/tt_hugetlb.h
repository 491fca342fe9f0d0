/* SPDX-License-Identifier: MIT */
/*
 * hugetlb memory for tests: maps n default-size huge pages, reserving them
 * through /proc/sys/vm/nr_hugepages when root (the old value is restored at
 * exit), and skips the test when that is not possible.
 */
#ifndef TT_HUGETLB_H
#define TT_HUGETLB_H
#include "tt.h"

#define TT_NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static long tt_hugetlb_old_nr = -1;

/* A number from a file: the value after key on its line, or the first number if key is NULL. */
static inline long tt_read_long(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key || !strncmp(line, key, strlen(key))) {
			v = strtol(line + (key ? strlen(key) : 0), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static inline int tt_hugetlb_write_nr(long v)
{
	FILE *f = fopen(TT_NR_HUGEPAGES, "we");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static inline void tt_hugetlb_restore(void)
{
	if (tt_hugetlb_old_nr >= 0)
		tt_hugetlb_write_nr(tt_hugetlb_old_nr);
}

/* Map n huge pages (MAP_PRIVATE | MAP_ANONYMOUS); *hsize gets the huge page size. */
static inline char *tt_hugetlb_map(size_t n, size_t *hsize)
{
	long hs = tt_read_long("/proc/meminfo", "Hugepagesize:") * 1024;
	long free_pages = tt_read_long("/proc/meminfo", "HugePages_Free:");
	void *p;

	if (hs <= 0)
		tt_skip("no hugetlb support in this kernel");
	if (free_pages < (long)n) {
		long nr = tt_read_long(TT_NR_HUGEPAGES, NULL);

		if (geteuid() != 0)
			tt_skip("needs %zu free huge pages, or root to reserve them", n);
		if (nr < 0)
			tt_skip("cannot read %s", TT_NR_HUGEPAGES);
		tt_hugetlb_old_nr = nr;
		atexit(tt_hugetlb_restore);
		if (tt_hugetlb_write_nr(nr + (long)n - (free_pages > 0 ? free_pages : 0)))
			tt_skip("cannot write %s: %s", TT_NR_HUGEPAGES, strerror(errno));
	}
	p = mmap(NULL, n * hs, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		tt_skip("could not map %zu huge pages: %s", n, strerror(errno));
	*hsize = (size_t)hs;
	return p;
}
#endif
