/* SPDX-License-Identifier: MIT */
/*
 * The page map of a process through PAGEMAP_SCAN: which pages are present,
 * swapped, the zero page, huge, file-backed, written (uffd-wp bit clear),
 * soft-dirty or guards.  Read only: no flag that changes page tables is
 * ever passed, so any process may be looked at without disturbing it.
 *
 * One ioctl walks a whole range and skips what is not populated at the
 * highest page-table level it can, which is what makes a process with
 * terabytes of sparse mappings cheap to map (the per-page pagemap reads
 * 8 bytes for every page, populated or not).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"

_Static_assert(sizeof(struct ww_page_run) == sizeof(struct page_region),
	       "ww_page_run is the kernel's page_region");

struct ww_pagemap {
	int fd;
	uint32_t categories;
};

WW_API int ww_pagemap_open(struct ww_pagemap **out, pid_t pid, unsigned flags)
{
	struct ww_pagemap *pm;
	int fd, ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (flags || pid < 0)
		return -EINVAL;
	fd = ww_k_pagemap_open(pid);
	if (fd < 0)
		return fd;
	pm = calloc(1, sizeof(*pm));
	if (!pm) {
		close(fd);
		return -ENOMEM;
	}
	pm->fd = fd;
	ret = ww_k_pagemap_scan_probe_fd(fd, &pm->categories);
	if (ret <= 0) {
		ww_pagemap_close(pm);
		return ret ? ret : -EOPNOTSUPP;
	}
	*out = pm;
	return 0;
}

WW_API int ww_pagemap_categories(const struct ww_pagemap *pm, uint32_t *categories)
{
	if (!pm || !categories)
		return -EINVAL;
	*categories = pm->categories;
	return 0;
}

/*
 * Append the kernel's runs at runs[n..n+got) to the runs before them: the
 * kernel cannot merge across two calls, this does.
 */
static size_t merge_runs(struct ww_page_run *runs, size_t n, size_t got)
{
	if (n && got && runs[n - 1].end == runs[n].start &&
	    runs[n - 1].categories == runs[n].categories) {
		runs[n - 1].end = runs[n].end;
		memmove(&runs[n], &runs[n + 1], (got - 1) * sizeof(*runs));
		got--;
	}
	return n + got;
}

WW_API ssize_t ww_pagemap_scan(struct ww_pagemap *pm, uint64_t start, uint64_t end,
			       uint32_t anyof, uint32_t report,
			       struct ww_page_run *runs, size_t max, uint64_t *next)
{
	size_t page = ww_page_size(), n = 0;
	uint64_t cur = start;

	if (!pm || !runs || !max || start % page || end < start ||
	    (anyof | report) & ~pm->categories)
		return -EINVAL;
	/* A range the kernel may not walk at once is resumed, never cut short. */
	while (cur < end && n < max) {
		struct pm_scan_arg arg = {
			.size = sizeof(arg), .start = cur, .end = end,
			.vec = (uintptr_t)&runs[n], .vec_len = max - n,
			.category_anyof_mask = anyof, .return_mask = report,
		};
		long got = ww_k_pagemap_scan(pm->fd, &arg);

		if (got < 0) {
			if (n)
				break;  /* what was found stands; the error repeats at next */
			return got;
		}
		n = merge_runs(runs, n, (size_t)got);
		if (arg.walk_end <= cur)
			return -EIO;    /* no progress: never loop forever */
		cur = arg.walk_end;
	}
	if (next)
		*next = cur < end ? cur : end;
	return (ssize_t)n;
}

WW_API void ww_pagemap_close(struct ww_pagemap *pm)
{
	if (!pm)
		return;
	close(pm->fd);
	free(pm);
}
