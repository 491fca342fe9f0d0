/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: every argument error of GetWriteWatch / ResetWriteWatch
 * (Wine's "invalid parameter" block): NULL count or granularity, NULL
 * addresses with a non-zero count -> ERROR_NOACCESS; zero count, zero size,
 * unknown flags -> ERROR_INVALID_PARAMETER.  Failures return (UINT)-1, leave
 * *count, the results and the watch state alone; success leaves the last
 * error alone.
 */
#include "win32_tt.h"

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	void *res[64];
	ULONG_PTR count;
	ULONG gran;

	base[3 * WPG] = 1;

	count = 64;
	wt_fails(GetWriteWatch(0, base, size, res, NULL, &gran), ~0u, ERROR_NOACCESS);
	wt_fails(GetWriteWatch(0, base, size, res, &count, NULL), ~0u, ERROR_NOACCESS);
	wt_fails(GetWriteWatch(0, base, size, NULL, &count, &gran), ~0u, ERROR_NOACCESS);
	tt_check(count == 64, "count changed by a failed call: %zu", (size_t)count);
	wt_fails(GetWriteWatch(WRITE_WATCH_FLAG_RESET, base, size, NULL, &count, &gran), ~0u,
		 ERROR_NOACCESS);

	count = 0;
	wt_fails(GetWriteWatch(0, base, size, res, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(GetWriteWatch(0, base, size, NULL, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);

	count = 64;
	wt_fails(GetWriteWatch(0xdeadbeef, base, size, res, &count, &gran), ~0u,
		 ERROR_INVALID_PARAMETER);
	wt_fails(GetWriteWatch(2, base, size, res, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(GetWriteWatch(WRITE_WATCH_FLAG_RESET | 0x100, base, size, res, &count, &gran),
		 ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(GetWriteWatch(0, base, 0, res, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(GetWriteWatch(WRITE_WATCH_FLAG_RESET, base, 0, res, &count, &gran), ~0u,
		 ERROR_INVALID_PARAMETER);
	wt_fails(ResetWriteWatch(base, 0), ~0u, ERROR_INVALID_PARAMETER);
	tt_check(count == 64, "count changed by a failed call: %zu", (size_t)count);

	/* None of the failed calls reset anything. */
	wt_expect_pages(0, base, size, "state after failed calls", 3);

	/* Success leaves the last error alone, as on Windows. */
	SetLastError(1234);
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "reset get", 3);
	wt_ok(ResetWriteWatch(base, size));
	tt_check(GetLastError() == 1234, "success changed the last error to %u",
		 (unsigned)GetLastError());

	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
