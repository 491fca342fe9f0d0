/* SPDX-License-Identifier: MIT */
/*
 * Baselines through the userfaultfd kernel interfaces, written by hand with
 * ioctl() and owing nothing to libwritewatch (the point of a baseline):
 *
 *  raw          userfaultfd with UFFD_FEATURE_WP_ASYNC, UFFDIO_REGISTER_MODE_WP,
 *               UFFDIO_WRITEPROTECT to arm, PAGEMAP_SCAN with
 *               PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC looped on walk_end
 *               to get and reset.  Nothing is faster through these
 *               interfaces: the library is measured against it.
 *  old-pagemap  the interface before PAGEMAP_SCAN: the same async write
 *               protection, but written pages found by reading
 *               /proc/self/pagemap (8 bytes a page, uffd-wp bit 57 clear) and
 *               re-protected one page at a time with UFFDIO_WRITEPROTECT.
 *
 * Debian 12's kernel headers lack PAGEMAP_SCAN and WP_ASYNC: this is the one
 * file of the tool that includes the library's private uapi definitions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uapi.h"
#include "target.h"

#define PM_UFFD_WP (1ULL << 57)
#define PM_CHUNK 8192           /* pagemap entries read at a time (64 KiB) */

/*
 * Runs of the vec handed to PAGEMAP_SCAN: the kernel's own chunk
 * (PAGEMAP_WALK_SIZE >> PAGE_SHIFT = 512 on x86-64).  On Linux 6.18 a larger
 * vec measured slower when one call reports more than 512 runs over
 * untouched (marker-only) memory, so 512 is the fastest raw sequence.
 */
#define RAW_VEC 512

struct raw_state {
	int uffd;
	int pmfd;
	struct page_region vec[RAW_VEC];
	uint64_t pm[PM_CHUNK];
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	for (;;) {
		if (ioctl(fd, req, arg) >= 0)
			return 0;
		/* EAGAIN from userfaultfd: the address space changed under it; retry. */
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

/*
 * A userfaultfd the way a program without the library gets one: the system
 * call, else /dev/userfaultfd, else a user-mode-only one (all that an
 * unprivileged caller gets with vm.unprivileged_userfaultfd=0; enough here,
 * since the measured writes are the program's own).
 */
static int raw_uffd_open(void)
{
	int flags = O_CLOEXEC | O_NONBLOCK;
	long fd = syscall(SYS_userfaultfd, flags);
	int dev;

	if (fd >= 0 || errno != EPERM)
		return fd >= 0 ? (int)fd : -errno;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev >= 0) {
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
		close(dev);
		if (fd >= 0)
			return (int)fd;
	}
	fd = syscall(SYS_userfaultfd, flags | UFFD_USER_MODE_ONLY);
	return fd >= 0 ? (int)fd : -errno;
}

static int raw_wp(int uffd, uintptr_t start, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return xioctl(uffd, UFFDIO_WRITEPROTECT, &wp);
}

/* The descriptors: a WP_ASYNC userfaultfd and /proc/self/pagemap. */
static int raw_fds(struct raw_state *s, char *why, size_t whylen)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};
	int ret = raw_uffd_open();

	if (ret < 0) {
		snprintf(why, whylen, "userfaultfd: %s", wb_errname(ret));
		return ret;
	}
	s->uffd = ret;
	ret = xioctl(s->uffd, UFFDIO_API, &api);
	if (ret) {
		snprintf(why, whylen, "UFFDIO_API(WP_ASYNC): %s (needs Linux >= 6.7)",
			 wb_errname(ret));
		return ret == -EINVAL ? -EOPNOTSUPP : ret;
	}
	s->pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (s->pmfd < 0) {
		ret = -errno;
		snprintf(why, whylen, "/proc/self/pagemap: %s", wb_errname(ret));
		return ret;
	}
	return 0;
}

/* uffd with WP_ASYNC, the range registered and armed; the pagemap fd open. */
static int raw_open(struct wb_target *t, char *why, size_t whylen)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)t->base, .len = t->len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct raw_state *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->uffd = s->pmfd = -1;
	t->priv = s;
	/* WP_UNPOPULATED arms a marker in every page-table entry: 8 bytes a page. */
	ret = wb_cost_check((uint64_t)(t->len / wb_page()) * 8, "a marker in every page-table entry",
			    why, whylen);
	if (!ret)
		ret = raw_fds(s, why, whylen);
	if (ret)
		return ret;
	ret = xioctl(s->uffd, UFFDIO_REGISTER, &reg);
	if (ret) {
		snprintf(why, whylen, "UFFDIO_REGISTER(WP): %s", wb_errname(ret));
		return ret;
	}
	ret = raw_wp(s->uffd, (uintptr_t)t->base, t->len, true);
	if (ret)
		snprintf(why, whylen, "UFFDIO_WRITEPROTECT: %s", wb_errname(ret));
	return ret;
}

static void raw_close(struct wb_target *t)
{
	struct raw_state *s = t->priv;

	if (!s)
		return;
	if (s->uffd >= 0) {
		struct uffdio_range range = { .start = (uintptr_t)t->base, .len = t->len };

		/* Unprotect before close: old kernels left uffd-wp bits behind. */
		raw_wp(s->uffd, (uintptr_t)t->base, t->len, false);
		xioctl(s->uffd, UFFDIO_UNREGISTER, &range);
		close(s->uffd);
	}
	if (s->pmfd >= 0)
		close(s->pmfd);
	free(s);
	t->priv = NULL;
}

/* The whole raw get-and-reset: PAGEMAP_SCAN, looped on walk_end. */
static long raw_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	struct raw_state *s = t->priv;
	struct pm_scan_arg a = {
		.size = sizeof(a),
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.start = (uintptr_t)t->base,
		.end = (uintptr_t)t->base + t->len,
		.vec = (uintptr_t)s->vec,
		.vec_len = RAW_VEC,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};
	long pages = 0;

	for (;;) {
		long n = ioctl(s->pmfd, PAGEMAP_SCAN, &a), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			pages += (long)((s->vec[i].end - s->vec[i].start) / wb_page());
			if (fn)
				fn(arg, s->vec[i].start, s->vec[i].end);
		}
		if (a.walk_end >= a.end)
			return pages;
		a.start = a.walk_end;
	}
}

/* Can the raw sequence run here?  Try it on one page. */
static int raw_available(char *why, size_t whylen)
{
	size_t pg = wb_page();
	char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct wb_target t = { .m = WB_RAW, .base = p, .len = pg };
	int ret;
	long n;

	if (p == MAP_FAILED)
		return -ENOMEM;
	p[0] = 1;
	ret = raw_open(&t, why, whylen);
	if (!ret) {
		n = raw_get_reset(&t, NULL, NULL);
		if (n < 0) {
			ret = (int)n;
			snprintf(why, whylen, "PAGEMAP_SCAN: %s (needs Linux >= 6.7)",
				 wb_errname(ret));
		}
	}
	raw_close(&t);
	munmap(p, pg);
	return ret;
}

/* The old way: read the pagemap, re-protect every written page on its own. */
static long old_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	struct raw_state *s = t->priv;
	size_t pg = wb_page(), npages = t->len / pg, i = 0;
	uintptr_t base = (uintptr_t)t->base;
	long pages = 0;

	while (i < npages) {
		size_t n = npages - i < PM_CHUNK ? npages - i : PM_CHUNK, j;
		off_t off = (off_t)((base / pg + i) * sizeof(uint64_t));
		ssize_t got = pread(s->pmfd, s->pm, n * sizeof(uint64_t), off);

		if (got < 0)
			return -errno;
		n = (size_t)got / sizeof(uint64_t);
		if (!n)
			return -EIO;
		for (j = 0; j < n; j++) {
			uintptr_t page = base + (i + j) * pg;
			int ret;

			if (s->pm[j] & PM_UFFD_WP)
				continue;
			ret = raw_wp(s->uffd, page, pg, true);
			if (ret)
				return ret;
			pages++;
			if (fn)
				fn(arg, page, page + pg);
		}
		i += n;
	}
	return pages;
}

const struct wb_target_ops wb_raw_ops = {
	.available = raw_available,
	.open = raw_open,
	.get_reset = raw_get_reset,
	.close = raw_close,
};

/* old-pagemap arms and writes exactly like raw: only its get differs. */
const struct wb_target_ops wb_old_pagemap_ops = {
	.available = raw_available,
	.open = raw_open,
	.get_reset = old_get_reset,
	.close = raw_close,
};
