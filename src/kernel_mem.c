/* SPDX-License-Identifier: MIT */
/*
 * Kernel interface, memory facts and memory calls for snapshots: which pages
 * of a range hold something (PAGEMAP_SCAN, else the per-page pagemap file),
 * mincore(), MADV_DONTNEED, whether swap is active, and how PAGEMAP_SCAN
 * reads a page-table hole.  Like kernel.c, it returns -errno and never
 * decides what a fact means.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"
#include "kernel.h"

#define PM_ENTRY_PRESENT (1ULL << 63)
#define PM_ENTRY_SWAP    (1ULL << 62)

/* Append [a, b) with cats to out[], merging with the last run when it continues it. */
static size_t run_add(struct page_region *out, size_t n, uint64_t a, uint64_t b, uint64_t cats)
{
	if (n && out[n - 1].end == a && out[n - 1].categories == cats) {
		out[n - 1].end = b;
		return n;
	}
	out[n] = (struct page_region){ .start = a, .end = b, .categories = cats };
	return n + 1;
}

/*
 * Kernels without PAGEMAP_SCAN: read the 8-byte pagemap entries, a chunk at
 * a time.  Costs 8 bytes of reading a page, holes included.
 */
static long populated_pread(int fd, uintptr_t start, uintptr_t end, struct page_region *out,
			    size_t max, uintptr_t *walk_end)
{
	size_t ps = ww_page_size(), n = 0;
	uint64_t ent[512];
	uintptr_t at = start;

	while (at < end) {
		size_t want = (end - at) / ps, i;
		ssize_t got;

		if (want > 512)
			want = 512;
		got = pread(fd, ent, want * sizeof(ent[0]), (off_t)(at / ps * sizeof(ent[0])));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		want = (size_t)got / sizeof(ent[0]);
		for (i = 0; i < want; i++, at += ps) {
			uint64_t cats = (ent[i] & PM_ENTRY_PRESENT ? PAGE_IS_PRESENT : 0) |
					(ent[i] & PM_ENTRY_SWAP ? PAGE_IS_SWAPPED : 0);

			if (!cats)
				continue;
			if (n == max && !(out[n - 1].end == at && out[n - 1].categories == cats)) {
				*walk_end = at;
				return (long)n;
			}
			n = run_add(out, n, at, at + ps, cats);
		}
	}
	*walk_end = end;
	return (long)n;
}

long ww_k_populated(int fd, uintptr_t start, uintptr_t end, struct page_region *out,
		    size_t max, uintptr_t *walk_end)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = start,
		.end = end,
		.vec = (uintptr_t)out,
		.vec_len = max,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO,
	};
	long ret;

	if (!max)
		return -EINVAL;
	ret = ww_k_pagemap_scan(fd, &arg);
	if (ret == -ENOTTY || ret == -EINVAL)
		return populated_pread(fd, start, end, out, max, walk_end);
	if (ret >= 0)
		*walk_end = arg.walk_end;
	return ret;
}

int ww_k_mincore(uintptr_t start, size_t len, unsigned char *vec)
{
	return mincore((void *)start, len, vec) ? -errno : 0;
}

int ww_k_dontneed(uintptr_t start, size_t len)
{
	return madvise((void *)start, len, MADV_DONTNEED) ? -errno : 0;
}

size_t ww_k_pt_span(void)
{
	/* A page of 8-byte entries, each mapping a base page. */
	return ww_page_size() / 8 * ww_page_size();
}

int ww_k_swap_active(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long kb = -1;

	if (!f)
		return 1;       /* unknown: assume it may be */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SwapTotal: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb != 0;
}

long ww_k_phys_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);

	return pages > 0 ? pages * (long)ww_page_size() : -EINVAL;
}

/* Register [block, block + len) of a fresh uffd-wp-async fd and ask for its written pages. */
static int hole_trial(int pagemap_fd, uintptr_t block, size_t len)
{
	struct page_region one;
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = block,
		.end = block + len,
		.vec = (uintptr_t)&one,
		.vec_len = 1,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};
	enum ww_uffd_how how;
	int fd = ww_k_uffd_open(true, &how), ret;
	long n;

	if (fd < 0)
		return fd;
	ret = ww_k_uffd_api(fd, UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED, NULL, NULL);
	if (!ret)
		ret = ww_k_uffd_register(fd, block, len, UFFDIO_REGISTER_MODE_WP, NULL);
	if (!ret) {
		n = ww_k_pagemap_scan(pagemap_fd, &arg);
		ret = n < 0 ? (int)n : n > 0;
		ww_k_uffd_unregister(fd, block, len);
	}
	close(fd);
	return ret;
}

int ww_k_pmd_hole_written(void)
{
	static atomic_int known = -1;   /* 0 or 1 once a trial answered */
	size_t span = ww_k_pt_span();
	uintptr_t block;
	int fd, ret = atomic_load(&known);
	void *m;

	if (ret >= 0)
		return ret;
	/* Never touched, so the aligned block inside has no page table at all. */
	m = mmap(NULL, 2 * span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	fd = ww_k_pagemap_open(0);
	block = ((uintptr_t)m + span - 1) & ~(uintptr_t)(span - 1);
	ret = fd < 0 ? fd : hole_trial(fd, block, span);
	if (fd >= 0)
		close(fd);
	munmap(m, 2 * span);
	if (ret >= 0)
		atomic_store(&known, ret);
	return ret;
}
