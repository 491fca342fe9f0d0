/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: writes the kernel makes into write-watched memory (read(2)
 * from a pipe, pread(2) from a file).  On uffd-async, and on uffd-sync with
 * a full userfaultfd (root), they work and exactly the pages written are
 * reported.  Where the kernel cannot write a page that was not written since
 * the last reset - mprotect, and uffd-sync when this caller only gets a
 * user-mode-only userfaultfd (ww_probe's uffd_user_mode_only, e.g. as
 * nobody) - read(2) fails with EFAULT and nothing is reported (documented);
 * ww_win32_prepare_io() first makes it work and, like Windows' ReadFile into
 * a write-watched buffer, reports the whole buffer as written - on every
 * backend.
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "win32_tt.h"

#define NP 16

static void fill_pipe(int fd, size_t n, char c)
{
	char *buf = malloc(n);

	tt_check(buf, "out of memory");
	memset(buf, c, n);
	tt_check(write(fd, buf, n) == (ssize_t)n, "write pipe: %s", strerror(errno));
	free(buf);
}

/* Can the kernel write into a watched page not written since the last reset? */
static int kernel_writes_fail(void)
{
	struct ww_probe p = { .size = sizeof(p) };

	if (!strcmp(ww_win32_backend(), "mprotect"))
		return 1;
	tt_check(!ww_probe(&p), "ww_probe");
	return !strcmp(ww_win32_backend(), "uffd-sync") && p.uffd_user_mode_only;
}

static SIZE_T size;              /* NP pages */
static char *base;
static int fds[2];

/* read(2) from a pipe, unprepared then prepared. */
static void pipe_reads(int refused)
{
	ssize_t n;

	/* 2 pages + 3 bytes into a buffer starting at page 1: pages 1, 2, 3 written. */
	fill_pipe(fds[1], 2 * WPG + 3, 'p');
	n = read(fds[0], base + WPG, 8 * WPG);
	if (refused) {
		tt_check(n == -1 && errno == EFAULT, "%s%s: read into watched memory gave %zd (%s)",
			 ww_win32_backend(), strcmp(ww_win32_backend(), "mprotect") ?
			 " (user-mode-only userfaultfd)" : "", n, n < 0 ? strerror(errno) : "ok");
		tt_check(base[WPG] == 0, "a failed read changed memory");
		wt_expect_none(0, base, size, "failed read");
	} else {
		tt_check(n == (ssize_t)(2 * WPG + 3), "read returned %zd (%s)", n,
			 n < 0 ? strerror(errno) : "");
		tt_check(base[WPG] == 'p' && base[3 * WPG + 2] == 'p', "data not read");
		wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "kernel wrote 1-3", 1, 2, 3);
		fill_pipe(fds[1], 2 * WPG + 3, 'p');     /* the same data again for the next part */
	}

	/* Prepared: works everywhere, and the whole buffer counts as written (Windows). */
	tt_check(ww_win32_prepare_io(base + WPG, 8 * WPG), "prepare_io: %u",
		 (unsigned)GetLastError());
	n = read(fds[0], base + WPG, 8 * WPG);
	tt_check(n == (ssize_t)(2 * WPG + 3), "prepared read returned %zd (%s)", n,
		 n < 0 ? strerror(errno) : "");
	tt_check(base[WPG] == 'p' && base[3 * WPG + 2] == 'p', "data not read");
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "prepared buffer", 1, 2, 3, 4, 5, 6,
			7, 8);
	wt_expect_none(0, base, size, "after reset");
}

/* pread(2) from a file into the middle of a page, crossing into the next. */
static void file_read(int refused)
{
	int mfd = memfd_create("ww-win32", MFD_CLOEXEC);
	ssize_t n;

	tt_check(mfd >= 0, "memfd_create");
	fill_pipe(mfd, 3 * WPG, 'f');
	if (refused)
		tt_check(ww_win32_prepare_io(base + 10 * WPG + 100, WPG), "prepare_io");
	n = pread(mfd, base + 10 * WPG + 100, WPG, 0);
	tt_check(n == (ssize_t)WPG, "pread returned %zd (%s)", n, n < 0 ? strerror(errno) : "");
	wt_expect_pages(0, base, size, "pread into pages 10-11", 10, 11);
	close(mfd);
}

/* prepare_io: refuses pages that cannot be written, ignores unwatched memory. */
static void prepare_limits(void)
{
	char *plain = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	DWORD old;

	tt_check(VirtualProtect(base + 13 * WPG, WPG, PAGE_READONLY, &old), "protect");
	wt_fails(ww_win32_prepare_io(base + 12 * WPG, 2 * WPG), FALSE, ERROR_NOACCESS);
	tt_check(VirtualFree(base + 14 * WPG, WPG, MEM_DECOMMIT), "decommit");
	wt_fails(ww_win32_prepare_io(base + 14 * WPG, 1), FALSE, ERROR_NOACCESS);
	wt_expect_pages(0, base, size, "refused prepare changed nothing", 10, 11);
	tt_check(ww_win32_prepare_io(plain, size), "prepare_io on plain memory");
	tt_check(ww_win32_prepare_io(base, 0), "prepare_io of nothing");
	fill_pipe(fds[1], 5, 'q');
	tt_check(read(fds[0], plain + WPG - 2, 5) == 5, "read into plain memory");
	VirtualFree(plain, 0, MEM_RELEASE);
}

int main(void)
{
	int refused;

	size = NP * WPG;
	base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	refused = kernel_writes_fail();
	tt_check(!pipe(fds), "pipe");
	/* Room for what the test writes ahead of the reads, whatever the page size. */
	tt_check(fcntl(fds[1], F_SETPIPE_SZ, (int)(4 * WPG)) >= (int)(4 * WPG),
		 "F_SETPIPE_SZ: %s", strerror(errno));
	pipe_reads(refused);
	file_read(refused);
	prepare_limits();
	close(fds[0]);
	close(fds[1]);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
