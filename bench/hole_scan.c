/* SPDX-License-Identifier: MIT */
/*
 * hole_scan: what uffd-async's two-part get costs against its one-scan get,
 * in the same run.
 *
 * On kernels whose PAGEMAP_SCAN skips page-table holes (before the 2026 fix
 * "fs/proc/task_mmu: fix PAGEMAP_SCAN written state for PMD holes"), a get
 * over a range armed with markers that holds a whole 2 MiB block reads it
 * in two parts: the written pages, then the holes (ww_hole_scan).  Where the kernel reads holes as written, one scan
 * does it all.  This program forces the two-part path as those kernels run
 * it (the test hook WW_ASYNC_DEBUG_HOLES) and times both on the same range:
 * a fully populated range of base pages, P pages written at even spacing
 * before each get+reset, best of R rounds of each, interleaved.
 *
 *   hole_scan [--size MiB] [--pages P] [--rounds R]     (defaults 1024, 1024, 15)
 *
 * The range is populated (that is the point: the walks cost per page-table
 * entry), so it is refused beyond a quarter of physical memory.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "writewatch.h"
#include "../src/uffd_async_debug.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--size MiB] [--pages P] [--rounds R]\n", prog);
	exit(2);
}

/* One get+reset after writing pages pages spread over the range; its time, or < 0. */
static double one_get(struct ww_tracker *t, char *mem, size_t npages, size_t pages, void **out)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), step = npages / pages;
	double t0;
	ssize_t n;

	for (size_t i = 0; i < pages; i++)
		mem[i * step * pg] ^= 1;
	t0 = now();
	n = ww_get(t, mem, npages * pg, out, pages, WW_GET_RESET);
	t0 = now() - t0;
	if (n != (ssize_t)pages) {
		fprintf(stderr, "hole_scan: get+reset answered %zd, not %zu\n", n, pages);
		return -1;
	}
	return t0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' }, { "pages", required_argument, NULL, 'p' },
		{ "rounds", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 } };
	size_t mib = 1024, pages = 1024, pg = (size_t)sysconf(_SC_PAGESIZE), npages, len;
	long rounds = 15, phys = sysconf(_SC_PHYS_PAGES);
	double best[2] = { 1e9, 1e9 };
	struct ww_probe pr = { .size = sizeof(pr) };
	struct ww_tracker *t;
	void **out;
	char *mem;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			mib = strtoul(optarg, NULL, 0);
		else if (c == 'p')
			pages = strtoul(optarg, NULL, 0);
		else if (c == 'r')
			rounds = strtol(optarg, NULL, 0);
		else
			usage(argv[0]);
	}
	len = mib << 20;
	npages = len / pg;
	if (!mib || !pages || pages > npages || rounds < 1)
		usage(argv[0]);
	if (phys > 0 && len / pg > (size_t)phys / 4) {
		fprintf(stderr, "hole_scan: %zu MiB populated is more than a quarter of RAM\n", mib);
		return 1;
	}
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	out = calloc(pages, sizeof(*out));
	if (mem == MAP_FAILED || !out) {
		perror("hole_scan: mmap");
		return 1;
	}
	madvise(mem, len, MADV_NOHUGEPAGE);     /* base pages: the entries the walks read */
	memset(mem, 1, len);
	ret = ww_open(&t, WW_BACKEND_UFFD_ASYNC, 0);
	if (!ret)
		ret = ww_watch(t, mem, len);
	if (ret) {
		fprintf(stderr, "hole_scan: uffd-async: %s\n", strerror(-ret));
		return 1;
	}
	for (long r = 0; r < rounds; r++)
		for (int forced = 0; forced < 2; forced++) {
			double d;

			ww_async_debug = forced ? WW_ASYNC_DEBUG_HOLES : 0;
			d = one_get(t, mem, npages, pages, out);
			if (d < 0)
				return 1;
			if (d < best[forced])
				best[forced] = d;
		}
	if (ww_probe(&pr) == 0 && pr.pagemap_hole_written != 1)
		printf("This kernel skips page-table holes: both columns took the two-part path.\n\n");
	printf("| range | written | one scan | two-part (hole scan) | ratio |\n");
	printf("|---|---|---|---|---|\n");
	printf("| %zu MiB populated | %zu pages | %.3f ms | %.3f ms | %.2fx |\n", mib, pages,
	       best[0] * 1e3, best[1] * 1e3, best[1] / best[0]);
	ww_close(t);
	return 0;
}
