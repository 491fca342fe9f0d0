/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer and fork(): the child is not tracked - GetWriteWatch and
 * ResetWriteWatch fail there with ERROR_NOT_SUPPORTED and new
 * MEM_WRITE_WATCH allocations are refused - but its copy of the memory is
 * usable (written directly, by the kernel after ww_win32_prepare_io, and
 * released).  The parent keeps tracking exactly, and the child's writes are
 * not the parent's.
 */
#include <sys/wait.h>

#include "win32_tt.h"

static int child(char *base, SIZE_T size)
{
	void *res[16];
	ULONG_PTR count = 16;
	ULONG gran;
	int fds[2];

	if (GetWriteWatch(0, base, size, res, &count, &gran) != ~0u ||
	    GetLastError() != ERROR_NOT_SUPPORTED)
		return 10;
	if (ResetWriteWatch(base, size) != ~0u || GetLastError() != ERROR_NOT_SUPPORTED)
		return 11;
	if (VirtualAlloc(NULL, size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE) ||
	    GetLastError() != ERROR_NOT_SUPPORTED)
		return 12;
	memset(base, 0x77, size);               /* every page, written or not in the parent */
	if (pipe(fds) || write(fds[1], "abc", 3) != 3)
		return 13;
	if (!ww_win32_prepare_io(base + 5 * WPG, WPG) || read(fds[0], base + 5 * WPG, 3) != 3)
		return 14;
	if (!VirtualFree(base + 8 * WPG, WPG, MEM_DECOMMIT) || !VirtualFree(base, 0, MEM_RELEASE))
		return 15;
	/* Plain allocations still work. */
	base = VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	if (!base)
		return 16;
	base[0] = 1;
	return 0;
}

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	pid_t pid;
	int st;

	base[2 * WPG] = 1;
	pid = fork();
	tt_check(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		_exit(child(base, size));
	tt_check(waitpid(pid, &st, 0) == pid, "waitpid");
	tt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed: status %#x", st);

	wt_expect_pages(0, base, size, "parent after the child wrote everything", 2);
	tt_check(base[0] == 0 && base[2 * WPG] == 1, "the child's writes reached the parent");
	base[9 * WPG] = 1;
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "parent still tracks", 2, 9);
	base[2 * WPG] = 2;
	wt_expect_pages(0, base, size, "and after a reset", 2);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
