/* SPDX-License-Identifier: MIT */
/*
 * Baseline: reset a memfd-backed private mapping the way wasmtime's pooling
 * allocator does with PAGEMAP_SCAN, without any write tracking.  A written
 * page of a MAP_PRIVATE file mapping is a private copy (not PAGE_IS_FILE);
 * the scan finds those (present or swapped) and MADV_DONTNEED drops them, so
 * they read the file again.  Raw ioctl() by design: it owes nothing to
 * libwritewatch.  The walk resumes from walk_end until the range is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uapi.h"
#include "restore.h"

int wr_scan_open(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int wr_scan_reset(int fd, char *start, size_t len)
{
	struct page_region regs[512];
	uintptr_t at = (uintptr_t)start, end = at + len;

	while (at < end) {
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.start = at,
			.end = end,
			.vec = (uintptr_t)regs,
			.vec_len = 512,
			.category_inverted = PAGE_IS_FILE,
			.category_mask = PAGE_IS_FILE,
			.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		};
		long n = ioctl(fd, PAGEMAP_SCAN, &a);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (long i = 0; i < n; i++)
			if (madvise((void *)(uintptr_t)regs[i].start, regs[i].end - regs[i].start,
				    MADV_DONTNEED))
				return -errno;
		if (a.walk_end <= at)
			return -EIO;
		at = a.walk_end;
	}
	return 0;
}
