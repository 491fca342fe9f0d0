/* SPDX-License-Identifier: MIT */
/*
 * Swap for the tests that need pages swapped out.  A machine without an
 * active swap device still has swap when the test runs as root: the test
 * then adds a small swap file of its own (beside the test binary, so on the
 * checkout's file system; TT_SWAPDIR chooses another) and removes it when it
 * exits, also when the runner's timeout sends SIGTERM.  Without root and
 * without swap the test skips and says so.
 *
 * Another process's pages may land in the file while it is active; taking
 * it away (swapoff) only reads them back in.  Pages this test swapped out
 * may likewise come back in when another test's file goes: a test checks
 * what it needs swapped right before it relies on it.
 */
#ifndef TT_SWAP_H
#define TT_SWAP_H

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/swap.h>

#include "tt.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define TT_SWAP_BYTES (64UL << 20)

static char tt_swap_path[PATH_MAX];

static inline bool tt_swap_active(void)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[256];
	int lines = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1;       /* a header, then one line per swap area */
}

static inline void tt_swap_remove(void)
{
	if (!tt_swap_path[0])
		return;
	swapoff(tt_swap_path);
	unlink(tt_swap_path);
	tt_swap_path[0] = 0;
}

static inline void tt_swap_on_signal(int sig)
{
	tt_swap_remove();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * The version-1 swap header mkswap(8) writes: at byte 1024 the version, the
 * last usable page and the bad-page count; the signature ends the first page.
 */
static inline int tt_swap_format(int fd, size_t bytes)
{
	size_t pg = TT_PAGE;
	char *buf = calloc(1, 1 << 20);
	uint32_t info[3] = { 1, (uint32_t)(bytes / pg - 1), 0 };
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	/* Written, not fallocated: swapon refuses files with holes or unwritten extents on some file systems. */
	for (size_t off = 0; off < bytes && !ret; off += 1 << 20)
		if (pwrite(fd, buf, 1 << 20, (off_t)off) != 1 << 20)
			ret = -errno;
	memcpy(buf + 1024, info, sizeof(info));
	memcpy(buf + pg - 10, "SWAPSPACE2", 10);
	if (!ret && pwrite(fd, buf, pg, 0) != (ssize_t)pg)
		ret = -errno;
	if (!ret && fsync(fd))
		ret = -errno;
	free(buf);
	return ret;
}

static inline const char *tt_swap_dir(char *buf, size_t len)
{
	const char *d = getenv("TT_SWAPDIR");
	ssize_t n;

	if (d && *d)
		return d;
	n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0)
		return ".";
	buf[n] = 0;
	return dirname(buf);
}

/* Make sure swap is active, adding a file of our own as root; skip otherwise. */
static inline void tt_swap_or_skip(void)
{
	char dir[PATH_MAX];
	int fd, ret;

	if (tt_swap_active())
		return;
	if (geteuid() != 0)
		tt_skip("no active swap device, and only root may add a swap file");
	snprintf(tt_swap_path, sizeof(tt_swap_path), "%s/.tt-swap-%d",
		 tt_swap_dir(dir, sizeof(dir)), (int)getpid());
	fd = open(tt_swap_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		tt_skip("no active swap device, and no swap file could be made at %s: %s",
			tt_swap_path, strerror(errno));
	ret = tt_swap_format(fd, TT_SWAP_BYTES);
	close(fd);
	if (ret || swapon(tt_swap_path, 0)) {
		int err = ret ? -ret : errno;

		unlink(tt_swap_path);
		tt_swap_path[0] = 0;
		tt_skip("no active swap device, and swapon of a file at %s failed: %s (a file "
			"system that cannot hold swap? set TT_SWAPDIR)", dir, strerror(err));
	}
	atexit(tt_swap_remove);
	signal(SIGTERM, tt_swap_on_signal);
	signal(SIGINT, tt_swap_on_signal);
	fprintf(stderr, "swap: a %lu MiB file of this test's (%s)\n", TT_SWAP_BYTES >> 20,
		tt_swap_path);
}

/* Is the page at addr swapped out now (/proc/self/pagemap bit 62)? */
static inline bool tt_swapped(const void *addr)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e = 0;
	off_t off = (off_t)((uintptr_t)addr / TT_PAGE * sizeof(e));
	bool r;

	tt_check(fd >= 0, "open /proc/self/pagemap: %s", strerror(errno));
	r = pread(fd, &e, sizeof(e), off) == sizeof(e) && (e >> 62 & 1);
	close(fd);
	return r;
}

/* How many of the n pages from p are swapped out now. */
static inline size_t tt_swapped_pages(const char *p, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += tt_swapped(p + i * TT_PAGE);
	return c;
}

#endif
