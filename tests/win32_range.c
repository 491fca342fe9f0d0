/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: the range must lie inside one write-watched allocation.
 * NULL base, memory the layer did not allocate, a range running past the
 * allocation's end or starting before it, spanning two allocations, or
 * wrapping around: ERROR_INVALID_PARAMETER from both calls.  The exact
 * extent of the allocation is accepted.
 */
#include "win32_tt.h"

static void both_fail(void *b, SIZE_T s, const char *what)
{
	void *res[64];
	ULONG_PTR count = 64;
	ULONG gran;

	SetLastError(0);
	if (GetWriteWatch(0, b, s, res, &count, &gran) != ~0u ||
	    GetLastError() != ERROR_INVALID_PARAMETER)
		tt_fail("%s: GetWriteWatch did not fail with ERROR_INVALID_PARAMETER (error %u)",
			what, (unsigned)GetLastError());
	SetLastError(0);
	if (ResetWriteWatch(b, s) != ~0u || GetLastError() != ERROR_INVALID_PARAMETER)
		tt_fail("%s: ResetWriteWatch did not fail with ERROR_INVALID_PARAMETER (error %u)",
			what, (unsigned)GetLastError());
}

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	static char data[64];           /* not the layer's memory */
	char stack[64], *heap = malloc(3 * WPG), *a, *b, *hole;

	/*
	 * Two adjacent allocations at known addresses: reserve, release, reuse.
	 * A first write-watch allocation opens the tracker beforehand, so that
	 * no backend thread's stack lands in the hole.
	 */
	char *first = wt_alloc(NULL, WPG, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE);

	hole = wt_alloc(NULL, 2 * size, MEM_RESERVE, PAGE_NOACCESS);
	tt_check(VirtualFree(hole, 0, MEM_RELEASE), "release the hole");
	a = wt_alloc(hole, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	b = wt_alloc(hole + size, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	tt_check(a == hole && b == hole + size, "allocations not where asked: %p %p", a, b);
	a[size - 1] = 1;
	b[0] = 1;

	both_fail(NULL, size, "NULL base");
	both_fail(heap, WPG, "malloc memory");
	both_fail(stack, sizeof(stack), "stack memory");
	both_fail(data, sizeof(data), "static data");
	both_fail(a, size * 2, "twice the size");
	both_fail(a + size - WPG, WPG + 1, "last page plus one byte");
	both_fail(a - WPG, 2 * WPG, "starting before the allocation");
	both_fail(a + size - WPG, 2 * WPG, "spanning two allocations");
	both_fail(a + WPG, (SIZE_T)-1, "wrapping around");
	both_fail(a + WPG, (SIZE_T)-1 - (uintptr_t)(a + WPG) + 1, "ending at address 0");

	/* Exactly the allocation, and exactly its last byte, are fine. */
	wt_expect_pages(0, a, size, "whole first allocation", 15);
	wt_expect_sub(0, a, a + size - 1, 1, "its last byte", 15);
	wt_expect_pages(0, b, size, "whole second allocation", 0);
	wt_ok(ResetWriteWatch(a + size - WPG, WPG));
	wt_expect_none(0, a, size, "reset last page");
	wt_expect_pages(0, b, size, "second allocation untouched", 0);

	free(heap);
	VirtualFree(first, 0, MEM_RELEASE);
	VirtualFree(a, 0, MEM_RELEASE);
	VirtualFree(b, 0, MEM_RELEASE);
	return 0;
}
