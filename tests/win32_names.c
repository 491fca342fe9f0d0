/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer header: with WW_WIN32_NO_NAMES the Windows names are not
 * defined and the ww_win32_ ones work; after a windows.h-like header
 * (_WINDEF_ and its types and constants defined first) the header uses
 * those and still compiles.
 */
#include <stdint.h>
#include <stddef.h>

/* What a windows.h-like header would have provided. */
#define _WINDEF_
typedef uint32_t DWORD;
typedef uint32_t UINT;
typedef uint32_t ULONG;
typedef int32_t BOOL;
typedef uintptr_t ULONG_PTR;
typedef size_t SIZE_T;
typedef void *PVOID;
typedef void *LPVOID;
typedef DWORD *PDWORD;
#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04
#define PAGE_WRITECOPY 0x08
#define PAGE_EXECUTE 0x10
#define PAGE_EXECUTE_READ 0x20
#define PAGE_EXECUTE_READWRITE 0x40
#define PAGE_EXECUTE_WRITECOPY 0x80
#define PAGE_GUARD 0x100
#define PAGE_NOCACHE 0x200
#define PAGE_WRITECOMBINE 0x400
#define ERROR_INVALID_PARAMETER 87L

#define WW_WIN32_NO_NAMES
#include "writewatch/win32.h"
#include "tt.h"

#if defined(VirtualAlloc) || defined(GetWriteWatch) || defined(GetLastError)
#error "WW_WIN32_NO_NAMES must leave the Windows names alone"
#endif

int main(void)
{
	char *p = ww_win32_VirtualAlloc(NULL, 16 * TT_PAGE, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
					PAGE_READWRITE);
	void *res[4];
	ULONG_PTR count = 4;
	ULONG gran;

	if (!p && ww_win32_GetLastError() == ERROR_NOT_SUPPORTED)
		tt_skip("backend %s not available here", tt_backend());
	tt_check(p, "VirtualAlloc: %u", (unsigned)ww_win32_GetLastError());
	p[3 * TT_PAGE] = 1;
	tt_check(!ww_win32_GetWriteWatch(WRITE_WATCH_FLAG_RESET, p, 16 * TT_PAGE, res, &count, &gran),
		 "GetWriteWatch");
	tt_check(count == 1 && res[0] == p + 3 * TT_PAGE && gran == TT_PAGE, "results");
	ww_win32_SetLastError(0);
	tt_check(ww_win32_ResetWriteWatch(p, 0) == ~0u &&
		 ww_win32_GetLastError() == ERROR_INVALID_PARAMETER, "ResetWriteWatch(size 0)");
	tt_check(ww_win32_VirtualFree(p, 0, MEM_RELEASE), "VirtualFree");
	return 0;
}
